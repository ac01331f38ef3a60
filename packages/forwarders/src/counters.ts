/**
 * The datapath's counter numbering, by name: one `Float64Array` slot per counter, bumped on the packet path
 * by index and read by name on the control path (`counterValues`). Owned here so the shell (datapath.ts) and
 * the forward step (forward-step.ts) count into the same slots; must never hold anything but the numbering.
 */

/** Indexes of `Datapath.counters`. */
export const DatapathCounter = {
  /** Frames received. */
  RECEIVED: 0,
  /** Frames forwarded (a super-frame counts once). */
  FORWARDED: 1,
  /** ICMP errors sent back to a sender. */
  REPLIED: 2,
  /** ARP requests and neighbour solicitations for a VIP answered. */
  ARP_ANSWERED: 3,
  /** Packets the engine dropped (no real server, over threshold, …). */
  ENGINE_DROPS: 4,
  /** Frames not for a VIP or a NAT connection, left to the kernel. */
  LEFT_TO_KERNEL: 5,
  /** Frames not sent because the next hop's MAC is not known yet. */
  NEXT_HOP_UNKNOWN: 6,
  /** Transport checksums completed in software. */
  CHECKSUMS_COMPLETED: 7,
  /** Super-frames forwarded whole with their GSO metadata. */
  SUPER_FRAMES: 8,
  /** Segments cut from super-frames here (tunnel). */
  SEGMENTS: 9,
  /** IPv4 fragments sent. */
  FRAGMENTS: 10,
  /** Frames the kernel's send queue refused. */
  TX_REFUSED: 11,
  /** ARP requests and neighbour solicitations sent for next hops neither configured nor in the kernel's table. */
  ARP_REQUESTS: 12,
  /** Receive batches handled (RECEIVED / BATCHES is the mean batch size). */
  BATCHES: 13,
  /** Gratuitous ARPs / unsolicited neighbour advertisements sent for served VIPs (`Datapath.announce`). */
  ANNOUNCED: 14,
} as const;

/** Number of {@link DatapathCounter} slots. */
export const DATAPATH_COUNTER_COUNT = 15;
