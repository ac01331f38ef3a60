/**
 * The datapath's pure parts on their own: routing (longest connected prefix, then the family's gateway,
 * then the first interface), the VIP table's serving flags, and the responder answering only for served
 * VIPs — with the frames its answers must be checked in golden/datapath.test.ts, whole.
 */
import { formatIp, parseIp, parseMac } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import {
  NeighbourResponder,
  NextHop,
  RouteTable,
  VIP_NONE,
  VIP_NOT_SERVED,
  VIP_SERVED,
  VipTable,
} from '../src/index.js';

const at = (address: string, prefixLength: number, scope = 0) => ({
  family: (address.includes(':') ? 6 : 4) as 4 | 6,
  address,
  prefixLength,
  scope,
});

describe('RouteTable', () => {
  const routes = RouteTable.compile(
    [
      [at('198.18.0.1', 16), at('2001:db8::1', 32), at('fe80::1', 64, 253)],
      [at('198.18.1.1', 24), at('2001:db8:1::1', 48)],
    ],
    [
      { port: 0, gateway: '198.18.0.254' },
      { port: 1, gateway: '2001:db8:1::fe' },
    ],
  );
  const hop = new NextHop();
  const route = (dst: string) => {
    const b = parseIp(dst);
    routes.lookup(b, 0, b.length, hop);
    return [hop.port, formatIp(hop.address.subarray(0, hop.length))];
  };

  it('takes the longest connected prefix, the next hop being the destination', () => {
    expect(route('198.18.1.11')).toEqual([1, '198.18.1.11']);
    expect(route('198.18.7.7')).toEqual([0, '198.18.7.7']);
    expect(route('2001:db8:1::11')).toEqual([1, '2001:db8:1::11']);
    expect(route('2001:db8:2::11')).toEqual([0, '2001:db8:2::11']);
  });

  it('sends the rest to the gateway of its family; link-local prefixes are no route', () => {
    expect(route('198.51.100.7')).toEqual([0, '198.18.0.254']);
    expect(route('2001:db9::7')).toEqual([1, '2001:db8:1::fe']);
    expect(route('fe80::99')).toEqual([1, '2001:db8:1::fe']);
  });

  it('without a gateway: the first interface, to the destination itself', () => {
    const flat = RouteTable.compile([[at('198.18.0.1', 24)]]);
    const b = parseIp('203.0.113.9');
    flat.lookup(b, 0, 4, hop);
    expect([hop.port, formatIp(hop.address.subarray(0, 4))]).toEqual([0, '203.0.113.9']);
  });

  it('refuses two gateways of one family', () => {
    expect(() =>
      RouteTable.compile(
        [[], []],
        [
          { port: 0, gateway: '198.18.0.254' },
          { port: 1, gateway: '198.18.1.254' },
        ],
      ),
    ).toThrow(/one IPv4 default gateway/);
  });
});

describe('VipTable and the responder', () => {
  it('knows which VIPs are served; the responder answers and announces only those', () => {
    const table = VipTable.compile(['198.18.0.100', '198.18.0.101', '2001:db8::100'], ['198.18.0.101']);
    expect(table.lookupText('198.18.0.100')).toBe(VIP_NOT_SERVED);
    expect(table.lookupText('198.18.0.101')).toBe(VIP_SERVED);
    expect(table.lookupText('2001:db8::100')).toBe(VIP_NOT_SERVED);
    expect(table.lookupText('198.18.0.1')).toBe(VIP_NONE);
    expect(table.addresses()).toEqual(['198.18.0.100', '198.18.0.101', '2001:db8::100']);
    expect(Object.isFrozen(table)).toBe(true);

    const mac = parseMac('02:00:00:00:00:fe');
    const request = (vip: string) =>
      Uint8Array.from([
        ...[255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 10, 8, 6],
        ...[0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 10, 198, 18, 0, 10, 0, 0, 0, 0, 0, 0],
        ...parseIp(vip),
      ]);
    const responder = new NeighbourResponder(table);
    expect(responder.answerArp(request('198.18.0.100'), 42, 14, mac)).toBe(false);
    const served = request('198.18.0.101');
    expect(responder.answerArp(served, 42, 14, mac)).toBe(true);
    expect(served[21]).toBe(2); // now a reply
    const out = new Uint8Array(128);
    expect(responder.writeAnnouncement(out, 0, mac, parseIp('198.18.0.101'))).toBe(60);
    expect(responder.writeAnnouncement(out, 0, mac, parseIp('198.18.0.100'))).toBe(0);
    expect(responder.writeAnnouncement(out, 0, mac, parseIp('2001:db8::100'))).toBe(0);

    // The serving switch: a new table, everything off.
    responder.vips = VipTable.compile(table.addresses(), []);
    expect(responder.answerArp(request('198.18.0.101'), 42, 14, mac)).toBe(false);
    expect(responder.writeAnnouncement(out, 0, mac, parseIp('198.18.0.101'))).toBe(0);
  });
});
