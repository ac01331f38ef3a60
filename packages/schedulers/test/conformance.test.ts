/**
 * One conformance suite for every scheduler name, run through `createScheduler` over `SCHEDULER_NAMES`: what
 * the kernel guarantees for all of them (spec §1.0) and what our control path guarantees (typed errors, no
 * state change on bad input). Per-scheduler sequences live in each scheduler's own test file.
 */

import { LvsError, type LvsErrorCode } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { type Flow, makeFlow } from '../src/address.js';
import { createScheduler } from '../src/create.js';
import {
  NO_SERVER,
  type RealServerSpec,
  SCHEDULER_NAMES,
  type Scheduler,
  type SchedulerName,
  type SchedulerOptions,
} from '../src/types.js';

/** A small deterministic random source (an LCG) so that twin `twos` instances draw the same numbers. */
function seeded(seed: number): (bound: number) => number {
  let x = seed >>> 0;
  return (bound) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.floor((x / 2 ** 32) * bound);
  };
}

function make(name: SchedulerName, options: Record<string, unknown> = {}): Scheduler {
  const opts = name === 'twos' ? { random: seeded(7), ...options } : options;
  return createScheduler(name, opts as SchedulerOptions<SchedulerName>);
}

const FAMILIES = [
  {
    family: 4,
    server: (i: number) => `198.18.1.${i + 1}`,
    flow: (i: number): Flow =>
      makeFlow({
        source: `198.19.${(i >> 8) & 255}.${i & 255}`,
        sourcePort: 1024 + i,
        destination: `198.18.0.${(i % 16) + 1}`,
        destinationPort: 80,
      }),
  },
  {
    family: 6,
    server: (i: number) => `2001:db8:1::${(i + 1).toString(16)}`,
    flow: (i: number): Flow =>
      makeFlow({
        source: `2001:db8:2::${i.toString(16)}`,
        sourcePort: 1024 + i,
        destination: `2001:db8::${((i % 16) + 1).toString(16)}`,
        destinationPort: 80,
      }),
  },
] as const;

/** Schedulers whose answer is a hash bucket; without a fallback flag an unavailable bucket yields NO_SERVER. */
const HASHING = new Set<SchedulerName>(['dh', 'sh', 'mh']);
const FALLBACK_FLAG: Partial<Record<SchedulerName, string>> = { sh: 'sh-fallback', mh: 'mh-fallback' };

function expectCode(fn: () => unknown, code: LvsErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(LvsError.is(thrown), `expected LvsError ${code}, got ${String(thrown)}`).toBe(true);
  expect((thrown as LvsError).code).toBe(code);
}

describe.each(SCHEDULER_NAMES.map((n) => [n]))('conformance: %s', (name) => {
  describe.each(FAMILIES.map((f) => [f.family, f]))('IPv%i', (_fam, F) => {
    const specs = (weights: readonly number[]): RealServerSpec[] =>
      weights.map((weight, i) => ({ address: F.server(i), port: 80, weight }));
    const flows = Array.from({ length: 64 }, (_, i) => F.flow(i));

    it('an empty list schedules nothing', () => {
      const s = make(name);
      for (const f of flows.slice(0, 8)) expect(s.schedule(f, 0)).toBe(NO_SERVER);
    });

    it('all weights 0 schedule nothing', () => {
      const s = make(name, { servers: specs([0, 0, 0]) });
      for (const f of flows) expect(s.schedule(f, 0)).toBe(NO_SERVER);
    });

    it('all servers OVERLOADed schedule nothing (fresh scheduler: no lblc cache yet)', () => {
      const s = make(name, { servers: specs([1, 2, 3]) });
      for (const x of s.list()) s.setOverloaded(x.handle, true);
      for (const f of flows) expect(s.schedule(f, 0)).toBe(NO_SERVER);
    });

    it('a single server is chosen for every flow', () => {
      const s = make(name, { servers: specs([5]) });
      const only = s.list()[0]!.handle;
      for (const f of flows) expect(s.schedule(f, 0)).toBe(only);
    });

    it('the single eligible server among quiesced and OVERLOADed ones is the only answer', () => {
      const flag = FALLBACK_FLAG[name];
      for (const flags of flag ? [[], [flag]] : [[]]) {
        const s = make(name, { servers: specs([0, 3, 2, 0, 4]), flags });
        const l = s.list();
        s.setOverloaded(l[2]!.handle, true);
        s.setOverloaded(l[4]!.handle, true);
        const eligible = l[1]!.handle;
        const got = new Set(flows.map((f) => s.schedule(f, 0)));
        if (HASHING.has(name) && flags.length === 0) {
          // dh, and sh/mh without *-fallback: the hashed bucket may belong to an unavailable server → NULL.
          for (const g of got) expect([eligible, NO_SERVER]).toContain(g);
        } else {
          expect([...got]).toEqual([eligible]);
        }
      }
    });

    it('removed servers are never chosen, and re-adding revives the old handle', () => {
      const s = make(name, { servers: specs([1, 2, 3, 4, 5]) });
      // Let stateful schedulers (rr/wrr pointers, lblc/lblcr caches) remember the servers first.
      for (const f of flows) s.schedule(f, 0);
      const [a, , c] = s.list();
      s.remove(a!.handle);
      s.remove(c!.handle);
      for (let round = 0; round < 3; round++) {
        for (const f of flows) {
          const got = s.schedule(f, 0);
          expect(got).not.toBe(a!.handle);
          expect(got).not.toBe(c!.handle);
        }
      }
      expect(s.size).toBe(3);
      expect(s.handleOf(a!.address, 80)).toBe(NO_SERVER);
      expect(s.add({ address: a!.address, port: 80, weight: 1 })).toBe(a!.handle);
    });

    it('list() is the kernel order: add() prepends, options.servers keep their order', () => {
      const s = make(name);
      for (const sp of specs([1, 2, 3])) s.add(sp);
      expect(s.list().map((x) => x.address)).toEqual([F.server(2), F.server(1), F.server(0)]);
      const t = make(name, { servers: specs([1, 2, 3]) });
      expect(t.list().map((x) => x.address)).toEqual([F.server(0), F.server(1), F.server(2)]);
      expect(t.list().map((x) => x.weight)).toEqual([1, 2, 3]);
      expect(t.list().every((x) => x.family === F.family)).toBe(true);
    });

    it('bad input throws the right code and changes nothing (twin comparison)', () => {
      const a = make(name, { servers: specs([1, 2, 3]) });
      const b = make(name, { servers: specs([1, 2, 3]) });
      const [x] = a.list();
      const h = x!.handle;
      const before = JSON.stringify(a.list());
      expectCode(() => a.add({ address: F.server(0), port: 80, weight: 1 }), 'SCHED_DUPLICATE_SERVER');
      expectCode(() => a.add({ address: F.server(9), port: 80, weight: -1 }), 'INVALID_ARGUMENT');
      expectCode(() => a.add({ address: F.server(9), port: 80, weight: 65536 }), 'INVALID_ARGUMENT');
      expectCode(() => a.add({ address: F.server(9), port: 80, weight: 1.5 }), 'INVALID_ARGUMENT');
      expectCode(() => a.add({ address: F.server(9), port: 70000, weight: 1 }), 'INVALID_ARGUMENT');
      expectCode(() => a.add({ address: 'not-an-ip', port: 80, weight: 1 }), 'INVALID_ARGUMENT');
      expectCode(() => a.remove(999), 'SCHED_UNKNOWN_SERVER');
      expectCode(() => a.remove(-1), 'SCHED_UNKNOWN_SERVER');
      expectCode(() => a.update(999, { weight: 1 }), 'SCHED_UNKNOWN_SERVER');
      expectCode(() => a.update(h, { weight: -1 }), 'INVALID_ARGUMENT');
      expectCode(() => a.update(h, { weight: 65536 }), 'INVALID_ARGUMENT');
      expectCode(() => a.setConnections(999, 1, 1), 'SCHED_UNKNOWN_SERVER');
      expectCode(() => a.setConnections(h, -1, 0), 'INVALID_ARGUMENT');
      expectCode(() => a.setConnections(h, 0, 0.5), 'INVALID_ARGUMENT');
      expectCode(() => a.setConnections(h, 2 ** 31, 0), 'INVALID_ARGUMENT');
      expectCode(() => a.setOverloaded(999, true), 'SCHED_UNKNOWN_SERVER');
      expectCode(() => a.info(999), 'SCHED_UNKNOWN_SERVER');
      expect(JSON.stringify(a.list())).toBe(before);
      // The twin that saw no bad calls makes the same picks.
      for (const f of flows) expect(a.schedule(f, 0)).toBe(b.schedule(f, 0));
    });

    it('a removed handle is unknown to every mutator', () => {
      const s = make(name, { servers: specs([1, 2]) });
      const h = s.list()[0]!.handle;
      s.remove(h);
      expectCode(() => s.remove(h), 'SCHED_UNKNOWN_SERVER');
      expectCode(() => s.update(h, { weight: 3 }), 'SCHED_UNKNOWN_SERVER');
      expectCode(() => s.setConnections(h, 1, 0), 'SCHED_UNKNOWN_SERVER');
      expectCode(() => s.setOverloaded(h, true), 'SCHED_UNKNOWN_SERVER');
    });

    it('pick() agrees with schedule() (twins)', () => {
      const a = make(name, { servers: specs([3, 1, 2, 5]) });
      const b = make(name, { servers: specs([3, 1, 2, 5]) });
      for (const [i, x] of a.list().entries()) {
        a.setConnections(x.handle, i, 2 * i);
        b.setConnections(x.handle, i, 2 * i);
      }
      for (let i = 0; i < 64; i++) {
        const init = {
          source: F.family === 4 ? `198.19.0.${i}` : `2001:db8:2::${i.toString(16)}`,
          sourcePort: 2000 + i,
          destination: F.family === 4 ? `198.18.0.${(i % 4) + 1}` : `2001:db8::${(i % 4) + 1}`,
          destinationPort: 443,
        };
        const picked = a.pick(init, 0);
        const h = b.schedule(makeFlow(init), 0);
        expect(picked?.handle ?? NO_SERVER).toBe(h);
        if (picked) expect(picked).toEqual(b.info(h));
      }
    });
  });

  it('rejects unknown and foreign flags with SCHED_INCOMPATIBLE_FLAG', () => {
    expectCode(() => make(name, { flags: ['bogus'] }), 'SCHED_INCOMPATIBLE_FLAG');
    const foreign = name === 'sh' ? 'mh-port' : 'sh-port';
    expectCode(() => make(name, { flags: [foreign] }), 'SCHED_INCOMPATIBLE_FLAG');
    expect(make(name, { flags: ['flag-3'] }).flags).toEqual(['flag-3']);
  });

  it('rejects duplicate initial servers with SCHED_DUPLICATE_SERVER', () => {
    const dup = [
      { address: '2001:db8::1', port: 80, weight: 1 },
      { address: '2001:DB8:0::1', port: 80, weight: 2 },
    ];
    expectCode(() => make(name, { servers: dup }), 'SCHED_DUPLICATE_SERVER');
  });
});

describe('createScheduler', () => {
  it('knows every name and rejects others', () => {
    for (const n of SCHEDULER_NAMES) expect(createScheduler(n).name).toBe(n);
    expectCode(() => createScheduler('bogus' as SchedulerName), 'SCHED_UNKNOWN_SCHEDULER');
    expectCode(() => createScheduler('toString' as SchedulerName), 'SCHED_UNKNOWN_SCHEDULER');
    for (const n of ['constructor', '__proto__', 'hasOwnProperty'])
      expectCode(() => createScheduler(n as SchedulerName), 'SCHED_UNKNOWN_SCHEDULER');
  });

  it('refuses flags and servers that are not arrays with INVALID_ARGUMENT, never a TypeError (issue 11 item 9)', () => {
    expectCode(() => createScheduler('sh', { flags: 5 } as never), 'INVALID_ARGUMENT');
    expectCode(() => createScheduler('sh', { flags: 'sh-port' } as never), 'INVALID_ARGUMENT');
    expectCode(() => createScheduler('rr', { servers: 5 } as never), 'INVALID_ARGUMENT');
  });
});

// The one documented exception to "OVERLOAD is never chosen" (spec §1.8, §8 #10): ip_vs_lblc_schedule returns
// its cached server without testing IP_VS_DEST_F_OVERLOAD (it tests only AVAILABLE, weight > 0 and
// is_overloaded). Stated here so that the conformance suite does not hide it.
describe('lblc: the cached server ignores the OVERLOAD flag (kernel behaviour)', () => {
  const setup = () => {
    const s = createScheduler('lblc', {
      servers: [
        { address: '198.18.1.1', port: 80, weight: 1 },
        { address: '198.18.1.2', port: 80, weight: 1 },
      ],
    });
    const f = makeFlow({ source: '198.19.0.1', destination: '198.18.0.1', destinationPort: 80 });
    const g = makeFlow({ source: '198.19.0.1', destination: '198.18.0.2', destinationPort: 80 });
    return { s, f, g };
  };

  it('keeps sending a destination to its cached server after OVERLOAD is set', () => {
    const { s, f, g } = setup();
    const first = s.schedule(f, 0);
    expect(first).not.toBe(NO_SERVER);
    expect(s.schedule(f, 0)).toBe(first);
    s.setOverloaded(first, true);
    expect(s.schedule(f, 1)).toBe(first);
    // A destination with no cache entry goes through WLC, which skips OVERLOAD.
    expect(s.schedule(g, 1)).not.toBe(first);
  });

  // ip_vs_lblc_new caches the chosen server at once, even when the entry table has to grow for it.
  it('the very first pick already caches the server (ip_vs_lblc_new)', () => {
    const { s, f } = setup();
    const first = s.schedule(f, 0);
    s.setOverloaded(first, true);
    expect(s.schedule(f, 1)).toBe(first);
  });
});
