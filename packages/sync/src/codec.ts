/**
 * The IPVS connection-synchronisation wire format, byte for byte as Linux's
 * `net/netfilter/ipvs/ip_vs_sync.c` writes and reads it: the version 1 message (`struct ip_vs_sync_mesg`,
 * records `struct ip_vs_sync_v4` / `struct ip_vs_sync_v6` with type/length options) and the version 0 message
 * (`struct ip_vs_sync_mesg_v0`, records `struct ip_vs_sync_conn_v0` and `struct ip_vs_sync_conn_options`).
 * Decoding never throws on network input: it mirrors `ip_vs_process_message`, `ip_vs_process_message_v0`
 * and `ip_vs_proc_sync_conn`, keeping the records the kernel would apply and counting the ones it drops.
 */
import { formatIp, LvsError, parseIp } from '@lvskit/base';
import './errors.js';

/** Multicast group the kernel sends to by default, `IP_VS_SYNC_GROUP` 0xe0000051 (ip_vs_sync.c). */
export const SYNC_GROUP_IPV4 = '224.0.0.81';
/** UDP port of the first sync thread, `IP_VS_SYNC_PORT` (ip_vs_sync.c); thread `id` uses port + id. */
export const SYNC_PORT = 8848;
/** `SYNC_PROTO_VER` (ip_vs_sync.c): the version byte of a version 1 header. */
export const SYNC_PROTO_VER = 1;
/** Size of `struct ip_vs_sync_mesg` (version 1 header). */
export const SYNC_V1_HEADER_LEN = 8;
/** Size of `struct ip_vs_sync_mesg_v0` (version 0 header). */
export const SYNC_V0_HEADER_LEN = 4;
/** Size of `struct ip_vs_sync_v4`. */
export const SYNC_V4_CONN_LEN = 36;
/** Size of `struct ip_vs_sync_v6`. */
export const SYNC_V6_CONN_LEN = 72;
/** `SIMPLE_CONN_SIZE` (ip_vs_sync.c): a version 0 record without sequence options. */
export const SYNC_V0_SIMPLE_CONN_LEN = 24;
/** `sizeof(struct ip_vs_sync_conn_options)`: two `struct ip_vs_seq` of three 32-bit words. */
export const SYNC_SEQ_OPTIONS_LEN = 24;
/** `FULL_CONN_SIZE` (ip_vs_sync.c): a version 0 record with its sequence options. */
export const SYNC_V0_FULL_CONN_LEN = SYNC_V0_SIMPLE_CONN_LEN + SYNC_SEQ_OPTIONS_LEN;
/** Option type `IPVS_OPT_SEQ_DATA` (ip_vs_sync.c). */
export const IPVS_OPT_SEQ_DATA = 1;
/** Option type `IPVS_OPT_PE_DATA` (ip_vs_sync.c). */
export const IPVS_OPT_PE_DATA = 2;
/** Option type `IPVS_OPT_PE_NAME` (ip_vs_sync.c). */
export const IPVS_OPT_PE_NAME = 3;
/** `IPVS_OPT_F_PARAM` (ip_vs_sync.c): set on an option type, the option may be ignored when unknown. */
export const IPVS_OPT_F_PARAM = 1 << 6;
/** `IP_VS_PEDATA_MAXLEN` (include/net/ip_vs.h). */
export const IP_VS_PEDATA_MAXLEN = 255;
/** `IP_VS_PENAME_MAXLEN` (include/uapi/linux/ip_vs.h). */
export const IP_VS_PENAME_MAXLEN = 16;
/** `IP_VS_CONN_F_HASHED` (include/uapi/linux/ip_vs.h): never sent (cleared by `ip_vs_sync_conn`). */
export const IP_VS_CONN_F_HASHED = 0x0040;
/** `IP_VS_CONN_F_SYNC` (include/uapi/linux/ip_vs.h): the backup sets it on every synced conn. */
export const IP_VS_CONN_F_SYNC = 0x0020;
/** `IP_VS_CONN_F_SEQ_MASK` (include/uapi/linux/ip_vs.h): IN_SEQ | OUT_SEQ, a v0 record carries seq options. */
export const IP_VS_CONN_F_SEQ_MASK = 0x0600;
/** `IP_VS_CONN_F_TEMPLATE` (include/uapi/linux/ip_vs.h): a persistence template, not a connection. */
export const IP_VS_CONN_F_TEMPLATE = 0x1000;
/**
 * `IP_VS_CONN_F_BACKUP_MASK` (include/uapi/linux/ip_vs.h): FWD_MASK | NOOUTPUT | INACTIVE | SEQ_MASK |
 * NO_CPORT | TEMPLATE, the flags a version 1 backup keeps (`ip_vs_proc_sync_conn`).
 */
export const IP_VS_CONN_F_BACKUP_MASK = 0x0007 | 0x0080 | 0x0100 | 0x0600 | 0x0800 | 0x1000;
/** The most records one message can count (`nr_conns` is a byte; `MAX_CONNS_PER_SYNCBUFF` for v0). */
export const SYNC_MAX_CONNS = 255;

/**
 * Number of states per protocol the kernel's backup accepts (`pp->num_states`, checked in
 * `ip_vs_proc_sync_conn`): TCP `IP_VS_TCP_S_LAST` 11, UDP `IP_VS_UDP_S_LAST` 1, SCTP `IP_VS_SCTP_S_LAST` 13,
 * AH/ESP 1 (include/net/ip_vs.h enums, ip_vs_proto_ah_esp.c). A protocol missing here is "unsupported".
 */
export const DEFAULT_PROTOCOL_STATES: Readonly<Record<number, number>> = Object.freeze({
  6: 11,
  17: 1,
  132: 13,
  50: 1,
  51: 1,
});

/** One `struct ip_vs_seq` in host order: the TCP sequence adjustment of a NAT connection. */
export interface SyncSeq {
  /** `init_seq`: the sequence number where the adjustment starts. */
  initSeq: number;
  /** `delta`: the current adjustment. */
  delta: number;
  /** `previous_delta`: the adjustment before `initSeq`. */
  previousDelta: number;
}

/** One synchronised connection (or persistence template) as carried by a sync record. */
export interface SyncConn {
  /** Address family: 4 (`type` 0) or 6 (`type` bit `STYPE_F_INET6`). Version 0 carries only 4. */
  family: 4 | 6;
  /** IP protocol number (6 TCP, 17 UDP, 132 SCTP, …). */
  protocol: number;
  /** Connection flags as on the wire (`IP_VS_CONN_F_*`; 16 bits in version 0, 32 in version 1). */
  flags: number;
  /** Protocol state (`IP_VS_TCP_S_*` …). */
  state: number;
  /** Client port. */
  cport: number;
  /** Virtual port. */
  vport: number;
  /** Destination (real server) port. */
  dport: number;
  /** Firewall mark (version 1 only; 0 in version 0). */
  fwmark: number;
  /** Timeout in seconds (version 1 only; 0 in version 0, the backup then uses its state table). */
  timeout: number;
  /** Client address. */
  caddr: string;
  /** Virtual address. */
  vaddr: string;
  /** Destination (real server) address. */
  daddr: string;
  /** Incoming sequence adjustment (`IPVS_OPT_SEQ_DATA` in v1; v0 when `flags & IP_VS_CONN_F_SEQ_MASK`). */
  inSeq?: SyncSeq;
  /** Outgoing sequence adjustment, always present together with `inSeq`. */
  outSeq?: SyncSeq;
  /** Persistence engine name (`IPVS_OPT_PE_NAME`, at most 16 bytes, version 1 only). */
  peName?: string;
  /** Persistence engine data (`IPVS_OPT_PE_DATA`, 1..255 bytes, version 1 only). */
  peData?: Uint8Array;
}

/** Why one record was skipped while the rest of its message was still processed. */
export type SyncRecordDrop =
  /** `ip_vs_proc_sync_conn` retc 10: an IPv6 record and the receiver has no IPv6. */
  | 'ipv6-unsupported'
  /** retc 20: an unknown option without `IPVS_OPT_F_PARAM`. */
  | 'unknown-mandatory-option'
  /** retc 30 (v0: "Unsupported protocol"): protocol not in the receiver's table. */
  | 'unsupported-protocol'
  /** retc 40 (v0: "Invalid state"): state ≥ the protocol's number of states. */
  | 'invalid-state'
  /** retc 50: `ip_vs_conn_fill_param_sync` failed, the persistence engine named is not known. */
  | 'unknown-pe';

/** Why the rest of a message (or the whole message) was dropped. */
export type SyncMessageDrop =
  /** Shorter than the 4-byte version 0 header. */
  | 'header-too-short'
  /** The datagram length differs from the header's `size`. */
  | 'bad-size'
  /** The header's syncid differs from the configured one (and that is not 0). */
  | 'syncid-mismatch'
  /** v1: less than `sizeof(struct ip_vs_sync_v4)` left for the next record ("Dropping buffer, too small"). */
  | 'record-too-short'
  /** v1: the record's size runs past the message ("msg > buffer"). */
  | 'record-past-end'
  /** v1: the record's version nibble is not 0 ("Unknown version"). */
  | 'record-version'
  /** v1 retc -10: type byte neither 0 nor with the IPv6 bit. */
  | 'record-type'
  /** v1 retc -20: the record's size is smaller than its fixed part. */
  | 'record-truncated'
  /** v1 retc -30: one byte left where an option header needs two. */
  | 'option-header'
  /** v1 retc -40: an option length of 0 or past the record. */
  | 'option-length'
  /** v1 retc -50: sequence option not 24 bytes, or twice. */
  | 'option-seq'
  /** v1 retc -60: PE data over 255 bytes, or twice. */
  | 'option-pe-data'
  /** v1 retc -70: PE name over 16 bytes, or twice. */
  | 'option-pe-name'
  /** v0: less than 24 bytes left for the next record ("bogus conn"). */
  | 'v0-record-too-short'
  /** v0: sequence options flagged but not all there ("bogus conn options"). */
  | 'v0-options-too-short';

/** What decoding one datagram gives: the records the kernel would apply and what it would drop. */
export interface SyncDecodeResult {
  /** Message version (0 or 1), or undefined when the header itself was refused. */
  version: 0 | 1 | undefined;
  /** The header's syncid (undefined when the datagram is shorter than a header). */
  syncid: number | undefined;
  /** The header's `nr_conns`. */
  count: number;
  /** Records applied, in message order (those before a message-level drop are kept, as the kernel keeps them). */
  conns: SyncConn[];
  /** Records skipped one by one, per reason. */
  dropped: Partial<Record<SyncRecordDrop, number>>;
  /** Set when the kernel would stop processing the datagram, with why. */
  messageDropped?: SyncMessageDrop;
}

/** Receiver settings that decide what is dropped. */
export interface SyncDecodeOptions {
  /** The backup's syncid; 0 (the default) accepts every syncid, as `ip_vs_process_message`. */
  syncid?: number;
  /** Protocol → number of states; default {@link DEFAULT_PROTOCOL_STATES}. */
  protocols?: Readonly<Record<number, number>>;
  /** Whether the receiver has IPv6 (`CONFIG_IP_VS_IPV6`); default true. */
  ipv6?: boolean;
  /** Persistence engines the receiver knows; default `['sip']`. */
  peNames?: readonly string[];
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8e = new TextEncoder();

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
function w16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}
function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}
function readSeq(b: Uint8Array, o: number): SyncSeq {
  return { initSeq: u32(b, o), delta: u32(b, o + 4), previousDelta: u32(b, o + 8) };
}
function writeSeq(b: Uint8Array, o: number, s: SyncSeq): void {
  w32(b, o, s.initSeq);
  w32(b, o + 4, s.delta);
  w32(b, o + 8, s.previousDelta);
}

function bump(r: SyncDecodeResult, why: SyncRecordDrop): void {
  r.dropped[why] = (r.dropped[why] ?? 0) + 1;
}

function stateOk(r: SyncDecodeResult, flags: number, protocol: number, state: number, o: SyncDecodeOptions): boolean {
  if (flags & IP_VS_CONN_F_TEMPLATE) return true; // templates: state only logged (ip_vs_proc_sync_conn)
  const n = (o.protocols ?? DEFAULT_PROTOCOL_STATES)[protocol];
  if (n === undefined) {
    bump(r, 'unsupported-protocol');
    return false;
  }
  if (state >= n) {
    bump(r, 'invalid-state');
    return false;
  }
  return true;
}

/**
 * Decodes one sync datagram as the kernel's backup thread does (`ip_vs_process_message` in ip_vs_sync.c):
 * header checks, then version 1 when `version == 1 && reserved == 0 && spare == 0`, otherwise version 0
 * (`ip_vs_process_message_v0`). Never throws on any bytes.
 *
 * @param bytes - the UDP payload
 * @param options - the receiver's syncid, protocol table, IPv6 support and known persistence engines
 * @returns the applied records, per-reason counts of skipped records, and why processing stopped if it did
 */
export function decodeSyncMessage(bytes: Uint8Array, options: SyncDecodeOptions = {}): SyncDecodeResult {
  const r: SyncDecodeResult = { version: undefined, syncid: undefined, count: 0, conns: [], dropped: {} };
  const len = bytes.length;
  if (len < SYNC_V0_HEADER_LEN) {
    r.messageDropped = 'header-too-short';
    return r;
  }
  r.syncid = bytes[1]!;
  if (len !== u16(bytes, 2)) {
    r.messageDropped = 'bad-size';
    return r;
  }
  const want = options.syncid ?? 0;
  if (want !== 0 && bytes[1] !== want) {
    r.messageDropped = 'syncid-mismatch';
    return r;
  }
  // m2->version / spare are read past a v0 header when len is 4..7; the kernel's buffer is sync_maxlen long,
  // so those bytes are stale there — here they are taken as absent, which selects v0 (no records fit anyway).
  if (len >= SYNC_V1_HEADER_LEN && bytes[5] === SYNC_PROTO_VER && bytes[0] === 0 && u16(bytes, 6) === 0) {
    r.version = 1;
    r.count = bytes[4]!;
    const why = decodeV1(bytes, r, options);
    if (why !== undefined) r.messageDropped = why;
  } else {
    r.version = 0;
    r.count = bytes[0]!;
    const why = decodeV0(bytes, r, options);
    if (why !== undefined) r.messageDropped = why;
  }
  return r;
}

function decodeV1(b: Uint8Array, r: SyncDecodeResult, o: SyncDecodeOptions): SyncMessageDrop | undefined {
  const len = b.length;
  let end = SYNC_V1_HEADER_LEN;
  for (let i = 0; i < r.count; i++) {
    const p = end;
    if (p + SYNC_V4_CONN_LEN > len) return 'record-too-short';
    const vs = u16(b, p + 2);
    const size = vs & 0x0fff;
    end = p + size;
    if (end > len) return 'record-past-end';
    if (vs >> 12) return 'record-version';
    const why = decodeRecordV1(b, p, end, r, o);
    if (why !== undefined) return why;
    end = p + ((size + 3) & ~3);
  }
  return undefined;
}

/** One v1 record, `ip_vs_proc_sync_conn`: returns a message-level reason (negative retc) or undefined. */
function decodeRecordV1(
  b: Uint8Array,
  start: number,
  end: number,
  r: SyncDecodeResult,
  o: SyncDecodeOptions,
): SyncMessageDrop | undefined {
  const type = b[start]!;
  let family: 4 | 6;
  let p: number;
  if (type & 1) {
    if (o.ipv6 === false) {
      bump(r, 'ipv6-unsupported');
      return undefined;
    }
    family = 6;
    p = start + SYNC_V6_CONN_LEN;
  } else if (type === 0) {
    family = 4;
    p = start + SYNC_V4_CONN_LEN;
  } else return 'record-type';
  if (p > end) return 'record-truncated';
  let inSeq: SyncSeq | undefined;
  let outSeq: SyncSeq | undefined;
  let peData: Uint8Array | undefined;
  let peName: string | undefined;
  let unknownMandatory = false;
  while (p < end) {
    if (p + 2 > end) return 'option-header';
    const ptype = b[p++]!;
    const plen = b[p++]!;
    if (plen === 0 || p + plen > end) return 'option-length';
    switch (ptype & ~IPVS_OPT_F_PARAM) {
      case IPVS_OPT_SEQ_DATA:
        if (plen !== SYNC_SEQ_OPTIONS_LEN || inSeq) return 'option-seq';
        inSeq = readSeq(b, p);
        outSeq = readSeq(b, p + 12);
        break;
      case IPVS_OPT_PE_DATA:
        if (plen > IP_VS_PEDATA_MAXLEN || peData) return 'option-pe-data';
        peData = b.slice(p, p + plen);
        break;
      case IPVS_OPT_PE_NAME:
        if (plen > IP_VS_PENAME_MAXLEN || peName !== undefined) return 'option-pe-name';
        peName = utf8.decode(b.subarray(p, p + plen));
        break;
      default:
        // ip_vs_proc_sync_conn jumps to its single-drop exit at once (goto out): later options are not parsed.
        if (!(ptype & IPVS_OPT_F_PARAM)) unknownMandatory = true;
    }
    if (unknownMandatory) {
      bump(r, 'unknown-mandatory-option');
      return undefined;
    }
    p += plen;
  }
  const flags = u32(b, start + 4);
  const protocol = b[start + 1]!;
  const state = u16(b, start + 8);
  if (!stateOk(r, flags, protocol, state, o)) return undefined;
  if (peName !== undefined && !(o.peNames ?? ['sip']).includes(peName)) {
    bump(r, 'unknown-pe');
    return undefined;
  }
  const alen = family === 4 ? 4 : 16;
  const a = start + 24;
  const conn: SyncConn = {
    family,
    protocol,
    flags,
    state,
    cport: u16(b, start + 10),
    vport: u16(b, start + 12),
    dport: u16(b, start + 14),
    fwmark: u32(b, start + 16),
    timeout: u32(b, start + 20),
    caddr: formatIp(b.subarray(a, a + alen)),
    vaddr: formatIp(b.subarray(a + alen, a + 2 * alen)),
    daddr: formatIp(b.subarray(a + 2 * alen, a + 3 * alen)),
  };
  if (inSeq && outSeq) {
    conn.inSeq = inSeq;
    conn.outSeq = outSeq;
  }
  if (peName !== undefined) conn.peName = peName;
  if (peData) conn.peData = peData;
  r.conns.push(conn);
  return undefined;
}

function decodeV0(b: Uint8Array, r: SyncDecodeResult, o: SyncDecodeOptions): SyncMessageDrop | undefined {
  const len = b.length;
  let p = SYNC_V0_HEADER_LEN;
  for (let i = 0; i < r.count; i++) {
    if (p + SYNC_V0_SIMPLE_CONN_LEN > len) return 'v0-record-too-short';
    const s = p;
    const flags = u16(b, s + 20);
    const seq = (flags & IP_VS_CONN_F_SEQ_MASK) !== 0;
    p += seq ? SYNC_V0_FULL_CONN_LEN : SYNC_V0_SIMPLE_CONN_LEN;
    if (p > len) return 'v0-options-too-short';
    const protocol = b[s + 1]!;
    const state = u16(b, s + 22);
    if (!stateOk(r, flags, protocol, state, o)) continue;
    const conn: SyncConn = {
      family: 4,
      protocol,
      flags,
      state,
      cport: u16(b, s + 2),
      vport: u16(b, s + 4),
      dport: u16(b, s + 6),
      fwmark: 0,
      timeout: 0,
      caddr: formatIp(b.subarray(s + 8, s + 12)),
      vaddr: formatIp(b.subarray(s + 12, s + 16)),
      daddr: formatIp(b.subarray(s + 16, s + 20)),
    };
    if (seq) {
      conn.inSeq = readSeq(b, s + 24);
      conn.outSeq = readSeq(b, s + 36);
    }
    r.conns.push(conn);
  }
  return undefined;
}

function invalid(what: string): never {
  throw new LvsError('SYNC_INVALID_RECORD', `sync record: ${what}`);
}

function intIn(v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    invalid(`${what} must be an integer 0..${max}`);
  return v;
}

function seqOk(s: unknown, what: string): SyncSeq {
  if (typeof s !== 'object' || s === null) invalid(`${what} must be an object`);
  const q = s as SyncSeq;
  intIn(q.initSeq, 0xffffffff, `${what}.initSeq`);
  intIn(q.delta, 0xffffffff, `${what}.delta`);
  intIn(q.previousDelta, 0xffffffff, `${what}.previousDelta`);
  return q;
}

function addrOk(v: unknown, family: 4 | 6, what: string): Uint8Array {
  if (typeof v !== 'string') invalid(`${what} must be address text`);
  let bytes: Uint8Array;
  try {
    bytes = parseIp(v);
  } catch {
    invalid(`${what} ${JSON.stringify(v)} is not an IP address`);
  }
  if (bytes.length !== (family === 4 ? 4 : 16)) invalid(`${what} ${v} is not an IPv${family} address`);
  return bytes;
}

/**
 * Encoded length of one version 1 record without the padding before the next one (the value of its
 * `ver_size`), as `ip_vs_sync_conn` computes it: fixed part, then +26 for sequence options, +2+n for PE data,
 * +2+n for the PE name.
 *
 * @param conn - the connection
 * @returns bytes
 */
export function syncRecordLengthV1(conn: SyncConn): number {
  let n = conn.family === 6 ? SYNC_V6_CONN_LEN : SYNC_V4_CONN_LEN;
  if (conn.inSeq || conn.outSeq) n += SYNC_SEQ_OPTIONS_LEN + 2;
  if (conn.peData) n += conn.peData.length + 2;
  if (conn.peName !== undefined) n += utf8e.encode(conn.peName).length + 2;
  return n;
}

/**
 * Writes one version 1 record at `offset` (`struct ip_vs_sync_v4` / `_v6` then options in the order
 * `ip_vs_sync_conn` writes them: SEQ_DATA, PE_DATA, PE_NAME). `IP_VS_CONN_F_HASHED` is cleared as the
 * kernel clears it. No padding is written.
 *
 * @param buf - destination
 * @param offset - where the record starts
 * @param conn - the connection
 * @returns bytes written (the record's `ver_size` size)
 * @throws LvsError `SYNC_INVALID_RECORD` for a field out of range, `SYNC_BUFFER_TOO_SMALL` when it does not fit
 */
export function encodeSyncRecordV1(buf: Uint8Array, offset: number, conn: SyncConn): number {
  if (typeof conn !== 'object' || conn === null) invalid('must be an object');
  const family = conn.family;
  if (family !== 4 && family !== 6) invalid('family must be 4 or 6');
  const protocol = intIn(conn.protocol, 255, 'protocol');
  const flags = intIn(conn.flags, 0xffffffff, 'flags');
  const state = intIn(conn.state, 0xffff, 'state');
  const cport = intIn(conn.cport, 0xffff, 'cport');
  const vport = intIn(conn.vport, 0xffff, 'vport');
  const dport = intIn(conn.dport, 0xffff, 'dport');
  const fwmark = intIn(conn.fwmark, 0xffffffff, 'fwmark');
  const timeout = intIn(conn.timeout, 0xffffffff, 'timeout');
  const c = addrOk(conn.caddr, family, 'caddr');
  const v = addrOk(conn.vaddr, family, 'vaddr');
  const d = addrOk(conn.daddr, family, 'daddr');
  if ((conn.inSeq === undefined) !== (conn.outSeq === undefined)) invalid('inSeq and outSeq go together');
  const inSeq = conn.inSeq === undefined ? undefined : seqOk(conn.inSeq, 'inSeq');
  const outSeq = conn.outSeq === undefined ? undefined : seqOk(conn.outSeq, 'outSeq');
  const peData = conn.peData;
  if (peData !== undefined && (!(peData instanceof Uint8Array) || peData.length < 1 || peData.length > 255))
    invalid('peData must be 1..255 bytes');
  let peName: Uint8Array | undefined;
  if (conn.peName !== undefined) {
    if (typeof conn.peName !== 'string') invalid('peName must be a string');
    peName = utf8e.encode(conn.peName);
    if (peName.length < 1 || peName.length > IP_VS_PENAME_MAXLEN) invalid('peName must be 1..16 bytes');
  }
  let size = family === 6 ? SYNC_V6_CONN_LEN : SYNC_V4_CONN_LEN;
  if (inSeq) size += SYNC_SEQ_OPTIONS_LEN + 2;
  if (peData) size += peData.length + 2;
  if (peName) size += peName.length + 2;
  if (!Number.isInteger(offset) || offset < 0 || offset + size > buf.length)
    throw new LvsError('SYNC_BUFFER_TOO_SMALL', `sync record of ${size} bytes does not fit at ${offset}`);
  const b = buf;
  const o = offset;
  b[o] = family === 6 ? 1 : 0;
  b[o + 1] = protocol;
  w16(b, o + 2, size & 0x0fff);
  w32(b, o + 4, (flags & ~IP_VS_CONN_F_HASHED) >>> 0);
  w16(b, o + 8, state);
  w16(b, o + 10, cport);
  w16(b, o + 12, vport);
  w16(b, o + 14, dport);
  w32(b, o + 16, fwmark);
  w32(b, o + 20, timeout);
  b.set(c, o + 24);
  b.set(v, o + 24 + c.length);
  b.set(d, o + 24 + 2 * c.length);
  let p = o + 24 + 3 * c.length;
  if (inSeq && outSeq) {
    b[p++] = IPVS_OPT_SEQ_DATA;
    b[p++] = SYNC_SEQ_OPTIONS_LEN;
    writeSeq(b, p, inSeq);
    writeSeq(b, p + 12, outSeq);
    p += SYNC_SEQ_OPTIONS_LEN;
  }
  if (peData) {
    b[p++] = IPVS_OPT_PE_DATA;
    b[p++] = peData.length;
    b.set(peData, p);
    p += peData.length;
  }
  if (peName) {
    b[p++] = IPVS_OPT_PE_NAME;
    b[p++] = peName.length;
    b.set(peName, p);
  }
  return size;
}

/**
 * Writes one version 0 record at `offset` (`struct ip_vs_sync_conn_v0`, then `struct ip_vs_sync_conn_options`
 * when `flags & IP_VS_CONN_F_SEQ_MASK`, as `ip_vs_sync_conn_v0` does). IPv4 only; `fwmark`, `timeout`, PE
 * name and data are not carried by version 0 and must be 0 / absent.
 *
 * @param buf - destination
 * @param offset - where the record starts
 * @param conn - the connection
 * @returns bytes written (24 or 48)
 * @throws LvsError `SYNC_INVALID_RECORD` (IPv6, flags over 16 bits, seq flags without seq data, …),
 *   `SYNC_BUFFER_TOO_SMALL`
 */
export function encodeSyncRecordV0(buf: Uint8Array, offset: number, conn: SyncConn): number {
  if (typeof conn !== 'object' || conn === null) invalid('must be an object');
  if (conn.family !== 4) invalid('version 0 carries IPv4 only');
  const protocol = intIn(conn.protocol, 255, 'protocol');
  const flags = intIn(conn.flags, 0xffff, 'flags (16 bits in version 0)') & ~IP_VS_CONN_F_HASHED;
  const state = intIn(conn.state, 0xffff, 'state');
  const cport = intIn(conn.cport, 0xffff, 'cport');
  const vport = intIn(conn.vport, 0xffff, 'vport');
  const dport = intIn(conn.dport, 0xffff, 'dport');
  if (conn.fwmark !== 0 || conn.timeout !== 0) invalid('version 0 carries no fwmark or timeout (must be 0)');
  if (conn.peName !== undefined || conn.peData !== undefined) invalid('version 0 carries no persistence engine');
  const c = addrOk(conn.caddr, 4, 'caddr');
  const v = addrOk(conn.vaddr, 4, 'vaddr');
  const d = addrOk(conn.daddr, 4, 'daddr');
  const seq = (flags & IP_VS_CONN_F_SEQ_MASK) !== 0;
  if (seq !== (conn.inSeq !== undefined && conn.outSeq !== undefined))
    invalid('version 0: inSeq/outSeq present exactly when flags has IP_VS_CONN_F_SEQ_MASK bits');
  const size = seq ? SYNC_V0_FULL_CONN_LEN : SYNC_V0_SIMPLE_CONN_LEN;
  if (!Number.isInteger(offset) || offset < 0 || offset + size > buf.length)
    throw new LvsError('SYNC_BUFFER_TOO_SMALL', `sync v0 record of ${size} bytes does not fit at ${offset}`);
  const b = buf;
  const o = offset;
  b[o] = 0;
  b[o + 1] = protocol;
  w16(b, o + 2, cport);
  w16(b, o + 4, vport);
  w16(b, o + 6, dport);
  b.set(c, o + 8);
  b.set(v, o + 12);
  b.set(d, o + 16);
  w16(b, o + 20, flags);
  w16(b, o + 22, state);
  if (seq) {
    writeSeq(b, o + 24, seqOk(conn.inSeq, 'inSeq'));
    writeSeq(b, o + 36, seqOk(conn.outSeq, 'outSeq'));
  }
  return size;
}

/**
 * The UDP payload size a sync daemon uses, as `start_sync_thread` (ip_vs_sync.c) computes `sync_maxlen`:
 * header length `hlen` = IP header (20 / 40) + UDP header (8); with `syncMaxlen` given it is clamped to
 * [1 (master) or 1024 (backup), 65535 − hlen], otherwise it is `mtu − hlen` where `mtu` is 1500 for a master
 * and the interface MTU clamped to [1500, 65535] for a backup.
 *
 * @param options - role, multicast family, interface MTU, configured sync_maxlen (0/absent = unset)
 * @returns the maximum message length in bytes
 */
export function syncMaxLen(options: {
  role: 'master' | 'backup';
  family?: 4 | 6;
  mtu?: number;
  syncMaxlen?: number;
}): number {
  const hlen = (options.family === 6 ? 40 : 20) + 8;
  const backup = options.role === 'backup';
  const mtu = backup ? Math.min(Math.max(options.mtu ?? 1500, 1500), 65535) : 1500;
  const min = backup ? 1024 : 1;
  if (options.syncMaxlen) return Math.min(Math.max(options.syncMaxlen, min), 65535 - hlen);
  return mtu - hlen;
}

/**
 * Packs records into messages as the master's `ip_vs_sync_conn` / `ip_vs_sync_conn_v0` fill a sync buffer:
 * a record goes after the previous one (v1: padded to 4 bytes before it), and when it would pass `maxLen`
 * (or the message already counts 255 records) the current message is handed out and a new one started.
 * A record longer than `maxLen` gets a message of its own, as the kernel sizes a new buffer
 * `max(len + header, sync_maxlen)`. All writing happens in one preallocated buffer.
 */
export class SyncPacker {
  readonly #buf: Uint8Array;
  readonly #version: 0 | 1;
  readonly #syncid: number;
  readonly #maxLen: number;
  #head: number;
  #count = 0;

  /**
   * @param options - `version` (default 1), `syncid` (0..255, default 0), `maxLen` (from {@link syncMaxLen},
   *   default the master's 1472)
   * @throws LvsError `SYNC_INVALID_RECORD` for a syncid or maxLen out of range
   */
  constructor(options: { version?: 0 | 1; syncid?: number; maxLen?: number } = {}) {
    const version = options.version ?? 1;
    if (version !== 0 && version !== 1) invalid('packer version must be 0 or 1');
    this.#version = version;
    this.#syncid = intIn(options.syncid ?? 0, 255, 'syncid');
    this.#maxLen = intIn(options.maxLen ?? syncMaxLen({ role: 'master' }), 65535, 'maxLen');
    const hdr = version === 1 ? SYNC_V1_HEADER_LEN : SYNC_V0_HEADER_LEN;
    if (this.#maxLen < hdr) invalid(`maxLen must be at least the ${hdr}-byte header`);
    // room for maxLen, or one largest record (v6 + seq + 255 PE data + 16 PE name) with its header
    this.#buf = new Uint8Array(Math.max(this.#maxLen, hdr + SYNC_V6_CONN_LEN + 26 + 257 + 18));
    this.#head = hdr;
  }

  /** Records in the message being filled. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds one record; when it does not fit, first hands the full message to `emit`.
   *
   * @param conn - the connection
   * @param emit - receives a finished message (a view valid only during the call)
   * @throws LvsError `SYNC_INVALID_RECORD` (nothing is written, nothing emitted)
   */
  add(conn: SyncConn, emit: (message: Uint8Array) => void): void {
    const len = this.#version === 1 ? syncRecordLengthV1(conn) : recordLengthV0(conn);
    const pad = this.#version === 1 ? (4 - this.#head) & 3 : 0;
    if (this.#count > 0 && (this.#head + pad + len > this.#maxLen || this.#count >= SYNC_MAX_CONNS)) {
      this.flush(emit);
      this.add(conn, emit);
      return;
    }
    const at = this.#head + (this.#count > 0 ? pad : 0);
    if (this.#version === 1) encodeSyncRecordV1(this.#buf, at, conn);
    else encodeSyncRecordV0(this.#buf, at, conn);
    this.#buf.fill(0, this.#head, at);
    this.#head = at + len;
    this.#count++;
  }

  /**
   * Hands out the message being filled (if it has records) and starts a new one.
   *
   * @param emit - receives the message (a view valid only during the call)
   */
  flush(emit: (message: Uint8Array) => void): void {
    if (this.#count === 0) return;
    const b = this.#buf;
    if (this.#version === 1) {
      b[0] = 0;
      b[1] = this.#syncid;
      w16(b, 2, this.#head);
      b[4] = this.#count;
      b[5] = SYNC_PROTO_VER;
      w16(b, 6, 0);
    } else {
      b[0] = this.#count;
      b[1] = this.#syncid;
      w16(b, 2, this.#head);
    }
    const msg = b.subarray(0, this.#head);
    this.#head = this.#version === 1 ? SYNC_V1_HEADER_LEN : SYNC_V0_HEADER_LEN;
    this.#count = 0;
    emit(msg);
  }
}

function recordLengthV0(conn: SyncConn): number {
  return typeof conn === 'object' && conn !== null && (conn.flags & IP_VS_CONN_F_SEQ_MASK) !== 0
    ? SYNC_V0_FULL_CONN_LEN
    : SYNC_V0_SIMPLE_CONN_LEN;
}

/**
 * Encodes records into as many messages as {@link SyncPacker} makes of them, copied out.
 *
 * @param conns - the connections
 * @param options - as {@link SyncPacker}
 * @returns the datagrams
 * @throws LvsError `SYNC_INVALID_RECORD`
 */
export function encodeSyncMessages(
  conns: readonly SyncConn[],
  options: { version?: 0 | 1; syncid?: number; maxLen?: number } = {},
): Uint8Array[] {
  const packer = new SyncPacker(options);
  const out: Uint8Array[] = [];
  const emit = (m: Uint8Array): void => void out.push(m.slice());
  for (const c of conns) packer.add(c, emit);
  packer.flush(emit);
  return out;
}
