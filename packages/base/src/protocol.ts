/**
 * Protocol numbers and EtherTypes every package names (IANA registries), and the transport protocols IPVS
 * balances by name. Constants only, besides the name ↔ number mapping for configuration.
 */
import { describe } from './address.js';
import { LvsError } from './errors.js';

/** ICMP (RFC 792). */
export const IPPROTO_ICMP = 1;
/** IPv4-in-IPv4 encapsulation (RFC 2003), the IPVS tunnel method. */
export const IPPROTO_IPIP = 4;
/** TCP. */
export const IPPROTO_TCP = 6;
/** UDP. */
export const IPPROTO_UDP = 17;
/** IPv6 encapsulation (RFC 2473). */
export const IPPROTO_IPV6 = 41;
/** ICMPv6 (RFC 4443). */
export const IPPROTO_ICMPV6 = 58;
/** VRRP (RFC 3768 / RFC 5798). */
export const IPPROTO_VRRP = 112;
/** SCTP. */
export const IPPROTO_SCTP = 132;

/** IPv4 EtherType. */
export const ETHERTYPE_IPV4 = 0x0800;
/** ARP EtherType (RFC 826). */
export const ETHERTYPE_ARP = 0x0806;
/** 802.1Q VLAN tag. */
export const ETHERTYPE_VLAN = 0x8100;
/** IPv6 EtherType. */
export const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1ad QinQ outer tag. */
export const ETHERTYPE_QINQ = 0x88a8;

/** A transport protocol IPVS balances, by the name ipvsadm and keepalived use. */
export type ProtocolName = 'tcp' | 'udp' | 'sctp';

/** The protocol names, in ipvsadm's order. */
export const PROTOCOL_NAMES: readonly ProtocolName[] = ['tcp', 'udp', 'sctp'];

/**
 * Maps a protocol name to its IP protocol number (`undefined` → TCP, ipvsadm's default); numbers 0..255
 * pass through.
 * @throws LvsError `INVALID_ARGUMENT` for anything else
 */
export function protocolNumber(p: ProtocolName | number | undefined): number {
  if (p === undefined || p === 'tcp') return IPPROTO_TCP;
  if (p === 'udp') return IPPROTO_UDP;
  if (p === 'sctp') return IPPROTO_SCTP;
  if (typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 255) return p;
  throw new LvsError('INVALID_ARGUMENT', `unknown protocol: ${describe(p)} (tcp, udp or sctp)`);
}

/** The name of a balanced protocol number, or `undefined` for any other protocol. */
export function protocolName(n: number): ProtocolName | undefined {
  return n === IPPROTO_TCP ? 'tcp' : n === IPPROTO_UDP ? 'udp' : n === IPPROTO_SCTP ? 'sctp' : undefined;
}
