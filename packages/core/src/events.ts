/**
 * The typed events of `Ipvs`: what operators care about (real servers added, removed, quiesced or
 * overloaded; services changed; the connection table full). Types only; emission lives in `Ipvs`, which
 * builds a payload only when someone listens (`@lvskit/base` `TypedEmitter`) and never from the packet path.
 */

/** Identifies a real server in an event. */
export interface RealServerRef {
  /** Service name. */
  readonly service: string;
  /** Real server address. */
  readonly address: string;
  /** Real server port. */
  readonly port: number;
}

/** Event name → payload. */
export interface IpvsEvents {
  /** A real server joined a service (config, run-time change, ipvsadm, or an override let go). */
  realServerAdded: RealServerRef & { readonly weight: number };
  /** A real server left a service. */
  realServerRemoved: RealServerRef & { readonly reason: 'config' | 'health' };
  /** A real server's weight became 0 (no new connections; existing ones continue). */
  realServerQuiesced: RealServerRef & { readonly reason: 'config' | 'health' };
  /** The OVERLOAD flag was set or cleared (upper/lower thresholds). */
  realServerOverloaded: RealServerRef & { readonly overloaded: boolean };
  /** A service was added, edited or removed. */
  serviceChanged: { readonly service: string; readonly change: 'added' | 'edited' | 'removed' };
  /** New connections were dropped because the connection table was full (at most one event per second). */
  tableFull: { readonly drops: number; readonly capacity: number; readonly size: number };
}
