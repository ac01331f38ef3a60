/**
 * keepalived MISC_CHECK and ldirectord `checktype = external`: run a command; its exit status decides.
 * MISC: 0 ⇒ up; with `misc_dynamic`, 2..255 ⇒ up and weight = status − 2 (the code's formula; the man
 * page's "exit 10 ⇒ weight 10" example contradicts it, spec §8 #14); anything else ⇒ down. External:
 * `checkcommand vip|fwmark vport rip rport`, 0 ⇒ up. Both run through the `CommandRunner` port as argv —
 * keepalived splits `misc_path` into words and `execve`s them; ldirectord `exec`s the list
 * `(checkcommand, vip, vport, rip, rport)` — so neither goes through a shell here either. The runner's
 * abort (its timeout) kills the child.
 * @see keepalived/check/check_misc.c `misc_check_thread`, `misc_path_handler`; ldirectord.in `check_external`,
 * `system_timeout`
 */
import { type CommandRunner, execCommand, MAX_TIMER_DELAY_MS } from '@lvskit/base';
import { describeOutcome, splitCommandLine } from '../notify.js';
import { bool, checkOptions, duration, fn, port0, required, text } from '../options.js';
import type { Checker } from '../types.js';
import { guarded } from './common.js';

/** MISC_CHECK options. */
export interface MiscCheckOptions {
  /** `misc_path`: the script and its arguments, split into argv as keepalived does (quotes, backslashes). */
  readonly path: string;
  /** `misc_dynamic`. */
  readonly dynamic?: boolean;
  /**
   * `misc_timeout` in ms (keepalived: unset ⇒ delay_loop). The runner's timeout also applies; the script is
   * killed either way.
   */
  readonly timeoutMs?: number;
  /** `user`: run the script as this user (through `runuser`, so only when we are root). */
  readonly user?: string;
  /** Identity across reloads (default `MISC_CHECK <path>`). */
  readonly key?: string;
  /** The command runner (default `execCommand` of `@lvskit/base`); tests inject `FakeCommandRunner`. */
  readonly runner?: CommandRunner;
}

/**
 * Build a MISC_CHECK.
 * @throws LvsError `HEALTH_INVALID_CONFIG` (or `TIMER_RANGE`) for malformed options or an unsplittable path
 */
export function miscCheck(o: MiscCheckOptions): Checker {
  checkOptions(
    o,
    { path: required(text), dynamic: bool, timeoutMs: duration(1, false), user: text, key: text, runner: fn },
    'miscCheck options',
  );
  const words = splitCommandLine(o.path);
  // keepalived drops privileges to `user` before exec (check_misc.c); runuser does the same here.
  const argv = o.user === undefined ? words : ['runuser', '-u', o.user, '--', ...words];
  const runner = o.runner ?? execCommand;
  return {
    kind: 'MISC_CHECK',
    key: o.key ?? `MISC_CHECK ${o.path}`,
    check(signal) {
      return guarded(signal, async () => {
        // Without misc_timeout the runner's abort is the only limit (not the command runner's own default).
        const r = await runner(argv, { signal, timeoutMs: o.timeoutMs ?? MAX_TIMER_DELAY_MS, processGroup: true });
        if (r.timedOut || signal.aborted) return { ok: false, message: `misc check ${o.path} timed out` };
        if (r.code === 0) return { ok: true, message: `misc check ${o.path} succeeded` };
        if (o.dynamic && r.code >= 2 && r.code <= 255) {
          return { ok: true, message: `misc check ${o.path} succeeded (exit ${r.code})`, weight: r.code - 2 };
        }
        return { ok: false, message: `misc check ${o.path} failed (${describeOutcome(r)})` };
      });
    },
  };
}

/** ldirectord external check options. */
export interface ExternalCheckOptions {
  /** `checkcommand` (default /bin/true): one program path, as ldirectord execs it (not split into words). */
  readonly command?: string;
  /** The virtual address, or the fwmark for fwmark services. */
  readonly virtual: string;
  /** The virtual port. */
  readonly virtualPort: number;
  /** The real server's address. */
  readonly realServer: string;
  /** The real server's port. */
  readonly realPort: number;
  /** `checktimeout` in ms: kill the command after this long (default: only the runner's abort). */
  readonly timeoutMs?: number;
  /** Identity across reloads (default `external <command> <args>`). */
  readonly key?: string;
  /** The command runner (default `execCommand` of `@lvskit/base`); tests inject `FakeCommandRunner`. */
  readonly runner?: CommandRunner;
}

/**
 * ldirectord `check_external`: `checkcommand <vip|fwmark> <vport> <rip> <rport>`, exit 0 ⇒ up.
 * @throws LvsError `HEALTH_INVALID_CONFIG` for malformed options
 */
export function externalCheck(o: ExternalCheckOptions): Checker {
  checkOptions(
    o,
    {
      command: text,
      virtual: required(text),
      virtualPort: required(port0),
      realServer: required(text),
      realPort: required(port0),
      timeoutMs: duration(1, false),
      key: text,
      runner: fn,
    },
    'externalCheck options',
  );
  const cmd = o.command ?? '/bin/true';
  const args = [o.virtual, String(o.virtualPort), o.realServer, String(o.realPort)];
  const runner = o.runner ?? execCommand;
  return {
    kind: 'ldirectord:external',
    key: o.key ?? `external ${cmd} ${args.join(' ')}`,
    check(signal) {
      return guarded(signal, async () => {
        const r = await runner([cmd, ...args], {
          signal,
          timeoutMs: o.timeoutMs ?? MAX_TIMER_DELAY_MS,
          processGroup: true,
        });
        if (r.timedOut || signal.aborted) return { ok: false, message: `${cmd} timed out` };
        return r.code === 0
          ? { ok: true, message: `${cmd} exited 0` }
          : { ok: false, message: `${cmd} ${describeOutcome(r)}` };
      });
    },
  };
}
