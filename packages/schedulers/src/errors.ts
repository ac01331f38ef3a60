/**
 * The one error class of lvskit. It lives here, at the root of the dependency tree, because every other
 * package depends on this one; `@lvskit/core` re-exports it. Codes are a union that each package extends by
 * declaration merging on {@link LvsErrorCodes}, and each package exports a runtime catalogue of its codes
 * that `docs/errors.md` is checked against. Never throw anything else from a public API.
 */

/**
 * Registry of error codes. Each package adds its own codes by declaration merging:
 * `declare module '@lvskit/schedulers' { interface LvsErrorCodes { CORE_SOMETHING: true } }`.
 */
export interface LvsErrorCodes {
  /** An argument had the wrong type or was out of range. */
  INVALID_ARGUMENT: true;
  /** A real server with this address and port is already in the list. */
  SCHED_DUPLICATE_SERVER: true;
  /** The real-server handle does not name a server that is in the list. */
  SCHED_UNKNOWN_SERVER: true;
  /** The scheduler name is not one of the kernel's schedulers. */
  SCHED_UNKNOWN_SCHEDULER: true;
  /** A scheduler flag was given to a scheduler that does not accept it. */
  SCHED_INCOMPATIBLE_FLAG: true;
  /** mh: more real servers than slots in the lookup table (kernel: -EINVAL). */
  SCHED_TOO_MANY_SERVERS: true;
}

/** Every error code lvskit can throw. */
export type LvsErrorCode = keyof LvsErrorCodes;

/** One problem found while validating input: where it is, which code, and a sentence for a person. */
export interface LvsIssue {
  /** Path of the offending field, e.g. `['services', 0, 'realServers', 2, 'weight']`. */
  readonly path: readonly (string | number)[];
  /** The code of this issue. */
  readonly code: LvsErrorCode;
  /** What is wrong, for a person. */
  readonly message: string;
}

const BRAND = Symbol.for('lvskit.error');

/**
 * The error every lvskit API throws. `code` is stable and machine-readable; `issues` lists every problem
 * when a whole configuration was validated at once (nothing is applied when it is thrown).
 */
export class LvsError extends Error {
  /** Stable machine-readable code. */
  readonly code: LvsErrorCode;
  /** Every problem found, when several were collected (at least one entry). */
  readonly issues: readonly LvsIssue[];

  /**
   * @param code - the error code
   * @param message - what went wrong, for a person
   * @param options - the issues collected and an optional cause
   */
  constructor(code: LvsErrorCode, message: string, options: { issues?: readonly LvsIssue[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LvsError';
    this.code = code;
    this.issues = options.issues && options.issues.length > 0 ? options.issues : [{ path: [], code, message }];
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for any LvsError, even one created by another copy of the package. */
  static is(value: unknown): value is LvsError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const schedulerErrorCodes = {
  INVALID_ARGUMENT: 'An argument had the wrong type or was out of range.',
  SCHED_DUPLICATE_SERVER: 'A real server with this address and port is already in the scheduler list.',
  SCHED_UNKNOWN_SERVER: 'The real-server handle does not name a server in the scheduler list.',
  SCHED_UNKNOWN_SCHEDULER: 'The scheduler name is not one of the kernel schedulers.',
  SCHED_INCOMPATIBLE_FLAG:
    'A scheduler flag was given to a scheduler that does not accept it (ipvsadm: incompatible scheduler flag).',
  SCHED_TOO_MANY_SERVERS: 'mh: more real servers than slots in the Maglev lookup table.',
} as const satisfies Partial<Record<LvsErrorCode, string>>;
