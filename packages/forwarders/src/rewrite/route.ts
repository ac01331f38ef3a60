/**
 * Direct routing (LVS-DR, ipvsadm `-g`, IP_VS_CONN_F_DROUTE): the frame goes to the real server unchanged
 * but for its MACs — destination the real server's, source ours — out the interface it came in on; the real
 * server holds the VIP on loopback and answers the client directly. Mirrors `ip_vs_dr_xmit` /
 * `ip_vs_dr_xmit_v6` (net/netfilter/ipvs/ip_vs_xmit.c), including its TTL decrement unless switched off.
 * Must never touch addresses or ports, and never allocate.
 */

import { DropReason, Verdict } from '@lvskit/base';
import type { ForwardParams } from '../params.js';
import type { PacketInfo } from '../parse.js';
import type { RewriteResult } from '../verdict.js';
import { drop, preTransmit, setMacs } from './common.js';

/**
 * Rewrites the frame `frame[0..len)` (already parsed into `info`) for direct routing to the real server
 * whose MAC is `p.nextHopMac`. Returns FORWARD (same length), REPLY (an ICMP error for the sender now fills
 * the frame) or DROP with `r.reason`.
 */
export function rewriteRoute(
  frame: Uint8Array,
  len: number,
  info: PacketInfo,
  p: ForwardParams,
  r: RewriteResult,
): Verdict {
  // A caller's `len` past the buffer (or not a length at all) would be reported back as the result's length.
  if (!(len >= 0 && len <= frame.length)) return drop(r, DropReason.MALFORMED);
  if (info.family === 0) return drop(r, DropReason.NOT_IP);
  const v = preTransmit(frame, info, p, 0, r);
  if (v >= 0) return v as Verdict;
  setMacs(frame, p.nextHopMac, p.ourMac);
  r.length = len;
  r.reason = DropReason.NONE;
  return Verdict.FORWARD;
}
