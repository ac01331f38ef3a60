/**
 * @lvskit/base — the words every lvskit package shares, defined once: the error class and its code registry,
 * the issue list, the address and MAC parser, protocol constants, byte access and the Internet checksum, the
 * ARP and neighbour-discovery frames (views and encoders), the millisecond clock, the typed emitter and the
 * command-runner port. No dependencies; this file only re-exports and must never hold behaviour. Fakes live
 * in `@lvskit/base/testing`.
 * @packageDocumentation
 */
export {
  addrFold,
  canonicalIp,
  describe,
  type Family,
  formatEndpoint,
  formatIp,
  formatMac,
  ipFamily,
  isUnicast,
  type ParsedAddress,
  type ParsedPrefix,
  parseAddress,
  parseIp,
  parseMac,
  parsePrefix,
} from './address.js';
export { bytesEqual, compareBytes, copyBytes, get16, get32, put16, put32 } from './bytes.js';
export {
  checksumUpdate16,
  checksumUpdate32,
  checksumUpdateBytes,
  foldSum,
  internetChecksum,
  onesSum,
  pseudoSum4,
  pseudoSum6,
} from './checksum.js';
export { type Clock, checkDelay, MAX_TIMER_DELAY_MS, systemClock, type TimerHandle } from './clock.js';
export {
  COMMAND_TIMEOUT_MS,
  type CommandOptions,
  type CommandOutcome,
  type CommandRunner,
  execCommand,
} from './command.js';
export { type Listener, TypedEmitter } from './emitter.js';
export {
  baseErrorCodes,
  formatPath,
  IssueList,
  LvsError,
  type LvsErrorCode,
  type LvsErrorCodes,
  type LvsIssue,
  type LvsPathSegment,
} from './errors.js';
export {
  ARP_FRAME_LENGTH,
  ARP_HLEN,
  ARP_HTYPE,
  ARP_OPER,
  ARP_PLEN,
  ARP_PTYPE,
  ARP_REPLY,
  ARP_REQUEST,
  ARP_SHA,
  ARP_SIZE,
  ARP_SPA,
  ARP_THA,
  ARP_TPA,
  ArpView,
  ETHERNET_MIN_FRAME_LENGTH,
  encodeArpRequest,
  encodeGratuitousArp,
  encodeNeighbourSolicitation,
  encodeUnsolicitedNa,
  GARP_FRAME_LENGTH,
  NA_FLAG_OVERRIDE,
  NA_FLAG_ROUTER,
  NA_FLAG_SOLICITED,
  NA_FRAME_LENGTH,
  ND_OPT_SOURCE_LINKADDR,
  ND_OPT_TARGET_LINKADDR,
  NDISC_FLAGS,
  NDISC_FRAME_LENGTH,
  NDISC_MIN_SIZE,
  NDISC_NEIGHBOUR_ADVERTISEMENT,
  NDISC_NEIGHBOUR_SOLICITATION,
  NDISC_OPTIONS,
  NDISC_TARGET,
  NdiscView,
  padEthernetFrame,
  solicitedNodeMac,
  writeArpReply,
  writeNaReply,
} from './neighbour-frames.js';
export {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IPIP,
  IPPROTO_IPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_VRRP,
  PROTOCOL_NAMES,
  type ProtocolName,
  protocolName,
  protocolNumber,
} from './protocol.js';
export {
  createDropCounters,
  DROP_REASON_COUNT,
  DROP_REASON_NAMES,
  DropReason,
  dropCountsByName,
  Verdict,
} from './verdict.js';
