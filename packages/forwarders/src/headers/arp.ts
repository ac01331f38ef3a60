/**
 * ARP for IPv4 over Ethernet (RFC 826): the offsets, the view and the encoders are `@lvskit/base`'s (the one
 * ARP/NDP frame code of lvskit, shared with VRRP), re-exported beside the other header views. Must never grow
 * ARP code of its own.
 */
export {
  ARP_HLEN,
  ARP_HTYPE,
  ARP_OPER,
  ARP_PLEN,
  ARP_PTYPE,
  ARP_REPLY,
  ARP_REQUEST,
  ARP_SHA,
  ARP_SIZE,
  ARP_SPA,
  ARP_THA,
  ARP_TPA,
  ArpView,
} from '@lvskit/base';
