/**
 * What a parse or rewrite decided about one frame: the verdict (drop, forward, reply to the sender) and,
 * for drops, the reason. Owns the reason numbering and the counters array shape; must never throw, log,
 * or allocate per packet — per-packet outcomes are numbers the datapath counts.
 */

/** The verdict of a rewrite. */
export const Verdict = {
  /** Drop the frame; `RewriteResult.reason` says why. */
  DROP: 0,
  /** Transmit the rewritten frame (towards the real server, or the client for NAT replies). */
  FORWARD: 1,
  /** Transmit the frame, which now holds an ICMP error for the original sender, back out the same interface. */
  REPLY: 2,
} as const;
/** One of {@link Verdict}'s values. */
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/**
 * Why a frame was dropped. Malformed input is never an exception: it is one of these, counted.
 * The numbering is stable within a release and indexes {@link createDropCounters}' array.
 */
export const DropReason = {
  /** Not dropped. */
  NONE: 0,
  /** Shorter than an Ethernet header (or its VLAN tags). */
  TRUNCATED_ETHERNET: 1,
  /** EtherType is neither IPv4 nor IPv6. */
  NOT_IP: 2,
  /** IPv4 header truncated, wrong version, IHL < 5, or total length outside the frame. */
  MALFORMED_IPV4: 3,
  /** IPv4 header checksum does not verify. */
  BAD_IPV4_CHECKSUM: 4,
  /** IPv6 header truncated, wrong version, or payload length outside the frame. */
  MALFORMED_IPV6: 5,
  /** IPv6 extension headers run past the packet or are too many. */
  BAD_IPV6_EXTENSION: 6,
  /** TCP/UDP/ICMP header does not fit in the (first-fragment) payload. */
  TRUNCATED_TRANSPORT: 7,
  /** An ICMP error's embedded packet is too short to identify the flow. */
  TRUNCATED_ICMP_INNER: 8,
  /** TTL / hop limit would reach 0 and no ICMP error may be sent for this packet. */
  TTL_EXCEEDED: 9,
  /** Too big for the tunnel with DF set, and no ICMP error may be sent for this packet. */
  FRAG_NEEDED: 10,
  /** Too big for the tunnel without DF: the kernel would fragment the outer packet; we do not. */
  NEEDS_FRAGMENTATION: 11,
  /** The tunnel MTU (link MTU − 20) is below 68 (kernel: "mtu less than 68"). */
  TUNNEL_MTU_TOO_SMALL: 12,
  /** The frame buffer has no room for the encapsulation or the ICMP error. */
  NO_ROOM: 13,
  /** The decision's address family does not match the packet's, or the method does not carry it. */
  FAMILY_MISMATCH: 14,
  /** An ICMP error's embedded packet has no ports to translate (a non-first fragment, or truncated). */
  NO_PORTS: 15,
  /** NAT: the protocol is not one IPVS translates (TCP, UDP; ICMP errors about them). */
  UNSUPPORTED_PROTOCOL: 16,
  /** An ICMP error about a NAT flow fails its checksum (ip_vs_in_icmp: "failed checksum"). */
  BAD_ICMP_CHECKSUM: 17,
  /**
   * Longer than the receive slot, so only its start was received (the addon's `RxFlag.TRUNCATED`): a frame
   * above the slot size, or a GSO/GRO/TSO super-frame when the datapath runs with `offload: false` (2 KiB
   * slots). Counted before parsing, so it never shows up as a malformed header.
   */
  OVERSIZED: 18,
  /**
   * A super-frame or a frame with a checksum left to offload that cannot be handed on: not TCP/UDP, a
   * fragment, offsets that do not match its transport header, or a GSO type the datapath cannot segment
   * itself for a tunnel (only TCPv4 and UDP_L4 are).
   */
  OFFLOAD_UNSUPPORTED: 19,
  /**
   * An ICMP error we would have sent (time exceeded) was held back by the kernel's ICMP rate limits
   * (`icmp_ratelimit` per destination, `icmp_msgs_per_sec` overall; `IcmpRateLimiter`). Fragmentation-needed
   * and packet-too-big are never limited by default, as in the kernel.
   */
  ICMP_RATE_LIMITED: 20,
  /** To a VIP this director does not serve now (VRRP BACKUP or FAULT): neither forwarded nor answered. */
  NOT_SERVING: 21,
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

/** The outcome of a rewrite besides its verdict: the output length, or the drop reason. */
export class RewriteResult {
  /** Length of the output frame (valid when the verdict is FORWARD or REPLY). */
  length = 0;
  /** Why the frame was dropped ({@link DropReason.NONE} otherwise). */
  reason: DropReason = DropReason.NONE;
}
