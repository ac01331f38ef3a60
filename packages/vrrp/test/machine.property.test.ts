/**
 * Property tests of the state machine (STYLE rule 9): random event sequences — adverts with random fields,
 * corrupted bytes, timers, faults, priority changes, shutdown — never make `step` throw and keep the
 * invariants keepalived keeps: VIPs are set exactly while MASTER, no timer runs in INIT or FAULT, and the
 * advert that announces a new master goes out before its VIPs are added. And two routers on a fake segment
 * always converge to one master (the higher priority) once the network heals.
 */

import { parseIp } from '@lvskit/base';
import { FakeClock } from '@lvskit/base/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileInstance, encodeAdvert, type VrrpEvent, VrrpMachine, VrrpRouter } from '../src/index.js';
import { FakeLinkMonitor, FakeOwnership, FakeSegment } from '../src/testing.js';

const cfg = compileInstance(
  { name: 'P', interface: 'eth0', virtualRouterId: 5, priority: 100, virtualIpAddresses: ['198.18.0.50/24'] },
  '198.18.0.2',
);

const arbEvent = fc.oneof(
  fc.record({
    kind: fc.constant('advert' as const),
    priority: fc.integer({ min: 0, max: 255 }),
    vrid: fc.constantFrom(5, 5, 5, 6),
    version: fc.constantFrom(2, 2, 3),
    src: fc.constantFrom('198.18.0.1', '198.18.0.3', '198.18.0.2'),
    ttl: fc.constantFrom(255, 255, 64),
    corrupt: fc.option(fc.nat({ max: 30 }), { nil: undefined }),
    dt: fc.integer({ min: 0, max: 2_000_000 }),
  }),
  fc.record({ kind: fc.constant('timer' as const), dt: fc.integer({ min: 0, max: 5_000_000 }) }),
  fc.record({ kind: fc.constant('fault' as const), fault: fc.boolean(), dt: fc.nat({ max: 1_000_000 }) }),
  fc.record({
    kind: fc.constant('priority' as const),
    total: fc.integer({ min: -300, max: 600 }),
    dt: fc.nat({ max: 1000 }),
  }),
  fc.record({ kind: fc.constant('shutdown' as const), dt: fc.nat({ max: 1000 }) }),
);

describe('VrrpMachine invariants under random events', () => {
  it('never throws; VIPs set iff MASTER; no timers in INIT/FAULT; advert before VIPs', () => {
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 60 }), (events) => {
        const m = new VrrpMachine(cfg);
        let now = 0;
        m.step({ type: 'start' }, now);
        for (const e of events) {
          now += e.dt;
          let ev: VrrpEvent;
          if (e.kind === 'advert') {
            const bytes = new Uint8Array(40);
            const n = encodeAdvert(
              bytes,
              0,
              {
                version: e.version as 2 | 3,
                family: 4,
                vrid: e.vrid,
                priority: e.priority,
                interval: e.version === 2 ? 1 : 100,
                addresses: [parseIp('198.18.0.50')],
              },
              e.version === 3 ? { source: parseIp(e.src), destination: parseIp('224.0.0.18') } : null,
            );
            if (e.corrupt !== undefined) bytes[e.corrupt % 40] = (bytes[e.corrupt % 40] as number) ^ 0x5a;
            ev = {
              type: 'advert',
              advert: {
                bytes,
                offset: 0,
                length: n,
                source: parseIp(e.src),
                destination: parseIp('224.0.0.18'),
                ttl: e.ttl,
              },
            };
          } else if (e.kind === 'timer') {
            // Fire exactly when due, as the shell does, if that is before the next event.
            const t = m.nextTimeout();
            if (t <= now) now = Math.max(now, t);
            ev = { type: 'timer' };
          } else if (e.kind === 'fault') ev = { type: 'fault', fault: e.fault };
          else if (e.kind === 'priority') ev = { type: 'priority', total: e.total };
          else ev = { type: 'shutdown' };
          const actions = m.step(ev, now);
          expect(m.addressesSet).toBe(m.state === 'MASTER');
          if (m.state === 'INIT' || m.state === 'FAULT') expect(m.nextTimeout()).toBe(Number.POSITIVE_INFINITY);
          const add = actions.findIndex((a) => a.type === 'add-addresses');
          if (add >= 0) expect(actions.slice(0, add).some((a) => a.type === 'send-advert')).toBe(true);
          expect(m.effectivePriority).toBeGreaterThanOrEqual(1);
          expect(m.effectivePriority).toBeLessThanOrEqual(255);
          if (m.state === 'INIT') m.step({ type: 'start' }, now);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('two routers converge', () => {
  it('after any partition history, one master — the higher priority — once the segment heals', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            block: fc.constantFrom('198.18.0.1', '198.18.0.2', ''),
            ms: fc.integer({ min: 100, max: 6000 }),
          }),
          {
            maxLength: 6,
          },
        ),
        fc.integer({ min: 1, max: 254 }),
        fc.integer({ min: 1, max: 254 }),
        async (history, pa, pb) => {
          fc.pre(pa !== pb);
          const clock = new FakeClock(0);
          const seg = new FakeSegment(clock);
          const mk = (ip: string, priority: number) =>
            new VrrpRouter(
              {
                name: 'VI',
                interface: 'eth0',
                virtualRouterId: 3,
                priority,
                virtualIpAddresses: ['198.18.0.60/24'],
                sourceIp: ip,
              },
              {
                transport: seg.transport(ip),
                ownership: new FakeOwnership(),
                linkMonitor: new FakeLinkMonitor(),
                clock,
              },
            );
          const a = mk('198.18.0.1', pa);
          const b = mk('198.18.0.2', pb);
          await a.start();
          await b.start();
          for (const h of history) {
            seg.blocked.clear();
            if (h.block) seg.blocked.add(h.block);
            clock.advance(h.ms);
          }
          seg.blocked.clear();
          clock.advance(10000);
          const states = [a.state, b.state];
          expect(states.filter((s) => s === 'MASTER')).toHaveLength(1);
          expect(pa > pb ? a.state : b.state).toBe('MASTER');
        },
      ),
      { numRuns: 100 },
    );
  });
});
