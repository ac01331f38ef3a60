/**
 * {@link RouteAnnouncer} over GoBGP: starts Debian's `gobgpd` with a TOML configuration this file writes (the
 * local AS and router id, one `[[neighbors]]` per peer, no listening port: the director always connects out),
 * announces and withdraws over its gRPC API (`AddPath`/`DeletePath`, gobgp-api.ts) on a Unix socket in a
 * private directory (no TCP API port, so several directors can share a namespace), and reads the peers'
 * session states with the `gobgp` client (`gobgp neighbor -j`).
 * Processes are started with an argv (no shell) and ended by their PID only; `gobgpd` is started under
 * `setpriv --pdeathsig KILL`, so it dies with the process that started it (a crashed director withdraws at
 * once: its sessions close).
 * @see https://github.com/osrg/gobgp/blob/master/docs/sources/configuration.md (TOML keys)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Clock,
  type CommandRunner,
  describe,
  execCommand,
  formatIp,
  LvsError,
  parseIp,
  parsePrefix,
  systemClock,
  type TimerHandle,
  TypedEmitter,
} from '@lvskit/base';
import './errors.js';
import { GobgpApi } from './gobgp-api.js';
import type { BgpPeerStatus, BgpSessionState, RouteAnnouncer, RouteAnnouncerEvents } from './port.js';

/** One BGP peer of the director (the router). */
export interface BgpPeerConfig {
  /** The peer's address. */
  readonly address: string;
  /** The peer's AS number (1..4294967295). */
  readonly as: number;
  /** Hold time offered, seconds (0 or 3..65535, RFC 4271 §4.2); GoBGP's default 90. */
  readonly holdTimeSec?: number;
  /** Keepalive interval, seconds; GoBGP's default a third of the hold time. */
  readonly keepaliveSec?: number;
  /** Seconds between connection attempts; GoBGP's default 120. */
  readonly connectRetrySec?: number;
  /**
   * Seconds a session stays Idle after it was reset before it tries again (RFC 4271 §8.1.1 IdleHoldTimer;
   * GoBGP `idle-hold-time-after-reset`, default 30).
   */
  readonly idleHoldSec?: number;
}

/** Options of {@link GobgpAnnouncer}. */
export interface GobgpOptions {
  /** The director's AS number. */
  readonly localAs: number;
  /** The BGP identifier, an IPv4 address (usually the director's address toward the router). */
  readonly routerId: string;
  /** The address sessions are opened from (GoBGP `transport.config.local-address`); default: the kernel's choice. */
  readonly localAddress?: string;
  /** The peers (at least one). */
  readonly peers: readonly BgpPeerConfig[];
  /** Network namespace to run `gobgpd` and `gobgp` in (`ip netns exec`); default the caller's. */
  readonly netns?: string;
  /** The `gobgpd` program; default `gobgpd` on `PATH`. */
  readonly gobgpd?: string;
  /** The `gobgp` client program; default `gobgp` on `PATH`. */
  readonly gobgp?: string;
  /** How often the peers' states are read, ms; default 1000. */
  readonly pollIntervalMs?: number;
  /** How long `start()` waits for the API, ms; default 10000. */
  readonly startTimeoutMs?: number;
  /** Runs the `gobgp` client; default base's `execCommand`. */
  readonly runner?: CommandRunner;
  /** The clock for polling; default the system clock. */
  readonly clock?: Clock;
}

/** GoBGP's `PeerState.SessionState` numbers (api/gobgp.proto): 1 IDLE … 6 ESTABLISHED. */
const SESSION_STATES: Readonly<Record<number, BgpSessionState>> = {
  1: 'idle',
  2: 'connect',
  3: 'active',
  4: 'opensent',
  5: 'openconfirm',
  6: 'established',
};

const MAX_AS = 0xffffffff;

function bad(message: string): never {
  throw new LvsError('ANNOUNCE_INVALID_OPTION', message);
}

function asNumber(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_AS)
    bad(`${what} must be an AS number 1..${MAX_AS}, got ${describe(v)}`);
  return v;
}

function address(v: unknown, what: string, family?: 4): string {
  if (typeof v !== 'string') bad(`${what} must be an IP address, got ${describe(v)}`);
  let bytes: Uint8Array;
  try {
    bytes = parseIp(v);
  } catch {
    bad(`${what} must be an IP address, got ${describe(v)}`);
  }
  if (family === 4 && bytes.length !== 4) bad(`${what} must be an IPv4 address, got ${describe(v)}`);
  return formatIp(bytes);
}

function seconds(v: unknown, what: string, min: number, max: number, zeroOk = false): number | undefined {
  if (v === undefined) return undefined;
  const ok = typeof v === 'number' && Number.isInteger(v) && ((zeroOk && v === 0) || (v >= min && v <= max));
  if (!ok) bad(`${what} must be an integer ${zeroOk ? '0 or ' : ''}${min}..${max} seconds, got ${describe(v)}`);
  return v as number;
}

/** A prefix in canonical `address/length` form, host bits zero. */
export function canonicalPrefix(prefix: string): string {
  let p: ReturnType<typeof parsePrefix>;
  try {
    p = parsePrefix(prefix);
  } catch (err) {
    bad(`not a prefix: ${describe(prefix)} (${(err as Error).message})`);
  }
  const bytes = p.bytes.slice();
  for (let bit = p.length; bit < bytes.length * 8; bit++) {
    const i = bit >> 3;
    bytes[i] = (bytes[i] ?? 0) & ~(0x80 >> (bit & 7));
  }
  if (!bytes.every((b, i) => b === p.bytes[i])) bad(`prefix ${prefix} has host bits set`);
  return `${formatIp(bytes)}/${p.length}`;
}

/** One peer, validated. */
interface NormalizedPeer {
  readonly address: string;
  readonly as: number;
  readonly holdTimeSec: number | undefined;
  readonly keepaliveSec: number | undefined;
  readonly connectRetrySec: number | undefined;
  readonly idleHoldSec: number | undefined;
}

/** The normalized, validated options. */
interface Normalized {
  readonly localAs: number;
  readonly routerId: string;
  readonly localAddress: string | undefined;
  readonly peers: readonly NormalizedPeer[];
  readonly pollIntervalMs: number;
  readonly startTimeoutMs: number;
}

function normalize(o: GobgpOptions): Normalized {
  if (typeof o !== 'object' || o === null) bad(`options must be an object, got ${describe(o)}`);
  const localAs = asNumber(o.localAs, 'localAs');
  const routerId = address(o.routerId, 'routerId', 4);
  const localAddress = o.localAddress === undefined ? undefined : address(o.localAddress, 'localAddress');
  if (!Array.isArray(o.peers) || o.peers.length === 0) bad('peers must list at least one peer');
  const seen = new Set<string>();
  const peers = o.peers.map((p, i) => {
    if (typeof p !== 'object' || p === null) bad(`peers[${i}] must be an object, got ${describe(p)}`);
    const a = address(p.address, `peers[${i}].address`);
    if (seen.has(a)) bad(`peers[${i}].address ${a} is listed twice`);
    seen.add(a);
    const hold = seconds(p.holdTimeSec, `peers[${i}].holdTimeSec`, 3, 65535, true);
    const keepalive = seconds(p.keepaliveSec, `peers[${i}].keepaliveSec`, 1, 21845);
    if (hold !== undefined && keepalive !== undefined && hold !== 0 && keepalive >= hold)
      bad(`peers[${i}].keepaliveSec (${keepalive}) must be below holdTimeSec (${hold})`);
    return {
      address: a,
      as: asNumber(p.as, `peers[${i}].as`),
      holdTimeSec: hold,
      keepaliveSec: keepalive,
      connectRetrySec: seconds(p.connectRetrySec, `peers[${i}].connectRetrySec`, 1, 65535),
      idleHoldSec: seconds(p.idleHoldSec, `peers[${i}].idleHoldSec`, 1, 65535),
    };
  });
  const poll = o.pollIntervalMs ?? 1000;
  if (typeof poll !== 'number' || !Number.isFinite(poll) || poll < 10 || poll > 60_000)
    bad(`pollIntervalMs must be 10..60000, got ${describe(o.pollIntervalMs)}`);
  const startTimeoutMs = o.startTimeoutMs ?? 10_000;
  if (typeof startTimeoutMs !== 'number' || !Number.isFinite(startTimeoutMs) || startTimeoutMs < 100)
    bad(`startTimeoutMs must be at least 100, got ${describe(o.startTimeoutMs)}`);
  return { localAs, routerId, localAddress, peers, pollIntervalMs: poll, startTimeoutMs };
}

/**
 * The `gobgpd` TOML configuration for the options (exported for tests and for `lvskit check`).
 * @param options - the announcer's options
 * @throws LvsError `ANNOUNCE_INVALID_OPTION`
 */
export function gobgpdConfig(options: GobgpOptions): string {
  return renderConfig(normalize(options));
}

function renderConfig(n: Normalized): string {
  const lines = ['[global.config]', `  as = ${n.localAs}`, `  router-id = "${n.routerId}"`, '  port = -1', ''];
  for (const p of n.peers) {
    lines.push(
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${p.address}"`,
      `    peer-as = ${p.as}`,
    );
    const timers = [p.holdTimeSec, p.keepaliveSec, p.connectRetrySec, p.idleHoldSec];
    if (timers.some((t) => t !== undefined)) {
      lines.push('  [neighbors.timers.config]');
      if (p.connectRetrySec !== undefined) lines.push(`    connect-retry = ${p.connectRetrySec}`);
      if (p.holdTimeSec !== undefined) lines.push(`    hold-time = ${p.holdTimeSec}`);
      if (p.keepaliveSec !== undefined) lines.push(`    keepalive-interval = ${p.keepaliveSec}`);
      if (p.idleHoldSec !== undefined) lines.push(`    idle-hold-time-after-reset = ${p.idleHoldSec}`);
    }
    if (n.localAddress !== undefined)
      lines.push('  [neighbors.transport.config]', `    local-address = "${n.localAddress}"`);
    lines.push('');
  }
  return lines.join('\n');
}

const GRACE_MS = 2000;

/** `address/length` → the API's arguments. */
function split(prefix: string): [string, number, 4 | 6] {
  const at = prefix.lastIndexOf('/');
  const address = prefix.slice(0, at);
  return [address, Number(prefix.slice(at + 1)), address.includes(':') ? 6 : 4];
}

/**
 * Announces VIP prefixes through a `gobgpd` it starts and stops. `announce`/`withdraw` resolve when GoBGP
 * accepted the change (it then sends the UPDATE to every established peer); a prefix announced before a
 * peer is up is sent when the session comes up.
 */
export class GobgpAnnouncer extends TypedEmitter<RouteAnnouncerEvents> implements RouteAnnouncer {
  readonly #options: Normalized;
  readonly #gobgpd: string;
  readonly #gobgp: string;
  readonly #netns: string | undefined;
  readonly #run: CommandRunner;
  readonly #clock: Clock;
  readonly #announced = new Set<string>();
  readonly #states = new Map<string, BgpSessionState>();
  #dir: string | undefined;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #poll: TimerHandle | undefined;
  #api: GobgpApi | undefined;
  #state: 'created' | 'starting' | 'running' | 'stopped' = 'created';
  #log = '';

  /**
   * @param options - AS, router id, peers, programs
   * @throws LvsError `ANNOUNCE_INVALID_OPTION` (nothing started)
   */
  constructor(options: GobgpOptions) {
    super();
    this.#options = normalize(options);
    this.#gobgpd = options.gobgpd ?? 'gobgpd';
    this.#gobgp = options.gobgp ?? 'gobgp';
    if (options.netns !== undefined && (typeof options.netns !== 'string' || !/^[\w.-]{1,64}$/.test(options.netns)))
      bad(`netns must be a namespace name, got ${describe(options.netns)}`);
    this.#netns = options.netns;
    this.#run = options.runner ?? execCommand;
    this.#clock = options.clock ?? systemClock;
    for (const p of this.#options.peers) this.#states.set(p.address, 'idle');
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#state === 'running';
  }

  /** The `gobgpd` process id while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * The daemon's API target while it runs (`unix:///…/api.sock`): `gobgp --target <it> …` inspects the
   * daemon by hand (`global rib`, `neighbor`).
   */
  get apiTarget(): string | undefined {
    return this.#dir === undefined ? undefined : this.#target();
  }

  #argv(program: string, args: readonly string[]): string[] {
    return this.#netns === undefined ? [program, ...args] : ['ip', 'netns', 'exec', this.#netns, program, ...args];
  }

  #target(): string {
    return `unix://${join(this.#dir ?? '', 'api.sock')}`;
  }

  async #client(args: readonly string[], timeoutMs = 5000): Promise<string> {
    const out = await this.#run(this.#argv(this.#gobgp, ['--target', this.#target(), ...args]), { timeoutMs });
    if (out.code !== 0)
      throw new LvsError(
        'ANNOUNCE_DAEMON_FAILED',
        `gobgp ${args.join(' ')}: exit ${out.code}: ${(out.stderr || out.stdout).trim().slice(0, 400)}`,
      );
    return out.stdout;
  }

  /**
   * Writes the configuration, starts `gobgpd` and waits until its API answers.
   * @throws LvsError `ANNOUNCE_STATE` when started before, `ANNOUNCE_DAEMON_FAILED` when it does not come up
   *   (then nothing is left running)
   */
  async start(): Promise<void> {
    if (this.#state !== 'created') throw new LvsError('ANNOUNCE_STATE', `start() when ${this.#state}`);
    this.#state = 'starting';
    const dir = mkdtempSync(join(tmpdir(), 'lvskit-gobgp-'));
    this.#dir = dir;
    const config = join(dir, 'gobgpd.toml');
    writeFileSync(config, renderConfig(this.#options));
    // gobgpd must not outlive this process: a director that crashes with its speaker still up would keep
    // attracting traffic it cannot forward. `setpriv --pdeathsig KILL` (util-linux, essential in Debian) makes the
    // kernel SIGKILL gobgpd when its parent dies (prctl PR_SET_PDEATHSIG, kept across the exec).
    const argv = this.#argv('setpriv', [
      '--pdeathsig',
      'KILL',
      '--',
      this.#gobgpd,
      '-f',
      config,
      '-t',
      'toml',
      '--api-hosts',
      this.#target(),
      '--pprof-disable',
      '-l',
      'warn',
      '-p',
    ]);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const keep = (chunk: Buffer): void => {
      this.#log = (this.#log + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#exited = new Promise((resolve) => {
      child.once('error', (err) => {
        keep(Buffer.from(String(err.message)));
        this.#child = undefined;
        resolve();
      });
      child.once('exit', (code, signal) => {
        if (this.#state === 'running')
          this.emit('error', {
            error: new LvsError(
              'ANNOUNCE_DAEMON_FAILED',
              `gobgpd exited (${signal ?? `code ${code}`}): ${this.#log.trim().slice(-400)}`,
            ),
          });
        this.#child = undefined;
        resolve();
      });
    });
    const deadline = this.#clock.now() + this.#options.startTimeoutMs;
    for (;;) {
      if (this.#child === undefined) {
        this.#state = 'stopped';
        this.#cleanDir();
        throw new LvsError('ANNOUNCE_DAEMON_FAILED', `gobgpd did not start: ${this.#log.trim().slice(-400)}`);
      }
      try {
        await this.#client(['global', '-j'], 1000);
        break;
      } catch (err) {
        if (this.#clock.now() >= deadline) {
          await this.#kill();
          this.#state = 'stopped';
          this.#cleanDir();
          throw new LvsError(
            'ANNOUNCE_DAEMON_FAILED',
            `gobgpd API did not answer within ${this.#options.startTimeoutMs} ms: ${(err as Error).message}`,
          );
        }
        await new Promise((r) => this.#clock.setTimeout(() => r(undefined), 50));
      }
    }
    this.#api = new GobgpApi(this.#target());
    this.#state = 'running';
    this.#schedulePoll(0);
  }

  #schedulePoll(delay: number): void {
    this.#poll = this.#clock.setTimeout(() => {
      void this.#readPeers().finally(() => {
        if (this.#state === 'running') this.#schedulePoll(this.#options.pollIntervalMs);
      });
    }, delay);
  }

  /** Reads `gobgp neighbor -j` once and emits `peerState` for every change. */
  async #readPeers(): Promise<void> {
    let list: unknown;
    try {
      list = JSON.parse(await this.#client(['neighbor', '-j']));
    } catch (err) {
      if (this.#state === 'running')
        this.emit('error', {
          error:
            err instanceof LvsError
              ? err
              : new LvsError('ANNOUNCE_DAEMON_FAILED', `gobgp neighbor -j: ${(err as Error).message}`),
        });
      return;
    }
    if (!Array.isArray(list)) return;
    for (const entry of list as { state?: { neighbor_address?: string; session_state?: number } }[]) {
      const a = entry.state?.neighbor_address;
      if (a === undefined || !this.#states.has(a)) continue;
      const to = SESSION_STATES[entry.state?.session_state ?? 1] ?? 'idle';
      const from = this.#states.get(a) ?? 'idle';
      if (to === from) continue;
      this.#states.set(a, to);
      this.emit('peerState', { address: a, from, to });
    }
  }

  /**
   * Reads the peers' states now (instead of waiting for the next poll).
   * @returns the peers
   */
  async refreshPeers(): Promise<readonly BgpPeerStatus[]> {
    if (this.#state === 'running') await this.#readPeers();
    return this.peers();
  }

  #need(what: string): void {
    if (this.#state !== 'running') throw new LvsError('ANNOUNCE_STATE', `${what} when the announcer is ${this.#state}`);
  }

  /**
   * Announces a prefix (next hop: the session's own address).
   * @throws LvsError `ANNOUNCE_INVALID_OPTION` (a bad prefix), `ANNOUNCE_STATE`, `ANNOUNCE_DAEMON_FAILED`
   */
  async announce(prefix: string): Promise<void> {
    const p = canonicalPrefix(prefix);
    this.#need('announce()');
    await this.#api?.addPath(...split(p));
    const fresh = !this.#announced.has(p);
    this.#announced.add(p);
    if (fresh) this.emit('announced', { prefix: p });
  }

  /**
   * Withdraws a prefix.
   * @throws LvsError `ANNOUNCE_INVALID_OPTION` (a bad prefix), `ANNOUNCE_STATE`, `ANNOUNCE_DAEMON_FAILED`
   */
  async withdraw(prefix: string): Promise<void> {
    const p = canonicalPrefix(prefix);
    this.#need('withdraw()');
    await this.#api?.deletePath(...split(p));
    if (this.#announced.delete(p)) this.emit('withdrawn', { prefix: p });
  }

  /** The prefixes announced now. */
  announced(): readonly string[] {
    return [...this.#announced];
  }

  /** The peers and their last known session state. */
  peers(): readonly BgpPeerStatus[] {
    return this.#options.peers.map((p) => ({
      address: p.address,
      as: p.as,
      state: this.#states.get(p.address) ?? 'idle',
    }));
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    if (child?.pid === undefined) return;
    child.kill('SIGTERM');
    const timer = this.#clock.setTimeout(() => this.#child?.kill('SIGKILL'), GRACE_MS);
    await this.#exited;
    timer.cancel();
  }

  #cleanDir(): void {
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }

  /** Stops `gobgpd` (SIGTERM by PID, SIGKILL after 2 s): its sessions close and the peers drop its routes. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'created') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopped';
    this.#poll?.cancel();
    this.#api?.close();
    this.#api = undefined;
    await this.#kill();
    this.#cleanDir();
    for (const p of this.#announced) this.emit('withdrawn', { prefix: p });
    this.#announced.clear();
    for (const [a, s] of this.#states) {
      if (s !== 'idle') this.emit('peerState', { address: a, from: s, to: 'idle' });
      this.#states.set(a, 'idle');
    }
  }
}
