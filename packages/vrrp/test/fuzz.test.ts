/**
 * The VRRP part of the one fuzz suite (issue #11, "so that it stays fixed"), on the one harness of
 * `test/fuzz/harness.ts`: hostile values of every JSON shape (plus bigint, symbols and typed arrays) and
 * mutations of valid configurations go into every exported config, validate and decode entry of @lvskit/vrrp.
 * The only outcomes allowed are success or an `LvsError` with a code and issues that each have a path and a
 * code; a refused call changes nothing — not its input, not a machine's state, not a router's sync group,
 * not a script set's runs.
 */
import { FakeClock, FakeCommandRunner } from '@lvskit/base/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyValue, RUNS as FUZZ_RUNS, mutate, mutations, refusedOrOk } from '../../../test/fuzz/harness.js';
import {
  checksumValid,
  compileInstance,
  encodeAdvert,
  type LvsError,
  passAuthData,
  splitCommand,
  type TrackingConfig,
  TrackingController,
  type VrrpInstanceConfig,
  VrrpMachine,
  VrrpRouter,
  VrrpScriptSet,
  VrrpSyncGroup,
  VrrpView,
  validateTracking,
  virtualRouterMac,
} from '../src/index.js';
import { FakeOwnership } from '../src/testing.js';

const RUNS = { numRuns: FUZZ_RUNS };
const ME = '198.18.0.2';

const valid: VrrpInstanceConfig = {
  name: 'VI_1',
  interface: 'eth0',
  virtualRouterId: 51,
  priority: 120,
  advertInt: 1,
  virtualIpAddresses: ['198.18.0.100/24', { address: '198.18.0.101', dev: 'eth0', label: 'eth0:1' }],
  authentication: { type: 'PASS', password: 'secret' },
  unicastPeers: ['198.18.0.3'],
  garpMasterDelay: 5,
};
const validTracking: TrackingConfig = {
  scripts: [{ name: 'chk', script: '/bin/true', interval: 2, weight: -20, rise: 2, fall: 2 }],
  trackScripts: [{ name: 'chk', weight: -10 }],
  trackInterfaces: [{ name: 'eth1', weight: 5 }],
};

/** Any value a user or a tool might pass, of every JSON shape and a few that JSON has not. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  anyValue,
  fc.anything({ withBigInt: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true }),
  fc.constantFrom(
    undefined,
    null,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1,
    0,
    2 ** 31,
    '',
    '198.18.0.100/',
    '198.18.0.100/0',
    '2001:2::1',
    '[2001:2::1]',
    'ff02::12',
    '224.0.0.18',
    'toString',
    '__proto__',
    true,
    [],
    {},
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
);

const instanceKeys = [...Object.keys(valid), 'state', 'version', 'nopreempt', 'useVmac', 'sourceIp', 'multicastGroup'];

/** A valid instance with one key (known, nested or made up) set to a hostile value, or removed. */
const oneKeyInstance = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...instanceKeys).map((k) => [k]),
      fc.constantFrom(['virtualIpAddresses', 0], ['virtualIpAddresses', 1, 'address'], ['authentication', 'password']),
      fc.string({ maxLength: 12 }).map((k) => [k]),
    ),
    hostile,
    fc.boolean(),
  )
  .map(([path, value, remove]) => {
    const c = structuredClone(valid) as unknown as Record<string, unknown>;
    let at: Record<string | number, unknown> = c;
    for (const p of path.slice(0, -1)) at = at[p as string] as Record<string | number, unknown>;
    const last = path[path.length - 1] as string;
    if (remove) delete at[last];
    else at[last] = value;
    return c;
  });

const oneKeyTracking = fc
  .tuple(
    fc.constantFrom(
      ['scripts'],
      ['scripts', 0],
      ['scripts', 0, 'name'],
      ['scripts', 0, 'interval'],
      ['scripts', 0, 'weight'],
      ['scripts', 0, 'rise'],
      ['scripts', 0, 'reverse'],
      ['trackScripts', 0],
      ['trackScripts', 0, 'name'],
      ['trackInterfaces', 0, 'name'],
      ['trackInterfaces', 0, 'weight'],
      ['trackScript'],
    ),
    hostile,
  )
  .map(([path, value]) => {
    const t = structuredClone(validTracking) as unknown as Record<string, unknown>;
    let at: Record<string | number, unknown> = t;
    for (const p of path.slice(0, -1)) at = at[p as string] as Record<string | number, unknown>;
    at[path[path.length - 1] as string] = value;
    return t;
  });

/** The harness's random mutations (set, delete, add an unknown key anywhere), or one targeted key. */
const mutatedInstance = fc.oneof(
  oneKeyInstance,
  mutations().map((m) => mutate(valid, m)),
);
const mutatedTracking = fc.oneof(
  oneKeyTracking,
  mutations().map((m) => mutate(validTracking, m)),
);

/** The harness rule, as 'ok' or the refusal. */
function outcome(f: () => unknown): 'ok' | LvsError {
  return refusedOrOk(f) ?? 'ok';
}

/** A snapshot that tells whether a value was changed (symbols and functions by identity). */
function snapshot(v: unknown): string {
  const seen = new WeakSet<object>();
  const ids = new Map<unknown, number>();
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (typeof x === 'symbol' || typeof x === 'function') {
      if (!ids.has(x)) ids.set(x, ids.size);
      return `#${ids.get(x)}`;
    }
    if (x === undefined) return '#undefined';
    if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
    if (typeof x === 'object' && x !== null) {
      if (seen.has(x)) return '#seen';
      seen.add(x);
      if (ArrayBuffer.isView(x)) return Array.from(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    }
    return x;
  });
}

describe('fuzz: VRRP configuration entries', () => {
  it('compileInstance: any value, and any one-key mutation of a valid instance; input never changed', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, mutatedInstance), fc.oneof(fc.constant(ME), hostile), (c, primary) => {
        const before = snapshot(c);
        outcome(() => compileInstance(c as VrrpInstanceConfig, primary as string));
        expect(snapshot(c)).toBe(before);
      }),
      RUNS,
    );
  });
  it('compileInstance globals: any value', () => {
    fc.assert(
      fc.property(
        fc.oneof(hostile, fc.dictionary(fc.constantFrom('version', 'multicastGroup4', 'x'), hostile)),
        (g) => {
          outcome(() => compileInstance(valid, ME, g as never));
        },
      ),
      RUNS,
    );
  });
  it('validateTracking and VrrpScriptSet: any value, and mutations of a valid tracking block', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, mutatedTracking), fc.oneof(fc.constant([]), hostile), (t, known) => {
        const before = snapshot(t);
        outcome(() => validateTracking(t as TrackingConfig, known as string[]));
        outcome(() => new VrrpScriptSet((t as TrackingConfig | null)?.scripts as never, { clock: new FakeClock(0) }));
        expect(snapshot(t)).toBe(before);
      }),
      RUNS,
    );
  });
  it('TrackingController: a refused construction starts nothing', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, mutatedTracking), hostile, fc.boolean(), (t, ports, junkPorts) => {
        const runner = new FakeCommandRunner();
        const clock = new FakeClock(0);
        outcome(
          () =>
            new TrackingController(
              t as TrackingConfig,
              100,
              'eth0',
              junkPorts ? (ports as never) : { clock, commandRunner: runner.runner },
              () => {},
            ),
        );
        expect(runner.calls).toEqual([]);
        expect(clock.pending).toBe(0);
      }),
      RUNS,
    );
  });
  it('VrrpScriptSet.watch/script/state: any name; a refused watch runs nothing', () => {
    const runner = new FakeCommandRunner();
    const set = new VrrpScriptSet([{ name: 'chk', script: 'true' }], {
      clock: new FakeClock(0),
      commandRunner: runner.runner,
    });
    fc.assert(
      fc.property(hostile, hostile, (name, listener) => {
        set.script(name as string);
        set.state(name as string);
        const r = outcome(() => set.watch(name as string, listener as () => void)());
        if (r !== 'ok') expect(runner.calls.length).toBe(0);
        runner.calls.length = 0;
      }),
      RUNS,
    );
  });
  it('splitCommand, passAuthData, virtualRouterMac: any value', () => {
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        outcome(() => splitCommand(a as string));
        outcome(() => passAuthData(a as string));
        outcome(() => virtualRouterMac(a as 4, b as number));
      }),
      RUNS,
    );
  });
  it('VrrpRouter and VrrpSyncGroup: any config, options, name and members; a refused group claims nobody', () => {
    const ownership = new FakeOwnership();
    fc.assert(
      fc.property(
        fc.oneof(hostile, mutatedInstance),
        hostile,
        hostile,
        hostile,
        fc.nat(4),
        (c, opts, name, extra, pick) => {
          outcome(() => new VrrpRouter(c as VrrpInstanceConfig, (opts ?? { ownership }) as never));
          const a = new VrrpRouter(valid, { ownership });
          const b = new VrrpRouter(valid, { ownership });
          const members = [[a, b], [a, extra], extra, [a, a], [a]][pick];
          const r = outcome(() => new VrrpSyncGroup(name as string, members as VrrpRouter[], extra as never));
          if (r !== 'ok') {
            expect(a.syncGroup).toBeUndefined();
            expect(b.syncGroup).toBeUndefined();
          }
        },
      ),
      RUNS,
    );
  });
});

describe('fuzz: VRRP decode and encode entries', () => {
  it('VrrpView over any bytes, offset and length: accessors and checks never throw once reset succeeds', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 64 }), hostile),
        fc.oneof(fc.nat(80), hostile),
        fc.oneof(fc.nat(80), hostile),
        (bytes, offset, length) => {
          const v = new VrrpView();
          if (outcome(() => v.reset(bytes as Uint8Array, offset as number, length as number)) !== 'ok') return;
          expect(v.offset + v.length).toBeLessThanOrEqual(v.bytes.length);
          for (const family of [4, 6] as const) {
            v.hasHeader();
            void [v.version, v.type, v.vrid, v.priority, v.count, v.authType, v.adverIntSeconds, v.maxAdverIntCs];
            void v.checksum;
            if (v.isComplete(family)) expect(typeof checksumValid(v, family, null)).toBe('boolean');
          }
        },
      ),
      RUNS,
    );
  });
  it('encodeAdvert: any fields; never writes past the buffer', () => {
    const fields = fc.record(
      {
        version: fc.oneof(fc.constantFrom(2, 3), hostile),
        family: fc.oneof(fc.constantFrom(4, 6), hostile),
        vrid: fc.oneof(fc.integer({ min: -1, max: 256 }), hostile),
        priority: fc.oneof(fc.integer({ min: -1, max: 256 }), hostile),
        interval: fc.oneof(fc.integer({ min: 0, max: 5000 }), hostile),
        addresses: fc.oneof(
          fc.array(
            fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
            { maxLength: 4 },
          ),
          hostile,
        ),
        authType: fc.oneof(fc.constant(undefined), fc.nat(3), hostile),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fields, hostile), fc.nat(40), (f, offset) => {
        const out = new Uint8Array(offset + 48);
        const guard = new Uint8Array(out.buffer, 0, out.length);
        let n = 0;
        if (outcome(() => (n = encodeAdvert(guard.subarray(0, offset + 40), offset, f as never, null))) === 'ok') {
          expect(offset + n).toBeLessThanOrEqual(offset + 40);
        }
        expect(Array.from(out.subarray(offset + 40))).toEqual(new Array(8).fill(0));
      }),
      RUNS,
    );
  });
  it('VrrpMachine.step: any event and any delivered bytes; a refused step changes nothing', () => {
    const compiled = compileInstance({ ...valid, unicastPeers: [] }, ME);
    const state = (m: VrrpMachine) => snapshot({ s: m.state, p: m.effectivePriority, t: m.nextTimeout(), st: m.stats });
    const advert = fc.record({
      bytes: fc.uint8Array({ maxLength: 48 }),
      offset: fc.oneof(fc.nat(48), hostile),
      length: fc.oneof(fc.nat(48), hostile),
      source: fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), hostile),
      destination: fc.oneof(fc.constant(Uint8Array.of(224, 0, 0, 18)), hostile),
      ttl: fc.oneof(fc.constant(255), hostile),
    });
    const event = fc.oneof(
      fc.constantFrom({ type: 'start' }, { type: 'timer' }, { type: 'shutdown' }, { type: 'sync-master' }),
      advert.map((a) => ({ type: 'advert', advert: a })),
      hostile.map((a) => ({ type: 'advert', advert: a })),
      hostile.map((x) => ({ type: 'fault', fault: x })),
      hostile.map((x) => ({ type: 'priority', total: x })),
      hostile,
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(event, fc.oneof(fc.nat(10_000_000), hostile)), { maxLength: 12 }), (steps) => {
        const m = new VrrpMachine(compiled);
        let now = 0;
        for (const [e, t] of steps) {
          const before = state(m);
          const at = typeof t === 'number' && Number.isFinite(t) ? now + t : t;
          if (outcome(() => m.step(e as never, at as number)) !== 'ok') expect(state(m)).toBe(before);
          else if (typeof at === 'number') now = at;
        }
      }),
      RUNS,
    );
  });
});
