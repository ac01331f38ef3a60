/**
 * keepalived DNS_CHECK and ldirectord's dns negotiate check over UDP, with our own small DNS codec
 * (RFC 1035 §4.1: header, question, answer records; name compression on read). keepalived is up when a
 * reply with the query's ID, QR set and RCODE 0 arrives; ldirectord additionally needs an A/PTR answer
 * matching `receive`. Protocol only.
 * @see keepalived/check/check_dns.c `dns_make_query`, `dns_recv_thread`; ldirectord.in `check_dns`
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { describe, formatEndpoint, LvsError } from '@lvskit/base';
import {
  abortSignal,
  anyString,
  checkArgs,
  checkOptions,
  either,
  int,
  ip,
  oneOf,
  optional,
  port as portRule,
  regexp,
  required,
  text,
} from '../options.js';
import type { Checker } from '../types.js';
import { type CheckVerdict, guarded } from './common.js';
import { abortError } from './socket.js';

/** Query types DNS_CHECK accepts (check_dns.c `DNS_TYPE` table), plus PTR for ldirectord. */
export const DNS_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28 } as const;
/** A DNS_CHECK `type`. */
export type DnsType = keyof typeof DNS_TYPES;

//                                 1  1  1  1  1  1
//   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
// |                      ID                       |
// |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
// |                    QDCOUNT                    |
// |                    ANCOUNT                    |
// |                    NSCOUNT                    |
// |                    ARCOUNT                    |
// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+   RFC 1035 §4.1.1
const HDR_ID = 0;
const HDR_FLAGS = 2;
const HDR_QDCOUNT = 4;
const HDR_ANCOUNT = 6;
const HDR_LEN = 12;
const FLAG_QR = 0x8000;
const FLAG_RD = 0x0100;
const CLASS_IN = 1;

function bad(message: string): never {
  throw new LvsError('INVALID_ARGUMENT', message);
}

function malformed(message: string): never {
  throw new LvsError('HEALTH_MALFORMED_REPLY', message);
}

/** Encode a query: one question, RD set (keepalived sets Recursion Desired). */
export function encodeDnsQuery(id: number, name: string, type: DnsType | number): Buffer {
  checkArgs('encodeDnsQuery', [
    ['id', int(0, 0xffff), id],
    ['name', anyString, name],
    ['type', either(oneOf(Object.keys(DNS_TYPES)), int(0, 0xffff), 'a DNS type name or number'), type],
  ]);
  const qtype = typeof type === 'number' ? type : DNS_TYPES[type];
  const labels = name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
  let len = HDR_LEN + 1 + 4;
  for (const l of labels) {
    const n = Buffer.byteLength(l, 'latin1');
    if (n === 0 || n > 63) bad(`DNS label "${l}" must be 1..63 octets`);
    len += 1 + n;
  }
  if (len - HDR_LEN - 4 > 255) bad('DNS name longer than 255 octets');
  const b = Buffer.alloc(len);
  b.writeUInt16BE(id & 0xffff, HDR_ID);
  b.writeUInt16BE(FLAG_RD, HDR_FLAGS);
  b.writeUInt16BE(1, HDR_QDCOUNT);
  let o = HDR_LEN;
  for (const l of labels) {
    o = b.writeUInt8(Buffer.byteLength(l, 'latin1'), o);
    o += b.write(l, o, 'latin1');
  }
  o = b.writeUInt8(0, o);
  o = b.writeUInt16BE(qtype, o);
  b.writeUInt16BE(CLASS_IN, o);
  return b;
}

/** A decoded resource record (data decoded for A, AAAA, PTR, CNAME, NS; raw otherwise). */
export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  readonly data: string | Buffer;
}

/** A decoded message (header fields and answers). */
export interface DnsMessage {
  readonly id: number;
  readonly qr: boolean;
  readonly rcode: number;
  readonly questions: number;
  readonly answers: readonly DnsRecord[];
}

// Read a possibly compressed name (RFC 1035 §4.1.4); returns the name and the offset after it.
function readName(b: Buffer, start: number): [string, number] {
  const parts: string[] = [];
  let o = start;
  let end = -1;
  for (let hops = 0; hops < 64; hops++) {
    if (o >= b.length) malformed('DNS name runs past the message');
    const len = b[o] as number;
    if (len === 0) return [parts.join('.'), end < 0 ? o + 1 : end];
    if ((len & 0xc0) === 0xc0) {
      if (o + 1 >= b.length) malformed('DNS pointer runs past the message');
      if (end < 0) end = o + 2;
      o = ((len & 0x3f) << 8) | (b[o + 1] as number);
      continue;
    }
    if ((len & 0xc0) !== 0) malformed('DNS label type not supported');
    if (o + 1 + len > b.length) malformed('DNS label runs past the message');
    parts.push(b.toString('latin1', o + 1, o + 1 + len));
    o += 1 + len;
  }
  return malformed('DNS name has too many compression pointers');
}

/**
 * Decode a reply.
 * @throws LvsError `HEALTH_MALFORMED_REPLY` on malformed or truncated input, `INVALID_ARGUMENT` when `b` is not bytes
 */
export function decodeDnsMessage(b: Buffer): DnsMessage {
  if (!(b instanceof Uint8Array)) bad(`decodeDnsMessage needs the reply bytes (a Buffer), got ${describe(b)}`);
  if (!Buffer.isBuffer(b)) {
    const u = b as Uint8Array;
    b = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  }
  if (b.length < HDR_LEN) malformed('DNS message shorter than its header');
  const flags = b.readUInt16BE(HDR_FLAGS);
  const qd = b.readUInt16BE(HDR_QDCOUNT);
  const an = b.readUInt16BE(HDR_ANCOUNT);
  let o = HDR_LEN;
  for (let i = 0; i < qd; i++) {
    o = readName(b, o)[1] + 4;
    if (o > b.length) malformed('DNS question runs past the message');
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const [name, after] = readName(b, o);
    if (after + 10 > b.length) malformed('DNS record header runs past the message');
    const type = b.readUInt16BE(after);
    const ttl = b.readUInt32BE(after + 4);
    const rdlen = b.readUInt16BE(after + 8);
    const rd = after + 10;
    if (rd + rdlen > b.length) malformed('DNS record data runs past the message');
    let data: string | Buffer = b.subarray(rd, rd + rdlen);
    if (type === 1 && rdlen === 4) data = [...data].join('.');
    else if (type === 28 && rdlen === 16) {
      const groups: string[] = [];
      for (let g = 0; g < 8; g++) groups.push(b.readUInt16BE(rd + g * 2).toString(16));
      data = groups.join(':');
    } else if (type === 12 || type === 5 || type === 2) data = readName(b, rd)[0];
    answers.push({ name, type, ttl, data });
    o = rd + rdlen;
  }
  return { id: b.readUInt16BE(HDR_ID), qr: (flags & FLAG_QR) !== 0, rcode: flags & 0xf, questions: qd, answers };
}

/** Send one query over UDP and wait for the reply with the same ID (others are ignored, like keepalived). */
export function dnsQuery(
  host: string,
  port: number,
  name: string,
  type: DnsType | number,
  signal: AbortSignal,
  bindTo?: string,
): Promise<DnsMessage> {
  checkArgs('dnsQuery', [
    ['host', text, host],
    ['port', portRule, port],
    ['name', anyString, name],
    ['type', either(oneOf(Object.keys(DNS_TYPES)), int(0, 0xffff), 'a DNS type name or number'), type],
    ['signal', abortSignal, signal],
    ['bindTo', optional(ip), bindTo],
  ]);
  return new Promise((resolve, reject) => {
    const id = Math.floor(Math.random() * 0x10000);
    const query = encodeDnsQuery(id, name, type);
    const sock = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const finish = (err: Error | null, m?: DnsMessage) => {
      signal.removeEventListener('abort', onAbort);
      sock.close();
      if (err) reject(err);
      else resolve(m as DnsMessage);
    };
    const onAbort = () => finish(abortError(signal));
    if (signal.aborted) {
      sock.close();
      reject(abortError(signal));
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (err) => finish(err));
    sock.on('message', (msg) => {
      if (msg.length < HDR_LEN || msg.readUInt16BE(HDR_ID) !== id) return;
      try {
        const m = decodeDnsMessage(msg);
        if (!m.qr) return; // "receive query message?" — keep waiting
        finish(null, m);
      } catch (err) {
        finish(err as Error);
      }
    });
    const send = () => sock.send(query, port, host, (err) => err && finish(err));
    if (bindTo !== undefined) sock.bind({ address: bindTo }, send);
    else send();
  });
}

/** DNS_CHECK options. */
export interface DnsCheckOptions {
  readonly host: string;
  /** Default 53. */
  readonly port?: number;
  /** `type` (default SOA). */
  readonly type?: DnsType;
  /** `name` (default the root, ""). */
  readonly name?: string;
  readonly bindTo?: string;
  readonly key?: string;
}

/** Build a DNS_CHECK: up on a reply with RCODE 0 (check_dns.c `dns_recv_thread`). */
export function dnsCheck(o: DnsCheckOptions): Checker {
  checkOptions(
    o,
    {
      host: required(text),
      port: portRule,
      type: oneOf(Object.keys(DNS_TYPES)),
      name: anyString,
      bindTo: ip,
      key: text,
    },
    'dnsCheck options',
  );
  const port = o.port ?? 53;
  const type = o.type ?? 'SOA';
  const name = o.name ?? '';
  if (!(type in DNS_TYPES)) bad(`DNS_CHECK type ${String(type)} is not one of ${Object.keys(DNS_TYPES).join(' ')}`);
  encodeDnsQuery(0, name, type); // validate the name now
  return {
    kind: 'DNS_CHECK',
    key: o.key ?? `DNS_CHECK ${formatEndpoint(o.host, port)} ${type} ${name}`,
    check(signal) {
      return guarded(signal, async (): Promise<CheckVerdict> => {
        const m = await dnsQuery(o.host, port, name, type, signal, o.bindTo);
        if (m.rcode !== 0) return { ok: false, message: `read error occurred. (rcode = ${m.rcode})` };
        return { ok: true, message: `DNS ${type} ${name || '.'} answered (${m.answers.length} answers)` };
      });
    },
  };
}

/** ldirectord dns options: `request` is the name to look up, `receive` a regex an A/PTR answer must match. */
export interface LdDnsOptions {
  readonly host: string;
  readonly port?: number;
  readonly request: string;
  readonly receive: RegExp;
  readonly key?: string;
}

/**
 * ldirectord `check_dns`: Net::DNS `search(request)` (type A, or PTR for an IP address) and up when an A
 * answer's address or a PTR answer's name matches `receive`; an empty receive never matches.
 */
export function ldDnsCheck(o: LdDnsOptions): Checker {
  checkOptions(
    o,
    { host: required(text), port: portRule, request: required(anyString), receive: required(regexp), key: text },
    'ldDnsCheck options',
  );
  const port = o.port ?? 53;
  const req = o.request.replace(/^\//, '');
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(req);
  const [qname, qtype] = v4 ? [`${v4.slice(1).reverse().join('.')}.in-addr.arpa`, DNS_TYPES.PTR] : [req, DNS_TYPES.A];
  return {
    kind: 'ldirectord:dns',
    key: o.key ?? `ldirectord:dns ${formatEndpoint(o.host, port)} ${req}`,
    check(signal) {
      return guarded(signal, async () => {
        const m = await dnsQuery(o.host, port, qname, qtype, signal);
        const hit = m.answers.some(
          (a) =>
            (a.type === 1 || a.type === 12) &&
            typeof a.data === 'string' &&
            o.receive.source !== '(?:)' &&
            o.receive.test(a.data),
        );
        return hit ? { ok: true, message: 'Success' } : { ok: false, message: 'Response mismatch' };
      });
    },
  };
}
