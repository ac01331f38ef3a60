/**
 * The datapath's next-hop MAC cache: configured MACs without a kernel query, learnt MACs queried once, and
 * an unresolved address asked again at most once per retry interval however many packets go to it.
 */
import { describe, expect, it } from 'vitest';
import { NeighbourCache } from '../src/index.js';

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
