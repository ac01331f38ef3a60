import { describe, expect, it } from 'vitest';
import { hash32, IPPROTO_SCTP, IPPROTO_UDP, makeFlow } from '../src/address.js';
import { SourceHashingScheduler } from '../src/schedulers/sh.js';
import { NO_SERVER, type SchedulerFlag } from '../src/types.js';

// Kernel: net/netfilter/ipvs/ip_vs_sh.c (ip_vs_sh_reassign, ip_vs_sh_hashkey, ip_vs_sh_get,
// ip_vs_sh_get_fallback, ip_vs_sh_get_port; add_dest/del_dest/upd_dest all call ip_vs_sh_dest_changed).
const A = '10.0.0.1';
const B = '10.0.0.2';
const C = '10.0.0.3';
const make = (weights: number[], flags: SchedulerFlag<'sh'>[] = []) =>
  new SourceHashingScheduler({
    flags,
    servers: [A, B, C].slice(0, weights.length).map((address, i) => ({ address, port: 80, weight: weights[i]! })),
  });
const name = (s: SourceHashingScheduler, h: number) => (h === NO_SERVER ? '-' : s.info(h).address);
const client = (source: string, sourcePort = 12345, protocol: 'tcp' | 'udp' | 'sctp' | number = 'tcp') =>
  makeFlow({ source, sourcePort, destination: '10.1.1.1', destinationPort: 80, protocol });
const table = (s: SourceHashingScheduler) => Array.from({ length: 256 }, (_, i) => name(s, s.bucket(i)));
const count = (t: string[], a: string) => t.filter((x) => x === a).length;

describe('sh (ip_vs_sh.c)', () => {
  it('tiles buckets by weight: 2,1 → A,A,B repeating, 171/85 of 256', () => {
    // ip_vs_sh_reassign: advance after ++d_count >= weight. 256 = 85 * 3 + 1: A gets 85 * 2 + 1, B 85.
    const t = table(make([2, 1]));
    expect(t.slice(0, 6)).toEqual([A, A, B, A, A, B]);
    expect(t[255]).toBe(A);
    expect([count(t, A), count(t, B)]).toEqual([171, 85]);
  });

  it('a weight-0 server still holds one bucket per cycle (0,1 → 128/128) but is never returned', () => {
    // ++d_count (1) >= weight (0) moves on after one bucket.
    const s = make([0, 1]);
    const t = table(s);
    expect([count(t, A), count(t, B)]).toEqual([128, 128]);
    // 192.168.1.10 → bucket 248 (even) → A, weight 0 → no server (no fallback).
    expect(s.schedule(client('192.168.1.10'))).toBe(NO_SERVER);
  });

  it('client 192.168.1.10 → bucket 248 → C with three servers of weight 1 (spec §1.11 example)', () => {
    expect(hash32(0xc0a8010a, 8)).toBe(248); // spec [computed]
    const s = make([1, 1, 1]);
    expect(name(s, s.schedule(client('192.168.1.10')))).toBe(C); // 248 mod 3 = 2
  });

  it('sh-port (= flag-2) hashes the source port for TCP, UDP and SCTP only', () => {
    // hash_32(12345 + 0xC0A8010A, 8) = 87 (spec [computed]); 87 mod 3 = 0 → A.
    expect(hash32(12345 + 0xc0a8010a, 8)).toBe(87);
    for (const flag of ['sh-port', 'flag-2'] as const) {
      const s = make([1, 1, 1], [flag]);
      expect(name(s, s.schedule(client('192.168.1.10')))).toBe(A);
      expect(name(s, s.schedule(client('192.168.1.10', 12345, IPPROTO_UDP)))).toBe(A);
      expect(name(s, s.schedule(client('192.168.1.10', 12345, IPPROTO_SCTP)))).toBe(A);
      // ICMP (1): ip_vs_sh_get_port returns 0 → bucket 248 → C.
      expect(name(s, s.schedule(client('192.168.1.10', 12345, 1)))).toBe(C);
    }
    // Without the flag the port is ignored.
    const plain = make([1, 1, 1]);
    expect(name(plain, plain.schedule(client('192.168.1.10')))).toBe(C);
  });

  it('without sh-fallback an unavailable server yields no server', () => {
    const s = make([1, 1, 1]);
    s.setOverloaded(s.handleOf(C, 80), true);
    expect(s.schedule(client('192.168.1.10'))).toBe(NO_SERVER);
  });

  it('sh-fallback (= flag-1) walks (offset + ihash) buckets from the original hash', () => {
    // ihash = 248 (C, overloaded). offset 0: roffset = 248, bucket (248 + 248) & 255 = 240 → 240 mod 3 = 0 → A.
    // With A also overloaded, offset 1: roffset 249, bucket (249 + 248) & 255 = 241 → 1 → B.
    for (const flag of ['sh-fallback', 'flag-1'] as const) {
      const s = make([1, 1, 1], [flag]);
      s.setOverloaded(s.handleOf(C, 80), true);
      expect(name(s, s.schedule(client('192.168.1.10')))).toBe(A);
      s.setOverloaded(s.handleOf(A, 80), true);
      expect(name(s, s.schedule(client('192.168.1.10')))).toBe(B);
      s.update(s.handleOf(B, 80), { weight: 0 });
      expect(s.schedule(client('192.168.1.10'))).toBe(NO_SERVER);
    }
  });

  it('rebuilds on weight edits (upd_dest), unlike dh', () => {
    const s = make([1, 1]);
    expect(table(s).slice(0, 4)).toEqual([A, B, A, B]);
    s.update(s.handleOf(A, 80), { weight: 2 });
    expect(table(s).slice(0, 6)).toEqual([A, A, B, A, A, B]);
  });

  it('add and remove rebuild from the list, new servers at the head', () => {
    const s = make([1]);
    const b = s.add({ address: B, port: 80, weight: 1 }); // list B, A
    expect(table(s).slice(0, 4)).toEqual([B, A, B, A]);
    s.remove(s.handleOf(A, 80));
    expect(table(s).every((x) => x === B)).toBe(true);
    s.remove(b);
    expect(table(s).every((x) => x === '-')).toBe(true);
    expect(s.schedule(client('192.168.1.10'))).toBe(NO_SERVER);
  });

  it('folds IPv6 sources: ::192.168.1.10 hashes like 192.168.1.10', () => {
    const s = make([1, 1, 1]);
    expect(name(s, s.schedule(makeFlow({ source: '::192.168.1.10', destination: '2001:db8::80' })))).toBe(C);
  });

  it('rejects mh flags', () => {
    expect(() => make([1], ['mh-port' as SchedulerFlag<'sh'>])).toThrow(
      expect.objectContaining({ code: 'SCHED_INCOMPATIBLE_FLAG' }),
    );
  });
});
