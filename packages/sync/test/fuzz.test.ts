/**
 * Fuzz of the sync decoder (issue 14): random datagrams and mutations of valid ones never throw and only
 * ever yield well-formed records; decode(encode(x)) is x for every valid record, in both versions.
 */
import { formatIp, parseIp } from '@lvskit/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RUNS } from '../../../test/fuzz/harness.js';
import { decodeSyncMessage, encodeSyncMessages, type SyncConn } from '../src/index.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const port = fc.integer({ min: 0, max: 0xffff });
const ip4 = fc.ipV4();
const ip6 = fc
  .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
  .map(([a, b]) => formatIp(parseIp(`2001:2::${a.toString(16)}:${b.toString(16)}`)));
const seq = fc.record({ initSeq: u32, delta: u32, previousDelta: u32 });
// valid for the default receiver: TCP (11 states), UDP (1) or a template of any protocol
const proto = fc.oneof(
  fc.record({
    protocol: fc.constant(6),
    state: fc.integer({ min: 0, max: 10 }),
    flags: u32.map((f) => (f & ~0x1040) >>> 0),
  }),
  fc.record({ protocol: fc.constant(17), state: fc.constant(0), flags: u32.map((f) => (f & ~0x1040) >>> 0) }),
  fc.record({
    protocol: fc.integer({ min: 0, max: 255 }),
    state: port,
    flags: u32.map((f) => ((f | 0x1000) & ~0x40) >>> 0),
  }),
);
const v1conn: fc.Arbitrary<SyncConn> = fc
  .tuple(
    proto,
    fc.boolean(),
    port,
    port,
    port,
    u32,
    u32,
    fc.option(seq),
    fc.option(seq),
    fc.option(fc.uint8Array({ minLength: 1, maxLength: 255 })),
    fc.boolean(),
  )
  .chain(([p, six, cport, vport, dport, fwmark, timeout, a, b, peData, sip]) =>
    fc.tuple(six ? ip6 : ip4, six ? ip6 : ip4, six ? ip6 : ip4).map(([caddr, vaddr, daddr]) => {
      const c: SyncConn = { family: six ? 6 : 4, ...p, cport, vport, dport, fwmark, timeout, caddr, vaddr, daddr };
      if (a && b) {
        c.inSeq = a;
        c.outSeq = b;
      }
      if (peData) c.peData = peData;
      if (sip) c.peName = 'sip';
      return c;
    }),
  );
const v0conn: fc.Arbitrary<SyncConn> = fc.tuple(v1conn, fc.option(fc.tuple(seq, seq))).map(([c, s]) => {
  const flags = (c.flags & 0xffff & ~0x0600) | (s ? 0x0400 : 0);
  const out: SyncConn = {
    ...c,
    family: 4,
    flags,
    fwmark: 0,
    timeout: 0,
    caddr: '198.18.0.1',
    vaddr: '198.18.0.2',
    daddr: '198.18.0.3',
  };
  delete out.peData;
  delete out.peName;
  delete out.inSeq;
  delete out.outSeq;
  if (s) {
    out.inSeq = s[0];
    out.outSeq = s[1];
  }
  return out;
});

function wellFormed(bytes: Uint8Array): void {
  const r = decodeSyncMessage(bytes);
  expect(r.conns.length).toBeLessThanOrEqual(r.count);
  for (const c of r.conns) {
    expect(c.family === 4 || c.family === 6).toBe(true);
    expect(typeof c.caddr).toBe('string');
  }
}

describe('sync decoder fuzz', () => {
  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1600 }), (b) => wellFormed(b)),
      { numRuns: RUNS },
    );
    // with a consistent size field, so the record parsers are reached
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 600 }), fc.boolean(), (b, v1) => {
        b[2] = b.length >> 8;
        b[3] = b.length & 0xff;
        if (v1) {
          b[0] = 0;
          b[5] = 1;
          b[6] = 0;
          b[7] = 0;
        }
        wellFormed(b);
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated valid datagrams never throw', () => {
    fc.assert(
      fc.property(
        fc.array(v1conn, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }))),
        (conns, muts) => {
          const [m] = encodeSyncMessages(conns, { maxLen: 65000 });
          for (const [at, v] of muts) m![at % m!.length] = v;
          wellFormed(m!);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('decode(encode(x)) == x, version 1 and version 0', () => {
    fc.assert(
      fc.property(fc.array(v1conn, { minLength: 1, maxLength: 40 }), (conns) => {
        const msgs = encodeSyncMessages(conns);
        const back = msgs.flatMap((m) => {
          const r = decodeSyncMessage(m);
          expect(r.dropped).toEqual({});
          expect(r.messageDropped).toBeUndefined();
          return r.conns;
        });
        expect(back).toEqual(conns);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.array(v0conn, { minLength: 1, maxLength: 80 }), (conns) => {
        const back = encodeSyncMessages(conns, { version: 0 }).flatMap((m) => decodeSyncMessage(m).conns);
        expect(back).toEqual(conns);
      }),
      { numRuns: RUNS },
    );
  });
});
