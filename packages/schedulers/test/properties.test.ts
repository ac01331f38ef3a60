/**
 * Property tests (fast-check) over random server sets and random control-path histories: wrr's exact weight
 * proportions, the least-connection family's optimality and its equality with a literal transcription of the
 * kernel's linear scans, and "never a weight-0 or OVERLOADed server for a new flow" for all fourteen schedulers
 * with lblc's documented exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Flow, makeFlow } from '../src/address.js';
import { createScheduler } from '../src/create.js';
import {
  NO_SERVER,
  type RealServerInfo,
  SCHEDULER_NAMES,
  type Scheduler,
  type SchedulerName,
  type SchedulerOptions,
} from '../src/types.js';

function seeded(seed: number): (bound: number) => number {
  let x = seed >>> 0;
  return (bound) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.floor((x / 2 ** 32) * bound);
  };
}

function make(name: SchedulerName, options: Record<string, unknown> = {}): Scheduler {
  const opts = name === 'twos' ? { random: seeded(11), ...options } : options;
  return createScheduler(name, opts as SchedulerOptions<SchedulerName>);
}

const FLOWS: Flow[] = Array.from({ length: 32 }, (_, i) =>
  makeFlow({
    source: `198.19.${i}.${(i * 37) & 255}`,
    sourcePort: 1024 + i * 7,
    destination: `198.18.0.${(i % 8) + 1}`,
    destinationPort: 80,
  }),
);
const POOL = Array.from({ length: 8 }, (_, i) => `198.18.1.${i + 1}`);

/** One control-path or pick operation, applied to whatever servers exist at that moment. */
type Op =
  | { k: 'add'; a: number; w: number }
  | { k: 'remove'; i: number }
  | { k: 'weight'; i: number; w: number }
  | { k: 'overload'; i: number; on: boolean }
  | { k: 'conns'; i: number; act: number; inact: number }
  | { k: 'pick'; f: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('add' as const), a: fc.nat(7), w: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ k: fc.constant('remove' as const), i: fc.nat(7) }),
  fc.record({ k: fc.constant('weight' as const), i: fc.nat(7), w: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ k: fc.constant('overload' as const), i: fc.nat(7), on: fc.boolean() }),
  fc.record({
    k: fc.constant('conns' as const),
    i: fc.nat(7),
    act: fc.integer({ min: 0, max: 40 }),
    inact: fc.integer({ min: 0, max: 600 }),
  }),
  fc.record({ k: fc.constant('pick' as const), f: fc.nat(FLOWS.length - 1) }),
);
const initArb = fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 0, maxLength: 8 });

/**
 * Replays `ops` on `s`; calls `onPick(before, flowIndex, handle)` with the server list as it was just before
 * each pick. Control-path ops that would be rejected (duplicate add, empty list) are skipped.
 */
function replay(s: Scheduler, ops: Op[], onPick: (before: RealServerInfo[], f: number, h: number) => void): void {
  const nth = (i: number) => {
    const l = s.list();
    return l.length ? l[i % l.length]!.handle : -1;
  };
  for (const op of ops) {
    switch (op.k) {
      case 'add':
        if (s.handleOf(POOL[op.a]!, 80) === NO_SERVER) s.add({ address: POOL[op.a]!, port: 80, weight: op.w });
        break;
      case 'remove': {
        const h = nth(op.i);
        if (h >= 0) s.remove(h);
        break;
      }
      case 'weight': {
        const h = nth(op.i);
        if (h >= 0) s.update(h, { weight: op.w });
        break;
      }
      case 'overload': {
        const h = nth(op.i);
        if (h >= 0) s.setOverloaded(h, op.on);
        break;
      }
      case 'conns': {
        const h = nth(op.i);
        if (h >= 0) s.setConnections(h, op.act, op.inact);
        break;
      }
      case 'pick': {
        const before = s.list();
        onPick(before, op.f, s.schedule(FLOWS[op.f]!, 0));
        break;
      }
    }
  }
}

const initServers = (init: number[]) => init.map((weight, i) => ({ address: POOL[i]!, port: 80, weight }));

// ---- Literal transcriptions of the kernel scans (the reference the O(log n) index must equal). ----
const oh = (d: RealServerInfo) => d.activeConns * 256 + d.inactiveConns; // ip_vs_dest_conn_overhead
const sedOh = (d: RealServerInfo) => d.activeConns + 1; // ip_vs_sed_dest_overhead / ip_vs_nq_dest_overhead

const REFERENCE: Record<'lc' | 'wlc' | 'sed' | 'nq' | 'fo' | 'ovf', (list: RealServerInfo[]) => number> = {
  // ip_vs_lc_schedule
  lc(list) {
    let least: RealServerInfo | undefined;
    for (const d of list) {
      if (d.overloaded || d.weight === 0) continue;
      if (!least || oh(d) < oh(least)) least = d;
    }
    return least ? least.handle : NO_SERVER;
  },
  // ip_vs_wlc_schedule
  wlc(list) {
    const i = list.findIndex((d) => !d.overloaded && d.weight > 0);
    if (i < 0) return NO_SERVER;
    let least = list[i]!;
    for (const d of list.slice(i + 1)) {
      if (d.overloaded) continue;
      if (oh(least) * d.weight > oh(d) * least.weight) least = d;
    }
    return least.handle;
  },
  // ip_vs_sed_schedule
  sed(list) {
    const i = list.findIndex((d) => !d.overloaded && d.weight > 0);
    if (i < 0) return NO_SERVER;
    let least = list[i]!;
    for (const d of list.slice(i + 1)) {
      if (d.overloaded) continue;
      if (sedOh(least) * d.weight > sedOh(d) * least.weight) least = d;
    }
    return least.handle;
  },
  // ip_vs_nq_schedule
  nq(list) {
    let least: RealServerInfo | undefined;
    for (const d of list) {
      if (d.overloaded || d.weight === 0) continue;
      if (d.activeConns === 0) return d.handle;
      if (!least || sedOh(least) * d.weight > sedOh(d) * least.weight) least = d;
    }
    return least ? least.handle : NO_SERVER;
  },
  // ip_vs_fo_schedule
  fo(list) {
    let best: RealServerInfo | undefined;
    let hw = 0;
    for (const d of list) {
      if (!d.overloaded && d.weight > hw) {
        best = d;
        hw = d.weight;
      }
    }
    return best ? best.handle : NO_SERVER;
  },
  // ip_vs_ovf_schedule
  ovf(list) {
    let best: RealServerInfo | undefined;
    let hw = 0;
    for (const d of list) {
      if (d.overloaded || d.activeConns > d.weight || d.weight === 0) continue;
      if (!best || d.weight > hw) {
        best = d;
        hw = d.weight;
      }
    }
    return best ? best.handle : NO_SERVER;
  },
};

describe('properties', () => {
  it('wrr: any window of one full cycle (Σw/gcd picks) splits exactly by weight', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.nat(50),
        (base, factor, prefix) => {
          const weights = base.map((w) => w * factor);
          fc.pre(weights.some((w) => w > 0));
          const s = make('wrr', { servers: initServers(weights) });
          const g = weights.filter((w) => w > 0).reduce((a, b) => gcd(a, b));
          const cycle = weights.reduce((a, b) => a + b, 0) / g;
          for (let i = 0; i < prefix; i++) s.schedule(FLOWS[0]!);
          const counts = new Map<number, number>();
          for (let i = 0; i < cycle; i++) {
            const h = s.schedule(FLOWS[0]!);
            counts.set(h, (counts.get(h) ?? 0) + 1);
          }
          for (const d of s.list()) expect(counts.get(d.handle) ?? 0).toBe(d.weight / g);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('wrr: after any history of adds, removes, edits, overloads and picks, it settles into exact proportions', () => {
    // From any mark state the passes run down to cw = 1 within one cycle and then wrap to cw = mw from the
    // head (ip_vs_wrr_schedule), after which the sequence is periodic with period Σw/gcd: so the picks
    // [L, 2L) of a quiet period hold every server exactly w/gcd times.
    fc.assert(
      fc.property(initArb, fc.array(opArb, { maxLength: 60 }), (init, ops) => {
        const s = make('wrr', { servers: initServers(init) });
        replay(s, ops, () => undefined);
        for (const d of s.list()) s.setOverloaded(d.handle, false);
        const weights = s.list().map((d) => d.weight);
        fc.pre(weights.some((w) => w > 0));
        const g = weights.filter((w) => w > 0).reduce((a, b) => gcd(a, b));
        const cycle = weights.reduce((a, b) => a + b, 0) / g;
        for (let i = 0; i < cycle; i++) s.schedule(FLOWS[0]!);
        const counts = new Map<number, number>();
        for (let i = 0; i < cycle; i++) {
          const h = s.schedule(FLOWS[0]!);
          counts.set(h, (counts.get(h) ?? 0) + 1);
        }
        for (const d of s.list()) expect(counts.get(d.handle) ?? 0).toBe(d.weight / g);
      }),
      { numRuns: 300 },
    );
  });

  for (const name of ['lc', 'wlc', 'sed', 'nq', 'fo', 'ovf'] as const) {
    it(`${name}: the O(log n) index equals the kernel's linear scan under any history`, () => {
      fc.assert(
        fc.property(initArb, fc.array(opArb, { maxLength: 80 }), (init, ops) => {
          const s = make(name, { servers: initServers(init) });
          replay(s, ops, (before, _f, h) => expect(h).toBe(REFERENCE[name](before)));
        }),
        { numRuns: 300 },
      );
    });
  }

  for (const name of ['lc', 'wlc', 'sed', 'nq'] as const) {
    it(`${name}: never picks a server whose (weighted) overhead is strictly above another eligible one's`, () => {
      // lc: overhead; wlc: overhead/weight; sed: (active+1)/weight; nq: idle first, else (active+1)/weight.
      const cost = (d: RealServerInfo): number =>
        name === 'lc'
          ? oh(d)
          : name === 'wlc'
            ? oh(d) / d.weight
            : name === 'sed'
              ? sedOh(d) / d.weight
              : d.activeConns === 0
                ? 0
                : sedOh(d) / d.weight;
      fc.assert(
        fc.property(initArb, fc.array(opArb, { maxLength: 60 }), (init, ops) => {
          const s = make(name, { servers: initServers(init) });
          replay(s, ops, (before, _f, h) => {
            const eligible = before.filter((d) => !d.overloaded && d.weight > 0);
            if (eligible.length === 0) return expect(h).toBe(NO_SERVER);
            const picked = before.find((d) => d.handle === h);
            expect(picked).toBeDefined();
            for (const d of eligible) expect(cost(picked!)).toBeLessThanOrEqual(cost(d));
          });
        }),
        { numRuns: 200 },
      );
    });
  }

  for (const name of SCHEDULER_NAMES) {
    it(`${name}: never picks a removed, weight-0 or OVERLOADed server for a new flow`, () => {
      fc.assert(
        fc.property(initArb, fc.array(opArb, { maxLength: 60 }), (init, ops) => {
          const s = make(name, { servers: initServers(init) });
          // What lblc last returned per destination address: its cache entry (no expire() is called here).
          const lastForDest = new Map<string, number>();
          replay(s, ops, (before, f, h) => {
            if (h === NO_SERVER) return;
            const picked = before.find((d) => d.handle === h);
            expect(picked, 'picked a server not in the list').toBeDefined();
            expect(picked!.weight).toBeGreaterThan(0);
            const dest = FLOWS[f]!.daddr.join('.');
            if (name === 'lblc' && picked!.overloaded) {
              // Kernel exception (spec §1.8, §8 #10): ip_vs_lblc_schedule returns the cached server for this
              // destination without testing IP_VS_DEST_F_OVERLOAD. Only the cached server may be OVERLOADed.
              expect(lastForDest.get(dest)).toBe(h);
            } else {
              expect(picked!.overloaded).toBe(false);
            }
            lastForDest.set(dest, h);
          });
        }),
        { numRuns: 150 },
      );
    });
  }
});

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
