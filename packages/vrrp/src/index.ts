/**
 * @lvskit/vrrp — VRRP v2/v3 (RFC 3768 / RFC 5798) that stands in one virtual router with keepalived: the
 * codec, the state machine as a synchronous step function, the raw-socket transport, VIP ownership and the
 * router shell that joins them, on `@lvskit/base`'s clock, emitter, command runner, addresses and checksum.
 * This entry only re-exports; it must never hold logic.
 */
/**
 * The announcement frames (gratuitous ARP, unsolicited neighbour advertisement) are `@lvskit/base`'s, the
 * one ARP/NDP encoder of lvskit, re-exported here where VRRP users look for them (the same objects); so is
 * `LvsError`, lvskit's one error class, so that VRRP users can test `LvsError.is(err)` without another import.
 */
export {
  ARP_REQUEST as ARPOP_REQUEST,
  encodeGratuitousArp,
  encodeUnsolicitedNa,
  GARP_FRAME_LENGTH,
  LvsError,
  NA_FRAME_LENGTH,
} from '@lvskit/base';
export {
  type AdvertFields,
  advertLength,
  checksumValid,
  encodeAdvert,
  encodeIpv4Header,
  IPPROTO_VRRP,
  type PseudoHeader,
  passAuthData,
  VRRP_ADDRESSES,
  VRRP_AUTH_AH,
  VRRP_AUTH_NONE,
  VRRP_AUTH_PASS,
  VRRP_CHECKSUM,
  VRRP_COUNT,
  VRRP_IPV4_TOS,
  VRRP_PRIORITY,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  VRRP_V2_ADVER_INT,
  VRRP_V2_AUTH_LENGTH,
  VRRP_V2_AUTH_TYPE,
  VRRP_V3_MAX_ADVER_INT,
  VRRP_V3_MAX_ADVER_INT_CS,
  VRRP_VERSION_TYPE,
  VRRP_VRID,
  VrrpView,
} from './codec.js';
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
  type VrrpGlobalDefs,
  type VrrpInstanceConfig,
  virtualRouterMac,
} from './config.js';
export { vrrpErrorCodes } from './errors.js';
export { type GarpSender, Iproute2Ownership, type Iproute2OwnershipOptions } from './iproute2-ownership.js';
export {
  ADVERT_DROP_REASONS,
  type AdvertDropReason,
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
  createSysfsLinkMonitor,
  type LinkMonitor,
  ScriptResult,
  type ScriptState,
  type SysfsLinkMonitorOptions,
  splitCommand,
  sysfsLinkMonitor,
  Tracker,
  type TrackingConfig,
  TrackingController,
  type TrackingPorts,
  type TrackRef,
  trackContribution,
  type VrrpScriptConfig,
  VrrpScriptSet,
  type VrrpScriptSetPorts,
  validateTracking,
} from './tracking.js';
export { Iproute2VirtualMac, type Iproute2VirtualMacOptions } from './vmac.js';
