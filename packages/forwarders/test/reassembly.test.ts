/**
 * IPv4 reassembly (`Reassembler`) against the kernel's rules in net/ipv4/ip_fragment.c and inet_fragment.c:
 * fragments are cut from datagrams built by the test's own builder with `writeFragment` (itself checked
 * byte for byte against fragments Linux produced), fed in order, shuffled, repeated, overlapping, late or
 * contradictory, and the reassembled frame is compared byte for byte with the original datagram.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fragmentCount, writeFragment } from '../src/fragment.js';
import { PacketInfo, parsePacket } from '../src/parse.js';
import { ReassemblyCounter as C, Reassembler } from '../src/reassembly.js';
import { eth4, ipv4, noise, rfc1071, udp } from './golden/builder.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

function datagram(size: number, id = 0x1234, vlan?: number): Uint8Array {
  return eth4(
    B,
    A,
    ipv4({ src: '198.18.0.9', dst: '198.18.0.100', id }, udp({ sport: 5000, dport: 53, data: noise(size, id) })),
    vlan,
  );
}

function fragments(f: Uint8Array, mtu: number): Uint8Array[] {
  const info = new PacketInfo();
  expect(parsePacket(f, f.length, info)).toBe(0);
  const n = fragmentCount(info, mtu);
  return Array.from({ length: n }, (_, k) => {
    const out = new Uint8Array(f.length);
    return out.subarray(0, writeFragment(f, info, mtu, k, out, 0));
  });
}

/** Feeds fragments; returns the reassembled frame (a copy) or undefined. */
function feed(r: Reassembler, frags: Uint8Array[], now = 0): Uint8Array | undefined {
  const info = new PacketInfo();
  let got: Uint8Array | undefined;
  for (const f of frags) {
    expect(parsePacket(f, f.length, info)).toBe(0);
    const s = r.add(f, info, now);
    if (s >= 0) {
      got = r.view(s).slice(0, r.length(s));
      r.release(s);
    }
  }
  return got;
}

describe('Reassembler', () => {
  it('gives back the datagram byte for byte from in-order fragments (header fixed, checksum valid)', () => {
    const f = datagram(4000);
    const frags = fragments(f, 1500);
    expect(frags.length).toBe(3);
    const r = new Reassembler();
    const got = feed(r, frags)!;
    expect(Buffer.from(got).equals(Buffer.from(f))).toBe(true);
    expect(rfc1071([...got.subarray(14, 34)])).toBe(0);
    expect(r.counters[C.REASSEMBLED]).toBe(1);
  });

  it('takes fragments in any order, VLAN-tagged too', () => {
    const f = datagram(6000, 7, 5);
    const frags = fragments(f, 1500);
    const r = new Reassembler();
    expect(Buffer.from(feed(r, [...frags].reverse())!).equals(Buffer.from(f))).toBe(true);
  });

  it('drops an exact repeat alone (IPFRAG_DUP) and still completes', () => {
    const f = datagram(3000);
    const [a, b, c] = fragments(f, 1500) as [Uint8Array, Uint8Array, Uint8Array];
    const r = new Reassembler();
    expect(Buffer.from(feed(r, [a, b, b, c])!).equals(Buffer.from(f))).toBe(true);
    expect(r.counters[C.DUPLICATES]).toBe(1);
  });

  it('discards the whole datagram on an overlap (IPFRAG_OVERLAP)', () => {
    const f = datagram(3000);
    const frags = fragments(f, 1500);
    const other = fragments(f, 1004); // 984-byte pieces: the second overlaps the first one of 1480
    const r = new Reassembler();
    expect(feed(r, [frags[0]!, other[1]!])).toBeUndefined();
    expect(r.counters[C.OVERLAPS]).toBe(1);
    // The rest alone cannot complete it: the queue is gone.
    expect(feed(r, [frags[1]!, frags[2]!])).toBeUndefined();
  });

  it('drops a queue not completed within the timeout, then starts afresh', () => {
    const f = datagram(3000);
    const frags = fragments(f, 1500);
    const r = new Reassembler({ timeoutMs: 30_000 });
    expect(feed(r, [frags[0]!], 0)).toBeUndefined();
    expect(feed(r, [frags[1]!, frags[2]!], 30_000)).toBeUndefined(); // the first one expired
    expect(r.counters[C.TIMED_OUT]).toBe(1);
    expect(Buffer.from(feed(r, [frags[0]!], 30_001)!).equals(Buffer.from(f))).toBe(true);
  });

  it('keeps datagrams apart by ID, and evicts the oldest when every slot is busy', () => {
    const f1 = datagram(3000, 1);
    const f2 = datagram(3000, 2);
    const a = fragments(f1, 1500);
    const b = fragments(f2, 1500);
    const r = new Reassembler({ slots: 2 });
    const got = feed(r, [a[0]!, b[0]!, a[1]!, b[1]!, b[2]!, a[2]!]);
    expect(Buffer.from(got!).equals(Buffer.from(f1))).toBe(true); // the last to complete
    expect(r.counters[C.REASSEMBLED]).toBe(2);
    const f3 = datagram(3000, 3);
    const f4 = datagram(3000, 4);
    const f5 = datagram(3000, 5);
    feed(r, [fragments(f3, 1500)[0]!], 1);
    feed(r, [fragments(f4, 1500)[0]!], 2);
    feed(r, [fragments(f5, 1500)[0]!], 3); // both slots busy: f3's queue goes
    expect(r.counters[C.EVICTED]).toBe(1);
  });

  it('discards a datagram whose last fragments disagree about its end', () => {
    const f = datagram(3000);
    const frags = fragments(f, 1500);
    const shorter = fragments(datagram(2000), 1500);
    const r = new Reassembler();
    expect(feed(r, [frags[2]!, shorter[1]!])).toBeUndefined();
    expect(r.counters[C.MALFORMED]).toBe(1);
  });

  it('reassembles any datagram cut at any MTU, fed in any order (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 68, max: 9000 }),
        fc.integer(),
        (size, mtu, seed) => {
          const f = datagram(size, seed & 0xffff);
          const frags = fragments(f, mtu);
          if (frags.length < 2) return true;
          // A deterministic shuffle from the seed.
          let x = seed >>> 0;
          const order = frags.map((g, i) => {
            x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
            return [x, g, i] as const;
          });
          order.sort((p, q) => p[0] - q[0]);
          const got = feed(
            new Reassembler(),
            order.map((o) => o[1]),
          );
          return got !== undefined && Buffer.from(got).equals(Buffer.from(f));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('validates its options', () => {
    expect(() => new Reassembler({ slots: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new Reassembler({ timeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
