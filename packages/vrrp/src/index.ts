/**
 * @lvskit/vrrp — VRRP v2/v3 (RFC 3768 / RFC 5798) that stands in one virtual router with keepalived: the
 * codec, the state machine as a synchronous step function, the raw-socket transport, VIP ownership and the
 * router shell that joins them. This entry only re-exports; it must never hold logic.
 */
export { bytesEqual, compareBytes, familyOf, formatIp, type IpFamily, parseIp } from './address.js';
export {
  ARPOP_REQUEST,
  ETHERTYPE_ARP,
  encodeGratuitousArp,
  encodeUnsolicitedNa,
  GARP_FRAME_LENGTH,
  NA_FRAME_LENGTH,
} from './arp.js';
export { finishChecksum, onesSum } from './checksum.js';
export * from './codec.js';
export {
  type AuthenticationConfig,
  type CompiledInstance,
  type CompiledVirtualAddress,
  type CompiledVmac,
  compileInstance,
  US_PER_CENTISECOND,
  US_PER_SECOND,
  type VirtualAddressConfig,
  VRRP_MULTICAST_GROUP4,
  VRRP_MULTICAST_GROUP6,
  type VrrpInstanceConfig,
  virtualRouterMac,
} from './config.js';
export { vrrpErrorCodes } from './errors.js';
export { Iproute2Ownership, type Iproute2OwnershipOptions } from './iproute2-ownership.js';
export {
  DROP_REASONS,
  type DropReason,
  type GarpReason,
  masterDownIntervalUs,
  type ReceivedAdvert,
  skewTimeUs,
  type TransitionReason,
  type VrrpAction,
  type VrrpEvent,
  VrrpMachine,
  type VrrpState,
  type VrrpStats,
} from './machine.js';
export { NativeOwnership, type NativeOwnershipOptions, nativeOwnershipAvailable } from './native-ownership.js';
export type {
  AddressOwnership,
  VirtualMacLink,
  VrrpTransport,
} from './ports.js';
export { RawSocketTransport, type RawSocketTransportOptions } from './raw-transport.js';
export {
  type NotifyScripts,
  type VrrpListener,
  VrrpRouter,
  type VrrpRouterEvents,
  type VrrpRouterOptions,
} from './router.js';
export { VrrpSyncGroup, type VrrpSyncGroupOptions } from './sync-group.js';
export {
  type LinkMonitor,
  processScriptRunner,
  ScriptResult,
  type ScriptRunner,
  splitCommand,
  sysfsLinkMonitor,
  Tracker,
  type TrackingConfig,
  TrackingController,
  type TrackingPorts,
  type TrackRef,
  trackContribution,
  type VrrpScriptConfig,
  validateTracking,
} from './tracking.js';
export { Iproute2VirtualMac, type Iproute2VirtualMacOptions } from './vmac.js';
