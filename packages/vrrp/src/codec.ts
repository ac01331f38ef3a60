/**
 * VRRP advertisement codec: a view over received bytes and an encoder into a caller's preallocated buffer,
 * for VRRPv2 (RFC 3768 §5, with keepalived's simple-text PASS authentication) and VRRPv3 (RFC 5798 §5,
 * IPv4 and IPv6, centisecond intervals, pseudo-header checksum, keepalived's `v3_checksum_as_v2`), plus the
 * IPv4 header a raw socket delivers and sends (`IP_HDRINCL`). Field offsets are named under the RFC diagrams.
 * This file owns bytes only: it never decides what a packet means for the state machine and never
 * allocates per packet.
 */
import { describe, type Family, foldSum, IPPROTO_VRRP, LvsError, onesSum } from '@lvskit/base';

/** ~fold(sum): the checksum field value, or 0 when verifying a message whose checksum is right. */
const finish = (sum: number): number => ~foldSum(sum) & 0xffff;

/*
 * RFC 3768 §5.1 (VRRPv2)                        RFC 5798 §5.1 (VRRPv3)
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Auth Type   |   Adver Int   |          Checksum             |   v2
 * |(rsvd) |     Max Adver Int     |          Checksum             |   v3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     IP Address(es) (4 or 16 bytes each)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Authentication Data (1)                   |   v2 only
 * |                     Authentication Data (2)                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
/** Offset of Version (high nibble) and Type (low nibble). */
export const VRRP_VERSION_TYPE = 0;
/** Offset of Virtual Rtr ID. */
export const VRRP_VRID = 1;
/** Offset of Priority. */
export const VRRP_PRIORITY = 2;
/** Offset of Count IP Addrs. */
export const VRRP_COUNT = 3;
/** v2: offset of Auth Type. */
export const VRRP_V2_AUTH_TYPE = 4;
/** v2: offset of Adver Int (seconds). */
export const VRRP_V2_ADVER_INT = 5;
/** v3: offset of the 16-bit rsvd(4) / Max Adver Int(12, centiseconds) word. */
export const VRRP_V3_MAX_ADVER_INT = 4;
/** Offset of Checksum. */
export const VRRP_CHECKSUM = 6;
/** Offset of the first address; also the fixed header length. */
export const VRRP_ADDRESSES = 8;
/** v2: length of Authentication Data (keepalived `VRRP_AUTH_LEN`). */
export const VRRP_V2_AUTH_LENGTH = 8;
/** IP protocol number of VRRP (RFC 3768 §5.2.4, RFC 5798 §5.1.1.4), the one in `@lvskit/base`. */
export { IPPROTO_VRRP };
/** TTL / hop limit VRRP sends and multicast receivers require (RFC 3768 §5.2.3, RFC 5798 §5.1.1.3). */
export const VRRP_TTL = 255;
/** Type ADVERTISEMENT, the only type defined (RFC 3768 §5.3.2). */
export const VRRP_TYPE_ADVERTISEMENT = 1;
/** v2 Auth Type values (RFC 2338 §5.3.6; keepalived `VRRP_AUTH_NONE/PASS/AH`). */
export const VRRP_AUTH_NONE = 0;
/** Simple text password (keepalived `auth_type PASS`). */
export const VRRP_AUTH_PASS = 1;
/** IP Authentication Header (keepalived `auth_type AH`; not supported by lvskit). */
export const VRRP_AUTH_AH = 2;
/** Largest v3 Max Adver Int in centiseconds (12 bits). */
export const VRRP_V3_MAX_ADVER_INT_CS = 0x0fff;

/**
 * Read-only view over one VRRP message (starting at its Version/Type octet). Call {@link VrrpView.reset}
 * to point it at new bytes, and {@link VrrpView.isComplete} before reading addresses or auth data.
 */
export class VrrpView {
  /** Bytes holding the message. */
  bytes: Uint8Array = new Uint8Array(0);
  /** Offset of the Version/Type octet in {@link VrrpView.bytes}. */
  offset = 0;
  /** Bytes available from {@link VrrpView.offset}. */
  length = 0;

  /**
   * Points the view at a message. Allocates nothing.
   * @param bytes - buffer
   * @param offset - start of the VRRP message
   * @param length - bytes available
   */
  reset(bytes: Uint8Array, offset: number, length: number): this {
    if (!(bytes instanceof Uint8Array) || !Number.isInteger(offset) || offset < 0 || offset > bytes.length) {
      throw new LvsError('INVALID_ARGUMENT', `VrrpView.reset: bytes must be a Uint8Array and offset inside it`);
    }
    if (!Number.isInteger(length) || length < 0) {
      throw new LvsError('INVALID_ARGUMENT', `VrrpView.reset: length must be an integer ≥ 0, not ${describe(length)}`);
    }
    this.bytes = bytes;
    this.offset = offset;
    // Never past the buffer: a length the caller overstated only makes the message incomplete.
    this.length = Math.min(length, bytes.length - offset);
    return this;
  }

  /** True when at least the 8-octet fixed header is present. */
  hasHeader(): boolean {
    return this.length >= VRRP_ADDRESSES;
  }
  /** Version (high nibble of octet 0). */
  get version(): number {
    return (this.bytes[this.offset] as number) >>> 4;
  }
  /** Type (low nibble of octet 0). */
  get type(): number {
    return (this.bytes[this.offset] as number) & 0x0f;
  }
  /** Virtual Rtr ID. */
  get vrid(): number {
    return this.bytes[this.offset + VRRP_VRID] as number;
  }
  /** Priority. */
  get priority(): number {
    return this.bytes[this.offset + VRRP_PRIORITY] as number;
  }
  /** Count IP Addrs / Count IPvX Addr. */
  get count(): number {
    return this.bytes[this.offset + VRRP_COUNT] as number;
  }
  /** v2 Auth Type. */
  get authType(): number {
    return this.bytes[this.offset + VRRP_V2_AUTH_TYPE] as number;
  }
  /** v2 Adver Int in seconds. */
  get adverIntSeconds(): number {
    return this.bytes[this.offset + VRRP_V2_ADVER_INT] as number;
  }
  /** v3 Max Adver Int in centiseconds; the 4 reserved bits are ignored (RFC 5798 §5.2.6). */
  get maxAdverIntCs(): number {
    const o = this.offset + VRRP_V3_MAX_ADVER_INT;
    return (((this.bytes[o] as number) << 8) | (this.bytes[o + 1] as number)) & VRRP_V3_MAX_ADVER_INT_CS;
  }
  /** Checksum field. */
  get checksum(): number {
    const o = this.offset + VRRP_CHECKSUM;
    return ((this.bytes[o] as number) << 8) | (this.bytes[o + 1] as number);
  }
  /**
   * The length the message must have for its version and address count (keepalived
   * `expected_vrrp_pkt_len`): 8 + count × (4|16), plus 8 octets of auth data for v2.
   * @param family - address family of the socket it arrived on
   */
  expectedLength(family: Family): number {
    const base = VRRP_ADDRESSES + this.count * (family === 4 ? 4 : 16);
    return this.version === 2 ? base + VRRP_V2_AUTH_LENGTH : base;
  }
  /**
   * True when the fixed header, every address and (v2) the auth data are present.
   * @param family - address family of the socket it arrived on
   */
  isComplete(family: Family): boolean {
    return this.hasHeader() && this.length >= this.expectedLength(family);
  }
  /**
   * Offset in {@link VrrpView.bytes} of address `i`.
   * @param i - index, 0-based
   * @param family - address family
   */
  addressOffset(i: number, family: Family): number {
    return this.offset + VRRP_ADDRESSES + i * (family === 4 ? 4 : 16);
  }
  /**
   * Offset in {@link VrrpView.bytes} of the v2 Authentication Data.
   * @param family - address family
   */
  authDataOffset(family: Family): number {
    return this.addressOffset(this.count, family);
  }
}

/** Everything needed to encode one advertisement. */
export interface AdvertFields {
  /** 2 or 3. */
  readonly version: 2 | 3;
  /** Address family of the addresses (v2 is IPv4 only). */
  readonly family: Family;
  /** Virtual router ID 1..255. */
  readonly vrid: number;
  /** Priority 0..255. */
  readonly priority: number;
  /** v2: Adver Int in seconds (1..255); v3: Max Adver Int in centiseconds (1..4095). */
  readonly interval: number;
  /** Virtual addresses, each 4 or 16 bytes matching `family`. */
  readonly addresses: readonly Uint8Array[];
  /** v2 only: Auth Type (0 none, 1 PASS). */
  readonly authType?: number;
  /** v2 only: the 8 octets of Authentication Data (PASS: password, NUL padded). */
  readonly authData?: Uint8Array;
}

/**
 * Length of the VRRP message for these fields.
 * @param version - 2 or 3
 * @param family - 4 or 6
 * @param count - number of addresses
 */
export function advertLength(version: 2 | 3, family: Family, count: number): number {
  return VRRP_ADDRESSES + count * (family === 4 ? 4 : 16) + (version === 2 ? VRRP_V2_AUTH_LENGTH : 0);
}

/**
 * Where the checksum pseudo-header comes from. v3 sums the RFC 2460 §8.1-style pseudo-header (RFC 5798
 * §5.2.8) for both families; keepalived's IPv4 layout is `{src, dst, 0, 112, htons(len)}` (vrrp.h
 * `ipv4_phdr_t`). `null` means no pseudo-header: v2 always, and v3 IPv4 with `v3_checksum_as_v2`.
 */
export interface PseudoHeader {
  /** Source address (4 or 16 bytes). */
  readonly source: Uint8Array;
  /** Destination address (multicast group or unicast peer). */
  readonly destination: Uint8Array;
}

/**
 * One's-complement sum of the pseudo-header for a VRRP message of `length` octets.
 * IPv4 (keepalived `ipv4_phdr_t`): src(4) dst(4) zero(1) proto(1) len(2).
 * IPv6 (RFC 2460 §8.1): src(16) dst(16) len(4) zero(3) next-header(1).
 */
function pseudoSum(ph: PseudoHeader, length: number): number {
  let s = onesSum(ph.source, 0, ph.source.length, 0);
  s = onesSum(ph.destination, 0, ph.destination.length, s);
  // Both layouts reduce to adding the protocol and the length as 16-bit words (length < 65536).
  return s + IPPROTO_VRRP + length;
}

/**
 * Encodes an advertisement into `out` at `offset`, checksum included, and returns its length.
 * Throws `VRRP_BUFFER_TOO_SMALL` when it does not fit. Allocates nothing.
 * @param out - preallocated buffer
 * @param offset - where the VRRP message starts
 * @param f - the fields
 * @param pseudo - pseudo-header for a v3 checksum, or null (v2, or v3 with `v3_checksum_as_v2`)
 * @see RFC 3768 §5.3, RFC 5798 §5.2; keepalived vrrp.c `vrrp_build_vrrp_v2` / `vrrp_build_vrrp_v3`
 */
export function encodeAdvert(out: Uint8Array, offset: number, f: AdvertFields, pseudo: PseudoHeader | null): number {
  checkAdvertFields(out, offset, f, pseudo);
  const len = advertLength(f.version, f.family, f.addresses.length);
  if (offset + len > out.length) {
    throw new LvsError('VRRP_BUFFER_TOO_SMALL', `advertisement of ${len} bytes does not fit at ${offset}`);
  }
  out[offset + VRRP_VERSION_TYPE] = (f.version << 4) | VRRP_TYPE_ADVERTISEMENT;
  out[offset + VRRP_VRID] = f.vrid;
  out[offset + VRRP_PRIORITY] = f.priority;
  out[offset + VRRP_COUNT] = f.addresses.length;
  if (f.version === 2) {
    out[offset + VRRP_V2_AUTH_TYPE] = f.authType ?? VRRP_AUTH_NONE;
    out[offset + VRRP_V2_ADVER_INT] = f.interval;
  } else {
    // rsvd MUST be zero on send (RFC 5798 §5.2.6).
    out[offset + VRRP_V3_MAX_ADVER_INT] = (f.interval >>> 8) & 0x0f;
    out[offset + VRRP_V3_MAX_ADVER_INT + 1] = f.interval & 0xff;
  }
  out[offset + VRRP_CHECKSUM] = 0;
  out[offset + VRRP_CHECKSUM + 1] = 0;
  let p = offset + VRRP_ADDRESSES;
  for (const a of f.addresses) {
    out.set(a, p);
    p += a.length;
  }
  if (f.version === 2) {
    // RFC 3768 §5.3.10: zero unless keepalived PASS puts the password here.
    out.fill(0, p, p + VRRP_V2_AUTH_LENGTH);
    if (f.authData) out.set(f.authData.subarray(0, VRRP_V2_AUTH_LENGTH), p);
  }
  const start = f.version === 3 && pseudo ? pseudoSum(pseudo, len) : 0;
  const sum = finish(onesSum(out, offset, len, start));
  out[offset + VRRP_CHECKSUM] = sum >>> 8;
  out[offset + VRRP_CHECKSUM + 1] = sum & 0xff;
  return len;
}

const byteIn = (v: unknown, lo: number, hi: number): boolean =>
  Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/** Refuses fields {@link encodeAdvert} cannot encode with `INVALID_ARGUMENT`, naming the field and value. */
function checkAdvertFields(out: unknown, offset: unknown, f: unknown, pseudo: unknown): void {
  const fail = (what: string, v: unknown): never => {
    throw new LvsError('INVALID_ARGUMENT', `encodeAdvert: bad ${what}: ${describe(v)}`);
  };
  if (!(out instanceof Uint8Array)) fail('output buffer', out);
  if (!Number.isInteger(offset) || (offset as number) < 0) fail('offset', offset);
  if (typeof f !== 'object' || f === null) fail('fields', f);
  const a = f as Record<string, unknown>;
  if (a.version !== 2 && a.version !== 3) fail('version', a.version);
  if (a.family !== 4 && (a.family !== 6 || a.version === 2)) fail('family', a.family);
  if (!byteIn(a.vrid, 1, 255)) fail('vrid', a.vrid);
  if (!byteIn(a.priority, 0, 255)) fail('priority', a.priority);
  if (!byteIn(a.interval, 1, a.version === 2 ? 255 : VRRP_V3_MAX_ADVER_INT_CS)) fail('interval', a.interval);
  const size = a.family === 4 ? 4 : 16;
  if (!Array.isArray(a.addresses) || a.addresses.length > 255) fail('addresses', a.addresses);
  for (const x of a.addresses as unknown[]) if (!(x instanceof Uint8Array) || x.length !== size) fail('address', x);
  if (a.authType !== undefined && !byteIn(a.authType, 0, 255)) fail('authType', a.authType);
  if (a.authData !== undefined && !(a.authData instanceof Uint8Array)) fail('authData', a.authData);
  if (pseudo !== null && pseudo !== undefined) {
    const p = pseudo as Record<string, unknown>;
    if (typeof pseudo !== 'object' || !(p.source instanceof Uint8Array) || !(p.destination instanceof Uint8Array)) {
      fail('pseudo-header', pseudo);
    }
  }
}

/**
 * Verifies the checksum of a complete message: v2 over the whole message with no pseudo-header; v3 with
 * the pseudo-header unless `pseudo` is null. Allocates nothing.
 * @param view - a complete message ({@link VrrpView.isComplete})
 * @param family - address family
 * @param pseudo - pseudo-header (v3) or null
 * @see keepalived vrrp.c `vrrp_check_packet` (checksum part); RFC 5798 §5.2.8
 */
export function checksumValid(view: VrrpView, family: Family, pseudo: PseudoHeader | null): boolean {
  const len = view.expectedLength(family);
  const start = view.version === 3 && pseudo ? pseudoSum(pseudo, len) : 0;
  return finish(onesSum(view.bytes, view.offset, len, start)) === 0;
}

/**
 * Encodes a keepalived PASS password into the 8 octets of v2 Authentication Data (NUL padded; keepalived
 * copies at most 8 characters, vrrp_parser.c `vrrp_auth_pass_handler`).
 * @param password - 1..8 ASCII characters
 */
export function passAuthData(password: string): Uint8Array {
  if (typeof password !== 'string')
    throw new LvsError('INVALID_ARGUMENT', `auth_pass must be a string, not ${describe(password)}`);
  const out = new Uint8Array(VRRP_V2_AUTH_LENGTH);
  for (let i = 0; i < Math.min(password.length, VRRP_V2_AUTH_LENGTH); i++) out[i] = password.charCodeAt(i) & 0xff;
  return out;
}

/*
 * RFC 791 §3.1 Internet Header (the part a raw IPv4 socket delivers before the VRRP message)
 *  0                   1                   2                   3
 * |Version|  IHL  |Type of Service|          Total Length         |
 * |         Identification        |Flags|      Fragment Offset    |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 */
/** Offset of Version/IHL. */
export const IPV4_VERSION_IHL = 0;
/** Offset of Type of Service. */
export const IPV4_TOS = 1;
/** Offset of Total Length. */
export const IPV4_TOTAL_LENGTH = 2;
/** Offset of Identification. */
export const IPV4_ID = 4;
/** Offset of Flags/Fragment Offset. */
export const IPV4_FRAG = 6;
/** Offset of Time to Live. */
export const IPV4_TTL = 8;
/** Offset of Protocol. */
export const IPV4_PROTOCOL = 9;
/** Offset of Header Checksum. */
export const IPV4_CHECKSUM = 10;
/** Offset of Source Address. */
export const IPV4_SOURCE = 12;
/** Offset of Destination Address. */
export const IPV4_DESTINATION = 16;
/** Length of a header without options. */
export const IPV4_HEADER_LENGTH = 20;
/** keepalived sets TOS to internet network control (vrrp.c `vrrp_build_ip4`: `ip->tos = 0xc0`). */
export const VRRP_IPV4_TOS = 0xc0;

/**
 * Writes a 20-byte IPv4 header for a VRRP packet sent with `IP_HDRINCL`, like keepalived's
 * `vrrp_build_ip4`: TOS 0xc0, id 0 (the kernel fills it), no fragmentation, protocol 112, header checksum
 * computed here (the kernel recomputes it anyway). Allocates nothing.
 * @param out - buffer
 * @param offset - where the header starts
 * @param totalLength - header + VRRP message
 * @param ttl - 255 for multicast; keepalived `unicast_ttl` for unicast
 * @param source - 4-byte source address
 * @param destination - 4-byte destination address
 */
export function encodeIpv4Header(
  out: Uint8Array,
  offset: number,
  totalLength: number,
  ttl: number,
  source: Uint8Array,
  destination: Uint8Array,
): void {
  out[offset + IPV4_VERSION_IHL] = 0x45;
  out[offset + IPV4_TOS] = VRRP_IPV4_TOS;
  out[offset + IPV4_TOTAL_LENGTH] = totalLength >>> 8;
  out[offset + IPV4_TOTAL_LENGTH + 1] = totalLength & 0xff;
  out.fill(0, offset + IPV4_ID, offset + IPV4_TTL);
  out[offset + IPV4_TTL] = ttl;
  out[offset + IPV4_PROTOCOL] = IPPROTO_VRRP;
  out[offset + IPV4_CHECKSUM] = 0;
  out[offset + IPV4_CHECKSUM + 1] = 0;
  out.set(source, offset + IPV4_SOURCE);
  out.set(destination, offset + IPV4_DESTINATION);
  const c = finish(onesSum(out, offset, IPV4_HEADER_LENGTH, 0));
  out[offset + IPV4_CHECKSUM] = c >>> 8;
  out[offset + IPV4_CHECKSUM + 1] = c & 0xff;
}
