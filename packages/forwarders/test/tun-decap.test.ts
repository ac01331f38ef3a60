/**
 * The IPIP decapsulation checks, on packets the test-side builder makes and on what our own TUN rewrite
 * produces (round trip: encapsulate, then decapsulate, and the inner packet is the client's, TTL − 1).
 */

import { Verdict } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import {
  createForwardParams,
  DecapReason,
  type DecapResult,
  decapsulateIpip,
  PacketInfo,
  parsePacket,
  RewriteResult,
  rewriteTunnel,
} from '../src/index.js';
import { eth4, ipv4, raw, udp } from './golden/builder.js';

const n = (s: string) => s.split('.').reduce((a, x) => a * 256 + Number(x), 0);
const VIPS = new Set([n('198.18.0.100')]);
const DIRECTORS = new Set([n('198.18.1.1')]);
const inner = ipv4(
  { src: '198.18.0.10', dst: '198.18.0.100', ttl: 9 },
  udp({ sport: 40000, dport: 53, data: [1, 2, 3] }),
);
const outer = (o: Partial<Parameters<typeof ipv4>[0]>, payload = inner) =>
  Uint8Array.from(ipv4({ src: '198.18.1.1', dst: '198.18.1.11', ...o }, raw(4, payload)));

describe('decapsulateIpip', () => {
  const out: DecapResult = { offset: 0, length: 0, destination: 0 };

  it('finds the inner packet of a well-formed IPIP packet for our VIP from our director', () => {
    const p = outer({});
    expect(decapsulateIpip(p, p.length, VIPS, DIRECTORS, out)).toBe(DecapReason.NONE);
    expect([...p.subarray(out.offset, out.offset + out.length)]).toEqual(inner);
    expect(out.destination).toBe(n('198.18.0.100'));
  });

  it('refuses a foreign director, another VIP, a bad outer or inner checksum, and a non-IPIP protocol', () => {
    const cases: [Uint8Array, DecapReason][] = [
      [outer({ src: '198.18.1.99' }), DecapReason.FOREIGN_SOURCE],
      [
        outer({}, ipv4({ src: '198.18.0.10', dst: '198.18.0.101' }, udp({ sport: 1, dport: 2 }))),
        DecapReason.NOT_OUR_VIP,
      ],
      [outer({ checksum: 0x1111 }), DecapReason.BAD_OUTER],
      [
        outer({}, ipv4({ src: '198.18.0.10', dst: '198.18.0.100', checksum: 0x2222 }, udp({ sport: 1, dport: 2 }))),
        DecapReason.BAD_INNER,
      ],
      [outer({ proto: 41 }), DecapReason.BAD_OUTER],
      [outer({}).subarray(0, 30), DecapReason.BAD_OUTER],
    ];
    for (const [p, reason] of cases) expect(decapsulateIpip(p, p.length, VIPS, DIRECTORS, out)).toBe(reason);
    const any = outer({ src: '198.18.1.99' });
    expect(decapsulateIpip(any, any.length, VIPS, new Set(), out)).toBe(DecapReason.NONE);
  });

  it('undoes rewriteTunnel: the inner packet is the client’s with TTL − 1', () => {
    const frame = new Uint8Array(200);
    const input = eth4('02:00:00:00:00:fe', '02:00:00:00:00:0a', inner);
    frame.set(input);
    const info = new PacketInfo();
    const r = new RewriteResult();
    const p = createForwardParams({
      ourMac: '02:00:00:00:00:fe',
      nextHopMac: '02:00:00:00:01:0b',
      address: '198.18.1.11',
      ourAddress: '198.18.1.1',
    });
    expect(parsePacket(frame, input.length, info)).toBe(0);
    expect(rewriteTunnel(frame, input.length, info, p, r)).toBe(Verdict.FORWARD);
    const ipPacket = frame.subarray(14, r.length);
    expect(decapsulateIpip(ipPacket, ipPacket.length, VIPS, DIRECTORS, out)).toBe(DecapReason.NONE);
    const expected = ipv4(
      { src: '198.18.0.10', dst: '198.18.0.100', ttl: 8 },
      udp({ sport: 40000, dport: 53, data: [1, 2, 3] }),
    );
    expect([...ipPacket.subarray(out.offset, out.offset + out.length)]).toEqual(expected);
  });
});
