/**
 * The datapath's socket filter, run on frames by a small classic-BPF interpreter written here (only the
 * opcodes the filter uses; semantics from Documentation/networking/filter.rst: absolute loads in network
 * byte order, jumps relative to the next instruction, `ret` = bytes to keep). The kernel running the same
 * program is checked by the datapath lab tests (frames to the director's own address never reach it).
 */
import { BpfOp, encodeBpf } from '@lvskit/native';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { datapathFilter } from '../src/port-filter.js';
import { eth, eth4, eth6, ip, ipv4, ipv6, raw, tcp, udp } from './golden/builder.js';

type Ins = { code: number; jt: number; jf: number; k: number };

function run(prog: readonly Ins[], f: Uint8Array): number {
  let a = 0;
  for (let pc = 0; pc < prog.length; ) {
    const { code, jt, jf, k } = prog[pc]!;
    const word = (n: number) => (k + n <= f.length ? 0 : -1);
    switch (code) {
      case BpfOp.LD_W_ABS:
        if (word(4) < 0) return 0;
        a = ((f[k]! << 24) | (f[k + 1]! << 16) | (f[k + 2]! << 8) | f[k + 3]!) >>> 0;
        pc++;
        break;
      case BpfOp.LD_H_ABS:
        if (word(2) < 0) return 0;
        a = (f[k]! << 8) | f[k + 1]!;
        pc++;
        break;
      case BpfOp.LD_B_ABS:
        if (word(1) < 0) return 0;
        a = f[k]!;
        pc++;
        break;
      case BpfOp.JEQ_K:
        pc += 1 + (a === k ? jt : jf);
        break;
      case BpfOp.JA:
        pc += 1 + k;
        break;
      case BpfOp.RET_K:
        return k;
      default:
        throw new Error(`opcode ${code}`);
    }
  }
  throw new Error('fell off the end');
}

const num = (s: string) => ip(s).reduce((x, b) => ((x << 8) | b) >>> 0, 0);
const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const OWN4 = ['198.18.0.2', '198.18.1.1'];
const OWN6 = ['2001:2::2', '2001:2:0:1::1'];
const prog = datapathFilter(
  OWN4.map(num),
  OWN6.map((a) => Uint8Array.from(ip(a))),
)!;
const kept = (f: Uint8Array) => run(prog, f) > 0;
const tcp4 = (dst: string) => eth4(MAC_B, MAC_A, ipv4({ src: '198.18.0.9', dst }, tcp({ sport: 1000, dport: 80 })));
const udp6 = (dst: string) => eth6(MAC_B, MAC_A, ipv6({ src: '2001:2::9', dst }, udp({ sport: 1000, dport: 53 })));

describe('datapathFilter (the datapath sockets’ BPF program)', () => {
  it('is valid for the encoder and keeps whole frames (ret 0xffffffff), drops with ret 0', () => {
    expect(encodeBpf(prog).length).toBe(prog.length * 8);
    expect(run(prog, tcp4('198.18.0.100'))).toBe(0xffffffff);
    expect(run(prog, tcp4('198.18.0.2'))).toBe(0);
  });

  it('keeps ARP, VLAN-tagged frames, IPv4/IPv6 for other addresses and all ICMPv6; drops the director’s own and other EtherTypes', () => {
    const arp = eth('ff:ff:ff:ff:ff:ff', MAC_A, 0x0806, new Array(28).fill(0));
    expect(kept(arp)).toBe(true);
    expect(
      kept(eth4(MAC_B, MAC_A, ipv4({ src: '198.18.0.9', dst: '198.18.0.2' }, tcp({ sport: 1, dport: 2 })), 5)),
    ).toBe(true); // tagged: looked at in user space
    expect(kept(tcp4('198.18.0.100'))).toBe(true); // a VIP
    expect(kept(tcp4('198.18.0.9'))).toBe(true); // a client (a NAT reply)
    for (const a of OWN4) expect(kept(tcp4(a))).toBe(false);
    expect(kept(udp6('2001:2::100'))).toBe(true);
    for (const a of OWN6) expect(kept(udp6(a))).toBe(false);
    // 2001:2::2 and 2001:2:0:1::1 differ from their neighbours in one word only.
    expect(kept(udp6('2001:2::3'))).toBe(true);
    expect(kept(udp6('2001:2:0:1::2'))).toBe(true);
    expect(kept(udp6('2001:2:0:2::1'))).toBe(true);
    const ns = eth6(MAC_B, MAC_A, ipv6({ src: '2001:2::9', dst: '2001:2::2' }, raw(58, new Array(24).fill(0))));
    expect(kept(ns)).toBe(true); // ICMPv6 to our own address: neighbour discovery
    expect(kept(eth(MAC_B, MAC_A, 0x88b5, new Array(46).fill(0)))).toBe(false);
  });

  it('with no own addresses keeps every IP packet', () => {
    const bare = datapathFilter([], [])!;
    expect(run(bare, tcp4('198.18.0.2'))).toBe(0xffffffff);
    expect(run(bare, udp6('2001:2::2'))).toBe(0xffffffff);
  });

  it('gives up (undefined) when jumps would exceed 8 bits, rather than mis-assemble', () => {
    const many = Array.from({ length: 300 }, (_, i) => (0xc6120000 + i) >>> 0);
    expect(datapathFilter(many, [])).toBeUndefined();
  });

  it('drops exactly the frames to own IPv4 addresses (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 0xfffffffe }), { maxLength: 40 }),
        fc.integer(),
        (own, d) => {
          const p = datapathFilter(own, [])!;
          const dst = own.length > 0 && d % 2 === 0 ? own[Math.abs(d) % own.length]! : Math.abs(d) >>> 0;
          const f = eth4(
            MAC_B,
            MAC_A,
            ipv4(
              { src: '198.18.0.9', dst: [dst >>> 24, (dst >> 16) & 255, (dst >> 8) & 255, dst & 255].join('.') },
              udp({ sport: 1, dport: 2 }),
            ),
          );
          return (run(p, f) === 0) === own.includes(dst >>> 0);
        },
      ),
    );
  });
});
