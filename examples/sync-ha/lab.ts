/**
 * The connection-sync HA pair in a network lab (the lab test packages/director/test/lab/sync-ha.test.ts and the
 * benchmark packages/director/bench/sync.bench.ts build it with these functions). Two director namespaces run
 * `lvskit run` on a keepalived.conf each (dir1 the file as written: MASTER, priority 150; dir2 the same file with
 * `state BACKUP` and `priority 100`), VRRP between them on eth0 and, with sync, `lvs_sync_daemon eth0 VI_1` in
 * global_defs; two real servers each run a request/answer TCP server (test/lab/sync-server.mjs); a client runs
 * the load client (test/lab/sync-client.mjs). One segment, every interface `eth0`, addresses in 198.18.4.0/24.
 *
 * DR (keepalived.conf): the VIP is on the real servers' lo (arp_ignore 1 / arp_announce 2), replies go straight
 * to the client. NAT (keepalived-nat.conf): one-armed, VIP:7000 → RIP:7001; the real servers route the client
 * via 198.18.4.254, a second address of the VRRP instance, so whichever director is MASTER answers ARP for it
 * and receives the replies to un-NAT (its gratuitous ARPs move the real servers' neighbour entry at a takeover).
 *
 * In every lab namespace `net.ipv4.tcp_tw_reuse=1` (netlab), for the fresh connections' client ports.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IpvsConnectionEntry } from '@lvskit/core';
import { type ControlConnectionsResult, controlRequest } from '@lvskit/director';
import { applyDrRealServer } from '@lvskit/forwarders';
import { createLab, type Lab, type LabHost, type LabProcess } from '@lvskit/netlab';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LVSKIT = join(ROOT, 'packages/director/bin/lvskit.mjs');
const LAB_DIR = join(ROOT, 'packages/director/test/lab');
const NODE = [process.execPath, '--conditions=@lvskit/source', '--import', 'tsx'];

/** The forwarding methods the lab runs. */
export type SyncHaMethod = 'DR' | 'NAT';
/** The two directors. */
export type DirectorName = 'dir1' | 'dir2';

/** The lab's addresses: directors, real servers, client, the VIP and (NAT) the VRRP-held gateway. */
export const ADDR = {
  dir1: '198.18.4.1',
  dir2: '198.18.4.2',
  rs1: '198.18.4.11',
  rs2: '198.18.4.12',
  client: '198.18.4.100',
  vip: '198.18.4.200',
  gateway: '198.18.4.254',
} as const;
/** The virtual port (both methods). */
export const VPORT = 7000;
/** The real servers' port: 7000 in DR, 7001 in NAT (port mapping). */
export const rport = (method: SyncHaMethod): number => (method === 'DR' ? 7000 : 7001);
/** Metrics port of both daemons (inside each director's namespace, 127.0.0.1). */
export const METRICS_PORT = 9100;
/** advert_int of the files, seconds. */
export const ADVERT_INT_S = 1;
/** Master_Down_Interval of dir2 (priority 100): 3 × advert_int + (256 − priority) / 256 × advert_int (RFC 3768 §6.1). */
export const MASTER_DOWN_MS = (3 * ADVERT_INT_S + ((256 - 100) / 256) * ADVERT_INT_S) * 1000;

/** The config file of each method (dir1's, as written). */
export function confFile(method: SyncHaMethod): string {
  return fileURLToPath(new URL(method === 'DR' ? './keepalived.conf' : './keepalived-nat.conf', import.meta.url));
}

/**
 * The text a director runs: dir1 the file as written, dir2 with `state BACKUP` and `priority 100` (as
 * keepalived's docs derive a BACKUP); without sync, the `lvs_sync_daemon` line taken out; `extra` lines are
 * added to global_defs (e.g. the lvskit sync extensions).
 */
export function confText(
  method: SyncHaMethod,
  name: DirectorName,
  options: { readonly sync: boolean; readonly globalDefs?: readonly string[] },
): string {
  let text = readFileSync(confFile(method), 'utf8');
  if (name === 'dir2')
    text = text.replace(/^(\s*)state MASTER$/m, '$1state BACKUP').replace(/^(\s*)priority 150$/m, '$1priority 100');
  if (!options.sync) text = text.replace(/^\s*lvs_sync_daemon .*\n/m, '');
  if (options.globalDefs && options.globalDefs.length > 0)
    text = text.replace(/global_defs \{\n/, `global_defs {\n${options.globalDefs.map((l) => `   ${l}\n`).join('')}`);
  return text;
}

/** Options of {@link startSyncHaLab}. */
export interface SyncHaOptions {
  readonly method: SyncHaMethod;
  /** `lvs_sync_daemon eth0 VI_1` in both files. */
  readonly sync: boolean;
  /** More global_defs lines for both files. */
  readonly globalDefs?: readonly string[];
  /**
   * lvskit's sync extensions (needs `sync`). No keepalived keyword names them, so the directors then run
   * test/lab/sync-run.ts — `lvskit run`'s own daemon on the file's import with `sync.extensions` added —
   * instead of `lvskit run`.
   */
  readonly extensions?: { readonly sequence?: boolean; readonly bulkResync?: boolean; readonly hmacKey?: string };
  /** Each command as a user would type it. */
  readonly print?: (line: string) => void;
}

/** Options of the load client (sync-client.mjs); every field has the client's default. */
export interface LoadClientOptions {
  readonly conns?: number;
  readonly intervalMs?: number;
  readonly freshPerSec?: number;
  readonly freshTimeoutMs?: number;
  readonly rampPerTick?: number;
  /** More connections that make one exchange and then stay idle until {@link LoadClient.wakeIdle}. */
  readonly idle?: number;
}

/** The client's progress line. */
export interface LoadProgress {
  readonly t: number;
  readonly opened: number;
  readonly established: number;
  readonly answering: number;
  /** Idle connections established and answered once. */
  readonly idle: number;
  readonly resets: number;
  readonly closed: number;
  readonly freshOk: number;
  readonly freshFailed: number;
  readonly freshOpen: number;
}

/** One established connection in the client's summary. */
export interface ConnRecord {
  readonly id: number;
  readonly localPort: number;
  readonly server: string;
  readonly connectedAt: number;
  readonly answers: number;
  readonly resets: number;
  readonly error: string;
  readonly closedAt: number;
  readonly lastAnswerAt: number;
  /** Longest gap between two answers, ms (at the end: the gap since the last answer when that is longer). */
  readonly maxGapMs: number;
  readonly maxGapFrom: number;
  readonly maxGapTo: number;
  readonly stalledAtEnd: boolean;
  /** An idle connection (one exchange, then silent until woken). */
  readonly idle: boolean;
  /** When it was woken (0: not woken or not idle) and when the wake request was answered (0: not). */
  readonly wokeAt: number;
  readonly wakeAnsweredAt: number;
  /** Answers from a real server other than the first one's. */
  readonly switched: number;
}

/** One fresh connection in the client's summary. */
export interface FreshRecord {
  readonly t: number;
  readonly ok: boolean;
  readonly ms: number;
  readonly server: string;
  readonly error: string;
}

/** The client's JSON summary. */
export interface LoadSummary {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly totals: LoadProgress;
  readonly conns: readonly ConnRecord[];
  readonly fresh: readonly FreshRecord[];
}

/** A running load client. */
export interface LoadClient {
  readonly process: LabProcess;
  /** The last progress line (undefined before the first). */
  progress(): LoadProgress | undefined;
  /** Waits until `pred` holds for a progress line (or throws after `timeoutMs`). */
  waitFor(pred: (p: LoadProgress) => boolean, timeoutMs: number): Promise<LoadProgress>;
  /** SIGUSR2: every idle connection sends one request. */
  wakeIdle(): void;
  /** SIGTERM, then the summary it wrote. */
  stop(): Promise<LoadSummary>;
}

/** The running lab. */
export interface SyncHaLab {
  readonly lab: Lab;
  readonly method: SyncHaMethod;
  readonly hosts: Record<DirectorName | 'rs1' | 'rs2' | 'client', LabHost>;
  /** The `lvskit run` processes (a restarted director replaces its entry). */
  readonly directors: Record<DirectorName, LabProcess>;
  /** Control socket of each daemon. */
  readonly sockets: Record<DirectorName, string>;
  /** The files they run. */
  readonly files: Record<DirectorName, string>;
  readonly tmp: string;
  /** Starts (again) `lvskit run` in a director's namespace; resolves once it logged its VRRP state. */
  startDirector(name: DirectorName, state: RegExp): Promise<LabProcess>;
  /** Starts the load client in the client's namespace. */
  startClient(options?: LoadClientOptions): LoadClient;
  /** Tears everything down (idempotent). */
  destroy(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds the lab, starts the real servers' servers and `lvskit run` in both directors (dir1 first, MASTER). */
export async function startSyncHaLab(options: SyncHaOptions): Promise<SyncHaLab> {
  const print = options.print ?? (() => {});
  const lab = await createLab();
  const tmp = mkdtempSync(join(tmpdir(), 'lvskit-sync-ha-'));
  const destroy = async () => {
    await lab.destroy();
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const lan = await lab.addSegment('lan');
    const names = ['dir1', 'dir2', 'rs1', 'rs2', 'client'] as const;
    const hosts = {} as Record<(typeof names)[number], LabHost>;
    for (const n of names) {
      hosts[n] = await lab.addHost(n);
      await lab.connect(hosts[n], lan, { ifname: 'eth0', addresses: [`${ADDR[n]}/24`] });
    }
    const port = rport(options.method);
    for (const rs of ['rs1', 'rs2'] as const) {
      if (options.method === 'DR') await applyDrRealServer({ vips: [ADDR.vip], netns: hosts[rs].ns });
      else await lab.addRoute(hosts[rs], `${ADDR.client}/32`, ADDR.gateway);
      const bind = options.method === 'DR' ? '0.0.0.0' : ADDR[rs];
      const p = lab.spawn(hosts[rs], [process.execPath, join(LAB_DIR, 'sync-server.mjs'), rs, bind, String(port)]);
      await p.waitForOutput(/^listening /m, 10_000);
    }
    const files = { dir1: join(tmp, 'dir1.conf'), dir2: join(tmp, 'dir2.conf') };
    const sockets = { dir1: join(tmp, 'dir1.sock'), dir2: join(tmp, 'dir2.sock') };
    for (const n of ['dir1', 'dir2'] as const) {
      const conf = { sync: options.sync, ...(options.globalDefs ? { globalDefs: options.globalDefs } : {}) };
      writeFileSync(files[n], confText(options.method, n, conf));
    }
    const directors = {} as Record<DirectorName, LabProcess>;
    const startDirector = async (name: DirectorName, state: RegExp) => {
      rmSync(sockets[name], { force: true });
      const ext = options.extensions;
      const args =
        ext === undefined
          ? ['run', files[name], '--control-socket', sockets[name], '--metrics-port', String(METRICS_PORT)]
          : [files[name], sockets[name], String(METRICS_PORT), JSON.stringify(ext)];
      const entry = ext === undefined ? LVSKIT : join(LAB_DIR, 'sync-run.ts');
      print(`ip netns exec ${hosts[name].ns} node ${entry.slice(ROOT.length)} ${args.join(' ')}`);
      const p = lab.spawn(hosts[name], [...NODE, entry, ...args]);
      directors[name] = p;
      await p.waitForOutput(state, 30_000);
      return p;
    };
    await startDirector('dir1', /Entering MASTER STATE/);
    await startDirector('dir2', /Entering BACKUP STATE/);

    const startClient = (o: LoadClientOptions = {}): LoadClient => {
      const summary = join(tmp, `client-${Date.now()}.json`);
      const args = JSON.stringify({ host: ADDR.vip, port: VPORT, summary, ...o });
      const p = lab.spawn(hosts.client, [process.execPath, join(LAB_DIR, 'sync-client.mjs'), args]);
      const progress = (): LoadProgress | undefined => {
        const out = p.output();
        const at = out.lastIndexOf('{"progress":');
        if (at < 0) return undefined;
        const end = out.indexOf('\n', at);
        if (end < 0) {
          const prev = out.lastIndexOf('{"progress":', at - 1);
          if (prev < 0) return undefined;
          return (JSON.parse(out.slice(prev, out.indexOf('\n', prev))) as { progress: LoadProgress }).progress;
        }
        return (JSON.parse(out.slice(at, end)) as { progress: LoadProgress }).progress;
      };
      return {
        process: p,
        progress,
        waitFor: async (pred, timeoutMs) => {
          const until = Date.now() + timeoutMs;
          for (;;) {
            const last = progress();
            if (last !== undefined && pred(last)) return last;
            if (Date.now() > until)
              throw new Error(`load client: condition not met in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
            await sleep(100);
          }
        },
        wakeIdle: () => process.kill(p.pid, 'SIGUSR2'),
        stop: async () => {
          process.kill(p.pid, 'SIGTERM');
          await p.exited;
          return JSON.parse(readFileSync(summary, 'utf8')) as LoadSummary;
        },
      };
    };
    return {
      lab,
      method: options.method,
      hosts,
      directors,
      sockets,
      files,
      tmp,
      startDirector,
      startClient,
      destroy,
    };
  } catch (e) {
    await destroy();
    throw e;
  }
}

/** What the connection-rate client (sync-rate.mjs) printed. */
export interface RateResult {
  readonly ok: number;
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  /** Successful connections per second. */
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

/**
 * Runs the connection-rate client in the client's namespace: `concurrency` connections in flight for
 * `durationMs`, each connect, one request, its answer, close. Resolves with its result line.
 */
export async function runRateClient(
  s: SyncHaLab,
  options: { readonly concurrency: number; readonly durationMs: number },
): Promise<RateResult> {
  const args = JSON.stringify({ host: ADDR.vip, port: VPORT, ...options });
  const p = s.lab.spawn(s.hosts.client, [process.execPath, join(LAB_DIR, 'sync-rate.mjs'), args]);
  const { code } = await p.exited;
  const line = p
    .output()
    .split('\n')
    .find((l) => l.startsWith('{"ok":'));
  if (code !== 0 || line === undefined) throw new Error(`sync-rate.mjs exited ${code}: ${p.output().slice(-500)}`);
  return JSON.parse(line) as RateResult;
}

/** The director's connection table through its control socket (what `lvsadm --connections --json` prints). */
export async function connections(socket: string): Promise<readonly IpvsConnectionEntry[]> {
  const r = (await controlRequest(socket, 'connections', {})) as ControlConnectionsResult;
  return r.connections;
}

/** User + system CPU time of a process so far, ms (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms). */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** When a `lvskit run` log line matching `re` was written (its pino `time`), or undefined. */
export function loggedAt(p: LabProcess, re: RegExp, after = 0): number | undefined {
  for (const line of p.output().split('\n')) {
    if (!re.test(line)) continue;
    const m = /"time":(\d+)/.exec(line);
    const t = m ? Number(m[1]) : undefined;
    if (t !== undefined && t >= after) return t;
  }
  return undefined;
}
