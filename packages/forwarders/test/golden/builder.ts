/**
 * The test side's own frame builder, deliberately independent of the code under test: it imports nothing
 * from src/, writes every header field by hand, and computes every checksum from scratch with the plain
 * RFC 1071 loop below. Golden tables build both the input and the expected output frames with it, so a
 * wrong rewrite (or a wrong incremental checksum) shows up as a byte difference.
 */

/** Parses "aa:bb:cc:dd:ee:ff". */
export function mac(s: string): number[] {
  return s.split(':').map((h) => Number.parseInt(h, 16));
}

/** Parses a dotted quad or an IPv6 address (with at most one "::"). */
export function ip(s: string): number[] {
  if (!s.includes(':')) return s.split('.').map(Number);
  const [h, t] = s.split('::') as [string, string | undefined];
  const head = h ? h.split(':') : [];
  const tail = t ? t.split(':') : [];
  const groups = t === undefined ? head : [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail];
  return groups.flatMap((g) => {
    const v = Number.parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

/** The plain RFC 1071 checksum: sum 16-bit big-endian words, fold carries, complement. */
export function rfc1071(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

function u16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** A transport payload that needs the IP addresses to finish its checksum. */
export interface L4 {
  proto: number;
  build(src: number[], dst: number[]): number[];
}

function pseudo(src: number[], dst: number[], proto: number, len: number): number[] {
  if (src.length === 4) return [...src, ...dst, 0, proto, ...u16(len)];
  return [...src, ...dst, ...u32(len), 0, 0, 0, proto];
}

/** TCP segment options. */
export interface TcpOpts {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  options?: number[];
  data?: number[];
  /** Override the checksum (otherwise computed). */
  checksum?: number;
}

/** A TCP segment (RFC 9293) with its checksum over the pseudo-header. */
export function tcp(o: TcpOpts): L4 {
  return {
    proto: 6,
    build(src, dst) {
      const opts = o.options ?? [];
      const hl = 20 + opts.length;
      const seg = [
        ...u16(o.sport),
        ...u16(o.dport),
        ...u32(o.seq ?? 1000),
        ...u32(o.ack ?? 0),
        (hl / 4) << 4,
        o.flags ?? 0x02,
        ...u16(o.window ?? 64240),
        0,
        0,
        0,
        0,
        ...opts,
        ...(o.data ?? []),
      ];
      const ck = o.checksum ?? rfc1071([...pseudo(src, dst, 6, seg.length), ...seg]);
      seg[16] = ck >> 8;
      seg[17] = ck & 0xff;
      return seg;
    },
  };
}

/** UDP datagram options. */
export interface UdpOpts {
  sport: number;
  dport: number;
  data?: number[];
  /** Override the checksum (0 = "no checksum" over IPv4). */
  checksum?: number;
}

/** A UDP datagram (RFC 768); a computed 0 is sent as 0xffff. */
export function udp(o: UdpOpts): L4 {
  return {
    proto: 17,
    build(src, dst) {
      const data = o.data ?? [];
      const d = [...u16(o.sport), ...u16(o.dport), ...u16(8 + data.length), 0, 0, ...data];
      let ck = o.checksum;
      if (ck === undefined) {
        ck = rfc1071([...pseudo(src, dst, 17, d.length), ...d]);
        if (ck === 0) ck = 0xffff;
      }
      d[6] = ck >> 8;
      d[7] = ck & 0xff;
      return d;
    },
  };
}

/** ICMP (v4) message: type, code, 4-byte rest, body (for errors: the quoted packet). */
export function icmp4(type: number, code: number, rest: number, body: number[], checksum?: number): L4 {
  return {
    proto: 1,
    build() {
      const m = [type, code, 0, 0, ...u32(rest), ...body];
      const ck = checksum ?? rfc1071(m);
      m[2] = ck >> 8;
      m[3] = ck & 0xff;
      return m;
    },
  };
}

/** ICMPv6 message with its pseudo-header checksum (RFC 4443 §2.3). */
export function icmp6(type: number, code: number, rest: number, body: number[]): L4 {
  return {
    proto: 58,
    build(src, dst) {
      const m = [type, code, 0, 0, ...u32(rest), ...body];
      const ck = rfc1071([...pseudo(src, dst, 58, m.length), ...m]);
      m[2] = ck >> 8;
      m[3] = ck & 0xff;
      return m;
    },
  };
}

/** Bytes carried as they are under a given protocol number (fragments, opaque payloads). */
export function raw(proto: number, bytes: number[]): L4 {
  return { proto, build: () => [...bytes] };
}

/** IPv4 header options. */
export interface Ip4Opts {
  src: string;
  dst: string;
  ttl?: number;
  tos?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  /** Options bytes (padded to a multiple of 4 by the caller). */
  options?: number[];
  /** Override the protocol number. */
  proto?: number;
  /** Override the header checksum. */
  checksum?: number;
  /** Override the total length. */
  totalLength?: number;
  /** Override version/IHL byte. */
  versionIhl?: number;
  /**
   * Addresses for the transport checksum when they differ from the header's (a fragment of a datagram
   * whose checksum was computed before translation, for instance).
   */
  l4Src?: string;
  l4Dst?: string;
}

/** An IPv4 packet (RFC 791) with its header checksum. */
export function ipv4(o: Ip4Opts, l4: L4): number[] {
  const src = ip(o.src);
  const dst = ip(o.dst);
  const payload = l4.build(ip(o.l4Src ?? o.src), ip(o.l4Dst ?? o.dst));
  const opts = o.options ?? [];
  const hl = 20 + opts.length;
  const frag = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) >> 3);
  const h = [
    o.versionIhl ?? 0x40 | (hl / 4),
    o.tos ?? 0,
    ...u16(o.totalLength ?? hl + payload.length),
    ...u16(o.id ?? 0x1234),
    ...u16(frag),
    o.ttl ?? 64,
    o.proto ?? l4.proto,
    0,
    0,
    ...src,
    ...dst,
    ...opts,
  ];
  const ck = o.checksum ?? rfc1071(h);
  h[10] = ck >> 8;
  h[11] = ck & 0xff;
  return [...h, ...payload];
}

/** An IPv6 extension header: next-header value is filled in by {@link ipv6}. */
export interface Ext {
  type: number;
  /** Bytes after the next-header byte (length byte included for generic ones). */
  body: number[];
}

/** IPv6 header options. */
export interface Ip6Opts {
  src: string;
  dst: string;
  hop?: number;
  tc?: number;
  flow?: number;
  ext?: Ext[];
  /** Override the payload length. */
  payloadLength?: number;
}

/** An IPv6 packet (RFC 8200) with optional extension headers chained in order. */
export function ipv6(o: Ip6Opts, l4: L4): number[] {
  const src = ip(o.src);
  const dst = ip(o.dst);
  const payload = l4.build(src, dst);
  const exts = o.ext ?? [];
  const chain: number[] = [];
  exts.forEach((e, i) => {
    const next = i + 1 < exts.length ? exts[i + 1]!.type : l4.proto;
    chain.push(next, ...e.body);
  });
  const first = exts.length > 0 ? exts[0]!.type : l4.proto;
  const plen = o.payloadLength ?? chain.length + payload.length;
  const w0 = (6 << 28) | ((o.tc ?? 0) << 20) | (o.flow ?? 0);
  return [...u32(w0 >>> 0), ...u16(plen), first, o.hop ?? 64, ...src, ...dst, ...chain, ...payload];
}

/** An Ethernet II frame, optionally with one 802.1Q tag. */
export function eth(dst: string, src: string, type: number, payload: number[], vlan?: number): Uint8Array {
  const tag = vlan === undefined ? [] : [0x81, 0x00, ...u16(vlan)];
  return Uint8Array.from([...mac(dst), ...mac(src), ...tag, ...u16(type), ...payload]);
}

/** Ethernet frame with an IPv4 packet. */
export function eth4(dst: string, src: string, packet: number[], vlan?: number): Uint8Array {
  return eth(dst, src, 0x0800, packet, vlan);
}

/** Ethernet frame with an IPv6 packet. */
export function eth6(dst: string, src: string, packet: number[]): Uint8Array {
  return eth(dst, src, 0x86dd, packet);
}

/** `n` payload bytes with a recognisable pattern. */
export function bytes(n: number, seed = 1): number[] {
  return Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
}

/**
 * Non-periodic bytes from a 32-bit LCG (Numerical Recipes' constants, top byte of each step): data copied from
 * a wrong offset (a segment or fragment cut in the wrong place) cannot look right, as it could with a short
 * repeating pattern.
 */
export function noise(n: number, seed = 1): number[] {
  const out = new Array<number>(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
