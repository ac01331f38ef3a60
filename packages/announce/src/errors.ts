/**
 * The error codes @lvskit/announce adds to `LvsError`, by declaration merging, and their catalogue that
 * `docs/errors.md` is checked against. This file must never define another error class.
 */
import type { LvsErrorCode } from '@lvskit/base';

declare module '@lvskit/base' {
  interface LvsErrorCodes {
    /** A route announcer option is missing or out of range. */
    ANNOUNCE_INVALID_OPTION: true;
    /** The routing daemon could not be started, answered an error, or exited. */
    ANNOUNCE_DAEMON_FAILED: true;
    /** A route announcer call came at the wrong time (announce before start, start twice). */
    ANNOUNCE_STATE: true;
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const announceErrorCodes = {
  ANNOUNCE_INVALID_OPTION:
    'A route announcer option is missing or out of range (AS number, router id, peer address, prefix, timer).',
  ANNOUNCE_DAEMON_FAILED:
    'The routing daemon (gobgpd) could not be started, did not answer on its API, refused a command, or exited.',
  ANNOUNCE_STATE: 'A route announcer call came at the wrong time (announce before start or after stop, start twice).',
} as const satisfies Partial<Record<LvsErrorCode, string>>;
