import { describe, expect, it } from 'vitest';
import { hash32, makeFlow } from '../src/address.js';
import { DestinationHashingScheduler } from '../src/schedulers/dh.js';
import { NO_SERVER } from '../src/types.js';

// Kernel: net/netfilter/ipvs/ip_vs_dh.c (ip_vs_dh_reassign, ip_vs_dh_hashkey, ip_vs_dh_schedule; the
// scheduler struct has add_dest/del_dest but no upd_dest).
const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';
const servers = (weights: number[]) =>
  [A, B, C].slice(0, weights.length).map((address, i) => ({ address, port: 80, weight: weights[i]! }));
const toDest = (destination: string) =>
  makeFlow({ source: '198.19.0.1', sourcePort: 1234, destination, destinationPort: 80 });
const name = (s: DestinationHashingScheduler, h: number) => (h === NO_SERVER ? '-' : s.info(h).address);

describe('dh (ip_vs_dh.c)', () => {
  it('assigns bucket i to the i-th server cycling through the list, weights ignored', () => {
    // ip_vs_dh_reassign: one bucket per server, in list order, wrapping; weight is never read.
    const s = new DestinationHashingScheduler({ servers: servers([5, 1, 2]) });
    const order = [A, B, C];
    for (let i = 0; i < 256; i++) expect(name(s, s.bucket(i))).toBe(order[i % 3]);
  });

  it('hashes the destination address: 10.0.0.1 → bucket 39 → A (spec §1.10 example)', () => {
    // hash_32(0x0A000001, 8): 0x0A000001 * 0x61C88647 mod 2^32 = 0x27C88647 (0x0A*0x61C88647 contributes only
    // its low byte 0xC6 << 24), top byte 0x27 = 39; 39 mod 3 = 0 → A.
    expect(hash32(0x0a000001, 8)).toBe(39);
    const s = new DestinationHashingScheduler({ servers: servers([1, 1, 1]) });
    expect(name(s, s.schedule(toDest('10.0.0.1')))).toBe(A);
    // The source address plays no part.
    const other = makeFlow({ source: '198.19.9.9', sourcePort: 9, destination: '10.0.0.1', destinationPort: 80 });
    expect(name(s, s.schedule(other))).toBe(A);
  });

  it('folds IPv6 destinations: ::10.0.0.1 folds to 0x0A000001 and lands in the same bucket', () => {
    // ip_vs_dh_hashkey: addr_fold = ip6[0]^ip6[1]^ip6[2]^ip6[3] = 0^0^0^0x0A000001.
    const s = new DestinationHashingScheduler({ servers: servers([1, 1, 1]) });
    const f = makeFlow({ source: '2001:db8::9', destination: '::10.0.0.1' });
    expect(name(s, s.schedule(f))).toBe(A);
    // 2001:db8::1 folds to 0x20010db8 ^ 1 = 0x20010db9.
    const g = makeFlow({ source: '2001:db8::9', destination: '2001:db8::1' });
    expect(name(s, s.schedule(g))).toBe([A, B, C][hash32(0x20010db9, 8) % 3]);
  });

  it('a weight edit does not rebuild the table (no upd_dest): quiescing leaves a hole, reweighting changes nothing', () => {
    const s = new DestinationHashingScheduler({ servers: servers([1, 1, 1]) });
    const before = Array.from({ length: 256 }, (_, i) => s.bucket(i));
    s.update(s.handleOf(A, 80), { weight: 0 });
    s.update(s.handleOf(B, 80), { weight: 7 });
    expect(Array.from({ length: 256 }, (_, i) => s.bucket(i))).toEqual(before);
    expect(s.schedule(toDest('10.0.0.1'))).toBe(NO_SERVER); // bucket 39 still holds A, now weight 0
  });

  it('OVERLOAD yields no server and there is no fallback', () => {
    const s = new DestinationHashingScheduler({ servers: servers([1, 1, 1]) });
    s.setOverloaded(s.handleOf(A, 80), true);
    expect(s.schedule(toDest('10.0.0.1'))).toBe(NO_SERVER);
    s.setOverloaded(s.handleOf(A, 80), false);
    expect(name(s, s.schedule(toDest('10.0.0.1')))).toBe(A);
  });

  it('add and remove reassign from the new list (a new server goes to the head)', () => {
    const s = new DestinationHashingScheduler({ servers: servers([1, 1]) });
    const d = s.add({ address: '10.0.0.4', port: 80, weight: 1 });
    // list D, A, B → bucket 39 = 39 mod 3 = 0 → D
    expect(s.schedule(toDest('10.0.0.1'))).toBe(d);
    s.remove(d);
    // list A, B → 39 mod 2 = 1 → B
    expect(name(s, s.schedule(toDest('10.0.0.1')))).toBe(B);
    for (let i = 0; i < 256; i++) expect(s.bucket(i)).not.toBe(d);
  });

  it('an empty list schedules nothing', () => {
    const s = new DestinationHashingScheduler();
    expect(s.schedule(toDest('10.0.0.1'))).toBe(NO_SERVER);
    expect(s.bucket(0)).toBe(NO_SERVER);
  });
});
