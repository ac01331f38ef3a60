/**
 * The one fuzz harness every entry point's fuzz test uses: hostile values of every JSON shape (and the
 * shapes JSON cannot hold: undefined, NaN, ±Infinity, -0, 2^31, 2^53, strings with NUL, object built-in
 * names), mutations of a valid input at a random path, and the one rule — a call either succeeds or throws
 * an `LvsError` whose code is a registered code and whose every issue carries a code and a path.
 */
import { LvsError } from '@lvskit/base';
import fc from 'fast-check';
import { expect } from 'vitest';

/** Numbers that break naive validation. */
export const hostileNumber = fc.constantFrom(
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  -1,
  0.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  65_536,
  70_000,
  1e300,
);

/** Strings that break naive validation. */
export const hostileString = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '198.18.0.100/',
  '198.18.0.100/33',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
  '::',
  'ff02::1',
  '2001:2::1',
  '198.18.0.1:80',
  '[2001:2::1]:80',
  '1e3',
  '-1',
  'x'.repeat(5000),
);

/** Any value a config or an argument could hold, hostile ones weighted in. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, true, false, [], {}, [null], { __proto__: null }) },
);

/** One change to a valid input: set a path to a value, delete a key, or add an unknown key. */
export interface Mutation {
  readonly pick: number;
  readonly kind: 'set' | 'delete' | 'add';
  readonly value: unknown;
  readonly key: string;
}

/** Arbitrary mutations (applied with {@link mutate}); `count` of them at once. */
export function mutations(count = 3): fc.Arbitrary<Mutation[]> {
  return fc.array(
    fc.record({
      pick: fc.nat(),
      kind: fc.constantFrom('set', 'set', 'delete', 'add'),
      value: anyValue,
      key: fc.oneof(hostileString, fc.constantFrom('tcpp', 'advert_int', 'sloppy_tcp', 'wieght')),
    }),
    { minLength: 1, maxLength: count },
  ) as fc.Arbitrary<Mutation[]>;
}

/** Every path to a value inside `value` (objects and arrays), the root included as `[]`. */
function paths(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) for (const [i, v] of value.entries()) paths(v, [...at, i], out);
  else if (value !== null && typeof value === 'object')
    for (const k of Object.keys(value)) paths((value as Record<string, unknown>)[k], [...at, k], out);
  return out;
}

/** A deep copy of a JSON-like input (functions and class instances are kept by reference). */
export function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => clone(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = clone(v);
    return out as T;
  }
  return value;
}

/** Applies mutations to a copy of `input`. */
export function mutate<T>(input: T, changes: readonly Mutation[]): unknown {
  let root: unknown = clone(input);
  for (const m of changes) {
    const all = paths(root);
    const path = all[m.pick % all.length] as (string | number)[];
    if (path.length === 0) {
      if (m.kind === 'set') root = clone(m.value);
      continue;
    }
    const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], root);
    const last = path[path.length - 1] as string | number;
    if (parent === null || typeof parent !== 'object') continue;
    const p = parent as Record<string | number, unknown>;
    // A copy: fast-check may hand the same value object to two mutations, and setting it inside itself
    // would make a cycle.
    if (m.kind === 'set') p[last] = clone(m.value);
    else if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete p[last];
    } else {
      const target = p[last];
      if (target !== null && typeof target === 'object' && !Array.isArray(target))
        Object.defineProperty(target, m.key, {
          value: clone(m.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
  }
  return root;
}

/**
 * The rule: `fn` returns, or throws an LvsError with a code, at least one issue, and a code and a path array
 * on every issue; no message holds a NUL byte. Returns the error, or undefined when `fn` succeeded.
 */
export function refusedOrOk(fn: () => unknown): LvsError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assertLvsError(err);
    return err;
  }
}

/** As {@link refusedOrOk}, for an async call. */
export async function refusedOrOkAsync(fn: () => Promise<unknown>): Promise<LvsError | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    assertLvsError(err);
    return err;
  }
}

function assertLvsError(err: unknown): asserts err is LvsError {
  if (!LvsError.is(err)) {
    const e = err as Error;
    expect.fail(`threw ${e?.name ?? typeof err}: ${e?.message ?? String(err)}\n${e?.stack ?? ''}`);
  }
  expect(typeof err.code).toBe('string');
  expect(err.issues.length).toBeGreaterThan(0);
  for (const issue of err.issues) {
    expect(typeof issue.code).toBe('string');
    expect(Array.isArray(issue.path)).toBe(true);
    expect(issue.message).not.toContain('\u0000');
  }
  expect(err.message).not.toContain('\u0000');
}

/** Runs per property: many in CI, enough locally. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
