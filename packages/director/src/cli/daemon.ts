/**
 * `lvskit run FILE`: the daemon. Reads a keepalived.conf, an ldirectord.cf or an ipvsadm rule file, runs the
 * director it describes, and keeps it running: SIGHUP (and ldirectord's `autoreload`) re-reads the file and
 * reloads through the director's reconcile (connections, counters, checker and VRRP state kept); a bad file
 * changes nothing and is logged with every issue; SIGTERM or SIGINT stops (VRRP priority 0, VIPs released) and
 * removes the pid file and the control socket. One JSON log line per event (pino), worded as keepalived logs it.
 * It owns the process side only: signals, pid file, log lines and the servers it starts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { LvsError } from '@lvskit/base';
import type { IpvsChange } from '@lvskit/core';
import pino, { type Logger } from 'pino';
import type { DirectorConfig } from '../config.js';
import { type ControlServer, serveControl } from '../control/index.js';
import { createDirector, type Director, type DirectorPorts } from '../director.js';
import type { ImportIssue } from '../import/issues.js';
import { directorMetrics, serveMetrics } from '../metrics.js';
import { type StatusServer, serveStatus } from '../status/index.js';

/** What {@link runDaemon} reads the config file with: the config and its warnings (throws LvsError with every issue). */
export type DaemonLoad = (file: string) => {
  readonly config: DirectorConfig;
  readonly warnings: readonly ImportIssue[];
  /** ldirectord `autoreload`: look at the file's mtime every this many seconds. */
  readonly autoreload?: number;
};

/** Options of {@link runDaemon} (the `lvskit run` flags). */
export interface DaemonOptions {
  /** The config file. */
  readonly file: string;
  /** Pid file to write (refused when it names a live process). */
  readonly pidFile?: string;
  /** Control socket path (`lvsadm`, `lvskit reload`); `false` for none. Default `/run/lvskit/lvskit.sock`. */
  readonly controlSocket?: string | false;
  /** Prometheus endpoint port. */
  readonly metricsPort?: number;
  /** Prometheus endpoint host (default 127.0.0.1). */
  readonly metricsHost?: string;
  /** Status page port. */
  readonly statusPort?: number;
  /** Status page host (default 127.0.0.1). */
  readonly statusHost?: string;
  /** pino level (default `info`). */
  readonly logLevel?: string;
  /** Where log lines go (default stdout). */
  readonly logStream?: { write(line: string): unknown };
  /** Director ports (tests); default the real ones. */
  readonly ports?: DirectorPorts;
}

/** A running daemon. */
export interface Daemon {
  /** The director. */
  readonly director: Director;
  /** Re-reads the file and reloads; a bad file changes nothing. `dryRun` plans only. */
  reload(dryRun?: boolean): Promise<{ readonly applied: boolean; readonly changes: readonly IpvsChange[] }>;
  /** Stops everything; resolves once the director stopped. */
  stop(): Promise<void>;
  /** Resolves when the daemon has stopped (signal or `stop()`). */
  readonly stopped: Promise<void>;
}

/** Whether a process with this pid exists (signal 0). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes the pid file atomically, refusing when it names a live process (keepalived's pidfile.c does too). */
function writePidFile(path: string): void {
  let previous: number | undefined;
  try {
    previous = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  } catch {
    previous = undefined;
  }
  if (
    previous !== undefined &&
    Number.isInteger(previous) &&
    previous > 0 &&
    previous !== process.pid &&
    alive(previous)
  )
    throw new LvsError('DIRECTOR_STATE', `daemon is already running: ${path} names live process ${previous}`);
  const tmp = join(dirname(path), `.${randomBytes(4).toString('hex')}.pid`);
  writeFileSync(tmp, `${process.pid}\n`);
  renameSync(tmp, path);
}

/** The text of a change, as keepalived logs table edits (check/ipwrapper.c, check_daemon.c wording). */
export function describeChange(c: IpvsChange): string {
  switch (c.op) {
    case 'addService':
      return `Adding service ${c.key} (${c.service})`;
    case 'removeService':
      return `Removing service ${c.key} (${c.service})`;
    case 'editService':
      return `Updating service ${c.service}: ${c.fields.join(', ')}`;
    case 'addRealServer':
      return `Adding service [${c.server.address}]:${c.server.port} to VS ${c.service}`;
    case 'removeRealServer':
      return `Removing service [${c.server.address}]:${c.server.port} from VS ${c.service}`;
    case 'editRealServer':
      return `Updating service [${c.server.address}]:${c.server.port} of VS ${c.service}: ${c.fields.join(', ')}`;
    case 'setTimeouts':
      return `Setting timeouts tcp ${c.tcp} tcpfin ${c.tcpfin} udp ${c.udp}`;
  }
}

function logIssues(log: Logger, what: string, err: unknown): void {
  if (LvsError.is(err)) {
    const issues = err.issues.length > 0 ? err.issues.map((i) => i.message) : [err.message];
    log.error(
      { event: 'configError', code: err.code, issues },
      `${what}: ${issues.length} issue(s): ${issues.join('; ')}`,
    );
  } else log.error({ event: 'configError', err }, `${what}: ${(err as Error).message}`);
}

/** Logs each director event as one line, in keepalived's words (vrrp/vrrp.c, check/check_api.c). */
function logEvents(director: Director, log: Logger): void {
  director.on('started', () => log.info({ event: 'started' }, 'Director started'));
  director.on('stopped', () => log.info({ event: 'stopped' }, 'Stopped'));
  director.on('vrrpTransition', (e) =>
    log.info(
      { event: 'vrrpTransition', ...e },
      `(${e.instance}) Entering ${e.to} STATE (from ${e.from}: ${e.reason}, priority ${e.priority})`,
    ),
  );
  director.on('serving', (e) =>
    log.info({ event: 'serving', ...e }, `${e.serving ? 'Serving' : 'No longer serving'} VIP ${e.vip}`),
  );
  director.on('realServerUp', (e) =>
    log.info({ event: 'realServerUp', ...e }, `Remote server [${e.address}]:${e.port} of ${e.service} up: ${e.reason}`),
  );
  director.on('realServerDown', (e) =>
    log.warn(
      { event: 'realServerDown', ...e },
      `Remote server [${e.address}]:${e.port} of ${e.service} down: ${e.reason}`,
    ),
  );
  director.on('realServerDraining', (e) =>
    log.info(
      { event: 'realServerDraining', ...e },
      `Removing service [${e.address}]:${e.port} from ${e.service}: draining (weight 0, timeout ${e.timeoutMs} ms)`,
    ),
  );
  director.on('realServerRemoved', (e) =>
    log.info(
      { event: 'realServerRemoved', ...e },
      `Removed service [${e.address}]:${e.port} from ${e.service}: ${e.reason === 'drained' ? 'no connections left' : 'drain timeout'}`,
    ),
  );
  director.on('quorumUp', (e) =>
    log.info({ event: 'quorumUp', ...e }, `Gained quorum ${e.threshold} for VS ${e.service}`),
  );
  director.on('quorumDown', (e) =>
    log.warn({ event: 'quorumDown', ...e }, `Lost quorum ${e.liveWeight}-${e.threshold} for VS ${e.service}`),
  );
  director.on('tableChanged', (e) => {
    for (const c of e.changes) log.info({ event: 'tableChanged', cause: e.cause, change: c }, describeChange(c));
  });
  director.on('reloaded', (e) =>
    log.info({ event: 'reloaded', changes: e.changes.length }, `Reloaded: ${e.changes.length} table change(s)`),
  );
  // The kernel's words for its sync threads (ip_vs_sync.c start_sync_thread / stop_sync_thread).
  director.on('syncStarted', (e) =>
    log.info(
      { event: 'syncStarted', ...e },
      `sync thread started: state = ${e.role.toUpperCase()}, mcast_ifn = ${e.interface}, syncid = ${e.syncid}`,
    ),
  );
  director.on('syncStopped', (e) =>
    (e.cause === 'failed' ? log.warn.bind(log) : log.info.bind(log))(
      { event: 'syncStopped', ...e },
      e.cause === 'failed' ? `${e.role} sync thread did not start` : `stopping ${e.role} sync thread`,
    ),
  );
  director.on('syncResync', (e) =>
    log.info(
      { event: 'syncResync', ...e },
      `sync bulk resync ${e.phase}: ${e.entries} entries (${e.role}, ${e.peer}${e.lost > 0 ? `, ${e.lost} lost` : ''})`,
    ),
  );
  director.on('announced', (e) => log.info({ event: 'announced', ...e }, `BGP: announcing ${e.prefix} (VIP ${e.vip})`));
  director.on('withdrawn', (e) =>
    log.warn({ event: 'withdrawn', ...e }, `BGP: withdrawing ${e.prefix} (VIP ${e.vip}): ${e.reason}`),
  );
  director.on('warning', (e) => log.warn({ event: 'warning', source: e.source }, e.message));
  director.on('error', (e) => log.error({ event: 'error', source: e.source, code: e.error.code }, e.error.message));
}

/**
 * Starts the daemon: reads the file, creates and starts the director, writes the pid file, serves the control
 * socket (with a `reload` method: `{ dryRun?: boolean }`), metrics and status page when asked, and installs
 * the SIGHUP/SIGTERM/SIGINT handlers. Nothing is left behind when a step fails: the director is stopped and
 * the pid file removed.
 * @throws LvsError with every issue when the file cannot be run
 */
export async function runDaemon(options: DaemonOptions, load: DaemonLoad): Promise<Daemon> {
  const log = pino(
    { level: options.logLevel ?? 'info', base: { pid: process.pid } },
    options.logStream ?? process.stdout,
  );
  const file = options.file;
  let loaded: ReturnType<DaemonLoad>;
  try {
    loaded = load(file);
  } catch (err) {
    logIssues(log, `${file}: not started`, err);
    throw err;
  }
  for (const w of loaded.warnings) log.warn({ event: 'configWarning' }, w.message);
  const director = createDirector(loaded.config, options.ports ?? {});
  logEvents(director, log);
  const cleanups: (() => Promise<void> | void)[] = [];
  let control: ControlServer | undefined;
  let status: StatusServer | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });

  const reload = async (dryRun = false): Promise<{ applied: boolean; changes: readonly IpvsChange[] }> => {
    let next: ReturnType<DaemonLoad>;
    try {
      next = load(file);
    } catch (err) {
      logIssues(log, `${file}: reload refused, nothing changed`, err);
      throw err;
    }
    for (const w of next.warnings) log.warn({ event: 'configWarning' }, w.message);
    if (dryRun) {
      const changes = await director.planReload(next.config);
      log.info(
        { event: 'reloadPlanned', changes: changes.length },
        `Reload would make ${changes.length} table change(s)`,
      );
      return { applied: false, changes };
    }
    try {
      const changes = await director.reload(next.config);
      return { applied: true, changes };
    } catch (err) {
      logIssues(log, `${file}: reload refused, nothing changed`, err);
      throw err;
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.info({ event: 'stopping' }, 'Stopping');
      for (const c of cleanups.reverse()) await c();
      if (director.status().lifecycle === 'running') await director.stop();
      resolveStopped();
    })();
    return stopping;
  };

  try {
    if (options.pidFile !== undefined) {
      writePidFile(options.pidFile);
      const pidFile = options.pidFile;
      cleanups.push(() => rmSync(pidFile, { force: true }));
    }
    if (options.controlSocket !== false) {
      control = await serveControl(director, {
        path: options.controlSocket ?? '/run/lvskit/lvskit.sock',
        handlers: {
          reload: async (params) => {
            const dryRun =
              typeof params === 'object' && params !== null && (params as { dryRun?: unknown }).dryRun === true;
            const r = await reload(dryRun);
            return { applied: r.applied, changes: r.changes.map((c) => ({ ...c, text: describeChange(c) })) };
          },
        },
      });
      const c = control;
      cleanups.push(() => c.close());
    }
    await director.start();
    if (options.metricsPort !== undefined) {
      const m = await serveMetrics(directorMetrics(director), {
        port: options.metricsPort,
        host: options.metricsHost ?? '127.0.0.1',
      });
      cleanups.push(() => new Promise<void>((r) => m.close(() => r())));
      const port = (m.address() as AddressInfo).port;
      log.info({ event: 'metrics', port }, `Metrics on http://${options.metricsHost ?? '127.0.0.1'}:${port}/metrics`);
    }
    if (options.statusPort !== undefined) {
      status = await serveStatus(director, { port: options.statusPort, host: options.statusHost ?? '127.0.0.1' });
      const s = status;
      cleanups.push(() => s.close());
      log.info({ event: 'status', port: s.port }, `Status page on ${s.url}`);
    }
  } catch (err) {
    log.error({ event: 'error' }, `not started: ${(err as Error).message}`);
    await stop();
    throw err;
  }

  const onHup = () => {
    log.info({ event: 'reloading' }, `Reloading ${file} (SIGHUP)`);
    reload().catch(() => undefined);
  };
  const onTerm = () => {
    stop().catch((err: unknown) => log.error({ event: 'error' }, (err as Error).message));
  };
  process.on('SIGHUP', onHup);
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onTerm);
  cleanups.push(() => {
    process.off('SIGHUP', onHup);
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onTerm);
  });

  // ldirectord autoreload: the file's mtime is compared every checkinterval (ldirectord.in `check_cfgfile`).
  if (loaded.autoreload !== undefined && loaded.autoreload > 0) {
    let mtime = statSync(file).mtimeMs;
    const timer = setInterval(() => {
      let now: number;
      try {
        now = statSync(file).mtimeMs;
      } catch {
        return;
      }
      if (now === mtime) return;
      mtime = now;
      log.info({ event: 'reloading' }, `Reloading ${file} (autoreload: the file changed)`);
      reload().catch(() => undefined);
    }, loaded.autoreload * 1000);
    timer.unref();
    cleanups.push(() => clearInterval(timer));
  }
  return { director, reload, stop, stopped };
}
