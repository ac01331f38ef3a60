/**
 * The datapath's next-hop MAC cache: configured MACs without a kernel query, learnt MACs queried once, and
 * an unresolved address asked again at most once per retry interval however many packets go to it — also
 * when up to `ways` next hops hash to one set (which a direct-mapped cache of the same size got wrong: the
 * colliding addresses below share a slot of one, see `colliding4`). Expected query counts are derived by
 * hand from the documented rules (one query per resolved address while cached, one per retry interval per
 * unresolved one, LRU within a set), never from running the cache.
 */
import { formatIp, LvsError } from '@lvskit/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NeighbourCache } from '../src/index.js';
import { neighbourSetOf } from '../src/neighbour-cache.js';

const v4 = (s: string) => Uint8Array.from(s.split('.').map(Number));
const hex = (b: Uint8Array | undefined) =>
  b === undefined ? undefined : Array.from(b, (x) => x.toString(16)).join(':');

describe('NeighbourCache', () => {
  it('answers configured MACs without querying the kernel', () => {
    const asked: string[] = [];
    const c = new NeighbourCache({
      known: { '198.18.0.11': '02:00:00:00:00:0b', '2001:db8::11': '02:00:00:00:00:0c' },
      query: (a) => {
        asked.push(a);
        return undefined;
      },
    });
    expect(hex(c.lookup(v4('198.18.0.11'), 0, 4, 0))).toBe('2:0:0:0:0:b');
    const six = new Uint8Array(20);
    six.set([0x20, 0x01, 0x0d, 0xb8], 2);
    six[17] = 0x11;
    expect(hex(c.lookup(six, 2, 16, 0))).toBe('2:0:0:0:0:c');
    expect(asked).toEqual([]);
  });

  it('queries a learnt address once, then answers from the cache', () => {
    const asked: string[] = [];
    const c = new NeighbourCache({
      query: (a) => {
        asked.push(a);
        return '02:00:00:00:00:22';
      },
    });
    for (let i = 0; i < 1000; i++) expect(hex(c.lookup(v4('198.18.0.22'), 0, 4, i))).toBe('2:0:0:0:0:22');
    expect(asked).toEqual(['198.18.0.22']);
    expect(c.queries).toBe(1);
  });

  it('asks again for an unresolved address at most once per retry interval (IPv4 and IPv6)', () => {
    const asked: string[] = [];
    let answer: string | undefined;
    const c = new NeighbourCache({
      retryMs: 100,
      query: (a) => {
        asked.push(a);
        return answer;
      },
    });
    const six = new Uint8Array(16);
    six.set([0x20, 0x01, 0x0d, 0xb8]);
    six[15] = 0x33;
    // 1000 packets over 250 ms (one every 0.25 ms) to each: queries at t = 0, 100, 200 only.
    for (let i = 0; i < 1000; i++) {
      expect(c.lookup(v4('198.18.0.33'), 0, 4, i * 0.25)).toBeUndefined();
      expect(c.lookup(six, 0, 16, i * 0.25)).toBeUndefined();
    }
    expect(asked).toEqual([
      '198.18.0.33',
      '2001:db8::33',
      '198.18.0.33',
      '2001:db8::33',
      '198.18.0.33',
      '2001:db8::33',
    ]);
    // Once the kernel has it, the next due retry learns it and the cache answers from then on.
    answer = '02:00:00:00:00:33';
    expect(c.lookup(v4('198.18.0.33'), 0, 4, 299)).toBeUndefined();
    expect(hex(c.lookup(v4('198.18.0.33'), 0, 4, 300))).toBe('2:0:0:0:0:33');
    expect(hex(c.lookup(six, 0, 16, 300))).toBe('2:0:0:0:0:33');
    expect(c.queries).toBe(8);
    expect(hex(c.lookup(v4('198.18.0.33'), 0, 4, 301))).toBe('2:0:0:0:0:33');
    expect(c.queries).toBe(8);
  });

  it('keeps distinct addresses apart, also when they share a slot', () => {
    // Two slots only: most of these 64 addresses collide; each must still get its own MAC back.
    const c = new NeighbourCache({
      slots: 2,
      query: (a) => `02:00:00:00:00:${Number(a.split('.')[3]).toString(16).padStart(2, '0')}`,
    });
    for (let round = 0; round < 2; round++) {
      for (let i = 1; i <= 64; i++)
        expect(hex(c.lookup(v4(`198.18.0.${i}`), 0, 4, 0))).toBe(`2:0:0:0:0:${i.toString(16)}`);
    }
  });

  it('rejects a slot count that is not a power of two', () => {
    expect(() => new NeighbourCache({ slots: 3, query: () => undefined })).toThrow(/power of two/);
  });
});

// Address helpers: IPv4 from 198.18.0.0/15, IPv6 from 2001:db8::/32, numbered; each gets its own MAC.
const ip4 = (i: number) => Uint8Array.of(198, 18 + ((i >> 16) & 1), (i >> 8) & 0xff, i & 0xff);
const ip6 = (i: number) => Uint8Array.of(0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, i >>> 24, i >> 16, i >> 8, i);
const text = (b: Uint8Array) => formatIp(b, b.length === 4 ? 4 : 6);
const macFor = (address: string) => {
  // A MAC unique per address (an FNV-1a hash of the text), so a MAC returned for the wrong address shows.
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) h = Math.imul(h ^ address.charCodeAt(i), 0x01000193) >>> 0;
  return `02:${address.length.toString(16)}:${[24, 16, 8, 0].map((s) => ((h >>> s) & 0xff).toString(16)).join(':')}`;
};
const norm = (mac: string) => hex(Uint8Array.from(mac.split(':'), (x) => Number.parseInt(x, 16)));

/**
 * `count` distinct addresses (made by `make`) that share one slot of a direct-mapped cache of `slots` entries
 * — the old cache's layout, same hash — and therefore (the set is a prefix of the hash's bits) one set of a
 * set-associative cache of the same size; the caller checks the second with the cache's own `sets`.
 */
function colliding(make: (i: number) => Uint8Array, count: number, slots = 1024): Uint8Array[] {
  const groups = new Map<number, Uint8Array[]>();
  for (let i = 1; i < 1 << 17; i++) {
    const b = make(i);
    const slot = neighbourSetOf(b, 0, b.length, slots);
    const g = groups.get(slot) ?? [];
    g.push(b);
    groups.set(slot, g);
    if (g.length === count) return g;
  }
  throw new Error('no colliding addresses found');
}

/** A kernel stand-in: resolves addresses in `resolved` (by text) to their own MAC, records every query. */
function kernel(resolved: (address: string) => boolean = () => true) {
  const asked: string[] = [];
  const query = (a: string) => {
    asked.push(a);
    return resolved(a) ? macFor(a) : undefined;
  };
  return { asked, query };
}

describe('NeighbourCache, set-associative', () => {
  it('has 4 ways by default (fewer when slots are fewer), and validates ways and retryMs', () => {
    const c = new NeighbourCache({ query: () => undefined });
    expect([c.ways, c.sets]).toEqual([4, 256]); // 1024 slots / 4 ways
    const two = new NeighbourCache({ slots: 2, query: () => undefined });
    expect([two.ways, two.sets]).toEqual([2, 1]);
    const direct = new NeighbourCache({ slots: 8, ways: 1, query: () => undefined });
    expect([direct.ways, direct.sets]).toEqual([1, 8]);
    for (const bad of [
      { ways: 3 },
      { ways: 0 },
      { ways: 32 },
      { slots: 4, ways: 8 },
      { retryMs: -1 },
      { retryMs: Number.NaN },
    ]) {
      expect(() => new NeighbourCache({ ...bad, query: () => undefined }), JSON.stringify(bad)).toThrow(LvsError);
    }
    // Every bad option is reported at once, each as an issue with its path.
    try {
      new NeighbourCache({ slots: 3, ways: 3, retryMs: Number.POSITIVE_INFINITY, query: () => undefined });
      expect.unreachable();
    } catch (err) {
      expect(LvsError.is(err) && err.code).toBe('INVALID_ARGUMENT');
      expect((err as LvsError).issues.map((i) => i.path[0])).toEqual(['slots', 'ways', 'retryMs']);
    }
  });

  it.each([
    ['IPv4', ip4],
    ['IPv6', ip6],
  ])('keeps %s next hops that share a set: alternating over 4 of them queries each once', (_, make) => {
    const { asked, query } = kernel();
    const c = new NeighbourCache({ query });
    const hops = colliding(make, 4);
    expect(new Set(hops.map((b) => neighbourSetOf(b, 0, b.length, c.sets))).size).toBe(1);
    for (let round = 0; round < 1000; round++) {
      for (const b of hops) expect(hex(c.lookup(b, 0, b.length, round))).toBe(norm(macFor(text(b))));
    }
    // One query per address, on its first packet; a direct-mapped cache would query on every packet (4000).
    expect(asked).toEqual(hops.map(text));
    expect(c.queries).toBe(4);
  });

  it('keeps the retry limit for unresolved next hops that share a set (IPv4 and IPv6)', () => {
    const { asked, query } = kernel(() => false);
    const c = new NeighbourCache({ retryMs: 100, query });
    const hops = [...colliding(ip4, 4), ...colliding(ip6, 4)];
    // 1000 rounds, round r at t = r × 0.25 ms (250 ms): each address is due at t = 0, 100, 200, i.e. rounds
    // 0, 400 and 800 — three queries each, 24 in all, in the order the addresses are looked up.
    for (let round = 0; round < 1000; round++) {
      for (const b of hops) expect(c.lookup(b, 0, b.length, round * 0.25)).toBeUndefined();
    }
    const once = hops.map(text);
    expect(asked).toEqual([...once, ...once, ...once]);
    expect(c.queries).toBe(24);
  });

  it('with one next hop more than ways in a set: correct MACs, none stale, and eviction by LRU', () => {
    const { asked, query } = kernel();
    const c = new NeighbourCache({ query });
    const hops = colliding(ip4, 5);
    for (let round = 0; round < 200; round++) {
      for (const b of hops) {
        const mac = c.lookup(b, 0, 4, round);
        expect(hex(mac)).toBe(norm(macFor(text(b))));
      }
    }
    // Cycling over 5 addresses in 4 ways, LRU always evicts the one needed next (the least recently used
    // is the next in the cycle): every lookup misses. This also proves the 5 do share one set.
    expect(c.queries).toBe(1000);
    expect(asked.slice(0, 10)).toEqual([...hops.map(text), ...hops.map(text)]);
  });

  it('evicts the least recently used entry of a full set', () => {
    const { asked, query } = kernel();
    const c = new NeighbourCache({ slots: 4, ways: 4, query }); // one set: every address shares it
    const [a, b, cc, d, e] = [1, 2, 3, 4, 5].map(ip4) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    for (const x of [a, b, cc, d, a, e]) c.lookup(x, 0, 4, 0); // E evicts B (A was used after B)
    for (const x of [a, cc, d, e]) c.lookup(x, 0, 4, 0); // all cached: no query
    c.lookup(b, 0, 4, 0); // B again: evicts A, now the least recently used
    c.lookup(a, 0, 4, 0);
    expect(asked).toEqual([a, b, cc, d, e, b, a].map(text));
  });

  it('evicts an unresolved entry due for a retry before the least recently used resolved one', () => {
    const { asked, query } = kernel((x) => x !== '198.18.0.4');
    const c = new NeighbourCache({ slots: 4, ways: 4, retryMs: 100, query });
    const [a, b, cc, d, e] = [1, 2, 3, 4, 5].map(ip4) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    for (const x of [a, b, cc]) c.lookup(x, 0, 4, 0);
    expect(c.lookup(d, 0, 4, 0)).toBeUndefined(); // unresolved, retry due at t = 100
    c.lookup(e, 0, 4, 150); // D is due: E takes its slot, A (least recently used) stays
    for (const x of [a, b, cc, e]) expect(hex(c.lookup(x, 0, 4, 150))).toBe(norm(macFor(text(x))));
    expect(asked).toEqual([a, b, cc, d, e].map(text));
    // Before D is due, a new address evicts by LRU instead (D's negative entry is the oldest here).
    const k2 = kernel((x) => x !== '198.18.0.4');
    const c2 = new NeighbourCache({ slots: 4, ways: 4, retryMs: 100, query: k2.query });
    c2.lookup(d, 0, 4, 0);
    for (const x of [a, b, cc]) c2.lookup(x, 0, 4, 0);
    c2.lookup(e, 0, 4, 50); // evicts D
    expect(c2.lookup(d, 0, 4, 50)).toBeUndefined(); // asked again (evicts A)
    c2.lookup(b, 0, 4, 50); // still cached
    c2.lookup(a, 0, 4, 50); // evicted by D: asked again
    expect(k2.asked).toEqual([d, a, b, cc, e, d, a].map(text));
  });

  it('clear() forgets learnt entries, not configured ones', () => {
    const { asked, query } = kernel();
    const c = new NeighbourCache({ known: { '198.18.0.1': '02:00:00:00:00:01' }, query });
    c.lookup(ip4(2), 0, 4, 0);
    c.lookup(ip4(1), 0, 4, 0);
    c.clear();
    expect(hex(c.lookup(ip4(1), 0, 4, 1))).toBe('2:0:0:0:0:1');
    expect(hex(c.lookup(ip4(2), 0, 4, 1))).toBe(norm(macFor('198.18.0.2')));
    expect(asked).toEqual(['198.18.0.2', '198.18.0.2']);
  });

  // A small population (IPv4 and IPv6, some unresolved) and random lookups at non-decreasing times.
  const population = fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }).chain((ids) =>
    fc.record({
      hops: fc.constant(ids.map((i) => (i % 2 === 0 ? ip4(i) : ip6(i)))),
      unresolved: fc.array(fc.boolean(), { minLength: ids.length, maxLength: ids.length }),
      ops: fc.array(fc.record({ hop: fc.nat(ids.length - 1), dt: fc.integer({ min: 0, max: 150 }) }), {
        maxLength: 300,
      }),
    }),
  );

  it('never returns another address’s MAC, under any eviction (property, model Map)', () => {
    const geometry = fc.constantFrom([2, 1], [2, 2], [4, 1], [4, 2], [4, 4], [8, 2], [8, 4], [16, 4]);
    fc.assert(
      fc.property(geometry, population, ([slots, ways], { hops, unresolved, ops }) => {
        // The model: what the kernel answers for each address (its own MAC, or nothing).
        const model = new Map(hops.map((b, i) => [text(b), unresolved[i] ? undefined : macFor(text(b))]));
        let current = '';
        const c = new NeighbourCache({
          slots,
          ways,
          query: (a) => {
            expect(a).toBe(current); // only ever asked about the address being looked up
            return model.get(a);
          },
        });
        const buf = new Uint8Array(40);
        let t = 0;
        for (const { hop, dt } of ops) {
          const b = hops[hop]!;
          current = text(b);
          buf.set(b, 7); // at an offset, as in a frame
          t += dt;
          const want = model.get(current);
          expect(hex(c.lookup(buf, 7, b.length, t))).toBe(want === undefined ? undefined : norm(want));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('queries exactly as the rules say while nothing is evicted (property, model of the query log)', () => {
    fc.assert(
      fc.property(population, fc.integer({ min: 0, max: 200 }), ({ hops, unresolved, ops }, retryMs) => {
        // One set of 16 ways per family: at most 12 addresses, so nothing is ever evicted.
        const log: string[] = [];
        let t = 0;
        const c = new NeighbourCache({
          slots: 16,
          ways: 16,
          retryMs,
          query: (a) => {
            log.push(`${a}@${t}`);
            return unresolved[hops.findIndex((b) => text(b) === a)] ? undefined : macFor(a);
          },
        });
        // The model: an address is asked on its first lookup, and an unresolved one again on the first
        // lookup at least retryMs after its last query.
        const last = new Map<number, number>();
        const want: string[] = [];
        for (const { hop, dt } of ops) {
          const b = hops[hop]!;
          t += dt;
          const prev = last.get(hop);
          if (prev === undefined || (unresolved[hop] && t >= prev + retryMs)) {
            last.set(hop, t);
            want.push(`${text(b)}@${t}`);
          }
          c.lookup(b, 0, b.length, t);
        }
        expect(log).toEqual(want);
        expect(c.queries).toBe(want.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('NeighbourCache.resolve4 / resolve6 (answers to our own ARP / NS)', () => {
  const v4 = Uint8Array.from([198, 18, 0, 7]);
  const v6 = Uint8Array.from([0x20, 0x01, 0, 2, ...new Array(11).fill(0), 7]);
  const mac = Uint8Array.from([0, 0, 2, 0, 0, 7, 0xaa]); // the MAC at offset 1
  it('resolves an address that is waiting (asked, unresolved): the next lookup answers without a query', () => {
    const c = new NeighbourCache({ query: () => undefined });
    expect(c.lookup(v4, 0, 4, 0)).toBeUndefined();
    expect(c.lookup(v6, 0, 16, 0)).toBeUndefined();
    expect(c.queries).toBe(2);
    expect(c.resolve4(v4, 0, mac, 1)).toBe(true);
    expect(c.resolve6(v6, 0, mac, 1)).toBe(true);
    expect([...c.lookup(v4, 0, 4, 1)!]).toEqual([0, 2, 0, 0, 7, 0xaa]);
    expect([...c.lookup(v6, 0, 16, 1)!]).toEqual([0, 2, 0, 0, 7, 0xaa]);
    expect(c.queries).toBe(2);
  });
  it('ignores answers nobody waits for (never asked, or already resolved), like arp_accept = 0', () => {
    const c = new NeighbourCache({ query: (a) => (a === '198.18.0.7' ? '00:00:02:00:00:01' : undefined) });
    expect(c.resolve4(v4, 0, mac, 1)).toBe(false);
    expect(c.resolve6(v6, 0, mac, 1)).toBe(false);
    expect(c.lookup(v4, 0, 4, 0)).toBeDefined(); // resolved by the kernel query
    expect(c.resolve4(v4, 0, mac, 1)).toBe(false); // a later unsolicited answer changes nothing
    expect([...c.lookup(v4, 0, 4, 1)!]).toEqual([0, 0, 2, 0, 0, 1]);
  });
});
