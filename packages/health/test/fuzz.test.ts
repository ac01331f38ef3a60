/**
 * Every public entry point of @lvskit/health given values of every JSON shape (and a few non-JSON ones):
 * the only outcomes allowed are success or an LvsError with a code, issues with paths and messages without
 * NUL bytes; a refused call changes nothing. Mutations of valid keepalived and ldirectord configurations
 * cover the wrong nested shapes random values rarely reach. No check is ever run (no sockets, no
 * processes): factories are called, their checkers are not.
 */
import { LvsError } from '@lvskit/base';
import { FakeClock, FakeCommandRunner } from '@lvskit/base/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as health from '../src/index.js';

const RUNS = 150;

/** Values of every shape: anything, and the shapes the entry points expect with wrong members. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ withNullPrototype: true, withTypedArray: true, withSparseArray: true, maxDepth: 3 }),
  fc.constantFrom(undefined, null, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, 70000, '', 'x', [], {}),
  fc.constantFrom('__proto__', 'toString', 'constructor', 'TCP_CHECK', 'htp', '10.0.0.1', 'fd00::1', '/bin/true'),
  fc.dictionary(
    fc.constantFrom('host', 'port', 'type', 'kind', 'id', 'url', 'path', 'checkers', 'realServers', 'server', 'weight'),
    fc.anything({ maxDepth: 2 }),
  ),
);

/** True when `err` is an acceptable refusal. */
function isCodedRefusal(err: unknown): boolean {
  if (!LvsError.is(err)) return false;
  if (typeof err.code !== 'string' || err.code.length === 0) return false;
  if (err.message.includes('\u0000')) return false;
  return err.issues.every(
    (i) =>
      Array.isArray(i.path) &&
      typeof i.code === 'string' &&
      typeof i.message === 'string' &&
      !i.message.includes('\u0000'),
  );
}

function expectCoded(err: unknown, what: string): void {
  if (!isCodedRefusal(err)) {
    throw new Error(
      `${what} threw something other than a coded LvsError: ${err instanceof Error ? err.stack : String(err)}`,
    );
  }
}

/** Calls `fn`; a return (a settled promise included) or a coded LvsError passes. */
async function outcome(what: string, fn: () => unknown): Promise<void> {
  let r: unknown;
  try {
    r = fn();
  } catch (err) {
    expectCoded(err, what);
    return;
  }
  if (r instanceof Promise) {
    try {
      await r;
    } catch (err) {
      expectCoded(err, what);
    }
  }
}

const isClass = (f: unknown) => typeof f === 'function' && /^class\b/.test(Function.prototype.toString.call(f));
// LvsError is base's (fuzzed there); runScript would run programs, so it is fuzzed below with a fake runner.
const SKIP = new Set(['LvsError', 'runScript']);
const entries = Object.entries(health).filter(([name, v]) => typeof v === 'function' && !SKIP.has(name));

describe('every exported function and class, on values of every shape', () => {
  it('lists the entry points it fuzzes', () => {
    expect(entries.length).toBeGreaterThan(50);
  });

  it.each(entries.map(([name, f]) => [name, f] as const))('%s', async (name, f) => {
    const call = f as (...args: unknown[]) => unknown;
    const arity = Math.max(call.length, 1);
    await fc.assert(
      fc.asyncProperty(fc.array(junk, { minLength: 0, maxLength: arity + 1 }), async (args) => {
        await outcome(name, () => (isClass(f) ? Reflect.construct(call, args) : call(...args)));
      }),
      { numRuns: RUNS },
    );
  });

  it('runScript (with a fake runner: nothing is executed)', async () => {
    const fake = new FakeCommandRunner();
    await fc.assert(
      fc.asyncProperty(junk, junk, async (command, options) => {
        const opts = typeof options === 'object' && options !== null && !Array.isArray(options) ? options : {};
        await outcome('runScript', () => health.runScript(command as string, { ...opts, runner: fake.runner }));
      }),
      { numRuns: RUNS },
    );
  });
});

const policy = health.keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, warmupMs: 0 });

function validServices(): health.VirtualServiceHealth[] {
  return [
    {
      id: 'TCP 10.0.0.100:80',
      mode: 'keepalived',
      quorum: 1,
      realServers: [
        {
          server: { id: '10.0.0.1:80', address: '10.0.0.1', port: 80 },
          weight: 2,
          notifyDown: '/bin/true down',
          checkers: [{ checker: new health.ScriptedChecker('a'), policy, timeoutMs: 100 }],
        },
      ],
      sorryServer: { server: { id: '10.0.0.9:80', address: '10.0.0.9', port: 80 } },
    },
  ];
}

/** Sets `value` at a random place inside `base` (or deletes it, or adds an unknown key). */
function mutate(base: unknown, keys: readonly (string | number)[], value: unknown, op: number): unknown {
  const copy = structuredCloneKeepingFunctions(base);
  let at: unknown = copy;
  for (const k of keys.slice(0, -1)) {
    if (typeof at !== 'object' || at === null) return copy;
    at = (at as Record<string | number, unknown>)[k];
  }
  if (typeof at !== 'object' || at === null) return copy;
  const last = keys[keys.length - 1] as string | number;
  const o = at as Record<string | number, unknown>;
  if (op === 0) delete o[last];
  else if (op === 1) o[`${String(last)}x`] = value;
  else o[last] = value;
  return copy;
}

function structuredCloneKeepingFunctions<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => structuredCloneKeepingFunctions(x)) as T;
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structuredCloneKeepingFunctions(x)])) as T;
  }
  return v;
}

/** Every key path of a plain value, objects and arrays only. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, i], ...paths(x, [...prefix, i])]);
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...paths(x, [...prefix, k])]);
  }
  return [];
}

describe('mutations of valid configurations', () => {
  const blocks: unknown[] = [
    { type: 'TCP_CHECK', delay_loop: 6, retry: 2, connect_port: 8080 },
    { type: 'HTTP_GET', url: [{ path: '/health', status_code: [200, [300, 399]], regex: 'ok' }], http_protocol: '1.1' },
    { type: 'SSL_GET', url: [{ path: '/', digest: '0123456789abcdef0123456789abcdef' }], enable_sni: true },
    { type: 'UDP_CHECK', payload: '0a0b', require_reply: '0a', min_reply_length: 1, max_reply_length: 10 },
    { type: 'DNS_CHECK', dns_type: 'A', name: 'example.com' },
    { type: 'MISC_CHECK', misc_path: '/usr/local/bin/check "a b"', misc_timeout: 3, misc_dynamic: true },
    { type: 'SMTP_CHECK', helo_name: 'me' },
    { type: 'PING_CHECK' },
  ];
  const scope = { address: '10.0.0.1', port: 80, virtualServer: { delay_loop: 10 }, realServer: { retry: 1 } };

  it('keepalivedChecker: success or a coded LvsError; the input is not modified', () => {
    const subjects = blocks.map((b) => ({ c: b, scope }));
    fc.assert(
      fc.property(
        fc.constantFrom(...subjects),
        fc.nat(),
        junk,
        fc.integer({ min: 0, max: 2 }),
        (subject, pick, value, op) => {
          const all = paths(subject);
          const keys = all[pick % all.length] as (string | number)[];
          const input = mutate(subject, keys, value, op) as { c: unknown; scope: unknown };
          const before = JSON.stringify(input, (_k, v) => (v === undefined ? '<undefined>' : v));
          try {
            health.keepalivedChecker(input.c as never, input.scope as never);
          } catch (err) {
            expectCoded(err, 'keepalivedChecker');
          }
          expect(JSON.stringify(input, (_k, v) => (v === undefined ? '<undefined>' : v))).toBe(before);
        },
      ),
      { numRuns: 600 },
    );
  });

  it('ldirectordChecker: success or a coded LvsError', () => {
    const subject = {
      v: {
        address: '10.0.0.100',
        port: 80,
        checktype: 'negotiate',
        service: 'http',
        request: '/',
        receive: 'ok',
        checkinterval: 5,
      },
      r: { address: '10.0.0.1', port: 80 },
      g: { checktimeout: 3, failurecount: 2 },
    };
    fc.assert(
      fc.property(fc.nat(), junk, fc.integer({ min: 0, max: 2 }), (pick, value, op) => {
        const all = paths(subject);
        const input = mutate(subject, all[pick % all.length] as (string | number)[], value, op) as typeof subject;
        try {
          health.ldirectordChecker(input.v as never, input.r as never, input.g as never);
        } catch (err) {
          expectCoded(err, 'ldirectordChecker');
        }
      }),
      { numRuns: 400 },
    );
  });

  it('HealthRunner.apply: a refused reload changes nothing', () => {
    const good = [{ id: 'rs1', checkers: [{ checker: new health.ScriptedChecker('a'), policy, timeoutMs: 100 }] }];
    fc.assert(
      fc.property(fc.nat(), junk, fc.integer({ min: 0, max: 2 }), (pick, value, op) => {
        const runner = new health.HealthRunner({ clock: new FakeClock(), random: () => 0 });
        runner.apply(good);
        const before = JSON.stringify(runner.status());
        const all = paths(good);
        const input = mutate(good, all[pick % all.length] as (string | number)[], value, op);
        try {
          runner.apply(input as never);
        } catch (err) {
          expectCoded(err, 'HealthRunner.apply');
          expect(JSON.stringify(runner.status())).toBe(before);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('HealthDirector.apply: a refused reload changes nothing and calls nothing', async () => {
    const fake = new FakeCommandRunner();
    await fc.assert(
      fc.asyncProperty(fc.nat(), junk, fc.integer({ min: 0, max: 2 }), async (pick, value, op) => {
        const director = new health.FakeDirector();
        const hd = new health.HealthDirector({
          director,
          runner: new health.HealthRunner({ clock: new FakeClock(), random: () => 0 }),
          commandRunner: fake.runner,
        });
        const good = validServices();
        hd.apply(good);
        await hd.idle();
        const table = JSON.stringify(director.weights(good[0]!.id));
        const status = JSON.stringify(hd.runner.status());
        const logLength = director.log.length;
        const all = paths(good);
        const input = mutate(good, all[pick % all.length] as (string | number)[], value, op);
        try {
          hd.apply(input as never);
        } catch (err) {
          expectCoded(err, 'HealthDirector.apply');
          await hd.idle();
          expect(director.log.length).toBe(logLength);
          expect(JSON.stringify(director.weights(good[0]!.id))).toBe(table);
          expect(JSON.stringify(hd.runner.status())).toBe(status);
        }
        await hd.idle();
      }),
      { numRuns: 300 },
    );
    expect(fake.calls).toEqual([]);
  });
});
