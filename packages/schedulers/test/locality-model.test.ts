import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyFlow } from '../src/address.js';
import { LocalityBasedLeastConnectionScheduler } from '../src/schedulers/lblc.js';
import { LocalityBasedLeastConnectionReplicationScheduler } from '../src/schedulers/lblcr.js';
import { NO_SERVER } from '../src/types.js';

// lblc and lblcr against straight transcriptions of the kernel's linear scans (ip_vs_lblc.c
// ip_vs_lblc_schedule / __ip_vs_lblc_schedule / is_overloaded; ip_vs_lblcr.c ip_vs_lblcr_schedule /
// ip_vs_dest_set_min / ip_vs_dest_set_max), over random sequences of picks, weight, OVERLOAD, connection,
// remove and re-add operations. The schedulers use an O(log n) index and an under-half counter instead;
// these models walk the list every time, as the kernel does.

interface Srv {
  handle: number;
  weight: number;
  active: number;
  inactive: number;
  overloaded: boolean;
  inList: boolean;
}
/** Kernel list order: head first (a re-added server goes back to the head). */
type Model = { list: Srv[]; all: Srv[] };
const oh = (d: Srv) => d.active * 256 + d.inactive;

/** __ip_vs_lblc_schedule (= __ip_vs_lblcr_schedule). */
function wlc(m: Model): Srv | undefined {
  let least: Srv | undefined;
  let i = 0;
  for (; i < m.list.length; i++) {
    const d = m.list[i]!;
    if (d.overloaded) continue;
    if (d.weight > 0) {
      least = d;
      break;
    }
  }
  if (!least) return undefined;
  for (i++; i < m.list.length; i++) {
    const d = m.list[i]!;
    if (d.overloaded) continue;
    if (oh(least) * d.weight > oh(d) * least.weight) least = d;
  }
  return least;
}
/** is_overloaded(dest, svc). */
const isOverloaded = (m: Model, d: Srv) => d.active > d.weight && m.list.some((x) => x.active * 2 < x.weight);

type Op =
  | { kind: 'pick'; dest: number }
  | { kind: 'weight'; server: number; weight: number }
  | { kind: 'overload'; server: number; on: boolean }
  | { kind: 'conns'; server: number; active: number; inactive: number }
  | { kind: 'toggle'; server: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('pick' as const), dest: fc.nat(2) }) },
  fc.record({ kind: fc.constant('weight' as const), server: fc.nat(7), weight: fc.nat(4) }),
  fc.record({ kind: fc.constant('overload' as const), server: fc.nat(7), on: fc.boolean() }),
  fc.record({ kind: fc.constant('conns' as const), server: fc.nat(7), active: fc.nat(5), inactive: fc.nat(3) }),
  fc.record({ kind: fc.constant('toggle' as const), server: fc.nat(7) }),
);
const weightsArb = fc.array(fc.nat(4), { minLength: 1, maxLength: 6 });

type Sched = LocalityBasedLeastConnectionScheduler | LocalityBasedLeastConnectionReplicationScheduler;

/** Applies the non-pick ops to both the scheduler and the model; calls `pick` for picks. */
function drive(
  s: Sched,
  weights: number[],
  ops: Op[],
  pick: (m: Model, dest: number, now: number, flowPick: () => number) => void,
) {
  const specs = weights.map((weight, i) => ({ address: `198.18.1.${i + 1}`, port: 80, weight }));
  const all: Srv[] = s.list().map((i) => ({
    handle: i.handle,
    weight: i.weight,
    active: 0,
    inactive: 0,
    overloaded: false,
    inList: true,
  }));
  const m: Model = { list: [...all], all };
  const flow = emptyFlow();
  let now = 0;
  for (const op of ops) {
    now += 20_000;
    if (op.kind === 'pick') {
      flow.daddr.set([10, 0, 0, op.dest + 1]);
      pick(m, op.dest, now, () => s.schedule(flow, now));
      continue;
    }
    const d = all[op.server % all.length]!;
    if (op.kind === 'toggle') {
      if (d.inList) {
        s.remove(d.handle);
        d.inList = false;
        m.list = m.list.filter((x) => x !== d);
      } else {
        const i = all.indexOf(d);
        expect(s.add(specs[i]!)).toBe(d.handle); // revived from the trash: same handle
        Object.assign(d, { inList: true, weight: specs[i]!.weight, active: 0, inactive: 0, overloaded: false });
        m.list = [d, ...m.list];
      }
      continue;
    }
    if (!d.inList) continue; // the API refuses edits to removed servers
    if (op.kind === 'weight') {
      s.update(d.handle, { weight: op.weight });
      d.weight = op.weight;
    } else if (op.kind === 'overload') {
      s.setOverloaded(d.handle, op.on);
      d.overloaded = op.on;
    } else {
      s.setConnections(d.handle, op.active, op.inactive);
      d.active = op.active;
      d.inactive = op.inactive;
    }
  }
}

describe('lblc equals the kernel scan model', () => {
  it('over random operation sequences', () => {
    fc.assert(
      fc.property(weightsArb, fc.array(opArb, { maxLength: 80 }), (weights, ops) => {
        const s = new LocalityBasedLeastConnectionScheduler({
          servers: weights.map((weight, i) => ({ address: `198.18.1.${i + 1}`, port: 80, weight })),
        });
        const cache = new Map<number, Srv>();
        drive(s, weights, ops, (m, dest, _now, schedule) => {
          // ip_vs_lblc_schedule
          const c = cache.get(dest);
          let expected: Srv | undefined;
          if (c?.inList && c.weight > 0 && !isOverloaded(m, c)) expected = c;
          else {
            expected = wlc(m);
            if (expected) cache.set(dest, expected);
          }
          expect(schedule()).toBe(expected ? expected.handle : NO_SERVER);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('lblcr equals the kernel scan model', () => {
  it('over random operation sequences (expiration 60 s, 20 s between operations)', () => {
    fc.assert(
      fc.property(weightsArb, fc.array(opArb, { maxLength: 80 }), (weights, ops) => {
        const s = new LocalityBasedLeastConnectionReplicationScheduler({
          servers: weights.map((weight, i) => ({ address: `198.18.1.${i + 1}`, port: 80, weight })),
          expirationSeconds: 60,
        });
        const sets = new Map<number, { members: Srv[]; lastmod: number }>();
        const setMin = (members: Srv[]) => {
          let i = 0;
          let least: Srv | undefined;
          for (; i < members.length; i++) {
            const d = members[i]!;
            if (d.overloaded) continue;
            if (d.weight > 0 && d.inList) {
              least = d;
              break;
            }
          }
          if (!least) return undefined;
          for (i++; i < members.length; i++) {
            const d = members[i]!;
            if (d.overloaded) continue;
            if (oh(least) * d.weight > oh(d) * least.weight && d.inList) least = d;
          }
          return least;
        };
        const setMax = (members: Srv[]) => {
          let i = 0;
          let most: Srv | undefined;
          for (; i < members.length; i++) {
            if (members[i]!.weight > 0) {
              most = members[i]!;
              break;
            }
          }
          if (!most) return undefined;
          for (i++; i < members.length; i++) {
            const d = members[i]!;
            if (oh(most) * d.weight < oh(d) * most.weight && d.weight > 0) most = d;
          }
          return most;
        };
        drive(s, weights, ops, (m, dest, now, schedule) => {
          // ip_vs_lblcr_schedule
          const e = sets.get(dest);
          let expected: Srv | undefined;
          if (e) {
            const d = setMin(e.members);
            if (e.members.length > 1 && now > e.lastmod + 60_000) {
              const most = setMax(e.members);
              if (most) {
                e.members = e.members.filter((x) => x !== most);
                e.lastmod = now;
              }
            }
            if (d && !isOverloaded(m, d)) expected = d;
            else {
              expected = wlc(m);
              if (expected && !e.members.includes(expected)) {
                e.members = [expected, ...e.members];
                e.lastmod = now;
              }
            }
          } else {
            expected = wlc(m);
            if (expected) sets.set(dest, { members: [expected], lastmod: now });
          }
          expect(schedule()).toBe(expected ? expected.handle : NO_SERVER);
          expect(s.serverSet(`10.0.0.${dest + 1}`)).toEqual((sets.get(dest)?.members ?? []).map((x) => x.handle));
        });
      }),
      { numRuns: 300 },
    );
  });
});
