/**
 * IPv4 fragmentation (src/fragment.ts) against frames from the independent test builder. Golden rows: each
 * expected fragment is built with the builder from fields hand-derived from RFC 791 §3.2 and the kernel's
 * ip_do_fragment slow path (data per fragment = (mtu − header) & ~7 except the last; offsets add to the
 * original's; MF on all but the last, and on the last when the original had it) and ip_options_fragment
 * (after the first fragment of a datagram starting at offset 0, every option whose copied flag 0x80 is clear
 * becomes NOPs, the walk stopping at END) — compared byte for byte. Then the refusals and a property: any
 * packet at any MTU reassembles by offset to its data, with every header checksum verifying from scratch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fragmentCount, writeFragment } from '../src/fragment.js';
import { PacketInfo, parsePacket } from '../src/parse.js';
import { eth, eth4, ip, ipv4, ipv6, noise, raw, rfc1071, udp } from './golden/builder.js';

const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const S = '198.18.0.1';
const D = '198.18.0.100';
const SENTINEL = 0xa5;

function parsed(f: Uint8Array): PacketInfo {
  const info = new PacketInfo();
  expect(parsePacket(f, f.length, info)).toBe(0);
  return info;
}

function fragments(f: Uint8Array, mtu: number): Uint8Array[] {
  const info = parsed(f);
  const n = fragmentCount(info, mtu);
  const out: Uint8Array[] = [];
  const scratch = new Uint8Array(70000);
  for (let k = 0; k < n; k++) {
    const len = writeFragment(f, info, mtu, k, scratch, 0);
    expect(len).toBeGreaterThan(0);
    out.push(scratch.slice(0, len));
  }
  return out;
}

/** LSRR (copied: 0x83) with one address, then RR (not copied: 0x07) with room for one, NOP, END. */
const LSRR = [0x83, 7, 4, ...ip('198.18.0.50')];
const RR = [0x07, 7, 4, 0, 0, 0, 0];
const NOP7 = [1, 1, 1, 1, 1, 1, 1];

describe('writeFragment: golden rows', () => {
  it('a datagram with a copied and a non-copied option, 3 fragments at MTU 576', () => {
    // Header 20 + 16 option bytes = 36; data = UDP 8 + 1200 = 1208. Room 576 − 36 = 540, per fragment
    // 540 & ~7 = 536: 536 + 536 + 136 at offsets 0, 536, 1072, MF, MF, none. Fragments 2 and 3 carry the
    // options as ip_options_fragment leaves them: LSRR kept, RR's 7 bytes → NOPs, NOP and END kept.
    const opts = [...LSRR, ...RR, 1, 0];
    const later = [...LSRR, ...NOP7, 1, 0];
    const u = udp({ sport: 5000, dport: 53, data: noise(1200, 9) });
    const dgram = u.build(ip(S), ip(D));
    const base = { src: S, dst: D, id: 0xbeef, ttl: 33, tos: 0x04 };
    const f = eth4(B, A, ipv4({ ...base, options: opts }, u));
    const expected = [
      eth4(B, A, ipv4({ ...base, options: opts, mf: true, fragOffset: 0 }, raw(17, dgram.slice(0, 536)))),
      eth4(B, A, ipv4({ ...base, options: later, mf: true, fragOffset: 536 }, raw(17, dgram.slice(536, 1072)))),
      eth4(B, A, ipv4({ ...base, options: later, fragOffset: 1072 }, raw(17, dgram.slice(1072)))),
    ];
    expect(fragmentCount(parsed(f), 576)).toBe(3);
    const got = fragments(f, 576);
    expect(got).toEqual(expected);
    expect(got.map((g) => g.length - 14)).toEqual([572, 572, 172]);
  });

  it('timestamp (0x44, not copied) becomes NOPs; bytes after END are left alone', () => {
    // Options: timestamp len 8, END, then 0x07 0x03 0x00 (looks like a non-copied option but lies after END:
    // ip_options_fragment returns at END). Header 32; MTU 100: room 68, per 64; 150 data bytes → 64, 64, 22.
    const ts = [0x44, 8, 5, 0, 1, 2, 3, 4];
    const opts = [...ts, 0x00, 0x07, 0x03, 0x00];
    const later = [1, 1, 1, 1, 1, 1, 1, 1, 0x00, 0x07, 0x03, 0x00];
    const data = noise(150, 4);
    const base = { src: S, dst: D, id: 7 };
    const f = eth4(B, A, ipv4({ ...base, options: opts }, raw(253, data)));
    const expected = [
      eth4(B, A, ipv4({ ...base, options: opts, mf: true }, raw(253, data.slice(0, 64)))),
      eth4(B, A, ipv4({ ...base, options: later, mf: true, fragOffset: 64 }, raw(253, data.slice(64, 128)))),
      eth4(B, A, ipv4({ ...base, options: later, fragOffset: 128 }, raw(253, data.slice(128)))),
    ];
    expect(fragments(f, 100)).toEqual(expected);
  });

  it('a malformed option length ends the walk: what follows is left as it is', () => {
    // RR first (NOPed), then a timestamp claiming 40 bytes in the 4 left: ip_options_fragment returns there.
    const opts = [...RR, 0x44, 40, 5, 0, 0];
    const later = [...NOP7, 0x44, 40, 5, 0, 0];
    const data = noise(100, 2);
    const f = eth4(B, A, ipv4({ src: S, dst: D, options: opts }, raw(253, data)));
    const got = fragments(f, 100); // header 32, room 68, per 64: 64 + 36
    expect(got).toEqual([
      eth4(B, A, ipv4({ src: S, dst: D, options: opts, mf: true }, raw(253, data.slice(0, 64)))),
      eth4(B, A, ipv4({ src: S, dst: D, options: later, fragOffset: 64 }, raw(253, data.slice(64)))),
    ]);
  });

  it('fragmenting a middle fragment: offsets continue from it, MF stays on all, options untouched', () => {
    // Original: offset 1480, MF, RR option + END (header 28), 1400 data bytes. MTU 576: room 548, per 544:
    // 544 + 544 + 312 at 1480, 2024, 2568 (multiples of 8: 185, 253, 321 units). Its options are "already
    // fixed" (ip_do_fragment calls ip_options_fragment only when the offset is 0): RR is copied as it is.
    const opts = [...RR, 0];
    const data = noise(1400, 5);
    const base = { src: S, dst: D, id: 0x4242, options: opts };
    const f = eth4(B, A, ipv4({ ...base, mf: true, fragOffset: 1480 }, raw(6, data)));
    const row = (off: number, from: number, to: number, mf: boolean) =>
      eth4(B, A, ipv4({ ...base, mf, fragOffset: off }, raw(6, data.slice(from, to))));
    expect(fragments(f, 576)).toEqual([
      row(1480, 0, 544, true),
      row(2024, 544, 1088, true),
      row(2568, 1088, 1400, true),
    ]);
    // The original's last fragment (no MF): only the new last one goes without MF.
    const last = eth4(B, A, ipv4({ ...base, fragOffset: 1480 }, raw(6, data)));
    expect(fragments(last, 576)).toEqual([
      row(1480, 0, 544, true),
      row(2024, 544, 1088, true),
      row(2568, 1088, 1400, false),
    ]);
  });

  it("fragmenting a datagram's first fragment (offset 0, MF): later pieces get the NOPed options, all MF", () => {
    const opts = [...RR, 0];
    const later = [...NOP7, 0];
    const data = noise(200, 6);
    const base = { src: S, dst: D, id: 1 };
    const f = eth4(B, A, ipv4({ ...base, options: opts, mf: true }, raw(17, data)));
    // Header 28, MTU 100: room 72, per 72: 72 + 72 + 56.
    expect(fragments(f, 100)).toEqual([
      eth4(B, A, ipv4({ ...base, options: opts, mf: true }, raw(17, data.slice(0, 72)))),
      eth4(B, A, ipv4({ ...base, options: later, mf: true, fragOffset: 72 }, raw(17, data.slice(72, 144)))),
      eth4(B, A, ipv4({ ...base, options: later, mf: true, fragOffset: 144 }, raw(17, data.slice(144)))),
    ]);
  });

  it('a room that is not a multiple of 8: the last fragment may use all of it', () => {
    // MTU 1499, header 20: room 1479. 1479 data bytes fit (total 1499): one, unchanged. 1480 do not:
    // ip_do_fragment takes min(1480, 1479) = 1479 < 1480 → & ~7 = 1472, then the last 8.
    const fits = eth4(B, A, ipv4({ src: S, dst: D }, raw(253, noise(1479))));
    expect(fragmentCount(parsed(fits), 1499)).toBe(1);
    expect(fragments(fits, 1499)).toEqual([fits]);
    const data = noise(1480, 8);
    const over = eth4(B, A, ipv4({ src: S, dst: D }, raw(253, data)));
    expect(fragments(over, 1499)).toEqual([
      eth4(B, A, ipv4({ src: S, dst: D, mf: true }, raw(253, data.slice(0, 1472)))),
      eth4(B, A, ipv4({ src: S, dst: D, fragOffset: 1472 }, raw(253, data.slice(1472)))),
    ]);
  });

  it('keeps the VLAN tag and clears the reserved flag', () => {
    const data = noise(120, 3);
    const f = eth(B, A, 0x0800, ipv4({ src: S, dst: D }, raw(253, data)), 42);
    // Set the reserved ("evil") bit 0x8000 and fix the header checksum by hand: ip_do_fragment writes
    // frag_off = offset >> 3 (| MF), so the bit is not carried into any fragment.
    f[18 + 6] = 0x80;
    f[18 + 10] = 0;
    f[18 + 11] = 0;
    const ck = rfc1071(Array.from(f.subarray(18, 38)));
    f[18 + 10] = ck >> 8;
    f[18 + 11] = ck & 0xff;
    expect(fragments(f, 68)).toEqual([
      eth(B, A, 0x0800, ipv4({ src: S, dst: D, mf: true }, raw(253, data.slice(0, 48))), 42),
      eth(B, A, 0x0800, ipv4({ src: S, dst: D, mf: true, fragOffset: 48 }, raw(253, data.slice(48, 96))), 42),
      eth(B, A, 0x0800, ipv4({ src: S, dst: D, fragOffset: 96 }, raw(253, data.slice(96))), 42),
    ]);
  });
});

describe('fragmentCount / writeFragment: refusals and edges', () => {
  const big = eth4(B, A, ipv4({ src: S, dst: D }, raw(253, noise(1000))));
  const info = parsed(big);

  it('refuses DF, IPv6, an MTU below 68 or not an integer', () => {
    const df = eth4(B, A, ipv4({ src: S, dst: D, df: true }, raw(253, noise(1000))));
    expect(fragmentCount(parsed(df), 576)).toBe(0);
    expect(writeFragment(df, parsed(df), 576, 0, new Uint8Array(2000), 0)).toBe(0);
    const v6 = eth(B, A, 0x86dd, ipv6({ src: '2001:db8::1', dst: '2001:db8::2' }, raw(253, noise(1000))));
    expect(fragmentCount(parsed(v6), 576)).toBe(0);
    expect(fragmentCount(info, 67)).toBe(0);
    expect(fragmentCount(info, 68)).toBe(21); // room 48: ⌈(1000 − 48) / 48⌉ + 1 = 20 + 1
    expect(fragmentCount(info, 576.5)).toBe(0);
    expect(fragmentCount(info, Number.NaN)).toBe(0);
  });

  it('refuses a fragment whose data would end past offset 65535', () => {
    // Offset 65000 + 1000 data bytes = 66000 > 65535: no 13-bit offset can carry the later pieces.
    const late = eth4(B, A, ipv4({ src: S, dst: D, fragOffset: 65000 }, raw(253, noise(1000))));
    expect(fragmentCount(parsed(late), 576)).toBe(0);
    // 64528 + 1000 = 65528 ≤ 65535: fine.
    const ok = eth4(B, A, ipv4({ src: S, dst: D, fragOffset: 64528 }, raw(253, noise(1000))));
    expect(fragmentCount(parsed(ok), 576)).toBe(2);
  });

  it('k out of range writes nothing and returns 0', () => {
    const dst = new Uint8Array(2000).fill(SENTINEL);
    for (const k of [-1, 2, 0.5, Number.NaN]) expect(writeFragment(big, info, 576, k, dst, 0)).toBe(0);
    expect(dst.every((b) => b === SENTINEL)).toBe(true);
  });

  it('a destination too small writes nothing; a fitting one is written only in its range', () => {
    // Fragment 0 at MTU 576: 14 + 20 + 552 = 586 bytes.
    const short = new Uint8Array(585).fill(SENTINEL);
    expect(writeFragment(big, info, 576, 0, short, 0)).toBe(0);
    expect(short.every((b) => b === SENTINEL)).toBe(true);
    const buf = new Uint8Array(1000).fill(SENTINEL);
    expect(writeFragment(big, info, 576, 0, buf, 415)).toBe(0);
    expect(writeFragment(big, info, 576, 0, buf, -3)).toBe(0);
    expect(buf.every((b) => b === SENTINEL)).toBe(true);
    const before = big.slice();
    expect(writeFragment(big, info, 576, 0, buf, 414)).toBe(586);
    expect(buf.subarray(0, 414).every((b) => b === SENTINEL)).toBe(true);
    expect(big).toEqual(before);
  });

  it('reads and writes through views at any byte offset of their buffers', () => {
    const want = fragments(big, 100);
    const backing = new Uint8Array(big.length + 7);
    backing.set(big, 7);
    const view = backing.subarray(7);
    const vinfo = parsed(view);
    const dview = new Uint8Array(500).subarray(3);
    want.forEach((w, k) => {
      const len = writeFragment(view, vinfo, 100, k, dview, k % 4);
      expect(dview.subarray(k % 4, (k % 4) + len)).toEqual(w);
    });
  });

  it('a packet that fits is one fragment, itself, Ethernet padding dropped', () => {
    const small = eth4(B, A, ipv4({ src: S, dst: D, mf: true, fragOffset: 800 }, raw(253, noise(20))));
    const padded = new Uint8Array(small.length + 6);
    padded.set(small);
    expect(fragments(padded, 1500)).toEqual([small]);
  });
});

/**
 * Kernel reference trace: the fragments Linux 6.18.44 itself produced, captured once and kept here as the
 * header bytes of every fragment (the data is the packet's, byte for byte — checked at capture time).
 * Procedure: three network namespaces in a row joined by veth pairs, the middle one forwarding
 * (`ip_forward` → `ip_fragment` → `ip_do_fragment`) onto a link of MTU 576; each packet sent into it by a
 * packet socket, each fragment read on the next hop by a packet socket. The inputs below are the packets as
 * the router fragmented them: TTL already decremented, MACs already the outgoing link's. Options: router
 * alert (0x94, copied), an experimental option 0x1e (not copied) and a full record route (0x07, not copied;
 * full, so the router writes nothing into it), then END.
 */
const RX = '02:00:00:00:02:01';
const TX = '02:00:00:00:02:02';
const RS = '198.18.1.1';
const RD = '198.18.2.1';
const RAO = [0x94, 4, 0, 0];
const EXP = [0x1e, 4, 0xab, 0xcd];
const OPTS16 = [...RAO, ...EXP, 0x07, 7, 8, 1, 2, 3, 4, 0];

function forwarded(o: Parameters<typeof ipv4>[0], l4: Parameters<typeof ipv4>[1]): Uint8Array {
  return eth(RX, TX, 0x0800, ipv4({ ...o, ttl: (o.ttl ?? 64) - 1 }, l4));
}

const reserved = forwarded({ src: RS, dst: RD, id: 0x0002 }, raw(253, noise(700, 10)));
// The reserved flag set (and the header checksum fixed) before the packet was sent to the router.
reserved[20] = (reserved[20] ?? 0) | 0x80;
reserved[24] = 0;
reserved[25] = 0;
{
  const ck = rfc1071(Array.from(reserved.subarray(14, 34)));
  reserved[24] = ck >> 8;
  reserved[25] = ck & 0xff;
}

const KERNEL_FRAGMENTS: Record<string, { frame: Uint8Array; headers: string[] }> = {
  'UDP datagram with copied and non-copied options': {
    frame: forwarded(
      { src: RS, dst: RD, id: 0xbeef, ttl: 33, tos: 0x04, options: OPTS16 },
      udp({ sport: 5000, dport: 53, data: noise(1200, 9) }),
    ),
    headers: [
      '02000000020102000000020208004904023cbeef20002011b3b5c6120101c6120201940400001e04abcd0707080102030400',
      '02000000020102000000020208004904023cbeef204320118c4ac6120101c612020194040000010101010101010101010100',
      '0200000002010200000002020800490400acbeef00862011ad97c6120101c612020194040000010101010101010101010100',
    ],
  },
  'a middle fragment (offset 1480, MF)': {
    frame: forwarded(
      { src: RS, dst: RD, id: 0x4242, mf: true, fragOffset: 1480, options: OPTS16 },
      raw(253, noise(1400, 5)),
    ),
    headers: [
      '02000000020102000000020208004900023c424220b93ffd0fc2c6120101c6120201940400001e04abcd0707080102030400',
      '02000000020102000000020208004900023c424220fc3ffd0f7fc6120101c6120201940400001e04abcd0707080102030400',
      '02000000020102000000020208004900016c4242213f3ffd100cc6120101c6120201940400001e04abcd0707080102030400',
    ],
  },
  'a last fragment (offset 1480, no MF)': {
    frame: forwarded({ src: RS, dst: RD, id: 0x4243, fragOffset: 1480, options: OPTS16 }, raw(253, noise(1400, 6))),
    headers: [
      '02000000020102000000020208004900023c424320b93ffd0fc1c6120101c6120201940400001e04abcd0707080102030400',
      '02000000020102000000020208004900023c424320fc3ffd0f7ec6120101c6120201940400001e04abcd0707080102030400',
      '02000000020102000000020208004900016c4243013f3ffd300bc6120101c6120201940400001e04abcd0707080102030400',
    ],
  },
  'a first fragment (offset 0, MF)': {
    frame: forwarded({ src: RS, dst: RD, id: 0x4244, mf: true, options: [...RAO, ...EXP] }, raw(253, noise(1000, 7))),
    headers: [
      '02000000020102000000020208004700023c424420003ffd2784c6120101c6120201940400001e04abcd',
      '0200000002010200000002020800470001e4424420443ffdef67c6120101c61202019404000001010101',
    ],
  },
  'no options': {
    frame: forwarded({ src: RS, dst: RD, id: 0x0001 }, raw(253, noise(1000, 8))),
    headers: [
      '02000000020102000000020208004500023c000120003ffdc99dc6120101c6120201',
      '0200000002010200000002020800450001d4000100453ffde9c0c6120101c6120201',
    ],
  },
  'the reserved flag set': {
    frame: reserved,
    headers: [
      '02000000020102000000020208004500023c000220003ffdc99cc6120101c6120201',
      '0200000002010200000002020800450000a8000200453ffdeaebc6120101c6120201',
    ],
  },
};

describe('writeFragment: the kernel reference trace (MTU 576)', () => {
  for (const [name, row] of Object.entries(KERNEL_FRAGMENTS)) {
    it(`${name}: every fragment byte-identical to Linux's`, () => {
      const hl = row.headers[0]!.length / 2;
      let at = hl;
      const expected = row.headers.map((h) => {
        const head = Uint8Array.from(Buffer.from(h, 'hex'));
        const piece = ((head[16]! << 8) | head[17]!) - (hl - 14);
        const f = new Uint8Array(head.length + piece);
        f.set(head);
        f.set(row.frame.subarray(at, at + piece), head.length);
        at += piece;
        return f;
      });
      expect(at).toBe(row.frame.length);
      expect(fragments(row.frame, 576)).toEqual(expected);
    });
  }
});

describe('writeFragment: property — any packet, any MTU', () => {
  /** Options with their copied flag: the later fragments of an offset-0 original must show NOPs for the rest. */
  const OPTIONS: { bytes: number[]; copied: boolean }[] = [
    { bytes: LSRR, copied: true },
    { bytes: RR, copied: false },
    { bytes: [0x44, 8, 5, 0, 9, 9, 9, 9], copied: false },
    { bytes: [0x94, 4, 0, 0], copied: true }, // router alert
    { bytes: [0x82, 11, 1, 2, 3, 4, 5, 6, 7, 8, 9], copied: true }, // security
    { bytes: [1], copied: true }, // NOP: stays
  ];

  it('fragments reassemble by offset, keep the geometry and the option rules, and checksum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: OPTIONS.length - 1 }), { maxLength: 4 }),
        fc.integer({ min: 1, max: 65000 }),
        fc.integer({ min: 68, max: 9000 }),
        fc.integer({ min: 0, max: 8191 }),
        fc.boolean(),
        fc.boolean(),
        (picks, size, mtu, units, mf, vlan) => {
          const chosen = picks.map((i) => OPTIONS[i]!);
          let opts = chosen.flatMap((o) => o.bytes);
          let later = chosen.flatMap((o) => (o.copied ? o.bytes : o.bytes.map(() => 1)));
          if (opts.length > 40) {
            opts = [];
            later = [];
          }
          while (opts.length % 4 !== 0) {
            opts.push(0);
            later.push(0);
          }
          const hl = 20 + opts.length;
          const dataLen = Math.min(size, 65535 - hl);
          const origin = Math.min(units * 8, Math.floor((65535 - dataLen) / 8) * 8);
          const data = noise(dataLen, size);
          const pkt = ipv4({ src: S, dst: D, id: units, mf, fragOffset: origin, options: opts }, raw(253, data));
          const f = eth(B, A, 0x0800, pkt, vlan ? 5 : undefined);
          const l3 = vlan ? 18 : 14;
          const info = parsed(f);
          const n = fragmentCount(info, mtu);
          const per = (mtu - hl) & ~7;
          const wrong: string[] = [];
          const joined = new Uint8Array(dataLen);
          let next = origin;
          const dst = new Uint8Array(9100);
          for (let k = 0; k < n; k++) {
            const len = writeFragment(f, info, mtu, k, dst, 0);
            const h = dst.subarray(l3, len);
            const total = (h[2]! << 8) | h[3]!;
            const word = (h[6]! << 8) | h[7]!;
            const off = (word & 0x1fff) * 8;
            const piece = total - hl;
            if (total !== len - l3 || total > mtu) wrong.push(`${k}: length ${total}`);
            if ((h[0]! & 15) * 4 !== hl || rfc1071(Array.from(h.subarray(0, hl))) !== 0) wrong.push(`${k}: header`);
            if (((h[4]! << 8) | h[5]!) !== units) wrong.push(`${k}: id`);
            if (off !== next || off % 8 !== 0) wrong.push(`${k}: offset ${off}, expected ${next}`);
            if (k < n - 1 && piece !== per) wrong.push(`${k}: non-last piece ${piece}`);
            if (k === n - 1 && (piece <= 0 || piece > mtu - hl)) wrong.push(`${k}: last piece ${piece}`);
            const wantMf = n === 1 ? mf : k < n - 1 || mf;
            if (((word & 0x2000) !== 0) !== wantMf || (word & 0xc000) !== 0) wrong.push(`${k}: flags ${word}`);
            const wantOpts = k > 0 && origin === 0 ? later : opts;
            for (let j = 0; j < opts.length; j++) if (h[20 + j] !== wantOpts[j]) wrong.push(`${k}: option byte ${j}`);
            for (let j = 0; j < l3; j++) if (dst[j] !== f[j]) wrong.push(`${k}: L2 byte ${j}`);
            joined.set(h.subarray(hl, total), off - origin);
            next = off + piece;
          }
          expect(wrong).toEqual([]);
          expect(n).toBeGreaterThan(0);
          expect(next - origin).toBe(dataLen);
          let firstDiff = -1;
          for (let j = 0; j < dataLen && firstDiff < 0; j++) if (joined[j] !== data[j]) firstDiff = j;
          expect(firstDiff).toBe(-1);
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);
});

describe('fragmentCount / writeFragment: fuzz', () => {
  it('never throws nor writes outside its range, whatever parsePacket accepted', () => {
    const base = eth4(B, A, ipv4({ src: S, dst: D, options: [...RR, 0] }, raw(253, noise(300))));
    const info = new PacketInfo();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 400 }),
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: -1, max: 12 }),
        fc.integer({ min: 0, max: 300 }),
        (junk, flips, mtu, k, off) => {
          const f = junk.length > 200 ? junk : base.slice();
          if (f !== junk) for (const [i, v] of flips) f[i] = v;
          if (parsePacket(f, f.length, info) !== 0) return;
          const dst = new Uint8Array(700).fill(SENTINEL);
          const n = fragmentCount(info, mtu);
          const len = writeFragment(f, info, mtu, k, dst, off);
          if (len === 0) expect(dst.every((b) => b === SENTINEL)).toBe(true);
          else {
            expect(k < n && off + len <= dst.length && len - info.l3Offset <= mtu).toBe(true);
            expect(dst.subarray(0, off).every((b) => b === SENTINEL)).toBe(true);
            expect(dst.subarray(off + len).every((b) => b === SENTINEL)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
