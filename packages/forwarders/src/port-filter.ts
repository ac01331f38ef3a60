/**
 * The classic BPF program the datapath attaches to each of its packet sockets, so that the kernel copies to
 * user space only what the datapath may act on: ARP (answers for VIPs, replies to our requests), VLAN-tagged
 * frames (looked at in user space), IPv4 and IPv6 packets NOT addressed to one of the director's own
 * addresses (those belong to its kernel: health-check replies, management traffic), and every ICMPv6
 * packet (neighbour discovery). Everything else — other EtherTypes, traffic for the director itself — stays
 * in the kernel. Owns the program's layout and its jump arithmetic; never allocates at run time (it is built
 * once per socket).
 */
import { type BpfInstruction, BpfOp } from '@lvskit/native';
import {
  ETH_HLEN,
  ETH_TYPE,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
} from './headers/ethernet.js';
import { IPV4_DST } from './headers/ipv4.js';
import { IPPROTO_ICMPV6, IPV6_DST, IPV6_NEXT_HEADER } from './headers/ipv6.js';

/** Offsets in an untagged Ethernet frame (IEEE 802.3, RFC 791, RFC 8200), from the header views. */
const IPV4_DST_OFFSET = ETH_HLEN + IPV4_DST;
const IPV6_NEXT_HEADER_OFFSET = ETH_HLEN + IPV6_NEXT_HEADER;
const IPV6_DST_OFFSET = ETH_HLEN + IPV6_DST;
/** `ret` value that keeps the whole frame (a GSO super-frame is up to 64 KiB). */
const ACCEPT_ALL = 0xffffffff;

/** A jump to a named place, resolved once the program is laid out. */
type Pending = { ins: BpfInstruction; jt?: string; jf?: string; label?: string };

/**
 * The filter for a datapath socket, given the director's own IPv4 addresses (as 32-bit numbers) and IPv6
 * addresses (16 bytes each). Returns undefined when the program would not fit classic BPF's 8-bit jumps
 * (very many addresses): then the socket is left unfiltered, which costs copies, never frames.
 */
export function datapathFilter(own4: readonly number[], own6: readonly Uint8Array[]): BpfInstruction[] | undefined {
  const p: Pending[] = [];
  const ld = (code: number, k: number, label?: string) => p.push({ ins: { code, jt: 0, jf: 0, k }, label });
  const jeq = (k: number, jt?: string, jf?: string) => p.push({ ins: { code: BpfOp.JEQ_K, jt: 0, jf: 0, k }, jt, jf });
  const ret = (k: number, label: string) => p.push({ ins: { code: BpfOp.RET_K, jt: 0, jf: 0, k }, label });

  ld(BpfOp.LD_H_ABS, ETH_TYPE);
  jeq(ETHERTYPE_ARP, 'accept');
  jeq(ETHERTYPE_VLAN, 'accept');
  jeq(ETHERTYPE_QINQ, 'accept');
  jeq(ETHERTYPE_IPV4, 'ipv4');
  jeq(ETHERTYPE_IPV6, 'ipv6', 'drop');
  ld(BpfOp.LD_W_ABS, IPV4_DST_OFFSET, 'ipv4');
  for (const a of own4) jeq(a >>> 0, 'drop');
  p.push({ ins: { code: BpfOp.JA, jt: 0, jf: 0, k: 0 }, jt: 'accept' });
  ld(BpfOp.LD_B_ABS, IPV6_NEXT_HEADER_OFFSET, 'ipv6');
  jeq(IPPROTO_ICMPV6, 'accept');
  for (const [n, a] of own6.entries()) {
    // All four words equal: drop; the first that differs: on to the next address.
    const next = `v6next${n}`;
    const view = new DataView(a.buffer, a.byteOffset, 16);
    for (let w = 0; w < 4; w++) {
      ld(BpfOp.LD_W_ABS, IPV6_DST_OFFSET + 4 * w, w === 0 && n > 0 ? `v6next${n - 1}` : undefined);
      jeq(view.getUint32(4 * w), w === 3 ? 'drop' : undefined, next);
    }
  }
  const lastNext = own6.length > 0 ? `v6next${own6.length - 1}` : undefined;
  p.push({ ins: { code: BpfOp.JA, jt: 0, jf: 0, k: 0 }, jt: 'accept', ...(lastNext ? { label: lastNext } : {}) });
  ret(0, 'drop');
  ret(ACCEPT_ALL, 'accept');

  const at = new Map<string, number>();
  p.forEach((x, i) => {
    if (x.label !== undefined) at.set(x.label, i);
  });
  const out: BpfInstruction[] = [];
  for (const [i, x] of p.entries()) {
    const rel = (name: string | undefined): number => (name === undefined ? 0 : at.get(name)! - (i + 1));
    if (x.ins.code === BpfOp.JA) {
      out.push({ ...x.ins, k: rel(x.jt) });
      continue;
    }
    const jt = rel(x.jt);
    const jf = rel(x.jf);
    if (jt < 0 || jt > 255 || jf < 0 || jf > 255) return undefined;
    out.push({ ...x.ins, jt, jf });
  }
  return out;
}
