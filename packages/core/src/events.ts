/**
 * The director's typed events: what operators care about (real servers added, removed, quiesced or
 * overloaded; services changed; the connection table full; failover role). Types only; emission lives in
 * the director, which emits only when someone listens and never from the packet path.
 */
import type { FailoverState } from './ports.js';

/** Identifies a real server in an event. */
export interface RealServerRef {
  /** Service name. */
  readonly service: string;
  /** Real server address. */
  readonly address: string;
  /** Real server port. */
  readonly port: number;
}

/** Event name → listener arguments. */
export interface IpvsEvents {
  /** A real server joined a service (config, run-time change, ipvsadm, or health up). */
  realServerAdded: [event: RealServerRef & { readonly weight: number }];
  /** A real server left a service. */
  realServerRemoved: [event: RealServerRef & { readonly reason: 'config' | 'health' }];
  /** A real server's weight became 0 (no new connections; existing ones continue). */
  realServerQuiesced: [event: RealServerRef & { readonly reason: 'config' | 'health' }];
  /** The OVERLOAD flag was set or cleared (upper/lower thresholds). */
  realServerOverloaded: [event: RealServerRef & { readonly overloaded: boolean }];
  /** A service was added, edited or removed. */
  serviceChanged: [event: { readonly service: string; readonly change: 'added' | 'edited' | 'removed' }];
  /** New connections were dropped because the connection table was full (at most one event per second). */
  tableFull: [event: { readonly drops: number; readonly capacity: number; readonly size: number }];
  /** The failover role changed. */
  failover: [event: { readonly state: FailoverState }];
}
