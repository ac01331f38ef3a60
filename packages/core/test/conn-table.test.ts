/**
 * The connection table against a plain Map model (fast-check): inserts, lookups in both directions,
 * template lookups, removals, re-arming and wheel expiry agree with the model; a full table refuses
 * inserts; the per-entry storage stays under 128 bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnTable, F_TEMPLATE, WHEEL_TICK_MS } from '../src/conn-table.js';

const w = new Int32Array(12);
function setKey(c: number, cport: number, v: number, d: number) {
  w.fill(0);
  w[0] = c;
  w[4] = v;
  w[8] = d;
  return cport;
}

describe('ConnTable', () => {
  it('agrees with a Map model under random inserts, lookups, removals, re-arms and expiry', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('insert' as const),
              c: fc.integer({ min: 1, max: 6 }),
              p: fc.integer({ min: 1, max: 6 }),
              t: fc.integer({ min: 0, max: 5000 }),
            }),
            fc.record({
              op: fc.constant('remove' as const),
              c: fc.integer({ min: 1, max: 6 }),
              p: fc.integer({ min: 1, max: 6 }),
            }),
            fc.record({
              op: fc.constant('arm' as const),
              c: fc.integer({ min: 1, max: 6 }),
              p: fc.integer({ min: 1, max: 6 }),
              t: fc.integer({ min: 0, max: 5000 }),
            }),
            fc.record({ op: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 3000 }) }),
          ),
          { maxLength: 200 },
        ),
        (ops) => {
          let now = 10_000;
          const t = new ConnTable(16, now, 1234);
          const model = new Map<string, { idx: number; exp: number }>();
          const find = (c: number, p: number) => {
            setKey(c, p, 77, 99);
            return t.lookupIn(6, false, w, 0, p, 4, 80);
          };
          for (const o of ops) {
            if (o.op === 'insert') {
              const k = `${o.c}:${o.p}`;
              if (model.has(k)) continue;
              setKey(o.c, o.p, 77, 99);
              const i = t.insert(6, 0, w, 0, o.p, 4, 80, w, 8, 8080, 0, now, o.t);
              if (model.size >= 16) expect(i).toBe(-1);
              else {
                expect(i).toBeGreaterThanOrEqual(0);
                model.set(k, { idx: i, exp: now + o.t });
              }
            } else if (o.op === 'remove') {
              const m = model.get(`${o.c}:${o.p}`);
              if (!m) continue;
              t.remove(m.idx);
              model.delete(`${o.c}:${o.p}`);
            } else if (o.op === 'arm') {
              const m = model.get(`${o.c}:${o.p}`);
              if (!m) continue;
              t.arm(m.idx, now, o.t);
              m.exp = now + o.t;
            } else {
              now += o.dt;
              const expired: number[] = [];
              t.advance(now, (i) => {
                expired.push(i);
                t.remove(i);
              });
              // Reaped entries are exactly those due by now, minus at most one wheel tick of lag.
              for (const [k, m] of model) {
                if (expired.includes(m.idx)) {
                  expect(m.exp).toBeLessThanOrEqual(now);
                  model.delete(k);
                } else expect(m.exp).toBeGreaterThan(now - WHEEL_TICK_MS);
              }
            }
            expect(t.size).toBe(model.size);
            for (let c = 1; c <= 6; c++)
              for (let p = 1; p <= 6; p++) expect(find(c, p)).toBe(model.get(`${c}:${p}`)?.idx ?? -1);
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);

  it('finds NAT replies by (client, real server) and templates only by template lookups', () => {
    const t = new ConnTable(8, 0, 1);
    setKey(0x0a000001, 1234, 0x0a000063, 0x0a000102);
    const i = t.insert(6, 0, w, 0, 1234, 4, 80, w, 8, 8080, 0, 0, 1000);
    // Reply: words 0..3 = real server, 4..7 = client.
    const r = new Int32Array(8);
    r[0] = 0x0a000102;
    r[4] = 0x0a000001;
    expect(t.lookupOut(6, false, r, 4, 1234, 0, 8080)).toBe(i);
    expect(t.lookupOut(6, false, r, 4, 1234, 0, 8081)).toBe(-1);
    setKey(0x0a000001, 0, 0x0a000063, 0x0a000102);
    const tp = t.insert(6, F_TEMPLATE, w, 0, 0, 4, 80, w, 8, 8080, 0, 0, 1000);
    expect(t.lookupTemplate(6, false, w, 0, 4, 80)).toBe(tp);
    expect(t.lookupIn(6, false, w, 0, 0, 4, 80)).toBe(-1);
    t.invalidateTemplate(tp);
    expect(t.lookupTemplate(6, false, w, 0, 4, 80)).toBe(-1);
  });

  it('stores an entry in under 128 bytes of typed arrays', () => {
    const t = new ConnTable(1 << 20, 0);
    expect(t.bytesPerEntry).toBeLessThanOrEqual(128);
  });
});
