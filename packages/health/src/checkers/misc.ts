/**
 * keepalived MISC_CHECK and ldirectord `checktype = external`: run a command; its exit status decides.
 * MISC: 0 ⇒ up; with `misc_dynamic`, 2..255 ⇒ up and weight = status − 2 (the code's formula; the man
 * page's "exit 10 ⇒ weight 10" example contradicts it, spec §8 #14); anything else ⇒ down. External:
 * `checkcommand vip|fwmark vport rip rport`, 0 ⇒ up. A timeout kills the whole process group.
 * @see keepalived/check/check_misc.c `misc_check_child_thread`; ldirectord.in `check_external`
 */
import { runScript } from '../notify.js';
import type { Checker } from '../types.js';
import { guarded } from './common.js';

/** MISC_CHECK options. */
export interface MiscCheckOptions {
  /** `misc_path`: the command line (run by /bin/sh -c). */
  readonly path: string;
  /** `misc_dynamic`. */
  readonly dynamic?: boolean;
  /**
   * `misc_timeout` (keepalived: unset ⇒ delay_loop). The runner's timeout also applies; the process
   * group is killed either way.
   */
  readonly timeoutMs?: number;
  /** `user`: run the script as this user (through `runuser`, so only when we are root). */
  readonly user?: string;
  readonly key?: string;
}

/** Build a MISC_CHECK. */
export function miscCheck(o: MiscCheckOptions): Checker {
  return {
    kind: 'MISC_CHECK',
    key: o.key ?? `MISC_CHECK ${o.path}`,
    check(signal) {
      return guarded(signal, async () => {
        // keepalived drops privileges to `user` before exec (check_misc.c); runuser does the same here.
        const cmd =
          o.user === undefined ? o.path : `exec runuser -u ${shellQuote(o.user)} -- /bin/sh -c ${shellQuote(o.path)}`;
        const r = await runScript(cmd, { signal, ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) });
        if (r.error) return { ok: false, message: `misc check ${o.path} could not start: ${r.error}` };
        if (r.timedOut) return { ok: false, message: `misc check ${o.path} timed out` };
        if (r.status === null) return { ok: false, message: `misc check ${o.path} failed (due to signal ${r.signal})` };
        if (r.status === 0) return { ok: true, message: `misc check ${o.path} succeeded` };
        if (o.dynamic && r.status >= 2 && r.status <= 255) {
          return { ok: true, message: `misc check ${o.path} succeeded (exit ${r.status})`, weight: r.status - 2 };
        }
        return { ok: false, message: `misc check ${o.path} failed (exited with status ${r.status})` };
      });
    },
  };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** ldirectord external check options. */
export interface ExternalCheckOptions {
  /** `checkcommand` (default /bin/true). */
  readonly command?: string;
  /** The virtual address, or the fwmark for fwmark services. */
  readonly virtual: string;
  readonly virtualPort: number;
  readonly realServer: string;
  readonly realPort: number;
  readonly key?: string;
}

/** ldirectord `check_external`: `checkcommand <vip|fwmark> <vport> <rip> <rport>`, exit 0 ⇒ up. */
export function externalCheck(o: ExternalCheckOptions): Checker {
  const cmd = o.command ?? '/bin/true';
  const args = [o.virtual, String(o.virtualPort), o.realServer, String(o.realPort)];
  return {
    kind: 'ldirectord:external',
    key: o.key ?? `external ${cmd} ${args.join(' ')}`,
    check(signal) {
      return guarded(signal, async () => {
        const r = await runScript(cmd, { signal, args });
        if (r.error) return { ok: false, message: `${cmd} could not start: ${r.error}` };
        return r.status === 0
          ? { ok: true, message: `${cmd} exited 0` }
          : { ok: false, message: `${cmd} ${r.timedOut ? 'timed out' : `exited ${r.status ?? r.signal}`}` };
      });
    },
  };
}
