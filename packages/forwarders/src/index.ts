/**
 * @lvskit/forwarders — the LVS packet layer: header views over preallocated buffers, RFC 1071/1624
 * checksums, one parse per frame into a reusable summary, and the three forwarding methods (direct routing,
 * masquerading/NAT, IPIP tunnelling) as in-place rewrites that return a verdict; plus the real-server side
 * helpers; the datapath over a `FramePort` (the pure `ForwardStep` and `RouteTable`, the ARP/NDP
 * `NeighbourResponder` the serving switch drives), its fakes in `@lvskit/forwarders/testing`. Nothing on the
 * packet path allocates or throws.
 * @packageDocumentation
 */
export { LvsError, type LvsErrorCode, type LvsIssue } from '@lvskit/base';

export { DATAPATH_COUNTER_COUNT } from './counters.js';
export {
  createDatapath,
  type Datapath,
  DatapathCounter,
  type DatapathInterfaceOptions,
  type DatapathOptions,
} from './datapath.js';
export { forwardersErrorCodes } from './errors.js';
export { ForwardStep, type ForwardStepState, StepAction, type StepInterface } from './forward-step.js';
export { fragmentCount, writeFragment } from './fragment.js';
export {
  type FramePort,
  type FramePortAddress,
  type FramePortFactory,
  type FramePortRequest,
  openNativeFramePort,
} from './frame-port.js';
export * from './headers/arp.js';
export * from './headers/ethernet.js';
export * from './headers/ipv4.js';
export * from './headers/ipv6.js';
export * from './headers/transport.js';
export {
  ICMP_PEER_WAYS,
  IcmpRateLimiter,
  type IcmpRateLimitOptions,
  icmpRateLimitDefaults,
} from './icmp-ratelimit.js';
export { NeighbourCache, type NeighbourCacheOptions, type NeighbourQuery } from './neighbour-cache.js';
export { completeTransportChecksum } from './offload.js';
export {
  createForwardParams,
  type ForwardParams,
  type ForwardParamsInit,
} from './params.js';
export { PacketInfo, parsePacket } from './parse.js';
export { datapathFilter } from './port-filter.js';
export { applyDrRealServer, DR_ARP_SYSCTLS, type DrRealServer, type DrRealServerOptions } from './realserver/dr.js';
export { applyTunRealServer, TUN_RP_FILTER_SYSCTLS, type TunRealServer } from './realserver/tun.js';
export {
  DecapReason,
  type DecapResult,
  decapsulateIpip,
  startTunnelDecapAgent,
  type TunnelDecapAgent,
  type TunnelDecapOptions,
} from './realserver/tun-agent.js';
export {
  REASSEMBLY_SLOT,
  Reassembler,
  type ReassemblerOptions,
  ReassemblyCounter,
} from './reassembly.js';
export { learnArpReply, learnNeighbourAdvert, NeighbourResponder } from './responder.js';
export {
  ICMP_ERROR_MAX,
  ICMP_ERROR_TTL,
  ICMPV6_ERROR_MAX,
  icmpErrorAllowed,
  replyIcmpError,
} from './rewrite/common.js';
export { rewriteMasqIn, rewriteMasqOut } from './rewrite/masq.js';
export { rewriteRoute } from './rewrite/route.js';
export { IPIP_OVERHEAD, rewriteTunnel } from './rewrite/tunnel.js';
export { type DefaultRoute, NextHop, RouteTable } from './routing.js';
export { gsoSegmentCount, writeSegment } from './segment.js';
export { RewriteResult } from './verdict.js';
export { VIP_NONE, VIP_NOT_SERVED, VIP_SERVED, VipTable } from './vip-table.js';
