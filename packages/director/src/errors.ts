/**
 * The error codes @lvskit/director throws, merged into `@lvskit/base`'s `LvsErrorCodes`, and their catalogue
 * that `docs/errors.md` is checked against. Codes only: everything throws base's `LvsError`.
 */
import type { LvsErrorCode } from '@lvskit/base';

declare module '@lvskit/base' {
  interface LvsErrorCodes {
    DIRECTOR_INVALID_CONFIG: true;
    DIRECTOR_STATE: true;
    DIRECTOR_IMPORT_FAILED: true;
    DIRECTOR_CONTROL_FAILED: true;
    DIRECTOR_CONTROL_UNREACHABLE: true;
    DIRECTOR_SYNC: true;
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const directorErrorCodes = {
  DIRECTOR_INVALID_CONFIG:
    'A director configuration (or a reload) was refused; `issues` lists every problem with its path and nothing was applied.',
  DIRECTOR_STATE: 'A director lifecycle call came at the wrong time (start twice, reload or stop before start).',
  DIRECTOR_IMPORT_FAILED:
    'A keepalived.conf (or another foreign config) could not be imported; each issue carries its file, line and column, as `file:line:col: message`.',
  DIRECTOR_CONTROL_FAILED:
    "A control-socket request was refused or failed (bad params, unknown method, socket already served); the server's own code is the error's `cause.code`.",
  DIRECTOR_CONTROL_UNREACHABLE:
    'No director answered on the control socket path (not running, wrong path, no answer in time).',
  DIRECTOR_SYNC:
    'A sync daemon call came at the wrong time: a daemon of that role already runs (start), none runs (stop), or the director is not running.',
} as const satisfies Partial<Record<LvsErrorCode, string>>;
