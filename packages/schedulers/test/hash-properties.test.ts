import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyFlow, type Flow } from '../src/address.js';
import { DestinationHashingScheduler } from '../src/schedulers/dh.js';
import { LocalityBasedLeastConnectionScheduler } from '../src/schedulers/lblc.js';
import { LocalityBasedLeastConnectionReplicationScheduler } from '../src/schedulers/lblcr.js';
import { MaglevHashingScheduler } from '../src/schedulers/mh.js';
import { SourceHashingScheduler } from '../src/schedulers/sh.js';
import { type MhTableSize, NO_SERVER, type RealServerSpec, type Scheduler, type SchedulerName } from '../src/types.js';

// Properties of the hash and locality schedulers, each derived from the kernel source:
// - sh: ip_vs_sh_reassign walks the 256 buckets assigning the current server and moves on after
//   max(weight, 1) buckets, wrapping at the end of the list: bucket b holds the server at position b mod C of
//   the tiling sequence (server i repeated max(w_i, 1) times, C = Σ max(w_i, 1)).
// - mh: ip_vs_mh_populate makes passes over the list, each server claiming turns_i = (w_i / gcd) >> rshift
//   slots per pass (rshift 0 for the weights drawn here, see below) until the table is full; with
//   T = Σ turns, k = ⌊M / T⌋ full passes and r = M - kT claims left for the last pass in list order,
//   count_i = k·t_i + clamp(r - Σ_{j<i} t_j, 0, t_i). Hence |count_i - M·w_i/W| ≤ t_i (the Maglev bound).
// - every scheduler here returns no weight-0 or OVERLOADed server for a new flow, except lblc, whose cached
//   server is not tested for OVERLOAD (ip_vs_lblc_schedule).

const servers = (weights: readonly number[]): RealServerSpec[] =>
  weights.map((weight, i) => ({ address: `198.18.${i >> 8}.${(i & 255) + 1}`, port: 80 + (i % 3), weight }));

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** A flow from raw bytes: family, protocol, addresses and ports. */
const flowArb = fc
  .record({
    v6: fc.boolean(),
    protocol: fc.constantFrom(6, 17, 132, 1),
    saddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    daddr: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    sport: fc.integer({ min: 0, max: 65535 }),
    dport: fc.integer({ min: 0, max: 65535 }),
  })
  .map((r): Flow => {
    const f = emptyFlow();
    f.family = r.v6 ? 6 : 4;
    f.protocol = r.protocol;
    f.saddr.set(r.v6 ? r.saddr : r.saddr.subarray(0, 4));
    f.daddr.set(r.v6 ? r.daddr : r.daddr.subarray(0, 4));
    f.sport = r.sport;
    f.dport = r.dport;
    return f;
  });

describe('sh splits the table exactly by the tiling rule (ip_vs_sh_reassign)', () => {
  it('bucket b holds tiling[b mod C]', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 8 }), (weights) => {
        const s = new SourceHashingScheduler({ servers: servers(weights) });
        const order = s.list().map((i) => i.handle); // kernel order = the order given
        const tiling = weights.flatMap((w, i) => Array<number>(Math.max(w, 1)).fill(order[i]!));
        for (let b = 0; b < 256; b++) expect(s.bucket(b)).toBe(tiling[b % tiling.length]);
      }),
    );
  });
});

describe('mh fills the table by whole passes of turns (ip_vs_mh_populate)', () => {
  it('exact counts per server, and within one pass of M·w/W', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 6 }).filter((w) => w.some((x) => x > 0)),
        fc.constantFrom<MhTableSize>(251, 509, 1021),
        (weights, m) => {
          const s = new MaglevHashingScheduler({ servers: servers(weights), tableSize: m });
          const order = s.list().map((i) => i.handle);
          // gcd over weights > 0; max/gcd ≤ 12 so fls ≤ 4 ≤ IP_VS_MH_TAB_BITS (4 or 5 here): rshift 0.
          const g = weights.filter((w) => w > 0).reduce(gcd);
          const turns = weights.map((w) => w / g);
          const total = turns.reduce((a, b) => a + b, 0);
          const k = Math.floor(m / total);
          let left = m - k * total;
          const expected = turns.map((t) => {
            const extra = Math.min(Math.max(left, 0), t);
            left -= t;
            return k * t + extra;
          });
          const got = new Map<number, number>();
          for (let i = 0; i < m; i++) got.set(s.slot(i), (got.get(s.slot(i)) ?? 0) + 1);
          const w = weights.reduce((a, b) => a + b, 0);
          order.forEach((h, i) => {
            expect(got.get(h) ?? 0).toBe(expected[i]);
            expect(Math.abs((got.get(h) ?? 0) - (m * weights[i]!) / w)).toBeLessThanOrEqual(turns[i]!);
          });
          expect(got.has(NO_SERVER)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });
});

type Build = () => Scheduler<SchedulerName>;
const stateArb = fc.array(fc.record({ weight: fc.integer({ min: 0, max: 3 }), overloaded: fc.boolean() }), {
  minLength: 1,
  maxLength: 6,
});
const hashBuilders = (weights: number[]): Record<string, Build> => ({
  dh: () => new DestinationHashingScheduler({ servers: servers(weights) }),
  sh: () => new SourceHashingScheduler({ servers: servers(weights) }),
  'sh sh-port sh-fallback': () =>
    new SourceHashingScheduler({ servers: servers(weights), flags: ['sh-port', 'sh-fallback'] }),
  mh: () => new MaglevHashingScheduler({ servers: servers(weights), tableSize: 251 }),
  'mh mh-port mh-fallback': () =>
    new MaglevHashingScheduler({ servers: servers(weights), tableSize: 251, flags: ['mh-port', 'mh-fallback'] }),
});

describe('hash schedulers are deterministic', () => {
  it('the same flow gets the same server, from the same instance and from an identical one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }),
        fc.array(flowArb, { minLength: 1, maxLength: 20 }),
        (weights, flows) => {
          for (const build of Object.values(hashBuilders(weights))) {
            const a = build();
            const b = build();
            for (const f of flows) {
              const first = a.schedule(f);
              expect(first).not.toBe(NO_SERVER); // every server available, every slot filled
              expect(a.schedule(f)).toBe(first);
              expect(b.schedule(f)).toBe(first);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('no weight-0 or OVERLOADed server for a new flow', () => {
  const eligible = (s: Scheduler<SchedulerName>, h: number) => {
    if (h === NO_SERVER) return true;
    const i = s.info(h);
    return i.weight > 0 && !i.overloaded;
  };

  it('dh, sh, mh (with and without port and fallback flags)', () => {
    fc.assert(
      fc.property(stateArb, fc.array(flowArb, { minLength: 1, maxLength: 20 }), (state, flows) => {
        for (const build of Object.values(hashBuilders(state.map((x) => x.weight)))) {
          const s = build();
          for (const [k, i] of s.list().entries()) s.setOverloaded(i.handle, state[k]!.overloaded);
          for (const f of flows) expect(eligible(s, s.schedule(f))).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  // Random sequences of state changes and picks over a few destination addresses, so entries get cached.
  const opArb = fc.oneof(
    fc.record({ kind: fc.constant('pick' as const), dest: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ kind: fc.constant('weight' as const), server: fc.nat(5), weight: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ kind: fc.constant('overload' as const), server: fc.nat(5), on: fc.boolean() }),
    fc.record({ kind: fc.constant('conns' as const), server: fc.nat(5), active: fc.nat(8), inactive: fc.nat(8) }),
  );
  type Op =
    | { kind: 'pick'; dest: number }
    | { kind: 'weight'; server: number; weight: number }
    | { kind: 'overload'; server: number; on: boolean }
    | { kind: 'conns'; server: number; active: number; inactive: number };
  const run = (
    s: LocalityBasedLeastConnectionScheduler | LocalityBasedLeastConnectionReplicationScheduler,
    ops: Op[],
    check: (h: number, cachedBefore: number, dest: string) => void,
  ) => {
    const handles = s.list().map((i) => i.handle);
    const flow = emptyFlow();
    let now = 0;
    for (const op of ops) {
      now += 1000;
      if (op.kind === 'pick') {
        const dest = `10.0.0.${op.dest + 1}`;
        flow.daddr.set([10, 0, 0, op.dest + 1]);
        const before = s instanceof LocalityBasedLeastConnectionScheduler ? s.cachedServer(dest) : NO_SERVER;
        check(s.schedule(flow, now), before, dest);
        continue;
      }
      const h = handles[op.server % handles.length]!;
      if (op.kind === 'weight') s.update(h, { weight: op.weight });
      else if (op.kind === 'overload') s.setOverloaded(h, op.on);
      else s.setConnections(h, op.active, op.inactive);
    }
  };

  it('lblcr: never, even for a cached destination (ip_vs_dest_set_min skips OVERLOAD and weight 0)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }),
        fc.array(opArb, { maxLength: 60 }),
        (weights, ops) => {
          const s = new LocalityBasedLeastConnectionReplicationScheduler({ servers: servers(weights) });
          run(s, ops, (h) => expect(eligible(s, h)).toBe(true));
        },
      ),
    );
  });

  it('lblc: never for an uncached destination; an OVERLOADed server only as the cached one (documented exception)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }),
        fc.array(opArb, { maxLength: 60 }),
        (weights, ops) => {
          const s = new LocalityBasedLeastConnectionScheduler({ servers: servers(weights) });
          run(s, ops, (h, cachedBefore) => {
            if (h === NO_SERVER) return;
            const i = s.info(h);
            expect(i.weight).toBeGreaterThan(0);
            if (i.overloaded) expect(h).toBe(cachedBefore);
          });
        },
      ),
    );
  });

  it('lblc exception, explicitly: a cached server keeps its destination after OVERLOAD is set', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 6 }),
        fc.nat(3),
        (weights, dest) => {
          const s = new LocalityBasedLeastConnectionScheduler({ servers: servers(weights) });
          const flow = emptyFlow();
          flow.daddr.set([10, 0, 0, dest + 1]);
          const cached = s.schedule(flow, 0);
          s.setOverloaded(cached, true);
          // No active connections: is_overloaded is false, AVAILABLE, weight > 0 → the cache hit stands.
          expect(s.schedule(flow, 1)).toBe(cached);
          // A new destination is scheduled by WLC, which skips OVERLOAD.
          flow.daddr.set([10, 0, 1, dest + 1]);
          expect(s.schedule(flow, 2)).not.toBe(cached);
        },
      ),
    );
  });
});
