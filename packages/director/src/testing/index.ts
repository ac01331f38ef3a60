/**
 * @lvskit/director/testing — whole directors on fakes, for lvskit's tests and users' own: one `FakeClock`
 * for every part of every director, one in-memory VRRP segment between them, checks whose results the test
 * sets, and a command runner that runs nothing. Two directors on one `TestNetwork` fail over exactly as two
 * boxes on one LAN would, without root, in simulated time. Test support only: never used by production code.
 * @packageDocumentation
 */
import type { BgpPeerStatus, RouteAnnouncer, RouteAnnouncerEvents } from '@lvskit/announce';
import { createDropCounters, TypedEmitter } from '@lvskit/base';
import { FakeClock, FakeCommandRunner } from '@lvskit/base/testing';
import type { PacketProcessor } from '@lvskit/core';
import { createDatapath, type Datapath, type DatapathOptions } from '@lvskit/forwarders';
import { MemoryFramePort } from '@lvskit/forwarders/testing';
import { ScriptedChecker } from '@lvskit/health';
import { FakeLinkMonitor, FakeSegment } from '@lvskit/vrrp/testing';
import type { DirectorConfig } from '../config.js';
import { type CheckContext, createDirector, type Director, type DirectorPorts } from '../director.js';

/**
 * The results of every check on a {@link TestNetwork}: all pass until the test says otherwise. A real server
 * is named by service, address and port; `'*'` as the service means every service.
 */
export class CheckBoard {
  /** One checker per real server and check index, shared by every director (a checker holds no state). */
  readonly #checkers = new Map<string, ScriptedChecker>();
  readonly #answers = new Map<string, boolean>();

  static #key(service: string, address: string, port: number): string {
    return `${service}|${address}|${port}`;
  }

  /** Makes every check of a real server pass (`true`) or fail (`false`) from now on. */
  set(service: string, address: string, port: number, ok: boolean): void {
    for (const [key, c] of this.#checkers) {
      const [s, a, p] = key.split('|');
      if ((service === '*' || s === service) && a === address && Number(p) === port) c.set(ok);
    }
    this.#answers.set(CheckBoard.#key(service, address, port), ok);
  }

  /** How many times the checks of a real server ran, on every director of the network. */
  calls(service: string, address: string, port: number): number {
    let n = 0;
    const prefix = `${CheckBoard.#key(service, address, port)}|`;
    for (const [key, c] of this.#checkers) if (key.startsWith(prefix)) n += c.calls;
    return n;
  }

  /**
   * The port function a director uses. Directors re-create checkers on reload; the board hands back the
   * same one for the same real server and check, so it holds one per check however long a test runs.
   * @internal
   */
  checker(context: CheckContext): ScriptedChecker {
    const server = CheckBoard.#key(context.service, context.address, context.port);
    const key = `${server}|${context.index}`;
    const known = this.#checkers.get(key);
    if (known) return known;
    const c = new ScriptedChecker(`test:${server}:${context.index}`, context.check.type);
    const answer = this.#answers.get(server) ?? this.#answers.get(CheckBoard.#key('*', context.address, context.port));
    if (answer !== undefined) c.set(answer);
    this.#checkers.set(key, c);
    return c;
  }
}

/**
 * A datapath that moves no frames: it records what the director asked of it — the VIPs it serves, the
 * announcements, the VIP list — so a test can check serving without root. (Frame-level fakes of the datapath
 * itself live with the forwarders.)
 */
export class FakeDatapath implements Datapath {
  /** Drops by reason (always zero here). */
  readonly drops = createDropCounters();
  /** Counters (always zero here). */
  readonly counters = new Float64Array(15);
  /** Reassembly counters (always zero here). */
  readonly reassembly = new Float64Array(6);
  /** The options it was created with. */
  readonly options: DatapathOptions;
  /** The VIPs served now. */
  served: readonly string[];
  /** Every announcement, in order. */
  readonly announced: { readonly vip: string; readonly repeat: number }[] = [];
  /** The processor while open. */
  processor: PacketProcessor | undefined;

  /** @param options - what the director passed */
  constructor(options: DatapathOptions) {
    this.options = options;
    this.served = options.serving ?? options.vips;
  }
  /** Records the processor. */
  async open(processor: PacketProcessor): Promise<void> {
    this.processor = processor;
  }
  /** Forgets the processor. */
  async close(): Promise<void> {
    this.processor = undefined;
  }
  /** Records the served set. */
  serve(vips: readonly string[]): void {
    this.served = [...vips];
  }
  /** Records an announcement of a served VIP. */
  announce(vip: string, repeat: number): void {
    if (this.served.includes(vip)) this.announced.push({ vip, repeat });
  }
  /** Records the VIP list. */
  setVips(vips: readonly string[]): void {
    this.served = this.served.filter((v) => vips.includes(v));
  }
  /** No counters. */
  counterValues(): Record<string, number> {
    return {};
  }
}

/**
 * A route announcer that records what it is asked (`start`, `announce <prefix>`, `withdraw <prefix>`, `stop`)
 * instead of running a BGP speaker: the router it would talk to is outside the machine.
 */
export class FakeAnnouncer extends TypedEmitter<RouteAnnouncerEvents> implements RouteAnnouncer {
  /** Every call, in order. */
  readonly calls: string[] = [];
  readonly #announced = new Set<string>();
  #running = false;
  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }
  /** Records `start`. */
  async start(): Promise<void> {
    this.calls.push('start');
    this.#running = true;
  }
  /** Records `stop`; the announced set empties. */
  async stop(): Promise<void> {
    this.calls.push('stop');
    this.#running = false;
    this.#announced.clear();
  }
  /** Records `announce <prefix>`. */
  async announce(prefix: string): Promise<void> {
    this.calls.push(`announce ${prefix}`);
    this.#announced.add(prefix);
  }
  /** Records `withdraw <prefix>`. */
  async withdraw(prefix: string): Promise<void> {
    this.calls.push(`withdraw ${prefix}`);
    this.#announced.delete(prefix);
  }
  /** The prefixes announced now. */
  announced(): readonly string[] {
    return [...this.#announced];
  }
  /** No peers. */
  peers(): readonly BgpPeerStatus[] {
    return [];
  }
}

/** Options of one director on a {@link TestNetwork}. */
export interface TestDirectorOptions {
  /** The director's address on the VRRP segment (its adverts' source); default `198.18.0.N`. */
  readonly address?: string;
  /**
   * Run the real datapath over {@link MemoryFramePort}s (one per configured interface, MAC `02:00:00:00:00:N`,
   * the director's address on 198.18.0.0/15) instead of the recording {@link FakeDatapath}: frames a test
   * injects with {@link TestNetwork.frames} go through parsing, the engine, ARP/NDP answering and serving,
   * without root.
   */
  readonly frames?: boolean;
}

/**
 * A simulated LAN of directors: one clock, one VRRP segment, one check board. `director()` creates a director
 * with every port filled by these fakes; `advance()` moves time for all of them.
 */
export class TestNetwork {
  /** The one clock. */
  readonly clock: FakeClock;
  /** The VRRP segment every director's instances advertise on. */
  readonly segment: FakeSegment;
  /** Check results. */
  readonly checks = new CheckBoard();
  /** Link state of every director's interfaces (all up until the test says otherwise), by director address. */
  readonly links = new Map<string, FakeLinkMonitor>();
  /** Every script any director runs (notify, quorum, MISC_CHECK, vrrp_script): recorded, exit 0 unless answered. */
  readonly commands = new FakeCommandRunner();
  /** The datapath of each director, by director address (for configs with interfaces, without `frames`). */
  readonly datapaths = new Map<string, FakeDatapath>();
  /** The memory interfaces of each director created with `frames`, by director address, then by name. */
  readonly frames = new Map<string, Map<string, MemoryFramePort>>();
  /** The route announcer of each director with an `announce` block, by director address. */
  readonly announcers = new Map<string, FakeAnnouncer>();
  #count = 0;

  /** @param start - the clock's start, ms */
  constructor(start = 0) {
    this.clock = new FakeClock(start);
    this.segment = new FakeSegment(this.clock);
  }

  /** The ports a director on this network gets. */
  ports(options: TestDirectorOptions = {}): DirectorPorts {
    this.#count++;
    const address = options.address ?? `198.18.0.${this.#count}`;
    const links = new FakeLinkMonitor();
    this.links.set(address, links);
    return {
      clock: this.clock,
      linkMonitor: links,
      vrrpTransport: () => this.segment.transport(address),
      primaryAddress: async (_ifname, family) => (family === 4 ? address : undefined),
      datapath: (dp) => {
        if (!options.frames) {
          const d = new FakeDatapath(dp);
          this.datapaths.set(address, d);
          return d;
        }
        const ports = new Map<string, MemoryFramePort>();
        const last = Number(address.split('.').at(-1) ?? 1) & 0xff;
        for (const ifname of [dp.ifname, ...(dp.interfaces ?? []).map((i) => i.ifname)]) {
          if (ports.has(ifname)) continue;
          const mac = `02:00:00:00:${(ports.size + 1).toString(16).padStart(2, '0')}:${last.toString(16).padStart(2, '0')}`;
          ports.set(ifname, new MemoryFramePort({ ifname, mac, addresses: [`${address}/15`] }));
        }
        this.frames.set(address, ports);
        return createDatapath({ ...dp, clock: this.clock, framePort: MemoryFramePort.factory(...ports.values()) });
      },
      checker: (context) => this.checks.checker(context),
      commandRunner: this.commands.runner,
      announcer: () => {
        const a = new FakeAnnouncer();
        this.announcers.set(address, a);
        return a;
      },
    };
  }

  /** Creates (not starts) a director on this network. */
  director(config: DirectorConfig, options: TestDirectorOptions = {}): Director {
    return createDirector(config, this.ports(options));
  }

  /** Moves time for every director, letting awaited work (checks, scripts, VRRP actions) settle. */
  advance(ms: number): Promise<void> {
    return this.clock.advanceAsync(ms);
  }

  /** Stops a director's adverts reaching the segment (a frozen or partitioned box) or lets them through again. */
  partition(address: string, cut: boolean): void {
    if (cut) this.segment.blocked.add(address);
    else this.segment.blocked.delete(address);
  }
}
