/**
 * Completing a transport checksum that a sender left to offload. A frame a local socket sent over a veth
 * (or any device advertising tx checksum offload) reaches a packet socket with CHECKSUM_PARTIAL: its
 * TCP/UDP checksum field holds only the pseudo-header sum, to be finished by the NIC it never reaches
 * (`@lvskit/native` flags it `RxFlag.CSUM_NOT_READY`). Forwarded as is, the receiver drops it as corrupt,
 * so the datapath computes the whole checksum in software first, as the sender's NIC would have (linux
 * net/core/dev.c skb_checksum_help: checksum from csum_start to the end, stored at csum_offset).
 * This file owns that one computation: it never changes any other byte and never allocates.
 */
import { internetChecksum, pseudoSum4, pseudoSum6, put16 } from '@lvskit/base';
import { IPPROTO_TCP, IPPROTO_UDP } from './headers/ipv4.js';
import type { PacketInfo } from './parse.js';

/**
 * Writes the full TCP or UDP checksum (RFC 9293 §3.1, RFC 768, with the RFC 8200 §8.1 pseudo-header for
 * IPv6) of the parsed packet in `frame`, ignoring whatever its checksum field held. A UDP result of 0 is
 * sent as 0xffff (RFC 768). Returns false (frame untouched) for anything else: other protocols, fragments,
 * or a transport header too short to hold the field.
 */
export function completeTransportChecksum(frame: Uint8Array, info: PacketInfo): boolean {
  if (!info.hasTransport || info.isFragment) return false;
  const l4 = info.l4Offset;
  const len = info.l4Length;
  let field: number;
  if (info.protocol === IPPROTO_TCP && len >= 20) field = l4 + 16;
  else if (info.protocol === IPPROTO_UDP && len >= 8) field = l4 + 6;
  else return false;
  put16(frame, field, 0);
  const pseudo =
    info.family === 4
      ? pseudoSum4(frame, info.srcAddrOffset, info.dstAddrOffset, info.protocol, len)
      : pseudoSum6(frame, info.srcAddrOffset, info.dstAddrOffset, info.protocol, len);
  let ck = internetChecksum(frame, l4, len, pseudo);
  if (ck === 0 && info.protocol === IPPROTO_UDP) ck = 0xffff;
  put16(frame, field, ck);
  return true;
}
