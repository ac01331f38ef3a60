/**
 * The connection table against a plain Map model (fast-check): inserts, lookups in both directions,
 * template lookups, removals, re-arming and wheel expiry agree with the model; a full table refuses
 * inserts; the per-entry storage stays under 128 bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnTable, F_AF6, F_DAF6, F_TEMPLATE, WHEEL_TICK_MS } from '../src/conn-table.js';

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

/**
 * The open-addressed index (linear probing, backward-shift deletion) against a Map model, with few slots
 * and a key space much larger than the table so probe runs wrap around the slot array, collide and get
 * shifted on removal; every lookup kind (in, out, template; IPv4 and IPv6) is checked after every step,
 * including keys that differ from a stored one in a single field.
 */
describe('ConnTable index under collisions', () => {
  type Key = {
    af6: boolean;
    tpl: boolean;
    c: number[];
    cport: number;
    v: number[];
    vport: number;
    d: number[];
    dport: number;
  };
  const word = fc.integer({ min: 1, max: 3 });
  const addr = fc.tuple(word, fc.constantFrom(0, 5), word, word);
  const keyArb = fc.record({
    af6: fc.boolean(),
    tpl: fc.boolean(),
    c: addr,
    cport: fc.integer({ min: 1, max: 3 }),
    v: addr,
    vport: fc.integer({ min: 80, max: 81 }),
    d: addr,
    dport: fc.integer({ min: 8080, max: 8081 }),
  });
  const kw = new Int32Array(12);
  const load = (k: Key) => {
    kw.fill(0);
    // IPv4 entries keep address words 1..3 zero (ConnTable.insert's contract).
    for (let j = 0; j < 4; j++) {
      kw[j] = j === 0 || k.af6 ? (k.c[j] ?? 0) : 0;
      kw[4 + j] = j === 0 || k.af6 ? (k.v[j] ?? 0) : 0;
      kw[8 + j] = j === 0 || k.af6 ? (k.d[j] ?? 0) : 0;
    }
  };
  const norm = (k: Key): Key => {
    const z = (a: number[]) => (k.af6 ? a : [a[0] ?? 0, 0, 0, 0]);
    return { ...k, c: z(k.c), v: z(k.v), d: z(k.d), cport: k.tpl ? 0 : k.cport };
  };
  const id = (k: Key) => JSON.stringify(norm(k));

  it('finds exactly the model entries in every direction', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer(),
        fc.array(
          fc.oneof(
            fc.record({ add: fc.constant(true as const), k: keyArb }),
            fc.record({ add: fc.constant(false as const), n: fc.nat() }),
          ),
          {
            maxLength: 120,
          },
        ),
        (cap, seed, ops) => {
          const t = new ConnTable(cap, 0, seed);
          const model = new Map<string, { k: Key; idx: number }>();
          const check = () => {
            expect(t.size).toBe(model.size);
            const seen = new Set<number>();
            for (const { k, idx } of model.values()) {
              seen.add(idx);
              load(k);
              const pr = k.tpl ? 0 : 6;
              if (k.tpl) {
                expect(t.lookupTemplate(pr, k.af6, kw, 0, 4, k.vport)).toBe(idx);
                expect(t.lookupIn(pr, k.af6, kw, 0, 0, 4, k.vport)).toBe(-1);
              } else {
                expect(t.lookupIn(pr, k.af6, kw, 0, k.cport, 4, k.vport)).toBe(idx);
                // Reply direction: the packet's destination is the client, its source the real server.
                expect(t.lookupOut(pr, k.af6, kw, 0, k.cport, 8, k.dport)).toBe(idx);
                expect(t.lookupTemplate(pr, k.af6, kw, 0, 4, k.vport)).toBe(-1);
              }
            }
            expect(seen.size).toBe(model.size); // distinct live entries have distinct indexes
            // Neighbouring keys that are not stored: a different virtual port / real server port / family.
            for (const { k } of model.values()) {
              for (const alt of [
                { ...k, vport: k.vport === 80 ? 81 : 80 },
                { ...k, dport: k.dport === 8080 ? 8081 : 8080 },
                { ...k, af6: !k.af6 },
              ]) {
                load(alt);
                const pr = alt.tpl ? 0 : 6;
                if (alt.tpl) {
                  // A template is keyed by client, virtual address and port only (ip_vs_ct_in_get).
                  const m = [...model.values()].find(
                    (e) => e.k.tpl && id({ ...e.k, d: alt.d, dport: alt.dport }) === id(alt),
                  );
                  expect(t.lookupTemplate(pr, alt.af6, kw, 0, 4, alt.vport)).toBe(m ? m.idx : -1);
                } else {
                  const inHit = [...model.values()].find(
                    (e) => !e.k.tpl && id({ ...e.k, d: alt.d, dport: alt.dport }) === id(alt),
                  );
                  expect(t.lookupIn(pr, alt.af6, kw, 0, alt.cport, 4, alt.vport)).toBe(inHit ? inHit.idx : -1);
                  const outHit = [...model.values()].find(
                    (e) => !e.k.tpl && id({ ...e.k, v: alt.v, vport: alt.vport }) === id(alt),
                  );
                  expect(t.lookupOut(pr, alt.af6, kw, 0, alt.cport, 8, alt.dport)).toBe(outHit ? outHit.idx : -1);
                }
              }
            }
          };
          for (const o of ops) {
            if (o.add) {
              const k = norm(o.k);
              // Keys unique in both directions, as the engine keeps them (it looks up before it inserts).
              const clash = [...model.values()].some(
                (e) =>
                  e.k.tpl === k.tpl &&
                  (id({ ...e.k, d: k.d, dport: k.dport }) === id(k) ||
                    id({ ...e.k, v: k.v, vport: k.vport }) === id(k)),
              );
              if (clash) continue;
              load(k);
              const i = t.insert(
                k.tpl ? 0 : 6,
                k.tpl ? F_TEMPLATE | (k.af6 ? F_AF6 : 0) : k.af6 ? F_AF6 | F_DAF6 : 0,
                kw,
                0,
                k.cport,
                4,
                k.vport,
                kw,
                8,
                k.dport,
                0,
                0,
                1000,
              );
              if (model.size >= cap) expect(i).toBe(-1);
              else {
                expect(i).toBeGreaterThanOrEqual(0);
                model.set(id(k), { k, idx: i });
              }
            } else if (model.size > 0) {
              const keys = [...model.keys()];
              const key = keys[o.n % keys.length] ?? '';
              const e = model.get(key);
              if (e) t.remove(e.idx);
              model.delete(key);
            }
            check();
          }
          t.clear();
          expect(t.size).toBe(0);
          for (const { k } of model.values()) {
            load(k);
            expect(t.lookupIn(k.tpl ? 0 : 6, k.af6, kw, 0, k.cport, 4, k.vport)).toBe(-1);
          }
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);
});
