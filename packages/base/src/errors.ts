/**
 * The one error class of lvskit, its code registry and the issue list that validation fills. Every package
 * extends the code union by declaration merging on {@link LvsErrorCodes} and exports a runtime catalogue of
 * its own codes (`…ErrorCodes`) that `docs/errors.md` is checked against. A public API never throws anything
 * else; this file must never grow package-specific codes beyond the few every package shares.
 */

/**
 * Registry of error codes. Each package adds its own codes by declaration merging:
 * `declare module '@lvskit/base' { interface LvsErrorCodes { CORE_SOMETHING: true } }`.
 */
export interface LvsErrorCodes {
  /** An argument had the wrong type or was out of range. */
  INVALID_ARGUMENT: true;
  /** A delay or interval is longer than Node's timers can hold (2^31 − 1 ms). */
  TIMER_RANGE: true;
}

/** Every error code lvskit can throw. */
export type LvsErrorCode = keyof LvsErrorCodes;

/** One step of a path into user input: an object key or an array index. */
export type LvsPathSegment = string | number;

/** One problem found while validating input: where it is, which code, and a sentence for a person. */
export interface LvsIssue {
  /** Path of the offending field as the user wrote it, e.g. `['services', 0, 'realServers', 2, 'weight']`. */
  readonly path: readonly LvsPathSegment[];
  /** The code of this issue. */
  readonly code: LvsErrorCode;
  /** What is wrong, for a person; names the key and the value. */
  readonly message: string;
}

const BRAND = Symbol.for('lvskit.error');

/** True when `text` holds a control character other than tab and newline (a NUL, an escape…). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f) return true;
  }
  return false;
}

/** `text` with every such control character written as `\uXXXX`: a message never carries one raw. */
function printable(text: string): string {
  if (!hasControl(text)) return text;
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    out += (c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
  }
  return out;
}

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
    const text = printable(message);
    super(text, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LvsError';
    this.code = code;
    this.issues =
      options.issues && options.issues.length > 0
        ? options.issues.map((i) => (hasControl(i.message) ? { ...i, message: printable(i.message) } : i))
        : [{ path: [], code, message: text }];
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for any LvsError, even one created by another copy of the package. */
  static is(value: unknown): value is LvsError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Formats a path for a message: `services[0].realServers[2].weight`; odd keys quoted: `vips["\u0000"]`. */
export function formatPath(path: readonly LvsPathSegment[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (!/^[A-Za-z_$][\w$-]*$/.test(p)) out += `[${JSON.stringify(p)}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

/**
 * Collects every issue of a validation, then throws once (valibot's `ValiError`): nothing is applied when
 * {@link IssueList.throwIfAny} throws. Paths are the user's own keys, never internal names.
 */
export class IssueList {
  readonly #issues: LvsIssue[] = [];

  /** Records one issue. */
  add(path: readonly LvsPathSegment[], code: LvsErrorCode, message: string): void {
    this.#issues.push({ path: [...path], code, message });
  }

  /** Records every issue of an `LvsError` (or one issue for any other thrown value), under `prefix`. */
  addError(prefix: readonly LvsPathSegment[], err: unknown, fallback: LvsErrorCode = 'INVALID_ARGUMENT'): void {
    if (LvsError.is(err)) {
      for (const i of err.issues) this.add([...prefix, ...i.path], i.code, i.message);
    } else {
      this.add(prefix, fallback, err instanceof Error ? err.message : String(err));
    }
  }

  /** Every issue so far. */
  get issues(): readonly LvsIssue[] {
    return this.#issues;
  }

  /** Number of issues so far. */
  get size(): number {
    return this.#issues.length;
  }

  /**
   * Throws one `LvsError` carrying every issue, when there is any. With one issue the message is that issue's
   * own (prefixed by its path); with several, `summary` and the count, then each issue on its own line.
   * @param code - the error's code (usually the package's `…_INVALID_CONFIG`)
   * @param summary - what was being validated, e.g. `invalid director config`
   */
  throwIfAny(code: LvsErrorCode, summary: string): void {
    if (this.#issues.length === 0) return;
    const lines = this.#issues.map((i) => (i.path.length > 0 ? `${formatPath(i.path)}: ${i.message}` : i.message));
    const message =
      lines.length === 1 ? `${summary}: ${lines[0]}` : `${summary} (${lines.length} issues):\n  ${lines.join('\n  ')}`;
    throw new LvsError(code, message, { issues: this.#issues });
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const baseErrorCodes = {
  INVALID_ARGUMENT: 'An argument had the wrong type or was out of range.',
  TIMER_RANGE: 'A delay or interval is longer than Node timers can hold (2^31 − 1 ms); the limit is in the message.',
} as const satisfies Partial<Record<LvsErrorCode, string>>;
