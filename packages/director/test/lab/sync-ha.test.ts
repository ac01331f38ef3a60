/**
 * Connection sync in the lab, as root (issue 14): an HA pair of lvskit directors, each `lvskit run` on a
 * keepalived.conf (examples/sync-ha), VRRP between them, two real servers with a request/answer TCP server,
 * one client (sync-client.mjs) holding 500 established connections (one request every 100 ms each, answered)
 * plus 20 fresh connections a second. SIGKILL of the master: with `lvs_sync_daemon eth0 VI_1` the backup has
 * the master's connections when it takes over, and at least 99.9 % of the established connections carry on
 * without a reset and without a stall longer than the takeover (at TCP's granularity: they resume at the first
 * retransmission after the backup serves, see stallBoundMs); fresh connections resume once the backup is
 * MASTER. The same without sync shows what is lost (asserted only to be worse; both are printed). DR, then NAT
 * (one-armed, the real servers' route to the client via a second address of the VRRP instance). Last, the
 * backup is SIGKILLed and restarted mid-run, with and without the bulk-resync extension, and 100 idle
 * connections show what only a bulk resync brings back.
 */
import type { IpvsConnectionEntry } from '@lvskit/core';
import { type LabHost, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import {
  ADDR,
  connections,
  type LoadSummary,
  loggedAt,
  MASTER_DOWN_MS,
  METRICS_PORT,
  type SyncHaLab,
  type SyncHaMethod,
  startSyncHaLab,
} from '../../../../examples/sync-ha/lab.js';
import { type ControlIpvsadmResult, controlRequest } from '../../src/index.js';

const canRun = requireLab();
const CONNS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * "No stall longer than the takeover", at TCP's granularity: a connection whose segment the dead master lost
 * resumes only when a retransmission reaches the new master, so the bound is the first retransmission after
 * the takeover — of the client's request, or in NAT of the real server's answer too. Linux retransmits a lost
 * segment with exponential backoff from the socket's RTO: `ss -ti` during the outage shows rto 408, 816, 1632,
 * 3264 ms, backoff 1…4, for a client socket whose RTO was 204 ms (and `net.ipv4.tcp_thin_linear_timeouts=1`
 * changed nothing on this 6.18 kernel). A real server's RTO is larger (its RTT samples include the client's
 * delayed ACK), so its retransmissions fall elsewhere. Retransmission k of a socket with RTO r comes
 * `c + r·(2^k − 1)` ms after the last answer, c (the request interval, the tail loss probe) 300–600 ms. The
 * bound for a takeover of T ms (SIGKILL → the backup's MASTER log line) and RTO r: the first k whose earliest
 * time is at least T + 600 ms (the new master's gratuitous ARPs must have reached the client and the real
 * servers), at its latest time, + 400 ms of scheduling on a shared 2-core machine; per connection, the larger
 * of its two ends' bounds, with the RTOs `ss -tin` reads just before the kill. For r = 204 ms: 4.1 s for T up
 * to 2.76 s, 7.3 s from there to 6 s. With advert_int 1 and priority 100, T is 2.6–3.6 s.
 */
function stallBoundMs(takeoverMs: number, rto = 204): number {
  for (let k = 1; ; k++) {
    const span = rto * (2 ** k - 1);
    if (300 + span >= takeoverMs + 600) return 600 + span + 400;
  }
}

/** The RTO (ms) of every established TCP socket in `host`, by the client's port (`ss -tinH`, iproute2). */
async function rtoByClientPort(s: SyncHaLab, host: LabHost): Promise<Map<number, number>> {
  const r = await s.lab.exec(host, ['ss', '-tinH', 'state', 'established'], { check: false, timeoutMs: 10_000 });
  const out = new Map<number, number>();
  let port: number | undefined;
  for (const line of r.stdout.split('\n')) {
    const sock = /^\s*\d+\s+\d+\s+(\S+):(\d+)\s+(\S+):(\d+)/.exec(line);
    if (sock) {
      port = sock[1] === ADDR.client ? Number(sock[2]) : sock[3] === ADDR.client ? Number(sock[4]) : undefined;
      continue;
    }
    const rto = /\brto:(\d+(?:\.\d+)?)/.exec(line);
    if (rto && port !== undefined) out.set(port, Math.max(out.get(port) ?? 0, Number(rto[1])));
    port = undefined;
  }
  return out;
}

/** A scenario: forwarding method, sync or not, and the backup restart of the bulk-resync case. */
interface Plan {
  readonly method: SyncHaMethod;
  readonly sync: boolean;
  /** lvskit's sync extensions on both directors (test/lab/sync-run.ts instead of `lvskit run`). */
  readonly extensions?: { readonly sequence?: boolean; readonly bulkResync?: boolean };
  /** Idle connections besides the 500 (one exchange, then silent until woken after the takeover). */
  readonly idle?: number;
  /** SIGKILL the backup once the table is synced and start it again before the master is killed. */
  readonly restartBackup?: boolean;
}

/** What the restart of the backup measured. */
interface Restart {
  /** The master's ESTABLISHED entries for the client when the backup came back. */
  readonly masterTable: number;
  /** The restarted backup's, after the resync (or after as long without it). */
  readonly backupTable: number;
  /** Of the idle connections, how many the restarted backup has. */
  readonly idleInBackup: number;
  /** Of the 500 active ones, how many. */
  readonly activeInBackup: number;
  /** Restart → the backup's `syncResync` completed log line (undefined: none). */
  readonly resyncMs: number | undefined;
  readonly resyncEntries: number | undefined;
}

/** What one scenario measured. */
interface Outcome {
  readonly plan: Plan;
  /** Connections established and answered before the kill. */
  readonly established: number;
  /**
   * Of those: no reset, not closed, answered after the takeover by the same real server, longest stall within
   * {@link stallBoundMs}.
   */
  readonly carried: number;
  readonly resets: number;
  readonly closed: number;
  readonly stalledAtEnd: number;
  /** The backup's ESTABLISHED entries for the client just before the kill. */
  readonly backupTable: number;
  /** SIGKILL of the master → the backup's `Entering MASTER STATE` log line. */
  readonly takeoverMs: number;
  /** Longest stall per connection: quantiles, the bound, how many carried ones stalled at most takeover + 1 s. */
  readonly stallMs: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    /** The largest per-connection bound. */
    readonly bound: number;
    readonly withinTakeoverPlus1s: number;
    /** RTOs read before the kill (the larger end per client port). */
    readonly rtoMs: { readonly min: number; readonly max: number; readonly sockets: number };
  };
  /** Fresh connections: before the kill, between kill and MASTER + 500 ms, after that. */
  readonly fresh: Record<'before' | 'during' | 'after', { readonly ok: number; readonly failed: number }>;
  /** Idle connections: how many, how many answered when woken after the takeover. */
  readonly idle: { readonly count: number; readonly answered: number };
  readonly restart: Restart | undefined;
  /** The new master's nonzero `lvskit_datapath_drops_total` by reason at the end. */
  readonly newMasterDrops: Readonly<Record<string, number>>;
  readonly summary: LoadSummary;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;

/** Waits until `pred()` holds (polled every 250 ms) or `ms` passed; returns the last value. */
async function poll<T>(get: () => Promise<T>, pred: (v: T) => boolean, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (pred(v) || Date.now() > until) return v;
    await sleep(250);
  }
}

/** `ipvsadm -L --daemon` through a daemon's control socket (ipvsadm's print_daemon lines), or the error. */
async function daemonList(socket: string): Promise<string> {
  try {
    const r = (await controlRequest(socket, 'ipvsadm', { argv: ['-L', '--daemon'] })) as ControlIpvsadmResult;
    return `${r.stdout}${r.stderr}`.trim();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** A director's nonzero `lvskit_datapath_drops_total{reason}` (its metrics endpoint, inside its namespace). */
async function datapathDrops(s: SyncHaLab, name: 'dir1' | 'dir2'): Promise<Record<string, number>> {
  const url = `http://127.0.0.1:${METRICS_PORT}/metrics`;
  const script = `fetch(${JSON.stringify(url)}).then(r=>r.text()).then(t=>process.stdout.write(t),e=>process.stdout.write('err '+e.message))`;
  const r = await s.lab.exec(s.hosts[name], [process.execPath, '-e', script], { check: false, timeoutMs: 10_000 });
  const out: Record<string, number> = {};
  for (const m of r.stdout.matchAll(/^lvskit_datapath_drops_total\{reason="([^"]+)"\} (\d+)$/gm))
    if (Number(m[2]) > 0) out[m[1]!] = Number(m[2]);
  return out;
}

/** Thrown when the director runs no sync daemon: a skip with the reason, a failure under CI=true. */
class NoSyncDaemon extends Error {}

const establishedClient = (all: readonly IpvsConnectionEntry[]) =>
  all.filter((c) => c.clientAddress === ADDR.client && c.state === 'ESTABLISHED');

async function scenario(plan: Plan): Promise<Outcome> {
  const { method, sync } = plan;
  const idle = plan.idle ?? 0;
  const s = await startSyncHaLab({
    method,
    sync,
    ...(plan.extensions !== undefined ? { extensions: plan.extensions } : {}),
  });
  try {
    if (sync) {
      const listed = await daemonList(s.sockets.dir2);
      if (!/backup sync daemon/.test(listed)) throw new NoSyncDaemon(`lvsadm -L --daemon on the backup: ${listed}`);
    }
    const client = s.startClient({ conns: CONNS, idle, intervalMs: 100, freshPerSec: 20 });
    await client.waitFor((p) => p.established === CONNS && p.answering === CONNS && p.idle === idle, 30_000);
    const total = CONNS + idle;
    // With sync the backup learns each connection at its 3rd packet (sync_threshold): 0.3 s at 100 ms.
    const backupTable = establishedClient(
      await poll(
        () => connections(s.sockets.dir2),
        (all) => !sync || establishedClient(all).length >= total,
        sync ? 15_000 : 2_000,
      ),
    ).length;
    let restart: Restart | undefined;
    let backupPorts = new Set<number>();
    if (plan.restartBackup) {
      process.kill(s.directors.dir2.pid, 'SIGKILL');
      await s.directors.dir2.exited;
      const restartedAt = Date.now();
      const p = await s.startDirector('dir2', /Entering BACKUP STATE/);
      const bulk = plan.extensions?.bulkResync === true;
      if (bulk) await p.waitForOutput(/"event":"syncResync"[^\n]*"phase":"completed"/, 20_000).catch(() => {});
      // Without bulk resync, give the periodic rule (every 50th packet, ~5 s at 10 packets/s) its time.
      else await sleep(8_000);
      const masterTable = establishedClient(await connections(s.sockets.dir1)).length;
      const after = establishedClient(
        await poll(
          () => connections(s.sockets.dir2),
          (all) => establishedClient(all).length >= masterTable,
          bulk ? 5_000 : 0,
        ),
      );
      backupPorts = new Set(after.map((c) => c.clientPort));
      const line = p
        .output()
        .split('\n')
        .find((l) => /"event":"syncResync"/.test(l) && /"phase":"completed"/.test(l));
      const at = line ? Number(/"time":(\d+)/.exec(line)?.[1]) : undefined;
      const entries = line ? Number(/"entries":(\d+)/.exec(line)?.[1]) : undefined;
      restart = {
        masterTable,
        backupTable: after.length,
        idleInBackup: 0,
        activeInBackup: 0,
        resyncMs: at === undefined ? undefined : at - restartedAt,
        resyncEntries: entries,
      };
    }
    // Each end's RTO now, for the stall bound (client and real servers).
    const rtos = new Map<number, number>();
    for (const h of [s.hosts.client, s.hosts.rs1, s.hosts.rs2])
      for (const [port, rto] of await rtoByClientPort(s, h)) rtos.set(port, Math.max(rtos.get(port) ?? 0, rto));
    const killedAt = Date.now();
    process.kill(s.directors.dir1.pid, 'SIGKILL');
    await s.directors.dir1.exited;
    await s.directors.dir2.waitForOutput(/Entering MASTER STATE/, MASTER_DOWN_MS + 3_000);
    const masterAt = loggedAt(s.directors.dir2, /Entering MASTER STATE/, killedAt) ?? Date.now();
    if (idle > 0) {
      await sleep(1_000);
      client.wakeIdle();
      await sleep(4_000);
    } else await sleep(5_000);
    const summary = await client.stop();
    const drops = await datapathDrops(s, 'dir2');
    const idles = summary.conns.filter((c) => c.idle && c.answers > 0);
    if (restart !== undefined)
      restart = {
        ...restart,
        idleInBackup: idles.filter((c) => backupPorts.has(c.localPort)).length,
        activeInBackup: summary.conns.filter((c) => !c.idle && c.answers > 0 && backupPorts.has(c.localPort)).length,
      };

    const before = summary.conns.filter(
      (c) => !c.idle && c.connectedAt > 0 && c.connectedAt < killedAt && c.answers > 0,
    );
    const takeoverMs = masterAt - killedAt;
    const carried = before.filter(
      (c) =>
        c.resets === 0 &&
        c.closedAt === 0 &&
        !c.stalledAtEnd &&
        c.lastAnswerAt > masterAt &&
        c.switched === 0 &&
        c.maxGapMs <= stallBoundMs(takeoverMs, rtos.get(c.localPort)),
    );
    const stalls = before.map((c) => c.maxGapMs).sort((a, b) => a - b);
    const fresh = { before: { ok: 0, failed: 0 }, during: { ok: 0, failed: 0 }, after: { ok: 0, failed: 0 } };
    for (const f of summary.fresh) {
      if (f.error === 'open') continue;
      // One the kill cut off (started before it, not done by then) counts as during.
      const k =
        f.t + f.ms < killedAt || (f.ok && f.t < killedAt) ? 'before' : f.t <= masterAt + 500 ? 'during' : 'after';
      if (k === 'before' && !f.ok)
        console.log(`fresh failure before the kill: ${JSON.stringify(f)} (kill at ${killedAt})`);
      if (f.ok) fresh[k].ok++;
      else fresh[k].failed++;
    }
    return {
      plan,
      established: before.length,
      carried: carried.length,
      resets: before.filter((c) => c.resets > 0).length,
      closed: before.filter((c) => c.closedAt !== 0).length,
      stalledAtEnd: before.filter((c) => c.stalledAtEnd).length,
      backupTable,
      takeoverMs,
      stallMs: {
        p50: quantile(stalls, 0.5),
        p99: quantile(stalls, 0.99),
        max: stalls[stalls.length - 1] ?? 0,
        bound: Math.max(...before.map((c) => stallBoundMs(takeoverMs, rtos.get(c.localPort)))),
        rtoMs: { min: Math.min(...rtos.values()), max: Math.max(...rtos.values()), sockets: rtos.size },
        withinTakeoverPlus1s: carried.filter((c) => c.maxGapMs <= takeoverMs + 1000).length,
      },
      fresh,
      idle: { count: idles.length, answered: idles.filter((c) => c.wakeAnsweredAt > masterAt).length },
      restart,
      newMasterDrops: drops,
      summary,
    };
  } finally {
    await s.destroy();
  }
}

function report(o: Outcome): string {
  const { summary: _s, plan, ...rest } = o;
  const ext = plan.extensions ? ` ${JSON.stringify(plan.extensions)}` : '';
  const what = `${plan.method} ${plan.sync ? 'with' : 'without'} sync${ext}${plan.restartBackup ? ', backup restarted' : ''}`;
  return `sync-ha ${what}: ${JSON.stringify(rest)}`;
}

/** Both directions of the comparison, per method. */
const outcomes = new Map<string, Outcome>();

function expectFreshResume(o: Outcome): void {
  expect(o.fresh.before.failed).toBe(0);
  expect(o.fresh.before.ok).toBeGreaterThan(20);
  // 20 a second for the 5 s after the takeover (less what the last 500 ms leave open).
  expect(o.fresh.after.ok).toBeGreaterThan(60);
  expect(o.fresh.after.failed).toBe(0);
}

describe.runIf(canRun)('lab: connection sync between two lvskit directors (SIGKILL of the master)', () => {
  for (const method of ['DR', 'NAT'] as const) {
    it(`${method} without sync: fresh connections resume after the takeover; what the established ones lose`, async () => {
      const o = await scenario({ method, sync: false });
      outcomes.set(`${method} nosync`, o);
      console.log(report(o));
      expect(o.established).toBe(CONNS);
      expect(o.backupTable).toBe(0);
      expect(o.takeoverMs).toBeLessThanOrEqual(MASTER_DOWN_MS + 300);
      expectFreshResume(o);
    }, 90_000);

    it(`${method} with sync: ≥ 99.9 % of ${CONNS} established connections carry on, fresh ones resume`, async (ctx) => {
      let o: Outcome;
      try {
        o = await scenario({ method, sync: true });
      } catch (e) {
        if (!(e instanceof NoSyncDaemon) || process.env.CI === 'true') throw e;
        console.log(`skip: sync-ha ${method} with sync: the director runs no sync daemon (${e.message})`);
        ctx.skip();
        return;
      }
      outcomes.set(`${method} sync`, o);
      console.log(report(o));
      expect(o.established).toBe(CONNS);
      expect(o.backupTable).toBeGreaterThanOrEqual(Math.ceil(CONNS * 0.999));
      expect(o.takeoverMs).toBeLessThanOrEqual(MASTER_DOWN_MS + 300);
      expect(o.carried / o.established).toBeGreaterThanOrEqual(0.999);
      expect(o.resets).toBe(0);
      expectFreshResume(o);
      const without = outcomes.get(`${method} nosync`);
      if (without !== undefined) {
        console.log(report(without));
        expect(o.carried).toBeGreaterThan(without.carried);
      }
    }, 90_000);
  }

  // The backup is SIGKILLed and started again mid-run: its table is empty. 100 idle connections (one exchange,
  // then silent) give a master no packet to sync them by again; only a bulk resync brings them back. Then the
  // master is killed and the idle connections are woken: they answer only if the restarted backup has them.
  const IDLE = 100;
  it(`DR, backup restarted without bulk resync: the active connections come back by the periodic rule, the ${IDLE} idle ones do not`, async (ctx) => {
    let o: Outcome;
    try {
      o = await scenario({ method: 'DR', sync: true, idle: IDLE, restartBackup: true });
    } catch (e) {
      if (!(e instanceof NoSyncDaemon) || process.env.CI === 'true') throw e;
      console.log(`skip: sync-ha DR backup restart: the director runs no sync daemon (${e.message})`);
      ctx.skip();
      return;
    }
    outcomes.set('DR restart', o);
    console.log(report(o));
    expect(o.carried / o.established).toBeGreaterThanOrEqual(0.999);
    expect(o.restart?.idleInBackup).toBe(0);
    expect(o.idle.count).toBe(IDLE);
    expect(o.idle.answered).toBeLessThan(IDLE);
  }, 90_000);

  it(`DR, backup restarted with bulk resync (extensions sequence + bulkResync): it recovers the whole table, ${CONNS} active and ${IDLE} idle connections carry on`, async (ctx) => {
    let o: Outcome;
    try {
      o = await scenario({
        method: 'DR',
        sync: true,
        idle: IDLE,
        restartBackup: true,
        extensions: { sequence: true, bulkResync: true },
      });
    } catch (e) {
      if (!(e instanceof NoSyncDaemon) || process.env.CI === 'true') throw e;
      console.log(`skip: sync-ha DR bulk resync: the director runs no sync daemon (${e.message})`);
      ctx.skip();
      return;
    }
    console.log(report(o));
    const r = o.restart!;
    expect(r.resyncMs).toBeDefined();
    expect(r.resyncEntries).toBeGreaterThanOrEqual(CONNS + IDLE);
    expect(r.masterTable).toBeGreaterThanOrEqual(CONNS + IDLE);
    // The whole table: every held connection (fresh ones come and go meanwhile).
    expect(r.activeInBackup).toBe(CONNS);
    expect(r.idleInBackup).toBe(IDLE);
    expect(o.carried / o.established).toBeGreaterThanOrEqual(0.999);
    expect(o.resets).toBe(0);
    expect(o.idle).toEqual({ count: IDLE, answered: IDLE });
    expectFreshResume(o);
    const without = outcomes.get('DR restart');
    if (without !== undefined) {
      console.log(report(without));
      expect(o.idle.answered).toBeGreaterThan(without.idle.answered);
    }
  }, 90_000);
});
