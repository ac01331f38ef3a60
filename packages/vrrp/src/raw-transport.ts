/**
 * The real VRRP transport: a raw socket for IP protocol 112 from the `raw-socket` package, bound to the
 * interface (`SO_BINDTODEVICE`), joined to the multicast group on it with loopback off, or sending to
 * unicast peers. IPv4 uses `IP_HDRINCL` so we write the IP header keepalived writes (TOS 0xc0, TTL 255, our
 * source); IPv6 lets the kernel write the header and the checksum (`IPV6_CHECKSUM`), hop limit 255. It owns
 * the socket, one send buffer and the reused receive descriptor; it must never interpret VRRP fields (the
 * state machine does).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { compareBytes, formatIp, LvsError, parseIp } from '@lvskit/base';
import {
  encodeIpv4Header,
  IPPROTO_VRRP,
  IPV4_DESTINATION,
  IPV4_HEADER_LENGTH,
  IPV4_SOURCE,
  IPV4_TTL,
} from './codec.js';
import type { ReceivedAdvert } from './machine.js';
import type { VrrpTransport } from './ports.js';

// Linux socket option numbers (include/uapi/linux/in.h, asm-generic/socket.h).
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
// include/uapi/linux/in6.h
const IPPROTO_IPV6 = 41;
const IPV6_CHECKSUM = 7;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const IPV6_MULTICAST_LOOP = 19;
const IPV6_ADD_MEMBERSHIP = 20;
const IPV6_HDRINCL = 36;
/** IPv6 header length (RFC 8200 §3); we write it ourselves for unicast (IPV6_HDRINCL). */
const IPV6_HEADER_LENGTH = 40;
/** Traffic class keepalived sends with (IPTOS_PREC_INTERNETCONTROL, `if_setsockopt_priority`). */
const IPV6_TRAFFIC_CLASS = 0xc0;

interface RawSocket {
  setOption(level: number, option: number, value: Buffer | number, length?: number): void;
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    address: string,
    before: (() => void) | null,
    after: (error: Error | null, bytes: number) => void,
  ): void;
  on(event: 'message', fn: (buffer: Buffer, source: string) => void): void;
  on(event: 'error', fn: (error: Error) => void): void;
  close(): void;
}
interface DirectSend {
  send(buffer: Buffer, offset: number, length: number, address: string, cb: (bytes: number) => void): void;
}
const noop = (): void => {};
interface RawSocketModule {
  createSocket(options: { addressFamily: number; protocol: number; bufferSize?: number }): RawSocket;
  AddressFamily: { IPv4: number; IPv6: number };
}

/** Options of {@link RawSocketTransport}. */
export interface RawSocketTransportOptions {
  /** Interface to bind to and join the group on. */
  readonly interface: string;
  /**
   * Source address: written in the IPv4 header, and in the IPv6 header of unicast adverts (keepalived's
   * `unicast_src_ip`); IPv6 multicast adverts leave from the interface's link-local address the kernel picks.
   */
  readonly source: Uint8Array;
  /** Multicast group to join (224.0.0.18 or ff02::12), or null in unicast mode. */
  readonly multicastGroup: Uint8Array | null;
  /** TTL of sent packets: 255 (RFC 3768 §5.2.3), or keepalived `unicast_ttl`. */
  readonly ttl: number;
}

function interfaceIndex(ifname: string): number {
  try {
    return Number(readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8').trim());
  } catch {
    return 0;
  }
}

/** Raw-socket VRRP transport (IPv4 224.0.0.18 / IPv6 ff02::12 multicast, or unicast peers). Needs CAP_NET_RAW. */
export class RawSocketTransport implements VrrpTransport {
  /**
   * 4 or 6, from the source address. IPv6 differs: the kernel verifies received checksums (IPV6_CHECKSUM,
   * as keepalived); multicast adverts are sent with the kernel's header and checksum (source: the
   * interface's link-local address for ff02::12), unicast ones with our own header (IPV6_HDRINCL, Linux ≥ 4.5)
   * so they leave from the configured source as keepalived's do (it binds the send socket to
   * `unicast_src_ip`) — the kernel would otherwise pick any address, the VIP once it is up; and `raw-socket` cannot deliver the received hop limit (IPV6_RECVHOPLIMIT ancillary data),
   * so received IPv6 adverts carry ttl −1 and skip that check, as keepalived does without the cmsg.
   */
  readonly family: 4 | 6;
  readonly #socket: RawSocket;
  readonly #opts: RawSocketTransportOptions;
  readonly #rx: ReceivedAdvert = {
    bytes: new Uint8Array(0),
    offset: 0,
    length: 0,
    source: new Uint8Array(4),
    destination: new Uint8Array(4),
    ttl: -1,
  };
  readonly #tx = Buffer.alloc(IPV6_HEADER_LENGTH + 8 + 255 * 16 + 8);
  /** IPv6 unicast: we write the IPv6 header, so the source is the configured one, not the kernel's choice. */
  readonly #hdrincl6: boolean;
  /** Adverts handed to the kernel. */
  sent = 0;
  /** Adverts the kernel refused (interface down, no route); keepalived logs these and carries on. */
  sendErrors = 0;
  #handler: ((a: ReceivedAdvert) => void) | null = null;
  #closed = false;
  #pending = 0;
  #closing = false;

  /**
   * Opens the socket. Throws `VRRP_TRANSPORT_FAILED` when it cannot (no privileges, no interface).
   * @param opts - interface, source, group, TTL
   */
  constructor(opts: RawSocketTransportOptions) {
    this.#opts = opts;
    this.family = opts.source.length === 16 ? 6 : 4;
    this.#hdrincl6 = this.family === 6 && opts.multicastGroup === null;
    this.#rx.source = new Uint8Array(opts.source.length);
    this.#rx.destination = Uint8Array.from(opts.multicastGroup ?? opts.source);
    let mod: RawSocketModule;
    try {
      mod = createRequire(import.meta.url)('raw-socket') as RawSocketModule;
    } catch (cause) {
      throw new LvsError('VRRP_TRANSPORT_FAILED', 'the raw-socket package is not installed or not built', { cause });
    }
    try {
      this.#socket = mod.createSocket({
        addressFamily: this.family === 4 ? mod.AddressFamily.IPv4 : mod.AddressFamily.IPv6,
        protocol: IPPROTO_VRRP,
        bufferSize: 2048,
      });
    } catch (cause) {
      throw new LvsError('VRRP_TRANSPORT_FAILED', `cannot open a raw IPv4 socket for protocol 112: ${String(cause)}`, {
        cause,
      });
    }
    try {
      const s = this.#socket;
      const name = Buffer.from(`${opts.interface}\0`);
      s.setOption(SOL_SOCKET, SO_BINDTODEVICE, name, name.length);
      if (this.family === 6) {
        // The checksum is at offset 6 of the VRRP message (keepalived open_vrrp_send_socket / read socket).
        s.setOption(IPPROTO_IPV6, IPV6_CHECKSUM, 6);
        // Unicast: our own header, so the source is ours (the advert's checksum already covers it).
        if (!opts.multicastGroup) s.setOption(IPPROTO_IPV6, IPV6_HDRINCL, 1);
        s.setOption(IPPROTO_IPV6, IPV6_UNICAST_HOPS, opts.ttl);
        if (opts.multicastGroup) {
          const ifindex = interfaceIndex(opts.interface);
          const mreq = Buffer.alloc(20);
          mreq.set(opts.multicastGroup, 0);
          mreq.writeInt32LE(ifindex, 16);
          s.setOption(IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq, 20);
          s.setOption(IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
          s.setOption(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255);
          s.setOption(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
        }
      } else {
        s.setOption(IPPROTO_IP, IP_HDRINCL, 1);
      }
      if (this.family === 4 && opts.multicastGroup) {
        // struct ip_mreqn { imr_multiaddr; imr_address; imr_ifindex } — the kernel accepts it for both options.
        const mreq = Buffer.alloc(12);
        mreq.set(opts.multicastGroup, 0);
        mreq.set(opts.source, 4);
        mreq.writeInt32LE(interfaceIndex(opts.interface), 8);
        s.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, 12);
        s.setOption(IPPROTO_IP, IP_MULTICAST_IF, mreq, 12);
        s.setOption(IPPROTO_IP, IP_MULTICAST_TTL, 255);
        // keepalived turns loopback off too (if_setsockopt_mcast_loop); we must not hear ourselves.
        s.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
      }
    } catch (cause) {
      this.#socket.close();
      throw new LvsError(
        'VRRP_TRANSPORT_FAILED',
        `cannot set up the VRRP socket on ${opts.interface}: ${String(cause)}`,
        {
          cause,
        },
      );
    }
    this.#socket.on('message', (buf, source) =>
      this.family === 4 ? this.#onMessage(buf) : this.#onMessage6(buf, source),
    );
    this.#socket.on('error', () => {
      /* a receive error is counted by nobody; the next advert will come */
    });
  }

  #onMessage6(buf: Buffer, source: string): void {
    if (this.#closed || !this.#handler) return;
    let src: Uint8Array;
    try {
      src = parseIp(source);
    } catch {
      return;
    }
    if (compareBytes(src, this.#opts.source) === 0) return;
    const rx = this.#rx;
    rx.bytes = buf;
    rx.offset = 0;
    rx.length = buf.length;
    rx.source = src;
    // Only the payload arrives: the destination is the group we joined (or us, in unicast mode).
    rx.ttl = -1;
    this.#handler(rx);
  }

  #onMessage(buf: Buffer): void {
    if (this.#closed || !this.#handler || buf.length < IPV4_HEADER_LENGTH) return;
    const ihl = ((buf[0] as number) & 0x0f) * 4;
    if (buf.length < ihl) return;
    // Our own multicast never loops back (IP_MULTICAST_LOOP 0), but a unicast peer list may include us.
    if (
      buf[IPV4_SOURCE] === this.#opts.source[0] &&
      buf[IPV4_SOURCE + 1] === this.#opts.source[1] &&
      buf[IPV4_SOURCE + 2] === this.#opts.source[2] &&
      buf[IPV4_SOURCE + 3] === this.#opts.source[3]
    ) {
      return;
    }
    const rx = this.#rx;
    rx.bytes = buf;
    rx.offset = ihl;
    // keepalived compares the IP total length with what was received; a mismatch becomes a length drop.
    const total = buf.readUInt16BE(2);
    rx.length = total === buf.length ? buf.length - ihl : -1;
    rx.source.set(buf.subarray(IPV4_SOURCE, IPV4_SOURCE + 4));
    rx.destination.set(buf.subarray(IPV4_DESTINATION, IPV4_DESTINATION + 4));
    rx.ttl = buf[IPV4_TTL] as number;
    this.#handler(rx);
  }

  send(message: Uint8Array, length: number, destination: Uint8Array): void {
    if (this.#closed) return;
    const tx = this.#tx;
    let total = length;
    if (this.family === 4) {
      total = IPV4_HEADER_LENGTH + length;
      encodeIpv4Header(tx, 0, total, this.#opts.ttl, this.#opts.source, destination);
      tx.set(message.subarray(0, length), IPV4_HEADER_LENGTH);
    } else if (this.#hdrincl6) {
      total = IPV6_HEADER_LENGTH + length;
      // RFC 8200 §3: version 6, traffic class, flow label 0, payload length, next header 112, hop limit.
      tx[0] = 0x60 | (IPV6_TRAFFIC_CLASS >> 4);
      tx[1] = (IPV6_TRAFFIC_CLASS & 0x0f) << 4;
      tx[2] = 0;
      tx[3] = 0;
      tx.writeUInt16BE(length, 4);
      tx[6] = IPPROTO_VRRP;
      tx[7] = this.#opts.ttl;
      tx.set(this.#opts.source, 8);
      tx.set(destination.subarray(0, 16), 24);
      tx.set(message.subarray(0, length), IPV6_HEADER_LENGTH);
    } else {
      tx.set(message.subarray(0, length), 0);
    }
    const address = formatIp(destination);
    // raw-socket's public send() waits for a writable event, so anything the caller does next (adding the
    // VIPs, ARP) would go out before the advert. Its wrapper's send() is a synchronous sendto(2), which is
    // what keepalived does (vrrp_send_pkt); the kernel copies the bytes, so the buffer is reused.
    const wrap = (this.#socket as unknown as { wrap?: DirectSend }).wrap;
    if (wrap && typeof wrap.send === 'function') {
      try {
        wrap.send(tx, 0, total, address, noop);
        this.sent++;
      } catch {
        // keepalived logs "send advert error" and carries on: a lost advert, counted.
        this.sendErrors++;
      }
      return;
    }
    const copy = Buffer.from(tx.subarray(0, total));
    this.#pending++;
    this.#socket.send(copy, 0, total, address, null, (err) => {
      if (err) this.sendErrors++;
      else this.sent++;
      if (--this.#pending === 0 && this.#closing) this.#socket.close();
    });
  }

  onReceive(handler: (advert: ReceivedAdvert) => void): void {
    this.#handler = handler;
  }

  /** Closes the socket once queued sends (e.g. the priority-0 advert of a shutdown) have gone out. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = true;
    if (this.#pending === 0) this.#socket.close();
  }
}
