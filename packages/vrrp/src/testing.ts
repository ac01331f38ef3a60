/**
 * Fakes of every port, for our tests and users' own (`@lvskit/vrrp/testing`): an in-memory
 * multicast segment that delivers adverts between fake transports with the IP fields a raw socket would
 * report, and an ownership port that records what it was asked to do. They must never touch the network,
 * real timers or processes.
 */

import { type Clock, compareBytes, type Family, formatIp, formatMac, parseIp } from '@lvskit/base';
import { FakeClock, FakeCommandRunner } from '@lvskit/base/testing';
import type { CompiledVirtualAddress, CompiledVmac, VrrpInstanceConfig } from './config.js';
import type { ReceivedAdvert } from './machine.js';
import type { AddressOwnership, VirtualMacLink, VrrpTransport } from './ports.js';
import { VrrpRouter, type VrrpRouterOptions } from './router.js';
import type { LinkMonitor } from './tracking.js';

/** One packet seen on a {@link FakeSegment}. */
export interface FakeFrame {
  /** When it was sent, ms on the clock. */
  readonly at: number;
  /** Sender's source address. */
  readonly source: string;
  /** Destination. */
  readonly destination: string;
  /** The VRRP message. */
  readonly message: Uint8Array;
}

/** An L2 segment joining fake transports: a multicast reaches every other member, a unicast its owner. */
export class FakeSegment {
  /** Every frame sent, in order. */
  readonly frames: FakeFrame[] = [];
  /** Members by source address text. */
  readonly #members = new Map<string, FakeTransport>();
  readonly #clock: Clock;
  /** Drop everything sent by these sources (a partition). */
  readonly blocked = new Set<string>();

  /** @param clock - stamps frames */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Creates a transport for a member with this source address.
   * @param source - the member's address text
   * @param ttl - TTL it sends with
   */
  transport(source: string, ttl = 255): FakeTransport {
    const t = new FakeTransport(this, source, ttl);
    this.#members.set(source, t);
    return t;
  }

  /** @internal */
  deliver(from: FakeTransport, message: Uint8Array, destination: Uint8Array): void {
    const dst = formatIp(destination);
    this.frames.push({ at: this.#clock.now(), source: from.source, destination: dst, message: message.slice() });
    if (this.blocked.has(from.source)) return;
    const multicast = destination.length === 4 ? ((destination[0] as number) & 0xf0) === 0xe0 : destination[0] === 0xff;
    for (const m of this.#members.values()) {
      if (m === from || m.closed) continue;
      if (!multicast && m.source !== dst) continue;
      m.receive(message, from.sourceBytes, destination, from.ttl);
    }
  }
}

/** A transport on a {@link FakeSegment}. */
export class FakeTransport implements VrrpTransport {
  readonly family: Family;
  /** Source address text. */
  readonly source: string;
  /** Source bytes. */
  readonly sourceBytes: Uint8Array;
  /** TTL it sends with. */
  readonly ttl: number;
  /** True after close(). */
  closed = false;
  readonly #segment: FakeSegment;
  #handler: ((a: ReceivedAdvert) => void) | null = null;

  /** @internal */
  constructor(segment: FakeSegment, source: string, ttl: number) {
    this.#segment = segment;
    this.source = source;
    this.ttl = ttl;
    this.sourceBytes = parseIp(source);
    this.family = source.includes(':') ? 6 : 4;
  }
  send(message: Uint8Array, length: number, destination: Uint8Array): void {
    if (!this.closed) this.#segment.deliver(this, message.subarray(0, length), destination);
  }
  onReceive(handler: (a: ReceivedAdvert) => void): void {
    this.#handler = handler;
  }
  close(): void {
    this.closed = true;
  }
  /** @internal */
  receive(message: Uint8Array, source: Uint8Array, destination: Uint8Array, ttl: number): void {
    if (this.closed || !this.#handler) return;
    if (compareBytes(source, this.sourceBytes) === 0) return;
    const bytes = message.slice();
    this.#handler({ bytes, offset: 0, length: bytes.length, source, destination, ttl });
  }
}

/**
 * An {@link AddressOwnership} that records every call (`log`, each stamped on the clock in `calls` when a
 * clock is given) and checks the router's contract: an `add` of a VIP already owned, a `remove` of one not
 * owned, or an `announce` of one not owned is recorded in `violations`. `owned` is the set of VIPs added.
 */
export class FakeOwnership implements AddressOwnership {
  /**
   * Every call, in order: `add 198.18.0.10/24 eth0`, `announce 198.18.0.10 x5`, `del 198.18.0.10/24 eth0`.
   */
  readonly log: string[] = [];
  /** VIPs currently present. */
  readonly owned = new Set<string>();
  /** Primary addresses returned by {@link FakeOwnership.primaryAddress}, by interface. */
  readonly primaries = new Map<string, string>();

  /** Every call with the clock's time (ms) when it was made; `at` is NaN without a clock. */
  readonly calls: { readonly at: number; readonly call: string }[] = [];
  /** Calls that broke the contract (see the class comment); empty when the router kept it. */
  readonly violations: string[] = [];
  readonly #clock: Clock | undefined;

  /** @param clock - stamps {@link FakeOwnership.calls} */
  constructor(clock?: Clock) {
    this.#clock = clock;
  }

  #record(call: string): void {
    this.log.push(call);
    this.calls.push({ at: this.#clock?.now() ?? Number.NaN, call });
  }

  async add(v: CompiledVirtualAddress): Promise<void> {
    if (this.owned.has(v.text)) this.violations.push(`add of owned ${v.text}`);
    this.#record(`add ${v.text}/${v.prefix} ${v.dev}`);
    this.owned.add(v.text);
  }
  async remove(v: CompiledVirtualAddress): Promise<void> {
    if (!this.owned.has(v.text)) this.violations.push(`remove of unowned ${v.text}`);
    this.#record(`del ${v.text}/${v.prefix} ${v.dev}`);
    this.owned.delete(v.text);
  }
  async announce(v: CompiledVirtualAddress, repeat: number): Promise<void> {
    if (!this.owned.has(v.text)) this.violations.push(`announce of unowned ${v.text}`);
    this.#record(`announce ${v.text} x${repeat}`);
  }
  async primaryAddress(ifname: string): Promise<string | undefined> {
    return this.primaries.get(ifname);
  }
}

/** A {@link VirtualMacLink} that records what it was asked: `create vrrp.51 on eth0 00:00:5e:00:01:33`. */
export class FakeVirtualMac implements VirtualMacLink {
  /** Every operation, in order. */
  readonly log: string[] = [];
  /** Interfaces currently present. */
  readonly present = new Set<string>();
  /** When set, {@link FakeVirtualMac.create} rejects with it. */
  failCreate: Error | undefined;

  async create(v: CompiledVmac): Promise<void> {
    if (this.failCreate) throw this.failCreate;
    const mac = formatMac(v.mac);
    this.log.push(`create ${v.ifname} on ${v.base} ${mac}`);
    this.present.add(v.ifname);
  }
  async destroy(v: CompiledVmac): Promise<void> {
    this.log.push(`destroy ${v.ifname}`);
    this.present.delete(v.ifname);
  }
}

/** A link monitor whose link states the test sets (default up). */
export class FakeLinkMonitor implements LinkMonitor {
  /** Link state by interface. */
  readonly up = new Map<string, boolean>();
  async isUp(ifname: string): Promise<boolean> {
    return this.up.get(ifname) ?? true;
  }
}

/** One router of a {@link VrrpTestbed}, with its own fakes. */
export interface TestbedRouter {
  /** The router (not started). */
  readonly router: VrrpRouter;
  /** Its recording ownership. */
  readonly ownership: FakeOwnership;
  /** Its transport on the shared segment. */
  readonly transport: FakeTransport;
  /** Its link monitor (every link up until the test says otherwise). */
  readonly links: FakeLinkMonitor;
  /** Its command runner (notify and its own scripts; exit 0 unless answered otherwise). */
  readonly commands: FakeCommandRunner;
  /** Its source address. */
  readonly source: string;
}

/** N routers of one virtual router on one {@link FakeSegment} and one `FakeClock`. */
export interface VrrpTestbed {
  /** The one clock. */
  readonly clock: FakeClock;
  /** The one segment (its `frames` are every advert sent; `blocked` partitions a source). */
  readonly segment: FakeSegment;
  /** The routers, in the order given. */
  readonly routers: readonly TestbedRouter[];
  /** Starts every router, in order. */
  start(): Promise<void>;
  /** Stops every router. */
  stop(): Promise<void>;
  /** Advances the clock by `ms`, letting ownership calls and scripts settle at each timer. */
  advance(ms: number): Promise<void>;
  /** The state of every router, in order. */
  states(): string[];
}

/** One router of {@link createVrrpTestbed}: its instance fields over the shared ones, and extra options. */
export interface TestbedRouterSpec extends Partial<VrrpInstanceConfig> {
  /** Router options besides the fakes (tracking, scripts, notify, fault…); fakes given here win. */
  readonly options?: VrrpRouterOptions;
}

/**
 * Builds N routers of one virtual router for failover tests, on one segment and one clock: router `i`
 * gets source `198.18.0.(i+1)` (or `2001:2::(i+1)` when the VIPs are IPv6), interface `eth0`, VRID 51,
 * VIP `198.18.0.100/24` unless overridden, and its own {@link FakeOwnership}, {@link FakeLinkMonitor} and
 * `FakeCommandRunner`. Nothing is started.
 * @param specs - one entry per router (priority, state, … and `options`)
 * @param shared - instance fields every router shares, and an existing clock
 */
export function createVrrpTestbed(
  specs: readonly TestbedRouterSpec[],
  shared: Partial<VrrpInstanceConfig> & { readonly clock?: FakeClock } = {},
): VrrpTestbed {
  const { clock: given, ...base } = shared;
  const clock = given ?? new FakeClock(0);
  const segment = new FakeSegment(clock);
  const routers = specs.map((spec, i): TestbedRouter => {
    const { options, ...fields } = spec;
    const vips = fields.virtualIpAddresses ?? base.virtualIpAddresses ?? ['198.18.0.100/24'];
    const first = vips[0];
    const v6 = (typeof first === 'string' ? first : (first?.address ?? '')).includes(':');
    const source = fields.sourceIp ?? (v6 ? `2001:2::${i + 1}` : `198.18.0.${i + 1}`);
    const ownership = new FakeOwnership(clock);
    const transport = segment.transport(source);
    const links = new FakeLinkMonitor();
    const commands = new FakeCommandRunner();
    const config: VrrpInstanceConfig = {
      name: 'VI_1',
      interface: 'eth0',
      virtualRouterId: 51,
      ...base,
      ...fields,
      virtualIpAddresses: vips,
      sourceIp: source,
    };
    const router = new VrrpRouter(config, {
      commandRunner: commands.runner,
      ...options,
      clock,
      transport,
      ownership,
      linkMonitor: options?.linkMonitor ?? links,
    });
    return { router, ownership, transport, links, commands, source };
  });
  return {
    clock,
    segment,
    routers,
    async start() {
      for (const r of routers) await r.router.start();
    },
    async stop() {
      for (const r of routers) await r.router.stop();
    },
    async advance(ms) {
      await clock.advanceAsync(ms);
      for (const r of routers) await r.router.settled();
    },
    states: () => routers.map((r) => r.router.state),
  };
}
