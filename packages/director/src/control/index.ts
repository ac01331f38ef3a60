/**
 * The director's local control socket: NDJSON over a unix socket, one request `{id, method, params}` per
 * line answered by `{id, result}` or `{id, error: {code, message}}`, several requests per connection. Built-in
 * methods: `ipvsadm` (core's runIpvsadm on the live table), `status`, `vrrp`, `checks`, `connections`.
 * The `lvsadm` command (`runLvsadm` in ./lvsadm.ts) is its client.
 */
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { LvsError } from '@lvskit/base';
import {
  formatAddrPort,
  type IpvsadmTarget,
  type IpvsConnectionEntry,
  type IpvsDaemonConfig,
  ipvsadmError,
  ipvsadmTarget,
  runIpvsadm,
} from '@lvskit/core';
import type { SyncDaemon } from '@lvskit/sync';
import { syncSettingsOf } from '../config.js';
import type { Director, DirectorStatus } from '../director.js';

/** A running control server. */
export interface ControlServer {
  /** The socket path it listens on. */
  readonly path: string;
  /** Stops listening, ends open connections and removes the socket file. */
  close(): Promise<void>;
}

/** Options of {@link serveControl}. */
export interface ControlServeOptions {
  /** Unix socket path; its parent directory is created. */
  readonly path: string;
  /** Extra methods (the daemon's `reload`, …); a built-in name is overridden. */
  readonly handlers?: Record<string, (params: unknown) => Promise<unknown>>;
  /** File mode of the socket (default 0o600). */
  readonly mode?: number;
  /** How many check results to keep per check (default 10). */
  readonly checkHistory?: number;
}

/** Result of the `ipvsadm` method: what the program would have written and exited with. */
export interface ControlIpvsadmResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** One service in the `status` method's summary. */
export interface ControlServiceSummary {
  /** ipvsadm's service key text (`TCP 198.18.0.100:80`). */
  readonly service: string;
  readonly scheduler: string;
  readonly realServers: number;
  readonly activeConnections: number;
  readonly inactiveConnections: number;
}

/** Result of the `status` method. */
export interface ControlStatusResult extends DirectorStatus {
  readonly services: readonly ControlServiceSummary[];
}

/** One VRRP instance in the `vrrp` method's result. */
export interface ControlVrrpInstance {
  readonly instance: string;
  readonly state: string;
  /** Effective priority as of the last transition (undefined before the first). */
  readonly priority: number | undefined;
  /** Since when (clock ms) the instance has been MASTER, when it is. */
  readonly masterSince: number | undefined;
  /** The reason of the last transition and when (clock ms). */
  readonly lastTransition:
    | { readonly from: string; readonly to: string; readonly reason: string; readonly at: number }
    | undefined;
}

/** One check result kept by the control module. */
export interface ControlCheckResult {
  readonly at: number;
  readonly ok: boolean;
  readonly durationMs: number;
  readonly message: string;
}

/** One check of a real server in the `checks` method's result. */
export interface ControlCheck {
  readonly service: string;
  readonly address: string;
  readonly port: number;
  /** The check's key in the health runner. */
  readonly checker: string;
  readonly up: boolean | undefined;
  /** Last results, oldest first. */
  readonly results: readonly ControlCheckResult[];
}

/** Parameters of the `connections` method. */
export interface ControlConnectionsParams {
  /** Client address (canonical text). */
  readonly client?: string;
  /** Real server `ADDR:PORT` or `[v6]:PORT`. */
  readonly realServer?: string;
  /** Virtual service `ADDR:PORT`. */
  readonly service?: string;
  readonly limit?: number;
}

/** Result of the `connections` method. */
export interface ControlConnectionsResult {
  /** How many matched before `limit`. */
  readonly total: number;
  readonly connections: readonly IpvsConnectionEntry[];
}

const SEP = '\u0000';

/** A control error; the server's own code travels as `cause.code` (and prefixes the message on the client). */
function fail(message: string, code = 'DIRECTOR_CONTROL_FAILED'): LvsError {
  return new LvsError('DIRECTOR_CONTROL_FAILED', message, { cause: { code } });
}

/** The server-side code of a control error. */
export function controlErrorCode(err: unknown): string | undefined {
  if (!(err instanceof LvsError)) return undefined;
  const c = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : err.code;
}

/** Records VRRP transitions and check results from the director's and health's events. */
class Recorder {
  readonly vrrp = new Map<
    string,
    { priority: number; masterSince?: number; last: ControlVrrpInstance['lastTransition'] }
  >();
  readonly checks = new Map<string, { up?: boolean; results: ControlCheckResult[] }>();
  readonly #off: (() => void)[] = [];

  constructor(
    readonly director: Director,
    readonly keep: number,
  ) {
    const onTransition = (e: { instance: string; from: string; to: string; reason: string; priority: number }) => {
      const at = director.clock.now();
      const prev = this.vrrp.get(e.instance);
      this.vrrp.set(e.instance, {
        priority: e.priority,
        masterSince: e.to === 'MASTER' ? (e.from === 'MASTER' ? prev?.masterSince : at) : undefined,
        last: { from: e.from, to: e.to, reason: e.reason, at },
      });
    };
    this.#off.push(director.on('vrrpTransition', onTransition));
    const runner = director.health.runner;
    const onCompleted = (e: {
      realServer: string;
      checker: string;
      result: { ok: boolean; message: string; durationMs: number };
      at: number;
    }) => {
      const key = `${e.realServer}${SEP}${e.checker}`;
      let rec = this.checks.get(key);
      if (!rec) {
        rec = { results: [] };
        this.checks.set(key, rec);
      }
      rec.results.push({ at: e.at, ok: e.result.ok, durationMs: e.result.durationMs, message: e.result.message });
      if (rec.results.length > this.keep) rec.results.shift();
    };
    const onChecker = (e: { realServer: string; checker: string; up: boolean }) => {
      const rec = this.checks.get(`${e.realServer}${SEP}${e.checker}`);
      if (rec) rec.up = e.up;
    };
    this.#off.push(
      runner.on('checkCompleted', onCompleted),
      runner.on('checkerUp', onChecker),
      runner.on('checkerDown', onChecker),
    );
  }

  dispose(): void {
    for (const f of this.#off) f();
  }
}

function parseEndpointFilter(text: string): { address: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  if (!m) throw fail(`not an ADDR:PORT: ${text}`, 'DIRECTOR_CONTROL_BAD_PARAMS');
  return { address: m[1] as string, port: Number(m[2]) };
}

/** A running sync daemon as `ipvsadm -L --daemon` lists it (every field is set, as the kernel reports it). */
function daemonEntry(d: SyncDaemon): IpvsDaemonConfig {
  const o = d.options;
  return {
    state: d.role,
    mcastInterface: o.interface,
    syncid: o.syncid,
    syncMaxlen: o.maxLen,
    mcastGroup: o.group,
    mcastPort: o.port,
    mcastTtl: o.ttl,
  };
}

/**
 * The ipvsadm target of a director: core's over its table, plus its sync daemons. ipvsadm's start and stop
 * are synchronous and the daemons' are not: the role is taken (or freed) at once, with ipvsadm's refusals
 * ("Daemon has already run", "No daemon is running"), and the start or stop itself is collected in
 * `pending` for the caller to await.
 */
function directorTarget(director: Director, pending: Promise<void>[]): IpvsadmTarget {
  const table = ipvsadmTarget(director.ipvs);
  return {
    addService: (c) => table.addService(c),
    editService: (c) => table.editService(c),
    deleteService: (k) => table.deleteService(k),
    flush: () => table.flush(),
    addServer: (k, c) => table.addServer(k, c),
    editServer: (k, c) => table.editServer(k, c),
    deleteServer: (k, r) => table.deleteServer(k, r),
    zero: (k) => (k === undefined ? table.zero() : table.zero(k)),
    setTimeouts: (t) => table.setTimeouts(t),
    startDaemon: (c) => {
      if (director.syncDaemon(c.state)) throw ipvsadmError('daemon-running');
      pending.push(director.startSyncDaemon({ role: c.state, ...syncSettingsOf(c) }).then(() => undefined));
    },
    stopDaemon: (state) => {
      if (!director.syncDaemon(state)) throw ipvsadmError('no-daemon');
      pending.push(director.stopSyncDaemon(state));
    },
    snapshot: () => ({ ...table.snapshot(), daemons: director.syncDaemons().map(daemonEntry) }),
  };
}

function builtins(director: Director, rec: Recorder): Record<string, (params: unknown) => Promise<unknown>> {
  const target = ipvsadmTarget(director.ipvs);
  return {
    ipvsadm: async (params) => {
      const p = (params ?? {}) as { argv?: unknown; stdin?: unknown };
      if (!Array.isArray(p.argv) || !p.argv.every((w) => typeof w === 'string')) {
        throw fail('ipvsadm: params.argv must be an array of strings', 'DIRECTOR_CONTROL_BAD_PARAMS');
      }
      const pending: Promise<void>[] = [];
      const r = runIpvsadm(
        directorTarget(director, pending),
        p.argv as string[],
        typeof p.stdin === 'string' ? { stdin: p.stdin } : {},
      );
      let { stdout, stderr, exitCode: code } = r;
      // A daemon that could not start is what the kernel's refusal is to ipvsadm: status 255 and
      // ipvs_strerror's text — strerror(ENODEV) for an unknown interface (start_sync_thread), strerror(EINVAL)
      // for options it refuses; lvskit's own message otherwise.
      for (const result of await Promise.allSettled(pending)) {
        if (result.status === 'rejected') {
          const err = result.reason as unknown;
          const code0 = LvsError.is(err) ? err.code : undefined;
          stderr += `${
            code0 === 'SYNC_NO_INTERFACE'
              ? 'No such device'
              : code0 === 'SYNC_INVALID_OPTION'
                ? 'Invalid argument'
                : err instanceof Error
                  ? err.message
                  : String(err)
          }\n`;
          code = 255;
        }
      }
      return { stdout, stderr, code } satisfies ControlIpvsadmResult;
    },
    status: async () => {
      const snap = target.snapshot();
      const services = snap.services.map(
        (s): ControlServiceSummary => ({
          service:
            s.key.kind === 'fwmark'
              ? `FWM ${s.key.fwmark}`
              : `${s.key.protocol.toUpperCase()} ${formatAddrPort(s.key.family, s.key.address, s.key.port)}`,
          scheduler: s.scheduler,
          realServers: s.servers.length,
          activeConnections: s.servers.reduce((a, r) => a + r.activeConns, 0),
          inactiveConnections: s.servers.reduce((a, r) => a + r.inactiveConns, 0),
        }),
      );
      return { ...director.status(), services } satisfies ControlStatusResult;
    },
    // `lvskit drain`: withdraw the announced VIPs, wait for the connections to go (or drain.timeoutMs).
    drain: async () => ({ reason: await director.drain() }),
    vrrp: async () =>
      director.status().vrrp.map((v): ControlVrrpInstance => {
        const r = rec.vrrp.get(v.instance);
        return {
          instance: v.instance,
          state: v.state,
          priority: r?.priority,
          masterSince: v.state === 'MASTER' ? r?.masterSince : undefined,
          lastTransition: r?.last,
        };
      }),
    checks: async () => {
      const out: ControlCheck[] = [];
      for (const [key, r] of rec.checks) {
        // the runner's real server id is `service SEP address:port`, then our SEP and the checker's key
        const [service = '', server = '', checker = ''] = key.split(SEP);
        const colon = server.lastIndexOf(':');
        const address = server.slice(0, colon).replace(/^\[|\]$/g, '');
        const up = r.up ?? director.health.runner.statusOf(`${service}${SEP}${server}`)?.up;
        out.push({ service, address, port: Number(server.slice(colon + 1)), checker, up, results: [...r.results] });
      }
      return out;
    },
    connections: async (params) => {
      const p = (params ?? {}) as ControlConnectionsParams;
      const rs = p.realServer !== undefined ? parseEndpointFilter(p.realServer) : undefined;
      const vs = p.service !== undefined ? parseEndpointFilter(p.service) : undefined;
      const all = target
        .snapshot()
        .connections.filter(
          (c) =>
            (p.client === undefined || c.clientAddress === p.client) &&
            (rs === undefined || (c.destAddress === rs.address && c.destPort === rs.port)) &&
            (vs === undefined || (c.virtualAddress === vs.address && c.virtualPort === vs.port)),
        );
      const limit = typeof p.limit === 'number' && p.limit >= 0 ? p.limit : all.length;
      return { total: all.length, connections: all.slice(0, limit) } satisfies ControlConnectionsResult;
    },
  };
}

async function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Serves `director` on a unix socket. Refuses (`DIRECTOR_CONTROL_FAILED`) when a live server already
 * listens on `path`; removes a stale socket file first.
 * @example `const ctl = await serveControl(director, { path: '/run/lvskit/lvskit.sock' })`
 */
export async function serveControl(director: Director, options: ControlServeOptions): Promise<ControlServer> {
  const path = options.path;
  await mkdir(dirname(path), { recursive: true });
  const existing = await lstat(path).catch(() => undefined);
  if (existing) {
    if (!existing.isSocket()) throw fail(`${path} exists and is not a socket`, 'DIRECTOR_CONTROL_IN_USE');
    if (await isLive(path)) throw fail(`a daemon already listens on ${path}`, 'DIRECTOR_CONTROL_IN_USE');
    await unlink(path);
  }
  const rec = new Recorder(director, options.checkHistory ?? 10);
  const methods = { ...builtins(director, rec), ...(options.handlers ?? {}) };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setEncoding('utf8');
    let buf = '';
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() !== '')
          void answer(line).then((reply) => socket.writable && socket.write(`${JSON.stringify(reply)}\n`));
        nl = buf.indexOf('\n');
      }
    });
  });
  async function answer(line: string): Promise<unknown> {
    let req: { id?: unknown; method?: unknown; params?: unknown };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      return { id: null, error: { code: 'PARSE_ERROR', message: 'request is not JSON' } };
    }
    const id = req?.id ?? null;
    const method = typeof req?.method === 'string' ? req.method : undefined;
    const handler = method !== undefined && Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!handler) return { id, error: { code: 'UNKNOWN_METHOD', message: `unknown method: ${String(req?.method)}` } };
    try {
      return { id, result: await handler(req.params) };
    } catch (err) {
      const code = controlErrorCode(err) ?? 'INTERNAL';
      return { id, error: { code, message: err instanceof Error ? err.message : String(err) } };
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, options.mode ?? 0o600);
  return {
    path,
    close: async () => {
      rec.dispose();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(path).catch(() => undefined);
    },
  };
}

/**
 * Sends one request to a control server and resolves with its result; rejects with `DIRECTOR_CONTROL_FAILED`
 * (the server's error code in `details.code`) or `DIRECTOR_CONTROL_UNREACHABLE` (no server).
 */
export function controlRequest(
  path: string,
  method: string,
  params?: unknown,
  options: { timeoutMs?: number } = {},
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.setEncoding('utf8');
    let buf = '';
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      f();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new LvsError('DIRECTOR_CONTROL_UNREACHABLE', `${path}: no answer in ${options.timeoutMs ?? 10_000} ms`),
          ),
        ),
      options.timeoutMs ?? 10_000,
    );
    socket.once('connect', () => socket.write(`${JSON.stringify({ id: 1, method, params })}\n`));
    socket.on('error', (err) =>
      finish(() => reject(new LvsError('DIRECTOR_CONTROL_UNREACHABLE', `${path}: ${err.message}`))),
    );
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const reply = JSON.parse(buf.slice(0, nl)) as { result?: unknown; error?: { code: string; message: string } };
      if (reply.error) {
        const e = reply.error;
        finish(() => reject(fail(e.message, e.code)));
      } else finish(() => resolve(reply.result));
    });
  });
}
