/**
 * The packet summary the engine reads and the decision it writes: both reusable objects filled in place,
 * so the packet path allocates nothing. Owns the field layout, the TCP flag bits, the verdict, method and
 * drop-reason numbers. Must never parse packets (the forwarders do) or hold any state of its own.
 */
import { DropReason, type Family, formatIp, parseAddress, Verdict } from '@lvskit/base';
import { LvsError } from './errors.js';

/** TCP FIN flag bit (RFC 9293 §3.1). */
export const TCP_FIN = 0x01;
/** TCP SYN flag bit. For SCTP summaries this bit means "the packet carries an INIT chunk". */
export const TCP_SYN = 0x02;
/** TCP RST flag bit. For SCTP summaries: an ABORT chunk. */
export const TCP_RST = 0x04;
/** TCP ACK flag bit. */
export const TCP_ACK = 0x10;

/** Client → director (towards a virtual service): the kernel's `ip_vs_in` hook. */
export const DIR_IN = 0;
/** Real server → director (a NAT reply): the kernel's `ip_vs_out` hook. */
export const DIR_OUT = 1;
/** Packet direction as seen by the director. */
export type Direction = typeof DIR_IN | typeof DIR_OUT;

/**
 * One packet as the engine needs it. Allocate one with {@link createPacketSummary} and refill it for
 * every packet. Addresses are 16-byte arrays in network order; IPv4 uses the first four bytes (the rest
 * is ignored).
 */
export interface PacketSummary {
  /** 4 or 6. */
  family: Family;
  /** IP protocol number (6 TCP, 17 UDP, 132 SCTP; others pass). */
  protocol: number;
  /** Source address. */
  readonly saddr: Uint8Array;
  /** Destination address. */
  readonly daddr: Uint8Array;
  /** Source port (host order). */
  sport: number;
  /** Destination port (host order). */
  dport: number;
  /** TCP flag bits ({@link TCP_SYN} …); 0 for UDP. */
  tcpFlags: number;
  /** IP datagram length in bytes (what the kernel adds to InBytes/OutBytes: `skb->len`). */
  length: number;
  /** {@link DIR_IN} or {@link DIR_OUT}. */
  direction: Direction;
  /**
   * Firewall mark (`skb->mark`). The director's classifier overwrites it for inbound packets when one is
   * configured; 0 means unmarked.
   */
  mark: number;
}

/** Allocates an empty summary (IPv4 TCP, all zero) for reuse. */
export function createPacketSummary(): PacketSummary {
  return {
    family: 4,
    protocol: 6,
    saddr: new Uint8Array(16),
    daddr: new Uint8Array(16),
    sport: 0,
    dport: 0,
    tcpFlags: 0,
    length: 0,
    direction: DIR_IN,
    mark: 0,
  };
}

/** A packet written with text, for tests, tools and simulations. */
export interface PacketInit {
  /** Default `tcp`. */
  readonly protocol?: 'tcp' | 'udp' | 'sctp' | number;
  /** Source address text. */
  readonly source: string;
  /** Source port; default 0. */
  readonly sourcePort?: number;
  /** Destination address text (same family as the source). */
  readonly destination: string;
  /** Destination port; default 0. */
  readonly destinationPort?: number;
  /** TCP flags as letters (`S`, `F`, `A`, `R`, e.g. `'SA'`) or bits; default none. */
  readonly flags?: string | number;
  /** IP length; default 60. */
  readonly length?: number;
  /** `in` (default) or `out`. */
  readonly direction?: 'in' | 'out';
  /** Firewall mark; default 0. */
  readonly mark?: number;
}

/**
 * Fills a summary from text (control path; parses strings).
 * @throws LvsError `CORE_INVALID_ADDRESS`, `CORE_FAMILY_MISMATCH`, `CORE_INVALID_PORT`
 */
export function fillPacketSummary(init: PacketInit, out: PacketSummary = createPacketSummary()): PacketSummary {
  let s: Family;
  let d: Family;
  try {
    s = parseAddress(init.source, out.saddr).family;
    d = parseAddress(init.destination, out.daddr).family;
  } catch (cause) {
    throw new LvsError('CORE_INVALID_ADDRESS', `not an IP address in ${init.source} -> ${init.destination}`, { cause });
  }
  if (s !== d) throw new LvsError('CORE_FAMILY_MISMATCH', 'source and destination families differ');
  out.family = s;
  const p = init.protocol ?? 'tcp';
  out.protocol = p === 'tcp' ? 6 : p === 'udp' ? 17 : p === 'sctp' ? 132 : p;
  for (const port of [init.sourcePort ?? 0, init.destinationPort ?? 0]) {
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new LvsError('CORE_INVALID_PORT', `bad port ${port}`);
  }
  out.sport = init.sourcePort ?? 0;
  out.dport = init.destinationPort ?? 0;
  const f = init.flags ?? 0;
  if (typeof f === 'number') out.tcpFlags = f;
  else {
    let bits = 0;
    for (const c of f.toUpperCase()) {
      if (c === 'S') bits |= TCP_SYN;
      else if (c === 'F') bits |= TCP_FIN;
      else if (c === 'A') bits |= TCP_ACK;
      else if (c === 'R') bits |= TCP_RST;
      else throw new LvsError('INVALID_ARGUMENT', `unknown TCP flag letter ${c}`);
    }
    out.tcpFlags = bits;
  }
  out.length = init.length ?? 60;
  out.direction = init.direction === 'out' ? DIR_OUT : DIR_IN;
  out.mark = init.mark ?? 0;
  return out;
}

/** The packet is not for IPVS: let the host's own stack have it (kernel `NF_ACCEPT`); base `Verdict.LOCAL`. */
export const VERDICT_LOCAL = Verdict.LOCAL;
/** Forward to the real server in the decision, by its method; base `Verdict.FORWARD`. */
export const VERDICT_FORWARD = Verdict.FORWARD;
/** Drop the packet; `reason` says why; base `Verdict.DROP`. */
export const VERDICT_DROP = Verdict.DROP;
/** What the engine decides: `@lvskit/base`'s one `Verdict`, LOCAL, FORWARD or DROP. */
export type EngineVerdict = typeof VERDICT_LOCAL | typeof VERDICT_FORWARD | typeof VERDICT_DROP;

/** Forwarding method numbers, as the kernel's `IP_VS_CONN_F_FWD_MASK` values (uapi ip_vs.h). */
export const METHOD_MASQ = 0;
/** The real server is a local address (`IP_VS_CONN_F_LOCALNODE`). */
export const METHOD_LOCALNODE = 1;
/** IP-in-IP tunnelling (`IP_VS_CONN_F_TUNNEL`). */
export const METHOD_TUNNEL = 2;
/** Direct routing (`IP_VS_CONN_F_DROUTE`). */
export const METHOD_ROUTE = 3;
/** A forwarding method number. */
export type MethodCode = typeof METHOD_MASQ | typeof METHOD_LOCALNODE | typeof METHOD_TUNNEL | typeof METHOD_ROUTE;

/** A drop reason number (`@lvskit/base`'s one `DropReason` numbering, shared with the datapath). */
export type DropReasonCode = DropReason;

/**
 * The engine's answer for one packet, filled in place. For {@link VERDICT_FORWARD} inbound, rewrite per
 * `method` towards `raddr:rport` (NAT rewrites the destination; DR/TUN keep it). For a NAT reply
 * (`reply` true) rewrite the source to `vaddr:vport`.
 */
export interface Decision {
  /** {@link VERDICT_LOCAL}, {@link VERDICT_FORWARD} or {@link VERDICT_DROP}. */
  verdict: EngineVerdict;
  /** Why it was dropped; {@link DropReason.NONE} otherwise. */
  reason: DropReasonCode;
  /** Forwarding method of the connection. */
  method: MethodCode;
  /** True for a real server → client packet of a NAT connection. */
  reply: boolean;
  /** Real server address family (differs from the packet's only for tunnels). */
  rfamily: Family;
  /** Real server address (16 bytes, network order). */
  readonly raddr: Uint8Array;
  /** Real server port. */
  rport: number;
  /** Virtual address of the connection (for NAT replies). */
  readonly vaddr: Uint8Array;
  /** Virtual port of the connection. */
  vport: number;
  /** Internal id of the virtual service, -1 when none. */
  serviceId: number;
  /** Internal id of the real server, -1 when none. */
  realServerId: number;
  /** Connection table index, -1 when none (e.g. one-packet scheduling). */
  connection: number;
}

/** Allocates a decision object for reuse. */
export function createDecision(): Decision {
  return {
    verdict: VERDICT_LOCAL,
    reason: DropReason.NONE,
    method: METHOD_ROUTE,
    reply: false,
    rfamily: 4,
    raddr: new Uint8Array(16),
    rport: 0,
    vaddr: new Uint8Array(16),
    vport: 0,
    serviceId: -1,
    realServerId: -1,
    connection: -1,
  };
}

/** Formats the real server of a decision as `addr:port` (control path, for logs and tests). */
export function describeDecision(d: Decision): string {
  if (d.verdict === VERDICT_LOCAL) return 'local';
  if (d.verdict === VERDICT_DROP) return `drop(${d.reason})`;
  const a = formatIp(d.raddr, d.rfamily);
  return d.rfamily === 6 ? `[${a}]:${d.rport}` : `${a}:${d.rport}`;
}
