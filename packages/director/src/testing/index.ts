/**
 * @lvskit/director/testing — whole directors on fakes, for lvskit's tests and users' own: one `FakeClock`
 * for every part of every director, one in-memory VRRP segment between them, checks whose results the test
 * sets, and a command runner that runs nothing. Two directors on one `TestNetwork` fail over exactly as two
 * boxes on one LAN would, without root, in simulated time. Test support only: never used by production code.
 * @packageDocumentation
 */
import type { CommandOutcome } from '@lvskit/base';
import { FakeClock, FakeCommandRunner } from '@lvskit/base/testing';
import { ScriptedChecker } from '@lvskit/health';
import { FakeSegment } from '@lvskit/vrrp/testing';
import type { DirectorConfig } from '../config.js';
import { type CheckContext, createDirector, type Director, type DirectorPorts } from '../director.js';

/**
 * The results of every check on a {@link TestNetwork}: all pass until the test says otherwise. A real server
 * is named by service, address and port; `'*'` as the service means every service.
 */
export class CheckBoard {
  readonly #checkers = new Map<string, ScriptedChecker[]>();
  readonly #answers = new Map<string, boolean>();

  static #key(service: string, address: string, port: number): string {
    return `${service}|${address}|${port}`;
  }

  /** Makes every check of a real server pass (`true`) or fail (`false`) from now on. */
  set(service: string, address: string, port: number, ok: boolean): void {
    for (const [key, list] of this.#checkers) {
      const [s, a, p] = key.split('|');
      if ((service === '*' || s === service) && a === address && Number(p) === port) for (const c of list) c.set(ok);
    }
    this.#answers.set(CheckBoard.#key(service, address, port), ok);
  }

  /** How many times the checks of a real server ran, on every director of the network. */
  calls(service: string, address: string, port: number): number {
    let n = 0;
    for (const c of this.#checkers.get(CheckBoard.#key(service, address, port)) ?? []) n += c.calls;
    return n;
  }

  /** The port function a director uses. @internal */
  checker(context: CheckContext): ScriptedChecker {
    const key = CheckBoard.#key(context.service, context.address, context.port);
    const c = new ScriptedChecker(`test:${key}:${context.index}`, context.check.type);
    const answer = this.#answers.get(key) ?? this.#answers.get(CheckBoard.#key('*', context.address, context.port));
    if (answer !== undefined) c.set(answer);
    const list = this.#checkers.get(key) ?? [];
    list.push(c);
    this.#checkers.set(key, list);
    return c;
  }
}

/** Options of one director on a {@link TestNetwork}. */
export interface TestDirectorOptions {
  /** The director's address on the VRRP segment (its adverts' source); default `198.18.0.N`. */
  readonly address?: string;
  /** Answers to scripts (notify, tracking, MISC_CHECK); default exit 0. */
  readonly commands?: (argv: readonly string[]) => Partial<CommandOutcome>;
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
  /** Commands each director ran, by director address. */
  readonly commands = new Map<string, FakeCommandRunner>();
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
    const commands = new FakeCommandRunner(options.commands ?? (() => ({})));
    this.commands.set(address, commands);
    return {
      clock: this.clock,
      vrrpTransport: () => this.segment.transport(address),
      checker: (context) => this.checks.checker(context),
      commandRunner: commands.runner,
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
