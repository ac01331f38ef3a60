/**
 * The narrow ports the VRRP router shell talks through — the advert transport, VIP ownership (serving the
 * addresses and announcing them) and the virtual-MAC link — as interfaces only (the clock is base's `Clock`). Implementations live beside them (raw socket,
 * iproute2/arping, real timers) and every port has a fake in `testing.ts`. This file must never contain an
 * implementation.
 */
import type { Clock, Family, TimerHandle } from '@lvskit/base';
import type { CompiledVirtualAddress, CompiledVmac } from './config.js';
import type { ReceivedAdvert } from './machine.js';

/** Sends and receives VRRP messages for one instance (one interface, one family). */
export interface VrrpTransport {
  /** Address family of the socket. */
  readonly family: Family;
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

/**
 * Who serves an instance's virtual addresses. The router's contract with it, exactly:
 * - **add** — on entering MASTER (any reason: Master_Down_Timer, sync group, fault cleared for an owner),
 *   `add(vip)` once per VIP, in `virtual_ipaddress` order, each awaited before the next. Never twice without
 *   a `remove` between.
 * - **remove** — on leaving MASTER, whatever the next state: BACKUP (a higher priority, a sync-group
 *   order), FAULT (tracking, the instance's link down, `setFault`), or INIT (`stop()`, after the
 *   priority-0 advert), `remove(vip)` once per VIP, in the same order. Never without an `add` before it.
 * - **announce** — after the `add`s have resolved, `announce(vip, repeat)` for every VIP (concurrently),
 *   with keepalived's rules: `garp_master_repeat` at once on becoming MASTER and again
 *   `garp_master_delay` later (default 5 and 5 s); `garp_master_refresh_repeat` every `garp_master_refresh`
 *   while MASTER (default off); `garp_lower_prio_repeat` when a lower-priority advert arrives while MASTER,
 *   and again `garp_lower_prio_delay` later. Only while MASTER: an announcement due after a `remove` was
 *   queued is dropped, and no announce follows a `remove` until the next `add`.
 *
 * Calls are made from microtasks after the `stateChanged` event, one ownership call at a time (an announce
 * may overlap later calls, so a slow announcer never delays a release). A rejected call becomes an `error`
 * event; the machine carries on. `@lvskit/director` implements this with its datapath: `add` starts serving
 * the VIP (forwarding, ARP/NS answers — the VIP is never put on the kernel), `remove` stops, `announce`
 * sends gratuitous ARP / unsolicited NA through the datapath. The default implementations
 * (`NativeOwnership`, `Iproute2Ownership`) put the VIP on the kernel, as keepalived does.
 */
export interface AddressOwnership {
  /** Starts owning one VIP (an address already present is not an error). */
  add(vip: CompiledVirtualAddress): Promise<void>;
  /** Stops owning one VIP (an address already absent is not an error). */
  remove(vip: CompiledVirtualAddress): Promise<void>;
  /** Sends `repeat` gratuitous ARPs (IPv4) / unsolicited NAs (IPv6) for the VIP, back to back. */
  announce(vip: CompiledVirtualAddress, repeat: number): Promise<void>;
  /**
   * The interface's primary address of a family (IPv4: first global address; IPv6: the link-local one,
   * RFC 5798 §5.1.2.1), used as the advert source when `sourceIp` is not configured; undefined when none.
   */
  primaryAddress(ifname: string, family: Family): Promise<string | undefined>;
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
