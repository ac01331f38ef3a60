/**
 * The narrow interfaces through which a director touches the world: packets (`PacketPort`), time
 * (`Clock`), real-server health (`HealthSource`) and director failover (`Failover`). Other packages
 * implement them (forwarders, health, vrrp); `@lvskit/core/testing` ships fakes. Types only: this file
 * must never import an implementation or perform I/O.
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

/** A real server whose health a {@link HealthSource} reports. */
export interface HealthTarget {
  /** The service's name in the director. */
  readonly service: string;
  /** Real server address text. */
  readonly address: string;
  /** Real server port. */
  readonly port: number;
}

/** A health transition of one real server. */
export interface HealthTransition {
  /** Which server. */
  readonly target: HealthTarget;
  /** True when it became healthy, false when it failed. */
  readonly up: boolean;
  /** Why, for a person. */
  readonly message: string;
}

/**
 * Health checks (the health package's runner). Reports transitions only; the director applies them
 * (remove the real server, or quiesce it to weight 0, as configured).
 */
export interface HealthSource {
  /**
   * Starts reporting transitions for `targets`.
   * @returns a function that stops reporting
   */
  watch(targets: readonly HealthTarget[], onTransition: (t: HealthTransition) => void): () => void;
  /**
   * Optional: replaces the watched set of the current watch after a run-time change. Targets that stay
   * keep their state and counters (keepalived `migrate_checkers`: a reload never makes healthy servers
   * flap). Without it the director keeps its first watch and servers added later are not checked.
   */
  update?(targets: readonly HealthTarget[]): void;
}

/** A director's role in its failover group (VRRP states the director cares about). */
export type FailoverState = 'master' | 'backup' | 'fault';

/** Failover between directors (the vrrp package). The director only observes it. */
export interface Failover {
  /**
   * Starts reporting role changes; the current role is reported once right away.
   * @returns a function that stops reporting
   */
  watch(onState: (state: FailoverState) => void): () => void;
}
