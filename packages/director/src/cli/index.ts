/**
 * The `lvskit` command (issue 12 item 2): `lvskit check FILE` reads a keepalived.conf, an ldirectord.cf or an
 * `ipvsadm -S` rule file and says whether the director would run it, every issue as `file:line:col: message`.
 * Built with commander; {@link runLvskit} takes argv and the streams so tests run it in-process.
 */
import { readFileSync } from 'node:fs';
import { LvsError, type LvsIssue } from '@lvskit/base';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { DirectorConfig } from '../config.js';
import { controlRequest } from '../control/index.js';
import { DEFAULT_CONTROL_SOCKET } from '../control/lvsadm.js';
import { validateConfig } from '../director.js';
import { importIpvsadmRules } from '../import/ipvsadm.js';
import type { ImportIssue } from '../import/issues.js';
import { importKeepalived } from '../import/keepalived.js';
import { importLdirectord } from '../import/ldirectord.js';
import { runDaemon } from './daemon.js';

/** The streams and environment {@link runLvskit} uses (process.stdout/stderr/env by default). */
export interface LvskitIo {
  /** Where results go. */
  readonly stdout: { write(text: string): unknown };
  /** Where issues and usage errors go. */
  readonly stderr: { write(text: string): unknown };
  /** Environment variables (unused by `check`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * A config file format `lvskit` reads: keepalived.conf, ldirectord.cf, `ipvsadm -S` rules, or `json` — the
 * director's own {@link DirectorConfig} as JSON (every field, e.g. `announce`, `switches`, `sync.extensions`,
 * that the other formats have no keyword for; no custom checkers, which are code).
 */
export type LvskitFormat = 'keepalived' | 'ldirectord' | 'ipvsadm' | 'json';

const FORMATS: readonly LvskitFormat[] = ['keepalived', 'ldirectord', 'ipvsadm', 'json'];

/**
 * The format of a config file from its content (the file name only breaks a tie): an `ipvsadm -S` rule file is
 * lines of options starting with `-A`/`-a`/`-E`/`-e`/`-D`/`-d`/`-C`, no braces; an ldirectord.cf has
 * `virtual =`/`virtual6 =` (or `real =`, `checktype =`) at a line's start and no braces; a keepalived.conf has
 * `virtual_server`, `vrrp_instance`, `global_defs` or another block opened with `{`; a director config in JSON
 * is one JSON object (it starts with `{` and parses).
 * @returns the format, or `undefined` when no signal is found
 */
export function detectFormat(text: string, file = ''): LvskitFormat | undefined {
  if (/^\s*\{/.test(text)) {
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return 'json';
    } catch {
      // not JSON: a keepalived.conf may start with a block
    }
  }
  if (/\.json$/.test(file)) return 'json';
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.replace(/[#!].*$/, '').trim())
    .filter((l) => l !== '');
  if (lines.some((l) => /^(virtual_server(_group)?|vrrp_instance|vrrp_sync_group|vrrp_script|global_defs)\b/.test(l)))
    return 'keepalived';
  if (lines.length > 0 && lines.every((l) => /^-[AaEeDdCR]\b|^--(add|edit|delete)-(service|server)\b/.test(l)))
    return 'ipvsadm';
  if (lines.some((l) => /^(virtual6?|real|checktype|checkinterval|autoreload)\s*=/.test(l))) return 'ldirectord';
  if (lines.some((l) => l.includes('{'))) return 'keepalived';
  if (/\.cf$/.test(file)) return 'ldirectord';
  if (/\.conf$/.test(file)) return 'keepalived';
  return undefined;
}

interface Loaded {
  readonly config: DirectorConfig;
  /** Printed as `file:line:col: warning: …`. */
  readonly warnings: readonly ImportIssue[];
  /** Warnings the original daemon's own config test fails on (keepalived -t); they make `check` exit 1. */
  readonly refusals: readonly ImportIssue[];
  /** ldirectord `autoreload = yes`: how often to look at the file (its `checkinterval`), seconds. */
  readonly autoreload?: number;
}

function load(text: string, file: string, format: LvskitFormat): Loaded {
  if (format === 'json') {
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch (err) {
      throw new LvsError('DIRECTOR_IMPORT_FAILED', `${file}: not JSON: ${(err as Error).message}`);
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config))
      throw new LvsError('DIRECTOR_IMPORT_FAILED', `${file}: a director config is one JSON object`);
    return { config: config as DirectorConfig, warnings: [], refusals: [] };
  }
  if (format === 'keepalived') {
    const r = importKeepalived(text, { file });
    const refused = new Set(r.keepalivedComplaints);
    return {
      config: r.config,
      warnings: r.warnings.filter((w) => !refused.has(w)),
      refusals: r.keepalivedComplaints,
    };
  }
  if (format === 'ldirectord') {
    const r = importLdirectord(text, { file });
    return {
      config: r.config,
      warnings: r.warnings,
      refusals: [],
      ...(r.daemon.autoreload ? { autoreload: r.daemon.checkinterval } : {}),
    };
  }
  const r = importIpvsadmRules(text, { file });
  return { config: r.config, warnings: r.warnings, refusals: [] };
}

/** Reads `file` in `format` (detected when not given) for the daemon: the config and every warning. */
function loadFile(file: string, format: LvskitFormat | undefined): ReturnType<typeof load> {
  const text = readFileSync(file, 'utf8');
  const f = format ?? detectFormat(text, file);
  if (f === undefined)
    throw new LvsError(
      'DIRECTOR_IMPORT_FAILED',
      `${file}: cannot tell the format (keepalived, ldirectord, ipvsadm or json); give --format`,
    );
  const loaded = load(text, file, f);
  return { ...loaded, warnings: [...loaded.warnings, ...loaded.refusals] };
}

const DEFAULT_SOCKET = DEFAULT_CONTROL_SOCKET;

/** Writes each issue of a refused file as `file:line:col: message` (the error itself when it has none). */
function printIssues(file: string, err: LvsError, io: LvskitIo): void {
  const issues = err.issues.length > 0 ? err.issues : [{ path: [], code: err.code, message: err.message }];
  for (const i of issues) io.stderr.write(`${issueLine(file, i as LvsIssue)}\n`);
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port 0..65535');
  return n;
}

interface RunFlags {
  format?: LvskitFormat;
  pidFile?: string;
  controlSocket?: string;
  control?: boolean;
  metricsPort?: number;
  metricsHost?: string;
  statusPort?: number;
  statusHost?: string;
  logLevel?: string;
}

async function run(file: string, flags: RunFlags, io: LvskitIo): Promise<number> {
  let daemon: Awaited<ReturnType<typeof runDaemon>>;
  // The format is decided once, at start: a reload reads the file as what it was.
  let format = flags.format;
  try {
    format ??= detectFormat(readFileSync(file, 'utf8'), file);
  } catch {
    // unreadable: runDaemon's first load reports it
  }
  try {
    daemon = await runDaemon(
      {
        file,
        controlSocket:
          flags.control === false ? false : (flags.controlSocket ?? io.env?.LVSKIT_SOCKET ?? DEFAULT_SOCKET),
        ...(flags.pidFile !== undefined ? { pidFile: flags.pidFile } : {}),
        ...(flags.metricsPort !== undefined ? { metricsPort: flags.metricsPort } : {}),
        ...(flags.metricsHost !== undefined ? { metricsHost: flags.metricsHost } : {}),
        ...(flags.statusPort !== undefined ? { statusPort: flags.statusPort } : {}),
        ...(flags.statusHost !== undefined ? { statusHost: flags.statusHost } : {}),
        ...(flags.logLevel !== undefined ? { logLevel: flags.logLevel } : {}),
        logStream: io.stdout,
      },
      (f) => loadFile(f, format),
    );
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    printIssues(file, err, io);
    return 1;
  }
  await daemon.stopped;
  return 0;
}

async function reloadCommand(flags: { dryRun?: boolean; controlSocket?: string }, io: LvskitIo): Promise<number> {
  const path = flags.controlSocket ?? io.env?.LVSKIT_SOCKET ?? DEFAULT_SOCKET;
  try {
    const r = (await controlRequest(path, 'reload', { dryRun: flags.dryRun === true }, { timeoutMs: 30_000 })) as {
      applied: boolean;
      changes: { text: string }[];
    };
    for (const c of r.changes) io.stdout.write(`${c.text}\n`);
    io.stdout.write(
      `${r.changes.length} table change(s)${r.applied ? ' applied' : ' planned (dry run: nothing applied)'}\n`,
    );
    return 0;
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    io.stderr.write(`lvskit reload: ${err.message}\n`);
    return 1;
  }
}

async function drainCommand(flags: { controlSocket?: string }, io: LvskitIo): Promise<number> {
  const path = flags.controlSocket ?? io.env?.LVSKIT_SOCKET ?? DEFAULT_SOCKET;
  try {
    // As long as the director's drain.timeoutMs, plus a margin: the answer comes when the drain ends.
    const r = (await controlRequest(path, 'drain', {}, { timeoutMs: 2 ** 31 - 1 })) as { reason: string };
    io.stdout.write(
      r.reason === 'drained'
        ? 'drained: VIPs withdrawn, no connection left, BGP speaker stopped\n'
        : 'drain timeout: VIPs withdrawn, connections left, BGP speaker stopped\n',
    );
    return 0;
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    io.stderr.write(`lvskit drain: ${err.message}\n`);
    return 1;
  }
}

/** `file:line:col: warning: …` from an issue whose message is `file:line:col: …`. */
function warningLine(w: ImportIssue): string {
  const prefix = `${w.file}:${w.line}:${w.column}: `;
  return w.message.startsWith(prefix) ? `${prefix}warning: ${w.message.slice(prefix.length)}` : `warning: ${w.message}`;
}

function issueLine(file: string, i: LvsIssue): string {
  const m = i.message;
  if (/^[^\s:]+:\d+:\d+: /.test(m)) return m;
  const where = i.path.length > 0 ? ` (at ${i.path.join('.')})` : '';
  return `${file}: ${m}${where}`;
}

/** JSON of a normalised config: Maps as objects (or entry arrays for non-string keys), Sets as arrays. */
function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (v instanceof Map) {
        const entries = [...v.entries()];
        return entries.every(([k]) => typeof k === 'string') ? Object.fromEntries(entries) : entries;
      }
      if (v instanceof Set) return [...v];
      if (typeof v === 'bigint') return v.toString();
      return v;
    },
    2,
  );
}

async function check(file: string, opts: { format?: LvskitFormat; json?: boolean }, io: LvskitIo): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    io.stderr.write(`${file}: cannot read: ${(err as Error).message}\n`);
    return 1;
  }
  const format = opts.format ?? detectFormat(text, file);
  if (format === undefined) {
    io.stderr.write(`${file}: cannot tell the format (keepalived, ldirectord, ipvsadm or json); give --format\n`);
    return 2;
  }
  try {
    const loaded = load(text, file, format);
    const normalized = validateConfig(loaded.config);
    for (const w of loaded.warnings) io.stderr.write(`${warningLine(w)}\n`);
    for (const w of loaded.refusals) io.stderr.write(`${w.message}\n`);
    if (opts.json === true) io.stdout.write(`${toJson(normalized)}\n`);
    return loaded.refusals.length === 0 ? 0 : 1;
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    printIssues(file, err, io);
    return 1;
  }
}

/**
 * Runs the `lvskit` command line.
 * @param argv the arguments after the program name (`process.argv.slice(2)`)
 * @param io the streams; default the process's
 * @returns the exit code: 0 success, 1 the config would not run, 2 usage error
 */
export async function runLvskit(
  argv: readonly string[],
  io: LvskitIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  let code = 0;
  const program = new Command('lvskit')
    .description('Run and check LVS director configs (keepalived.conf, ldirectord.cf, ipvsadm -S rules)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  program
    .command('check')
    .description('say whether the director would run FILE; every issue as file:line:col: message')
    .argument('<file>', 'config file')
    .addOption(new Option('--format <format>', 'config format (detected when not given)').choices(FORMATS))
    .option('--json', 'print the normalised config the daemon would run')
    .action(async (file: string, opts: { format?: LvskitFormat; json?: boolean }) => {
      code = await check(file, opts, io);
    });
  program
    .command('run')
    .description('run the director FILE describes (SIGHUP reloads, SIGTERM stops)')
    .argument('<file>', 'config file')
    .addOption(new Option('--format <format>', 'config format (detected when not given)').choices(FORMATS))
    .option('--pid-file <path>', 'write the pid here (refused when it names a live process)')
    .option(
      '--control-socket <path>',
      `control socket for lvsadm and lvskit reload (default $LVSKIT_SOCKET or ${DEFAULT_SOCKET})`,
    )
    .option('--no-control', 'serve no control socket')
    .option('--metrics-port <port>', 'serve Prometheus metrics on this port', port)
    .option('--metrics-host <host>', 'metrics address (default 127.0.0.1)')
    .option('--status-port <port>', 'serve the status page on this port', port)
    .option('--status-host <host>', 'status page address (default 127.0.0.1)')
    .addOption(
      new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
    )
    .action(async (file: string, flags: RunFlags) => {
      code = await run(file, flags, io);
    });
  program
    .command('reload')
    .description('make the running daemon re-read its file; --dry-run prints the change set without applying it')
    .option('--dry-run', 'print the changes only')
    .option('--control-socket <path>', `the daemon's control socket (default $LVSKIT_SOCKET or ${DEFAULT_SOCKET})`)
    .action(async (flags: { dryRun?: boolean; controlSocket?: string }) => {
      code = await reloadCommand(flags, io);
    });
  program
    .command('drain')
    .description(
      'scale-out drain of the running daemon: withdraw its VIPs by BGP, keep forwarding until its connections are gone or drain.timeoutMs, then stop announcing',
    )
    .option('--control-socket <path>', `the daemon's control socket (default $LVSKIT_SOCKET or ${DEFAULT_SOCKET})`)
    .action(async (flags: { controlSocket?: string }) => {
      code = await drainCommand(flags, io);
    });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return 2;
    }
    throw err;
  }
  return code;
}
