/**
 * The narrow interfaces through which `Ipvs` touches the world: packets (`PacketPort`) and time (`Clock`).
 * The forwarders' datapath implements the packet port; `@lvskit/core/testing` ships fakes. Health and
 * failover are not core's ports: `@lvskit/director` turns health transitions into `Ipvs.setOverrides` and
 * VRRP state into the datapath's serving switch. Types only: this file must never import an implementation
 * or perform I/O.
 */
import type { Decision, PacketSummary } from './packet.js';

/** Time is `@lvskit/base`'s one `Clock` (milliseconds, timers that refuse delays Node cannot hold). */
export type { Clock, TimerHandle } from '@lvskit/base';

/**
 * What a packet port calls for every packet: the director's engine. `process` fills and returns the
 * engine's reusable `Decision` (valid until the next call); it never throws, awaits or allocates.
 */
export interface PacketProcessor {
  /**
   * Decides one packet.
   * @param summary - the packet (reused by the port)
   * @param now - milliseconds on the director's clock
   */
  process(summary: PacketSummary, now: number): Decision;
}

/**
 * A packet source and sink (the forwarders' datapath, or the simulated one in testing). It receives
 * packets, fills a summary, calls `processor.process()`, rewrites and sends by the decision.
 */
export interface PacketPort {
  /** Starts delivering packets to `processor`. Resolves once receiving. */
  open(processor: PacketProcessor): Promise<void>;
  /** Stops receiving; resolves when no further `process` call will happen. */
  close(): Promise<void>;
}
