/**
 * Scale-out (issue 15 item 2): when a director behind an ECMP router announces its VIPs. A VIP is announced
 * through a {@link RouteAnnouncer} only while every virtual service on it has quorum (keepalived's
 * `quorum` / `quorum_up` / `quorum_down`, as health computes it), withdrawn at once when one loses it, and
 * withdrawn first on `drain()` — the director keeps forwarding the connections it has for the drain
 * timeout, or until they are gone, and only then stops announcing for good. Owns that policy only: the BGP
 * speaker is the announcer's, the table and health are the director's.
 */
import type { BgpPeerStatus, RouteAnnouncer } from '@lvskit/announce';
import { type Clock, describe, LvsError, type TimerHandle, TypedEmitter } from '@lvskit/base';
import type { Director } from './director.js';

/** Schedulers that make the same choice for the same flow on every director with the same table. */
const CONSISTENT: ReadonlySet<string> = new Set(['mh', 'sh']);

/** Options of {@link ScaleOut}. */
export interface ScaleOutOptions {
  /** The route announcer (started and stopped by {@link ScaleOut}). */
  readonly announcer: RouteAnnouncer;
  /** Names of the VIPs to announce; default every VIP of the config that has a service. */
  readonly vips?: readonly string[];
  /** How long `drain()` keeps forwarding after the withdraw, ms; default the config's `drain.timeoutMs`. */
  readonly drainTimeoutMs?: number;
  /** How often `drain()` looks at the connection count, ms; default 1000. */
  readonly drainCheckMs?: number;
}

/** Why a VIP is not announced now. */
export type WithdrawReason = 'quorum' | 'drain' | 'stop';

/** Events of {@link ScaleOut}. */
export interface ScaleOutEvents {
  /** A VIP was announced. */
  announced: { readonly vip: string; readonly prefix: string };
  /** A VIP was withdrawn. */
  withdrawn: { readonly vip: string; readonly prefix: string; readonly reason: WithdrawReason };
  /** `drain()` finished: every connection was gone (`drained`) or the timeout passed (`timeout`). */
  drained: { readonly reason: 'drained' | 'timeout'; readonly connections: number };
  /** A config warning (a scale-out VIP whose scheduler does not make the same choice everywhere). */
  warning: { readonly message: string };
  /** The announcer failed. */
  error: { readonly error: LvsError };
}

/** One VIP's state. */
export interface ScaleOutVip {
  /** The VIP's name. */
  readonly vip: string;
  /** The prefix announced (`address/32` or `/128`). */
  readonly prefix: string;
  /** The services on it. */
  readonly services: readonly string[];
  /** Announced now. */
  readonly announced: boolean;
}

/**
 * Announces a director's VIPs while it can serve them.
 * @example
 * const scale = new ScaleOut(director, { announcer: new GobgpAnnouncer({ … }) });
 * await director.start();
 * await scale.start();
 */
export class ScaleOut extends TypedEmitter<ScaleOutEvents> {
  readonly #director: Director;
  readonly #announcer: RouteAnnouncer;
  readonly #vips: { vip: string; prefix: string; services: string[]; announced: boolean }[];
  readonly #drainTimeoutMs: number;
  readonly #drainCheckMs: number;
  readonly #clock: Clock;
  readonly #off: (() => void)[] = [];
  #state: 'created' | 'running' | 'draining' | 'stopped' = 'created';
  /** Serialises announce/withdraw calls so the daemon sees them in event order. */
  #queue: Promise<void> = Promise.resolve();
  /** Config warnings found by the constructor. */
  readonly warnings: readonly string[];

  /**
   * @param director - the director (its config says which services are on which VIP)
   * @param options - the announcer and what to announce
   * @throws LvsError `DIRECTOR_INVALID_CONFIG` for an unknown VIP name, a VIP without services, or a bad timeout
   */
  constructor(director: Director, options: ScaleOutOptions) {
    super();
    this.#director = director;
    this.#announcer = options.announcer;
    this.#clock = director.clock;
    const c = director.config;
    const names = options.vips ?? [...c.vips.keys()].filter((v) => c.services.some((s) => s.vip === v));
    if (!Array.isArray(names) || names.length === 0)
      throw new LvsError('DIRECTOR_INVALID_CONFIG', 'scale-out: no VIP to announce (no service has a VIP)');
    const warnings: string[] = [];
    this.#vips = names.map((name) => {
      const vip = c.vips.get(name);
      if (vip === undefined)
        throw new LvsError('DIRECTOR_INVALID_CONFIG', `scale-out: unknown VIP ${describe(name)} (not in vips)`);
      const services = c.services.filter((s) => s.vip === name);
      if (services.length === 0)
        throw new LvsError('DIRECTOR_INVALID_CONFIG', `scale-out: VIP ${name} has no virtual service`);
      for (const s of services) {
        const sched = s.scheduler ?? 'wlc';
        if (!CONSISTENT.has(sched))
          warnings.push(
            `scale-out VIP ${name}: service ${s.name} uses ${sched}, which does not make the same choice on every ` +
              'director: a flow the router moves to another director reaches another real server unless connection ' +
              'sync carries it (use mh, or sync among all directors)',
          );
      }
      return {
        vip: name,
        prefix: `${vip.address}/${vip.family === 4 ? 32 : 128}`,
        services: services.map((s) => s.name),
        announced: false,
      };
    });
    this.warnings = warnings;
    const t = options.drainTimeoutMs ?? c.drainTimeoutMs;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0)
      throw new LvsError(
        'DIRECTOR_INVALID_CONFIG',
        `scale-out: drainTimeoutMs must be an integer ≥ 0, got ${describe(t)}`,
      );
    this.#drainTimeoutMs = t;
    const check = options.drainCheckMs ?? 1000;
    if (typeof check !== 'number' || !Number.isFinite(check) || check < 1)
      throw new LvsError('DIRECTOR_INVALID_CONFIG', `scale-out: drainCheckMs must be ≥ 1, got ${describe(check)}`);
    this.#drainCheckMs = check;
  }

  /** Each VIP and whether it is announced now. */
  status(): readonly ScaleOutVip[] {
    return this.#vips.map((v) => ({ ...v, services: [...v.services] }));
  }

  /** The speaker's BGP peers and their last known session states. */
  peers(): readonly BgpPeerStatus[] {
    return this.#announcer.peers();
  }

  /** True when every service on `v` has quorum now. */
  #hasQuorum(v: { services: readonly string[] }): boolean {
    return v.services.every((s) => this.#director.health.controller(s)?.quorumUp ?? true);
  }

  #enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(fn).catch((err: unknown) => {
      const error = err instanceof LvsError ? err : new LvsError('ANNOUNCE_DAEMON_FAILED', `scale-out: ${String(err)}`);
      this.emit('error', { error });
    });
    this.#queue = next;
    return next;
  }

  /** Brings every VIP to what quorum says (announce) or to withdrawn with `reason`. */
  #sync(reason: WithdrawReason): Promise<void> {
    return this.#enqueue(async () => {
      for (const v of this.#vips) {
        const want = this.#state === 'running' && this.#hasQuorum(v);
        if (want && !v.announced) {
          await this.#announcer.announce(v.prefix);
          v.announced = true;
          this.emit('announced', { vip: v.vip, prefix: v.prefix });
        } else if (!want && v.announced) {
          await this.#announcer.withdraw(v.prefix);
          v.announced = false;
          this.emit('withdrawn', { vip: v.vip, prefix: v.prefix, reason });
        }
      }
    });
  }

  /**
   * Starts the announcer and announces every VIP whose services have quorum. The director must be running.
   * @throws LvsError `DIRECTOR_STATE` when started twice or the director is not running; the announcer's errors
   */
  async start(): Promise<void> {
    if (this.#state !== 'created') throw new LvsError('DIRECTOR_STATE', `scale-out start() when ${this.#state}`);
    if (this.#director.status().lifecycle !== 'running')
      throw new LvsError('DIRECTOR_STATE', 'scale-out start(): the director is not running');
    for (const w of this.warnings) this.emit('warning', { message: w });
    await this.#announcer.start();
    this.#state = 'running';
    this.#off.push(
      this.#director.on('quorumDown', () => void this.#sync('quorum')),
      this.#director.on('quorumUp', () => void this.#sync('quorum')),
      this.#announcer.on('error', (e) => this.emit('error', e)),
    );
    await this.#sync('quorum');
  }

  /**
   * Drains: withdraws every VIP at once, keeps the director forwarding what it has until its connection count
   * (ActiveConn + InActConn of every service on the VIPs) reaches 0 or the drain timeout passes, then stops
   * the announcer. The director itself keeps running; stop it after.
   * @returns why the drain ended
   */
  async drain(): Promise<'drained' | 'timeout'> {
    if (this.#state !== 'running') throw new LvsError('DIRECTOR_STATE', `scale-out drain() when ${this.#state}`);
    this.#state = 'draining';
    await this.#sync('drain');
    const services = new Set(this.#vips.flatMap((v) => v.services));
    const count = (): number =>
      this.#director.ipvs
        .list()
        .filter((s) => services.has(s.name))
        .reduce(
          (n, s) =>
            n +
            s.realServers.reduce((m, r) => m + r.activeConns + r.inactiveConns, 0) +
            (s.sorryServer ? s.sorryServer.activeConns + s.sorryServer.inactiveConns : 0),
          0,
        );
    const end = this.#clock.now() + this.#drainTimeoutMs;
    let timer: TimerHandle | undefined;
    const reason = await new Promise<'drained' | 'timeout'>((resolve) => {
      const look = (): void => {
        if (count() === 0) resolve('drained');
        else if (this.#clock.now() >= end) resolve('timeout');
        else timer = this.#clock.setTimeout(look, Math.min(this.#drainCheckMs, Math.max(0, end - this.#clock.now())));
      };
      look();
    });
    timer?.cancel();
    this.emit('drained', { reason, connections: count() });
    await this.stop();
    return reason;
  }

  /** Withdraws what is announced and stops the announcer. Idempotent. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    const was = this.#state;
    this.#state = 'stopped';
    for (const off of this.#off.splice(0)) off();
    if (was === 'created') return;
    await this.#sync('stop');
    await this.#queue;
    await this.#announcer.stop();
  }
}
