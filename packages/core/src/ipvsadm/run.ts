/**
 * Executes ipvsadm command lines against an {@link IpvsadmTarget} and returns what the real program would
 * have written and exited with: `runIpvsadm` for one invocation, `restore` for `ipvsadm -R` (and, on request,
 * the `ipvsadm-restore` script). Owns the mapping of errors to stderr and exit codes (ipvsadm.c `main`,
 * `process_options`, `restore_table`, `fail`); must never parse or format on its own or swallow an error
 * that is not an `LvsError`.
 */
import { LvsError } from '@lvskit/base';
import { ipvsadmError } from './errors.js';
import {
  formatConnections,
  formatDaemons,
  formatHelp,
  formatList,
  formatSave,
  formatServiceList,
  formatTimeouts,
  formatVersion,
} from './format.js';
import { serviceKeyEquals } from './keys.js';
import { isOptionError, type ParseIpvsadmOptions, parseIpvsadm, splitIpvsadmLine } from './parse.js';
import type { IpvsadmCommand, IpvsadmResult, IpvsadmTarget } from './types.js';

/** Options of {@link runIpvsadm}. */
export interface RunIpvsadmOptions extends ParseIpvsadmOptions {
  /** What `-R` reads as standard input. */
  readonly stdin?: string;
}

/** Options of {@link restore}. */
export interface RestoreOptions extends ParseIpvsadmOptions {
  /**
   * Behave like the `ipvsadm-restore` script instead of `ipvsadm -R`: drop lines starting with `#` and
   * run `ipvsadm -C` first.
   */
  readonly script?: boolean;
}

/** A run in progress: output accumulated and the exit status to report. */
class Outcome {
  stdout = '';
  stderr = '';
}

/** An early `exit(status)` out of ipvsadm (fail(), tryhelp_exit(), usage_exit()). */
class Exit {
  constructor(readonly status: number) {}
}

function exitCodeOf(err: LvsError): number {
  return err.code === 'IPVSADM_BAD_COMMAND' ? 2 : 255;
}

/**
 * One pass of ipvsadm.c `process_options`. Returns the command's result (0 or -1 as ipvsadm's `result`),
 * or throws {@link Exit} where ipvsadm calls `exit()`.
 */
function processOptions(
  target: IpvsadmTarget,
  input: readonly string[],
  out: Outcome,
  options: RunIpvsadmOptions,
  readingStdin: boolean,
): number {
  let cmd: IpvsadmCommand;
  try {
    cmd = parseIpvsadm(input, options);
  } catch (err) {
    if (isOptionError(err)) {
      // parse_options: `fprintf(stderr, "%s: %s\n", poptBadOption(), poptStrerror(c)); return -1;` — not an
      // exit, so a restore skips this line and goes on.
      out.stderr += `${(err as LvsError).message}\n`;
      return -1;
    }
    if (LvsError.is(err) && (err.code === 'IPVSADM_BAD_COMMAND' || err.code === 'IPVSADM_USAGE')) {
      out.stderr += `${err.message}\n`;
      throw new Exit(exitCodeOf(err));
    }
    throw err;
  }
  const program = options.program ?? 'ipvsadm';
  switch (cmd.command) {
    case 'help':
      out.stdout += formatHelp(program);
      throw new Exit(0);
    case 'version':
      out.stdout += formatVersion();
      throw new Exit(0);
    case 'list': {
      const snap = target.snapshot();
      if (cmd.what === 'connections') {
        out.stdout += formatConnections(snap.connections, { persistentConn: cmd.format.persistentConn });
      } else if (cmd.service) {
        const key = cmd.service;
        const entry = snap.services.find((s) => serviceKeyEquals(s.key, key));
        if (!entry) {
          out.stderr += 'No such service\n';
          throw new Exit(1);
        }
        out.stdout += formatServiceList(entry, cmd.format);
      } else if (cmd.what === 'timeout') out.stdout += formatTimeouts(snap.timeouts);
      else if (cmd.what === 'daemon') out.stdout += formatDaemons(snap.daemons);
      else out.stdout += formatList(snap, cmd.format);
      return 0;
    }
    case 'save':
      out.stdout += formatSave(target.snapshot());
      return 0;
    case 'restore': {
      // restore_table: "avoid infinite loop"
      if (readingStdin) {
        out.stderr += `Try \`${program} -h' or '${program} --help' for more information.\n`;
        throw new Exit(255);
      }
      let result = 0;
      for (const line of (options.stdin ?? '').split('\n')) {
        const words = splitIpvsadmLine(line);
        if (words.length === 0) continue;
        // Each line's result replaces the previous one: ipvsadm -R exits with the last line's status.
        result = processOptions(target, words, out, options, true);
      }
      return result;
    }
    default:
      break;
  }
  try {
    switch (cmd.command) {
      case 'flush':
        target.flush();
        break;
      case 'add-service':
        target.addService(cmd.service);
        break;
      case 'edit-service':
        target.editService(cmd.service);
        break;
      case 'delete-service':
        target.deleteService(cmd.service);
        break;
      case 'zero':
        if (cmd.service) target.zero(cmd.service);
        else target.zero();
        break;
      case 'add-server':
        target.addServer(cmd.service, cmd.server);
        break;
      case 'edit-server':
        target.editServer(cmd.service, cmd.server);
        break;
      case 'delete-server':
        target.deleteServer(cmd.service, cmd.server);
        break;
      case 'set':
        target.setTimeouts(cmd.timeouts);
        break;
      case 'start-daemon':
        if (!target.startDaemon) throw ipvsadmError('not-available');
        target.startDaemon(cmd.daemon);
        break;
      case 'stop-daemon':
        if (!target.stopDaemon) throw ipvsadmError('not-available');
        target.stopDaemon(cmd.state);
        break;
    }
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    // `fprintf(stderr, "%s\n", ipvs_strerror(errno))`, result -1.
    out.stderr += `${err.message}\n`;
    return -1;
  }
  return 0;
}

/**
 * Runs one ipvsadm invocation against `target`, as the program would: parse, check, apply or list, and
 * report `{ exitCode, stdout, stderr }`. Exit statuses follow ipvsadm 1.31: 0 success, 2 rejected command
 * line (`fail`), 255 for the usage hint, option-parser errors and refused kernel operations, 1 for a list
 * of a missing service. Output is numeric whether or not `-n` is given (lvskit resolves no names).
 * @param target - the director or table the command acts on
 * @param input - argv words (leading `ipvsadm` optional) or one text line
 * @param options - `stdin` for `-R`, name resolution, program name
 * @example `runIpvsadm(table, '-A -t 192.0.2.1:80 -s rr')` → `{ exitCode: 0, stdout: '', stderr: '' }`
 */
export function runIpvsadm(
  target: IpvsadmTarget,
  input: readonly string[] | string,
  options: RunIpvsadmOptions = {},
): IpvsadmResult {
  const out = new Outcome();
  const words = typeof input === 'string' ? splitIpvsadmLine(input) : input;
  let exitCode: number;
  try {
    exitCode = processOptions(target, words, out, options, false) & 0xff;
  } catch (err) {
    if (!(err instanceof Exit)) throw err;
    exitCode = err.status;
  }
  return { exitCode, stdout: out.stdout, stderr: out.stderr };
}

/**
 * `ipvsadm -R` with `text` as standard input: each line is one command (optional `ipvsadm` words dropped);
 * a line ipvsadm rejects (`fail()`, the usage hint) stops the whole restore with its exit status; an option
 * error after a line's first option (`unknown option`, `missing argument`) and a refused operation are
 * reported, that line is skipped and the restore goes on, as ipvsadm 1.31 does; the exit status is the last
 * line's. A file written by `ipvsadm -S -n`
 * loads back and saves identically.
 * @param target - the director or table to load into
 * @param text - the rules
 * @param options - `script: true` behaves as the `ipvsadm-restore` script (strip `#` lines, `-C` first)
 */
export function restore(target: IpvsadmTarget, text: string, options: RestoreOptions = {}): IpvsadmResult {
  if (!options.script) return runIpvsadm(target, ['-R'], { ...options, stdin: text });
  const kept = text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
  const cleared = runIpvsadm(target, ['-C'], options);
  if (cleared.exitCode !== 0) return cleared;
  return runIpvsadm(target, ['-R'], { ...options, stdin: kept });
}
