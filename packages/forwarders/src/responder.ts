/**
 * The datapath's side of ARP and neighbour discovery. {@link NeighbourResponder} answers for the VIPs — the
 * director's kernel does not own them, so nobody else will: an ARP request becomes its reply and a neighbour
 * solicitation its advertisement, in place in the received frame, and it writes the announcements
 * (gratuitous ARP, unsolicited NA). It answers only for the VIPs its {@link VipTable} says are served: the
 * datapath's serving switch (`serve(vips)`, flipped by VRRP) hands it a new table, so a BACKUP answers
 * nothing. {@link learnArpReply} and {@link learnNeighbourAdvert} take the answers to the datapath's own
 * requests into a {@link NeighbourCache}. The frame bytes are `@lvskit/base`'s views and encoders; this file
 * decides only whom to answer and what to learn, and must never allocate, send or throw per frame.
 */
import {
  ARP_REPLY,
  ARP_REQUEST,
  ArpView,
  bytesEqual,
  encodeGratuitousArp,
  encodeUnsolicitedNa,
  ND_OPT_TARGET_LINKADDR,
  NDISC_NEIGHBOUR_ADVERTISEMENT,
  NDISC_NEIGHBOUR_SOLICITATION,
  NdiscView,
  padEthernetFrame,
  writeArpReply,
  writeNaReply,
} from '@lvskit/base';
import type { NeighbourCache } from './neighbour-cache.js';
import { VIP_SERVED, VipTable } from './vip-table.js';

const arp = new ArpView();
const nd = new NdiscView();

/** Answers ARP and neighbour solicitations for the served VIPs, and writes their announcements. */
export class NeighbourResponder {
  /** The VIPs, with which are served; only served ones are answered or announced. */
  vips: VipTable;

  /** @param vips - the initial table (default: no VIPs) */
  constructor(vips: VipTable = VipTable.compile([])) {
    this.vips = vips;
  }

  /**
   * Turns the ARP request at `frame[l2]` (a frame of `len` bytes starting at `frame[0]`) for a served VIP
   * into its reply from `mac`, in place (`writeArpReply`, RFC 826); the length stays. False, frame untouched,
   * for anything else: not a valid Ethernet/IPv4 ARP request, or not for a served VIP.
   */
  answerArp(frame: Uint8Array, len: number, l2: number, mac: Uint8Array): boolean {
    if (!arp.attach(frame, l2).isValid(len - l2) || arp.operation() !== ARP_REQUEST) return false;
    if (this.vips.lookup(frame, arp.targetAddressOffset(), 4) !== VIP_SERVED) return false;
    writeArpReply(frame, l2, mac);
    return true;
  }

  /**
   * Turns the neighbour solicitation whose IPv6 header is at `frame[l3]` (a frame of `len` bytes) for a
   * served VIP into the advertisement from `mac`, in place (`writeNaReply`, RFC 4861 §7.2.4), and returns the
   * new frame length; 0, frame untouched, for anything else — a solicitation that fails §7.1.1 (hop limit
   * 255, code 0, length, checksum, no extension headers) or one for another address.
   */
  answerNs(frame: Uint8Array, len: number, l3: number, mac: Uint8Array): number {
    if (!nd.attach(frame, l3).isValid(len - l3) || nd.type() !== NDISC_NEIGHBOUR_SOLICITATION) return 0;
    if (this.vips.lookup(frame, nd.targetOffset(), 16) !== VIP_SERVED) return 0;
    return writeNaReply(frame, l3, mac);
  }

  /**
   * Writes the announcement of `vip` (4 or 16 bytes) from `mac` at `out[offset]` and returns its length, or
   * 0 when `vip` is not a served VIP: a gratuitous ARP padded to 60 bytes (keepalived's form) or an
   * unsolicited neighbour advertisement with the Override flag (RFC 4861 §7.2.6).
   */
  writeAnnouncement(out: Uint8Array, offset: number, mac: Uint8Array, vip: Uint8Array): number {
    if (this.vips.lookup(vip, 0, vip.length) !== VIP_SERVED) return 0;
    if (vip.length === 4) return padEthernetFrame(out, offset, encodeGratuitousArp(out, offset, mac, vip));
    return encodeUnsolicitedNa(out, offset, mac, vip, false);
  }
}

/**
 * An ARP reply addressed to `mac` (the answer to the datapath's own request) in the frame of `len` bytes
 * with the ARP packet at `l2`: resolves the sender in `cache` if it is waiting there (`resolve4` takes only
 * addresses that are waiting). Returns whether an entry was resolved.
 */
export function learnArpReply(
  cache: NeighbourCache,
  frame: Uint8Array,
  len: number,
  l2: number,
  mac: Uint8Array,
): boolean {
  if (!arp.attach(frame, l2).isValid(len - l2) || arp.operation() !== ARP_REPLY) return false;
  if (!bytesEqual(frame, arp.targetMacOffset(), mac, 0, 6)) return false;
  return cache.resolve4(frame, arp.senderAddressOffset(), frame, arp.senderMacOffset());
}

/**
 * A neighbour advertisement sent to `mac` (Ethernet destination; the answer to the datapath's solicitation)
 * whose IPv6 header is at `frame[l3]`: after RFC 4861 §7.1.2's checks, its target link-layer address option
 * resolves the target in `cache` if it is waiting there. Returns whether an entry was resolved.
 */
export function learnNeighbourAdvert(
  cache: NeighbourCache,
  frame: Uint8Array,
  len: number,
  l3: number,
  mac: Uint8Array,
): boolean {
  if (!bytesEqual(frame, 0, mac, 0, 6)) return false;
  if (!nd.attach(frame, l3).isValid(len - l3) || nd.type() !== NDISC_NEIGHBOUR_ADVERTISEMENT) return false;
  const lla = nd.linkAddressOffset(ND_OPT_TARGET_LINKADDR);
  if (lla < 0) return false;
  return cache.resolve6(frame, nd.targetOffset(), frame, lla);
}
