/**
 * Engine invariants under random traffic (fast-check): ActiveConn + InActConn over all real servers
 * equals the connections in the table, PersistConn equals the templates, a controlling template's
 * n_control equals the connections it controls, and once every timeout has passed the table is empty
 * and every count is zero. Random malformed summaries never make `process` throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileConfig, Ipvs } from '../src/director.js';
import { createPacketSummary, fillPacketSummary } from '../src/packet.js';
import { FakeClock, SimulatedPacketPort } from '../src/testing/index.js';

async function make(maxConnections: number) {
  const clock = new FakeClock(1_000);
  const port = new SimulatedPacketPort(clock);
  const d = new Ipvs(
    compileConfig({
      services: [
        {
          name: 'nat',
          config: {
            protocol: 'tcp',
            address: '198.18.0.1',
            port: 80,
            scheduler: 'wlc',
            persistence: { timeout: 20 },
            realServers: [
              { address: '198.18.1.1', method: 'masq', upperThreshold: 3 },
              { address: '198.18.1.2', method: 'masq' },
            ],
          },
        },
        {
          name: 'dr',
          config: {
            protocol: 'tcp',
            address: '198.18.0.2',
            port: 80,
            scheduler: 'rr',
            realServers: [{ address: '198.18.1.3' }],
          },
        },
        {
          name: 'udp',
          config: {
            protocol: 'udp',
            address: '198.18.0.1',
            port: 53,
            scheduler: 'rr',
            realServers: [{ address: '198.18.1.4', method: 'masq' }],
          },
        },
      ],
      maxConnections,
      switches: { expireNodestConn: true },
    }),
    { clock, packets: port },
  );
  await d.start();
  return { d, clock, port };
}

function check(d: Ipvs) {
  const t = d.engine.table;
  let conns = 0;
  let templates = 0;
  const controlled = new Map<number, number>();
  for (let i = 0; i < t.end; i++) {
    if (!t.inUse(i)) continue;
    if (t.getFlags(i) & 0x1000) templates++;
    else {
      conns++;
      const ct = t.control[i] ?? -1;
      if (ct >= 0) controlled.set(ct, (controlled.get(ct) ?? 0) + 1);
    }
  }
  for (const [ct, n] of controlled) expect(t.nControl[ct]).toBe(n);
  const dests = d.engine.dests.filter((x) => x !== undefined);
  expect(dests.reduce((s, x) => s + x.active + x.inactive, 0)).toBe(conns);
  expect(dests.reduce((s, x) => s + x.persist, 0)).toBe(templates);
  expect(t.size).toBe(conns + templates);
}

const packet = fc.record({
  svc: fc.constantFrom('nat', 'dr', 'udp'),
  client: fc.integer({ min: 1, max: 4 }),
  cport: fc.integer({ min: 1000, max: 1005 }),
  flags: fc.constantFrom('S', 'A', 'F', 'R', 'SA', 'FA', ''),
  reply: fc.boolean(),
  dt: fc.integer({ min: 0, max: 30_000 }),
});

describe('engine invariants', () => {
  it('counts match the table under random traffic, expiry and real-server churn', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(packet, { maxLength: 120 }), fc.integer({ min: 3, max: 64 }), async (pkts, cap) => {
        const { d, clock, port } = await make(cap);
        for (const [k, p] of pkts.entries()) {
          clock.advance(p.dt);
          const client = `198.19.0.${p.client}`;
          if (p.svc === 'udp') {
            if (p.reply)
              port.send({
                protocol: 'udp',
                source: '198.18.1.4',
                sourcePort: 53,
                destination: client,
                destinationPort: p.cport,
                direction: 'out',
              });
            else
              port.send({
                protocol: 'udp',
                source: client,
                sourcePort: p.cport,
                destination: '198.18.0.1',
                destinationPort: 53,
              });
          } else if (p.reply && p.svc === 'nat')
            port.send({
              source: `198.18.1.${1 + (p.client % 2)}`,
              sourcePort: 80,
              destination: client,
              destinationPort: p.cport,
              flags: p.flags,
              direction: 'out',
            });
          else
            port.send({
              source: client,
              sourcePort: p.cport,
              destination: p.svc === 'nat' ? '198.18.0.1' : '198.18.0.2',
              destinationPort: 80,
              flags: p.flags,
            });
          if (k === 40) d.removeRealServer('nat', { address: '198.18.1.2' });
          if (k === 60) d.addRealServer('nat', { address: '198.18.1.2', method: 'masq' });
          check(d);
        }
        clock.advance(3_600_000);
        check(d);
        expect(d.engine.table.size).toBe(0);
        for (const s of d.list())
          for (const r of s.realServers)
            expect([r.activeConns, r.inactiveConns, r.persistentConns, r.overloaded]).toEqual([0, 0, 0, false]);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('process never throws on arbitrary summaries', async () => {
    const { d } = await make(16);
    const s = createPacketSummary();
    fillPacketSummary({ source: '198.19.0.1', destination: '198.18.0.1' }, s);
    fc.assert(
      fc.property(
        fc.record({
          family: fc.constantFrom(4, 6, 5, 0),
          protocol: fc.integer({ min: -1, max: 300 }),
          sport: fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.double()),
          dport: fc.oneof(fc.constantFrom(80, 53, 0), fc.integer({ min: -5, max: 70_000 })),
          tcpFlags: fc.integer({ min: 0, max: 255 }),
          length: fc.integer({ min: 0, max: 70_000 }),
          direction: fc.constantFrom(0, 1),
          bytes: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        }),
        (f) => {
          s.family = f.family as 4;
          s.protocol = f.protocol;
          s.sport = f.sport;
          s.dport = f.dport;
          s.tcpFlags = f.tcpFlags;
          s.length = f.length;
          s.direction = f.direction as 0;
          s.saddr.set(f.bytes);
          const r = d.engine.process(s, 5_000);
          expect([0, 1, 2]).toContain(r.verdict);
        },
      ),
      { numRuns: 2000 },
    );
  }, 60_000);
});
