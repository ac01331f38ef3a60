/**
 * The narrow ports the VRRP router shell talks through — the advert transport, VIP ownership (addresses
 * and gratuitous ARP) and the clock — as interfaces only. Implementations live beside them (raw socket,
 * iproute2/arping, real timers) and every port has a fake in `testing.ts`. This file must never contain an
 * implementation.
 */
import type { Clock, TimerHandle } from '@lvskit/base';
import type { IpFamily } from './address.js';
import type { CompiledVirtualAddress, CompiledVmac } from './config.js';
import type { ReceivedAdvert } from './machine.js';

/** Sends and receives VRRP messages for one instance (one interface, one family). */
export interface VrrpTransport {
  /** Address family of the socket. */
  readonly family: IpFamily;
  /**
   * Sends one VRRP message (no IP header). The transport adds the IP header (source, TTL 255 or the
   * unicast TTL, protocol 112).
   * @param message - buffer holding the message
   * @param length - its length
   * @param destination - multicast group or unicast peer (4 or 16 bytes)
   */
  send(message: Uint8Array, length: number, destination: Uint8Array): void;
  /**
   * Sets the one receive handler. It is called synchronously per packet; the advert's bytes are only valid
   * during the call (the transport reuses its buffer).
   */
  onReceive(handler: (advert: ReceivedAdvert) => void): void;
  /** Closes the socket (after already queued sends have gone out); no handler call after it returns. */
  close(): void;
}

/** Adds and removes virtual addresses and announces them. */
export interface AddressOwnership {
  /** Adds a VIP to its interface (an address already present is not an error). */
  add(vip: CompiledVirtualAddress): Promise<void>;
  /** Removes a VIP (an address already absent is not an error). */
  remove(vip: CompiledVirtualAddress): Promise<void>;
  /** Sends `repeat` gratuitous ARPs (IPv4) / unsolicited NAs (IPv6) for the VIP. */
  announce(vip: CompiledVirtualAddress, repeat: number): Promise<void>;
  /** The interface's primary address of a family (first global address), or undefined. */
  primaryAddress(ifname: string, family: IpFamily): Promise<string | undefined>;
}

/**
 * Creates and removes the virtual-MAC (macvlan) interface of a `use_vmac` instance, with the sysctls
 * keepalived sets on it and on its base interface.
 */
export interface VirtualMacLink {
  /** Creates the interface (mode private, the virtual MAC), sets its sysctls and brings it up. */
  create(vmac: CompiledVmac): Promise<void>;
  /** Deletes the interface and restores the base interface's sysctls (absent already: not an error). */
  destroy(vmac: CompiledVmac): Promise<void>;
}

/**
 * The router's view of the one clock (`@lvskit/base`'s, milliseconds) in microseconds, the unit VRRP's
 * intervals are written in (centiseconds for v3, skew time in 1/256 s). Internal: every public option takes a
 * base `Clock`; {@link microseconds} makes this view of it.
 */
export interface VrrpClock {
  /** Current time, µs, rounded to a whole µs. */
  now(): number;
  /** Calls `fn` once at (or just after) `atUs`; returns a handle for {@link VrrpClock.cancel}. */
  at(atUs: number, fn: () => void): unknown;
  /** Cancels a timer (no-op for a fired or unknown handle). */
  cancel(handle: unknown): void;
}

/** The µs view of a base clock. */
export function microseconds(clock: Clock): VrrpClock {
  const now = () => Math.round(clock.now() * 1000);
  return {
    now,
    at: (atUs, fn) => clock.setTimeout(fn, Math.max(0, atUs - now()) / 1000),
    cancel: (h) => (h as TimerHandle | undefined)?.cancel(),
  };
}
