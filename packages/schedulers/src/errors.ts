/**
 * The error codes @lvskit/schedulers throws, declared into the shared `LvsErrorCodes` union of
 * `@lvskit/base` by declaration merging, and their catalogue that `docs/errors.md` is checked against. Owns
 * codes only; the error class itself is `@lvskit/base`'s `LvsError`.
 */
import type { LvsErrorCode } from '@lvskit/base';

declare module '@lvskit/base' {
  interface LvsErrorCodes {
    SCHED_DUPLICATE_SERVER: true;
    SCHED_UNKNOWN_SERVER: true;
    SCHED_UNKNOWN_SCHEDULER: true;
    SCHED_INCOMPATIBLE_FLAG: true;
    SCHED_TOO_MANY_SERVERS: true;
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const schedulerErrorCodes = {
  SCHED_DUPLICATE_SERVER: 'A real server with this address and port is already in the scheduler list.',
  SCHED_UNKNOWN_SERVER: 'The real-server handle does not name a server in the scheduler list.',
  SCHED_UNKNOWN_SCHEDULER: 'The scheduler name is not one of the kernel schedulers.',
  SCHED_INCOMPATIBLE_FLAG:
    'A scheduler flag was given to a scheduler that does not accept it (ipvsadm: incompatible scheduler flag).',
  SCHED_TOO_MANY_SERVERS: 'mh: more real servers than slots in the Maglev lookup table.',
} as const satisfies Partial<Record<LvsErrorCode, string>>;
