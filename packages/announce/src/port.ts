/**
 * The route-announcer port: what a scale-out director needs from a routing daemon — announce a VIP prefix
 * while it can serve it, withdraw it, and know whether its BGP peers are up. Implementations drive a real
 * speaker ({@link GobgpAnnouncer} drives GoBGP's `gobgpd`); the director holds only this interface.
 */
import type { LvsError, TypedEmitter } from '@lvskit/base';

/** A BGP session's state (RFC 4271 §8.2.2), lowercase. */
export type BgpSessionState = 'idle' | 'connect' | 'active' | 'opensent' | 'openconfirm' | 'established';

/** One peer as the announcer last saw it. */
export interface BgpPeerStatus {
  /** The peer's address. */
  readonly address: string;
  /** The peer's AS number. */
  readonly as: number;
  /** The session state; `idle` until the daemon reports one. */
  readonly state: BgpSessionState;
}

/** Events every route announcer emits. */
export interface RouteAnnouncerEvents {
  /** A prefix was handed to the daemon (it goes to every established peer). */
  announced: { readonly prefix: string };
  /** A prefix was withdrawn from the daemon. */
  withdrawn: { readonly prefix: string };
  /** A peer's session changed state. */
  peerState: { readonly address: string; readonly from: BgpSessionState; readonly to: BgpSessionState };
  /** The daemon failed (start, a command, or an unexpected exit). */
  error: { readonly error: LvsError };
}

/** The port. */
export interface RouteAnnouncer extends TypedEmitter<RouteAnnouncerEvents> {
  /** Starts the daemon; resolves when it answers. Nothing is announced yet. */
  start(): Promise<void>;
  /** Stops the daemon (its sessions close, so peers drop every route it announced). Idempotent. */
  stop(): Promise<void>;
  /** True between `start()` and `stop()`. */
  readonly running: boolean;
  /** Announces `prefix` (`198.18.0.100/32`, or a bare address for a host route). Idempotent. */
  announce(prefix: string): Promise<void>;
  /** Withdraws `prefix`. Idempotent. */
  withdraw(prefix: string): Promise<void>;
  /** The prefixes announced now, canonical (`address/length`). */
  announced(): readonly string[];
  /** The peers and their last known session state. */
  peers(): readonly BgpPeerStatus[];
}
