/**
 * The shape checks every health entry point runs on what it is given: each option of a checker factory,
 * each keyword of a keepalived checker block or an ldirectord section, each field of a policy. A rule says
 * what a value must be; `checkRecord` applies a table of rules to an object, reporting unknown keys, `null`s
 * and wrong values — every one, with the key as the caller wrote it and the value — into an
 * {@link IssueList}. Nothing here builds a checker or decides health.
 */
import {
  checkDelay,
  describe,
  IssueList,
  LvsError,
  type LvsPathSegment,
  MAX_TIMER_DELAY_MS,
  parseIp,
} from '@lvskit/base';

// Rules made by optional(): checkArgs lets an undefined argument pass them.
const OPTIONAL = new WeakSet<(v: unknown, path: readonly LvsPathSegment[], issues: IssueList, key: string) => void>();

/** A path into user input. */
export type Path = readonly LvsPathSegment[];

/**
 * One rule: returns nothing when `v` is acceptable; otherwise records its issues under `path` (usually one,
 * naming the key and the value) into `issues`.
 */
export type Rule = (v: unknown, path: Path, issues: IssueList, key: string) => void;

/** True for a plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own property only (a user string never reaches `Object.prototype`). */
export function own(o: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

const bad = (issues: IssueList, path: Path, key: string, what: string, v: unknown) =>
  issues.add(path, 'HEALTH_INVALID_CONFIG', `${key} must be ${what}, got ${describe(v)}`);

/** Calls `fn` for every index of `arr`, holes of a sparse array included (as undefined), unlike forEach. */
export function each<T>(arr: readonly T[], fn: (v: T, i: number) => void): void {
  for (let i = 0; i < arr.length; i++) fn(arr[i] as T, i);
}

/** A rule from a predicate and the sentence that describes an acceptable value. */
export function rule(test: (v: unknown) => boolean, what: string): Rule {
  return (v, path, issues, key) => {
    if (!test(v)) bad(issues, path, key, what, v);
  };
}

/** Any string (possibly empty). */
export const anyString: Rule = rule((v) => typeof v === 'string', 'a string');
/** A non-empty string. */
export const text: Rule = rule((v) => typeof v === 'string' && v !== '', 'a non-empty string');
/** true or false. */
export const bool: Rule = rule((v) => typeof v === 'boolean', 'true or false');
/** A TCP/UDP port 1..65535. */
export const port: Rule = rule(
  (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535,
  'a port 1..65535',
);
/** A port 0..65535 (0: none, as for a firewall-mark real server). */
export const port0: Rule = rule(
  (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535,
  'a port 0..65535',
);
/** A finite number > 0. */
export const positiveNumber: Rule = rule(
  (v) => typeof v === 'number' && Number.isFinite(v) && v > 0,
  'a positive number',
);
/** A function. */
export const fn: Rule = rule((v) => typeof v === 'function', 'a function');
/** A RegExp object. */
export const regexp: Rule = rule((v) => v instanceof RegExp, 'a RegExp');
/** A string or a Buffer/Uint8Array (PEM material). */
export const pem: Rule = rule((v) => typeof v === 'string' || v instanceof Uint8Array, 'a string or a Buffer');
/** A Buffer/Uint8Array. */
export const bytes: Rule = rule((v) => v instanceof Uint8Array, 'a Buffer');
/** An AbortSignal. */
export const abortSignal: Rule = rule((v) => v instanceof AbortSignal, 'an AbortSignal');

/** An integer in `min..max`. */
export function int(min: number, max = Number.MAX_SAFE_INTEGER): Rule {
  return rule((v) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max, `an integer ${min}..${max}`);
}

/** One of `values`. */
export function oneOf(values: readonly unknown[]): Rule {
  return rule((v) => values.includes(v), `one of ${values.map((x) => describe(x)).join(', ')}`);
}

/** Either rule. */
export function either(a: Rule, b: Rule, what: string): Rule {
  return (v, path, issues, key) => {
    const probe = new IssueList();
    a(v, path, probe, key);
    if (probe.size === 0) return;
    const probe2 = new IssueList();
    b(v, path, probe2, key);
    if (probe2.size === 0) return;
    bad(issues, path, key, what, v);
  };
}

/** An IP address (IPv4 or IPv6 text). */
export const ip: Rule = (v, path, issues, key) => {
  if (typeof v !== 'string') return bad(issues, path, key, 'an IP address', v);
  try {
    parseIp(v);
  } catch {
    bad(issues, path, key, 'an IP address', v);
  }
};

/**
 * A duration given in `unit` ms (1 for ms, 1000 for keepalived/ldirectord seconds): a finite number, > 0
 * unless `allowZero`, and short enough for a timer — longer is `TIMER_RANGE` with the limit.
 */
export function duration(unit: number, allowZero: boolean): Rule {
  return (v, path, issues, key) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      return bad(
        issues,
        path,
        key,
        `a ${allowZero ? 'non-negative' : 'positive'} number of ${unit === 1 ? 'ms' : 'seconds'}`,
        v,
      );
    }
    try {
      checkDelay(v * unit, key);
    } catch (err) {
      if (!LvsError.is(err)) throw err;
      const limit = unit === 1 ? `${MAX_TIMER_DELAY_MS} ms` : `${Math.floor(MAX_TIMER_DELAY_MS / unit)} s`;
      issues.add(
        path,
        'TIMER_RANGE',
        `${key} of ${v} ${unit === 1 ? 'ms' : 's'} is longer than a timer can hold (at most ${limit}, about 24.8 days)`,
      );
    }
  };
}

/** An array whose every element passes `each` (paths `[…, i]`). */
export function arrayOf(item: Rule, what = 'an array'): Rule {
  return (v, path, issues, key) => {
    if (!Array.isArray(v)) return bad(issues, path, key, what, v);
    each(v, (x, i) => {
      item(x, [...path, i], issues, `${key}[${i}]`);
    });
  };
}

/** Rules of a record's keys; a key listed with `required: true` must be present. */
export type Shape = Readonly<Record<string, Rule | { readonly rule: Rule; readonly required: true }>>;

/**
 * Checks an object against `shape`: not an object, an unknown key, a `null`, a missing required key and
 * every rule failure are issues, all of them recorded.
 * @returns the object when it is one (even with issues), else undefined
 */
export function checkRecord(
  v: unknown,
  shape: Shape,
  path: Path,
  issues: IssueList,
  what: string,
): Record<string, unknown> | undefined {
  if (!isRecord(v)) {
    issues.add(path, 'HEALTH_INVALID_CONFIG', `${what} must be an object, got ${describe(v)}`);
    return undefined;
  }
  const known = Object.keys(shape);
  for (const k of Object.keys(v)) {
    if (!Object.hasOwn(shape, k)) {
      issues.add(
        [...path, k],
        'HEALTH_INVALID_CONFIG',
        `unknown key ${describe(k)} in ${what} (value ${describe(v[k])}; known: ${known.join(', ')})`,
      );
    }
  }
  for (const k of known) {
    const s = shape[k] as Shape[string];
    const r = typeof s === 'function' ? s : s.rule;
    const x = own(v, k);
    if (x === undefined) {
      if (typeof s !== 'function') issues.add([...path, k], 'HEALTH_INVALID_CONFIG', `${what} needs ${k}`);
      continue;
    }
    if (x === null) {
      issues.add([...path, k], 'HEALTH_INVALID_CONFIG', `${k} must not be null (leave it out for the default)`);
      continue;
    }
    r(x, [...path, k], issues, k);
  }
  return v;
}

/** A required key. */
export function required(r: Rule): { readonly rule: Rule; readonly required: true } {
  return { rule: r, required: true };
}

/** Validates the options of an exported factory; throws `HEALTH_INVALID_CONFIG` with every issue. */
export function checkOptions(o: unknown, shape: Shape, what: string): void {
  const issues = new IssueList();
  checkRecord(o, shape, [], issues, what);
  throwIssues(issues, `invalid ${what}`);
}

/** Throws one LvsError carrying every issue (code: the first issue's), nothing when there are none. */
export function throwIssues(issues: IssueList, summary: string): void {
  if (issues.size === 0) return;
  issues.throwIfAny(issues.issues[0]?.code ?? 'HEALTH_INVALID_CONFIG', summary);
}

/**
 * Validates the arguments of an exported function (`[name, rule, value]` each); throws `INVALID_ARGUMENT`
 * (or `TIMER_RANGE`) with every issue, paths by argument name.
 */
export function checkArgs(what: string, args: readonly (readonly [string, Rule, unknown])[]): void {
  const found = new IssueList();
  for (const [name, r, v] of args) {
    if (v === undefined && OPTIONAL.has(r)) continue;
    if (v === undefined || v === null) found.add([name], 'INVALID_ARGUMENT', `${name} is required, got ${describe(v)}`);
    else r(v, [name], found, name);
  }
  const issues = new IssueList();
  for (const i of found.issues) issues.add(i.path, i.code === 'TIMER_RANGE' ? i.code : 'INVALID_ARGUMENT', i.message);
  throwIssues(issues, `invalid ${what} arguments`);
}

/** An optional argument: undefined passes, anything else must pass `r`. */
export function optional(r: Rule): Rule {
  const o: Rule = (v, path, issues, key) => {
    if (v !== undefined) r(v, path, issues, key);
  };
  OPTIONAL.add(o);
  return o;
}
