/**
 * What lvskit decided about one packet — the one {@link Verdict} — and, for a drop, the one numbering of
 * reasons, shared by the engine (IPVS decisions) and the datapath (frames), with the counter array they
 * index. Owns the numbers and names only; the packet path compares and counts integers, never strings.
 */

/** What to do with a packet or frame. */
export const Verdict = {
  /** Not for IPVS: let the host's own stack have it (kernel `NF_ACCEPT`). */
  LOCAL: 0,
  /** Forward to the real server (or, for a NAT reply, the client) by the decided method. */
  FORWARD: 1,
  /** Drop it; the reason says why. */
  DROP: 2,
  /** Send the frame, which now holds an ICMP error for the original sender, back out the interface it came in on. */
  REPLY: 3,
} as const;
/** One of {@link Verdict}'s values. */
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/**
 * Why a packet was dropped. Malformed input is never an exception: it is one of these, counted. The numbering
 * is stable within a release and indexes {@link createDropCounters}' array; compare by name across releases.
 */
export const DropReason = {
  /** Not dropped. */
  NONE: 0,
  /** A virtual service matched but no real server (nor sorry server) could take it: kernel `ip_vs_leave` sends ICMP port unreachable and drops. */
  NO_SERVER: 1,
  /** The connection's real server was deleted and `expire_nodest_conn` is off. */
  DEST_UNAVAILABLE: 2,
  /** The connection table is full and no entry could be reclaimed. */
  TABLE_FULL: 3,
  /** A non-persistent port-0 service saw a packet for another port (kernel "port zero only supported in persistent services"). */
  PORT_ZERO: 4,
  /** The summary is malformed (family/protocol/ports out of range, or a length that is not a byte count). */
  MALFORMED: 5,
  /** The drop_packet defense dropped this new-connection packet (`ip_vs_todrop`). */
  DROP_PACKET: 6,
  /** Shorter than an Ethernet header (or its VLAN tags). */
  TRUNCATED_ETHERNET: 7,
  /** EtherType is neither IPv4 nor IPv6. */
  NOT_IP: 8,
  /** IPv4 header truncated, wrong version, IHL < 5, or total length outside the frame. */
  MALFORMED_IPV4: 9,
  /** IPv4 header checksum does not verify. */
  BAD_IPV4_CHECKSUM: 10,
  /** IPv6 header truncated, wrong version, or payload length outside the frame. */
  MALFORMED_IPV6: 11,
  /** IPv6 extension headers run past the packet or are too many. */
  BAD_IPV6_EXTENSION: 12,
  /** TCP/UDP/ICMP header does not fit in the (first-fragment) payload. */
  TRUNCATED_TRANSPORT: 13,
  /** An ICMP error's embedded packet is too short to identify the flow. */
  TRUNCATED_ICMP_INNER: 14,
  /** TTL / hop limit would reach 0 and no ICMP error may be sent for this packet. */
  TTL_EXCEEDED: 15,
  /** Too big for the tunnel with DF set, and no ICMP error may be sent for this packet. */
  FRAG_NEEDED: 16,
  /** Too big for the tunnel without DF: the kernel would fragment the outer packet; we do not. */
  NEEDS_FRAGMENTATION: 17,
  /** The tunnel MTU (link MTU − 20) is below 68 (kernel: "mtu less than 68"). */
  TUNNEL_MTU_TOO_SMALL: 18,
  /** The frame buffer has no room for the encapsulation or the ICMP error. */
  NO_ROOM: 19,
  /** The decision's address family does not match the packet's, or the method does not carry it. */
  FAMILY_MISMATCH: 20,
  /** An ICMP error's embedded packet has no ports to translate (a non-first fragment, or truncated). */
  NO_PORTS: 21,
  /** NAT: the protocol is not one IPVS translates (TCP, UDP; ICMP errors about them). */
  UNSUPPORTED_PROTOCOL: 22,
  /** An ICMP error about a NAT flow fails its checksum (ip_vs_in_icmp: "failed checksum"). */
  BAD_ICMP_CHECKSUM: 23,
  /**
   * Longer than the receive slot, so only its start was received (the addon's `RxFlag.TRUNCATED`): a frame
   * above the slot size, or a GSO/GRO/TSO super-frame when the datapath runs with `offload: false` (2 KiB
   * slots). Counted before parsing, so it never shows up as a malformed header.
   */
  OVERSIZED: 24,
  /**
   * A super-frame or a frame with a checksum left to offload that cannot be handed on: not TCP/UDP, a
   * fragment, offsets that do not match its transport header, or a GSO type the datapath cannot segment
   * itself for a tunnel (only TCPv4 and UDP_L4 are).
   */
  OFFLOAD_UNSUPPORTED: 25,
  /**
   * An ICMP error we would have sent (time exceeded) was held back by the kernel's ICMP rate limits
   * (`icmp_ratelimit` per destination, `icmp_msgs_per_sec` overall; `IcmpRateLimiter`). Fragmentation-needed
   * and packet-too-big are never limited by default, as in the kernel.
   */
  ICMP_RATE_LIMITED: 26,
  /** The director is not serving (VRRP BACKUP or FAULT): it neither forwards nor answers for its VIPs. */
  NOT_SERVING: 27,
  /** The user's packet classifier (iptables `MARK` stand-in) threw on this new flow: dropped, never thrown. */
  CLASSIFIER_FAILED: 28,
} as const;
/** One of {@link DropReason}'s values. */
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** Number of drop reasons (size of the counters array). */
export const DROP_REASON_COUNT = Object.keys(DropReason).length;

/** Names of the drop reasons, indexed by value. */
export const DROP_REASON_NAMES: readonly string[] = Object.freeze(
  Object.entries(DropReason)
    .sort((a, b) => a[1] - b[1])
    .map(([k]) => k),
);

/** One counter per drop reason, indexed by {@link DropReason} (Float64 so counts never wrap). */
export function createDropCounters(): Float64Array {
  return new Float64Array(DROP_REASON_COUNT);
}

/** The non-zero counters by reason name (control path: allocates). */
export function dropCountsByName(counters: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 1; i < counters.length; i++) if (counters[i]! > 0) out[DROP_REASON_NAMES[i] ?? `#${i}`] = counters[i]!;
  return out;
}
