/**
 * Fakes of every port, for our tests and users' own (`@lvskit/vrrp/testing`): an in-memory
 * multicast segment that delivers adverts between fake transports with the IP fields a raw socket would
 * report, and an ownership port that records what it was asked to do. They must never touch the network,
 * real timers or processes.
 */

import type { Clock } from '@lvskit/base';
import type { IpFamily } from './address.js';
import { compareBytes, formatIp } from './address.js';
import type { CompiledVirtualAddress, CompiledVmac } from './config.js';
import type { ReceivedAdvert } from './machine.js';
import type { AddressOwnership, VirtualMacLink, VrrpTransport } from './ports.js';
import type { LinkMonitor, ScriptRunner } from './tracking.js';

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
  readonly family: IpFamily;
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
    this.sourceBytes = Uint8Array.from(source.includes(':') ? [] : source.split('.').map(Number));
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

/** Records ownership operations; `owned` is the set of VIPs currently added. */
export class FakeOwnership implements AddressOwnership {
  /** Every operation, in order, e.g. `add 198.18.0.10/24 eth0`. */
  readonly log: string[] = [];
  /** VIPs currently present. */
  readonly owned = new Set<string>();
  /** Primary addresses returned by {@link FakeOwnership.primaryAddress}, by interface. */
  readonly primaries = new Map<string, string>();

  async add(v: CompiledVirtualAddress): Promise<void> {
    this.log.push(`add ${v.text}/${v.prefix} ${v.dev}`);
    this.owned.add(v.text);
  }
  async remove(v: CompiledVirtualAddress): Promise<void> {
    this.log.push(`del ${v.text}/${v.prefix} ${v.dev}`);
    this.owned.delete(v.text);
  }
  async announce(v: CompiledVirtualAddress, repeat: number): Promise<void> {
    this.log.push(`garp ${v.text} x${repeat}`);
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
    const mac = [...v.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
    this.log.push(`create ${v.ifname} on ${v.base} ${mac}`);
    this.present.add(v.ifname);
  }
  async destroy(v: CompiledVmac): Promise<void> {
    this.log.push(`destroy ${v.ifname}`);
    this.present.delete(v.ifname);
  }
}

/** A script runner whose results the test sets: `results.get(argv[0])` (default true). */
export class FakeScriptRunner implements ScriptRunner {
  /** Result per command (argv[0]). */
  readonly results = new Map<string, boolean>();
  /** Every run, as argv joined by spaces. */
  readonly runs: string[] = [];
  async run(argv: readonly string[]): Promise<boolean> {
    this.runs.push(argv.join(' '));
    return this.results.get(argv[0] as string) ?? true;
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
