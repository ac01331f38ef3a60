/**
 * ldirectord's negotiate checks for radius (RFC 2865 Access-Request; up on an authenticated
 * Access-Accept), sip (OPTIONS; up on `SIP/2.0 200 OK`) and ldap/ldaps (simple bind, then a base-scope
 * search of `request`; up when exactly one entry comes back and its DN matches `receive`) — each with
 * its own small codec (a minimal BER for LDAP, RFC 4511 §4). Protocol only.
 * @see ldirectord.in `check_radius` (Authen::Radius check_pwd), `check_sip`, `check_ldap` (Net::LDAP)
 */
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIPv6, type Socket } from 'node:net';
import { formatEndpoint, LvsError } from '@lvskit/base';
import {
  anyString,
  bool,
  bytes,
  checkArgs,
  checkOptions,
  int as intRule,
  ip,
  oneOf,
  port as portRule,
  regexp,
  required,
  rule,
  text,
} from '../options.js';

const authenticator16 = rule((v) => v instanceof Uint8Array && v.length === 16, 'a 16-octet Buffer');
const ipv4 = (v: unknown, path: readonly (string | number)[], issues: Parameters<typeof ip>[2], key: string) => {
  if (typeof v !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(v)) {
    issues.add(path, 'INVALID_ARGUMENT', `${key} must be an IPv4 address, got ${JSON.stringify(v) ?? String(v)}`);
    return;
  }
  ip(v, path, issues, key);
};

import type { Checker } from '../types.js';
import { guarded } from './common.js';
import { abortError, dial } from './socket.js';

// ---------------------------------------------------------------- RADIUS (RFC 2865 §3, §5.2)
//  0                   1                   2                   3
// |     Code      |  Identifier   |            Length             |
// |                     Authenticator (16 octets)                 |
// |  Attributes ...
const RAD_ACCESS_REQUEST = 1;
const RAD_ACCESS_ACCEPT = 2;
const RAD_USER_NAME = 1;
const RAD_USER_PASSWORD = 2;
const RAD_NAS_IP_ADDRESS = 4;

/** Hide a User-Password (RFC 2865 §5.2): p XOR MD5(secret + previous), 16-octet blocks, zero padded. */
export function radiusHidePassword(password: string, secret: string, authenticator: Buffer): Buffer {
  checkArgs('radiusHidePassword', [
    ['password', anyString, password],
    ['secret', anyString, secret],
    ['authenticator', authenticator16, authenticator],
  ]);
  const p = Buffer.from(password, 'utf8');
  const len = Math.max(16, Math.ceil(p.length / 16) * 16);
  const padded = Buffer.alloc(len);
  p.copy(padded);
  const out = Buffer.alloc(len);
  let prev = authenticator;
  for (let i = 0; i < len; i += 16) {
    const b = createHash('md5').update(Buffer.from(secret, 'utf8')).update(prev).digest();
    for (let j = 0; j < 16; j++) out[i + j] = (padded[i + j] as number) ^ (b[j] as number);
    prev = out.subarray(i, i + 16);
  }
  return out;
}

/** Encode an Access-Request with User-Name, User-Password and NAS-IP-Address. */
export function radiusAccessRequest(
  id: number,
  authenticator: Buffer,
  user: string,
  password: string,
  secret: string,
  nasIp = '127.0.0.1',
): Buffer {
  checkArgs('radiusAccessRequest', [
    ['id', intRule(0, 255), id],
    ['authenticator', authenticator16, authenticator],
    ['user', anyString, user],
    ['password', anyString, password],
    ['secret', anyString, secret],
    ['nasIp', ipv4, nasIp],
  ]);
  if (Buffer.byteLength(user, 'utf8') > 253) {
    throw new LvsError(
      'INVALID_ARGUMENT',
      `radiusAccessRequest: user is longer than a RADIUS attribute holds (253 octets)`,
    );
  }
  if (Buffer.byteLength(password, 'utf8') > 128) {
    throw new LvsError('INVALID_ARGUMENT', 'radiusAccessRequest: password is longer than 128 octets (RFC 2865 §5.2)');
  }
  const attrs: Buffer[] = [];
  const attr = (type: number, value: Buffer) =>
    attrs.push(Buffer.concat([Buffer.from([type, value.length + 2]), value]));
  attr(RAD_USER_NAME, Buffer.from(user, 'utf8'));
  attr(RAD_USER_PASSWORD, radiusHidePassword(password, secret, authenticator));
  attr(RAD_NAS_IP_ADDRESS, Buffer.from(nasIp.split('.').map(Number)));
  const body = Buffer.concat(attrs);
  const head = Buffer.alloc(20);
  head[0] = RAD_ACCESS_REQUEST;
  head[1] = id & 0xff;
  head.writeUInt16BE(20 + body.length, 2);
  authenticator.copy(head, 4);
  return Buffer.concat([head, body]);
}

/** RADIUS check options (ldirectord `login`, `passwd`, `secret`). */
export interface RadiusCheckOptions {
  readonly host: string;
  /** Default 1812. */
  readonly port?: number;
  readonly login: string;
  readonly passwd: string;
  readonly secret: string;
  readonly key?: string;
}

/** ldirectord `check_radius`: Authen::Radius `check_pwd` is true only for an Access-Accept. */
export function radiusCheck(o: RadiusCheckOptions): Checker {
  checkOptions(
    o,
    {
      host: required(text),
      port: portRule,
      login: required(anyString),
      passwd: required(anyString),
      secret: required(anyString),
      key: text,
    },
    'radiusCheck options',
  );
  const port = o.port ?? 1812;
  const where = formatEndpoint(o.host, port);
  return {
    kind: 'ldirectord:radius',
    key: o.key ?? `ldirectord:radius ${where} ${o.login}`,
    check(signal) {
      return guarded(
        signal,
        () =>
          new Promise((resolve, reject) => {
            const id = randomBytes(1)[0] as number;
            const ra = randomBytes(16);
            const req = radiusAccessRequest(id, ra, o.login, o.passwd, o.secret);
            const sock = createSocket(isIPv6(o.host) ? 'udp6' : 'udp4');
            const finish = (v: { ok: boolean; message: string } | Error) => {
              signal.removeEventListener('abort', onAbort);
              sock.close();
              if (v instanceof Error) reject(v);
              else resolve(v);
            };
            const onAbort = () => finish(abortError(signal));
            signal.addEventListener('abort', onAbort, { once: true });
            sock.on('error', (e) => finish(e));
            sock.on('message', (msg) => {
              if (msg.length < 20 || msg[1] !== id) return;
              const len = msg.readUInt16BE(2);
              if (len < 20 || len > msg.length) return;
              // Response Authenticator = MD5(Code+ID+Length+RequestAuth+Attributes+Secret) (RFC 2865 §3).
              const expect = createHash('md5')
                .update(msg.subarray(0, 4))
                .update(ra)
                .update(msg.subarray(20, len))
                .update(Buffer.from(o.secret, 'utf8'))
                .digest();
              if (!expect.equals(msg.subarray(4, 20)))
                return finish({ ok: false, message: 'bad response authenticator' });
              finish(
                msg[0] === RAD_ACCESS_ACCEPT
                  ? { ok: true, message: 'Access-Accept' }
                  : { ok: false, message: `RADIUS code ${msg[0]}` },
              );
            });
            sock.send(req, port, o.host, (e) => e && finish(e));
          }),
      );
    },
  };
}

// ---------------------------------------------------------------- SIP
/** SIP check options (ldirectord `login` names the SIP URI user@host). */
export interface SipCheckOptions {
  readonly host: string;
  /** Default 5060. */
  readonly port?: number;
  /** `login` (ldirectord default `ldirectord@<hostname>`). */
  readonly login: string;
  /** The virtual service's protocol (default udp). */
  readonly protocol?: 'udp' | 'tcp';
  readonly key?: string;
}

function sipOptions(login: string, localAddr: string, localPort: number): string {
  const callId = randomBytes(8).toString('hex');
  return (
    `OPTIONS sip:${login} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${localAddr}:${localPort};branch=z9hG4bKhjhs8ass877\r\n` +
    'Max-Forwards: 70\r\n' +
    `To: <sip:${login}>\r\n` +
    `From: <sip:${login}>;tag=1928301774\r\n` +
    `Call-ID: ${callId}\r\n` +
    'CSeq: 63104 OPTIONS\r\n' +
    `Contact: <sip:${login}>\r\n` +
    'Accept: application/sdp\r\n' +
    'Content-Length: 0\r\n\r\n'
  );
}

/** ldirectord `check_sip`: send ldirectord's OPTIONS request; up when the status line is `SIP/2.0 200 OK`. */
export function sipCheck(o: SipCheckOptions): Checker {
  checkOptions(
    o,
    { host: required(text), port: portRule, login: required(anyString), protocol: oneOf(['udp', 'tcp']), key: text },
    'sipCheck options',
  );
  const port = o.port ?? 5060;
  const proto = o.protocol ?? 'udp';
  const verdict = (text: string) => {
    const first = text.split(/\r?\n/, 1)[0] ?? '';
    return /^SIP\/2\.0 200 OK/.test(first) ? { ok: true, message: first } : { ok: false, message: first || 'No OK' };
  };
  return {
    kind: 'ldirectord:sip',
    key: o.key ?? `ldirectord:sip ${proto} ${formatEndpoint(o.host, port)} ${o.login}`,
    check(signal) {
      return guarded(signal, async () => {
        if (proto === 'tcp') {
          const sock: Socket = await dial({ host: o.host, port }, signal);
          try {
            sock.write(sipOptions(o.login, sock.localAddress ?? '', sock.localPort ?? 0));
            const text = await new Promise<string>((resolve, reject) => {
              let buf = '';
              sock.on('data', (b: Buffer) => {
                buf += b.toString('latin1');
                if (buf.includes('\n')) resolve(buf);
              });
              sock.once('end', () => resolve(buf));
              sock.once('error', reject);
              signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
            });
            return verdict(text);
          } finally {
            sock.destroy();
          }
        }
        return new Promise((resolve, reject) => {
          const sock = createSocket(isIPv6(o.host) ? 'udp6' : 'udp4');
          const finish = (v: { ok: boolean; message: string } | Error) => {
            signal.removeEventListener('abort', onAbort);
            sock.close();
            if (v instanceof Error) reject(v);
            else resolve(v);
          };
          const onAbort = () => finish(abortError(signal));
          signal.addEventListener('abort', onAbort, { once: true });
          sock.on('error', (e) => finish(e));
          sock.on('message', (m) => finish(verdict(m.toString('latin1'))));
          sock.connect(port, o.host, () => {
            const a = sock.address();
            sock.send(sipOptions(o.login, a.address, a.port));
          });
        });
      });
    },
  };
}

// ---------------------------------------------------------------- LDAP (RFC 4511, BER per X.690)
function berLen(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), berLen(value.length), value]);
}

const int = (n: number) => tlv(0x02, Buffer.from([n & 0x7f]));
const enumerated = (n: number) => tlv(0x0a, Buffer.from([n]));
const str = (s: string) => tlv(0x04, Buffer.from(s, 'utf8'));

/** BindRequest (simple) wrapped in an LDAPMessage. */
export function ldapBindRequest(id: number, dn: string, password: string): Buffer {
  checkArgs('ldapBindRequest', [
    ['id', intRule(0, 2_147_483_647), id],
    ['dn', anyString, dn],
    ['password', anyString, password],
  ]);
  const op = tlv(0x60, Buffer.concat([int(3), str(dn), tlv(0x80, Buffer.from(password, 'utf8'))]));
  return tlv(0x30, Buffer.concat([int(id), op]));
}

/** SearchRequest: base `base`, scope baseObject, filter (objectClass=*), no attributes. */
export function ldapSearchRequest(id: number, base: string): Buffer {
  checkArgs('ldapSearchRequest', [
    ['id', intRule(0, 2_147_483_647), id],
    ['base', anyString, base],
  ]);
  const op = tlv(
    0x63,
    Buffer.concat([
      str(base),
      enumerated(0),
      enumerated(0),
      int(0),
      int(0),
      tlv(0x01, Buffer.from([0])),
      tlv(0x87, Buffer.from('objectClass')),
      tlv(0x30, Buffer.alloc(0)),
    ]),
  );
  return tlv(0x30, Buffer.concat([int(id), op]));
}

/** One decoded TLV: tag, value bounds and the offset after it; null when incomplete. */
export function berRead(b: Buffer, at: number): { tag: number; start: number; end: number } | null {
  checkArgs('berRead', [
    ['b', bytes, b],
    ['at', intRule(0), at],
  ]);
  if (at + 2 > b.length) return null;
  const tag = b[at] as number;
  let len = b[at + 1] as number;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > b.length) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[start + i] as number);
    start += n;
  }
  if (start + len > b.length) return null;
  return { tag, start, end: start + len };
}

interface LdapOp {
  readonly op: number;
  /** resultCode for responses that carry one; DN for entries. */
  readonly code: number;
  readonly dn: string;
}

function parseLdapMessage(b: Buffer, m: { start: number; end: number }): LdapOp {
  const id = berRead(b, m.start);
  if (!id) throw new LvsError('HEALTH_MALFORMED_REPLY', 'malformed LDAPMessage');
  const op = berRead(b, id.end);
  if (!op) throw new LvsError('HEALTH_MALFORMED_REPLY', 'malformed LDAP protocolOp');
  const first = berRead(b, op.start);
  if (op.tag === 0x64) return { op: op.tag, code: 0, dn: first ? b.toString('utf8', first.start, first.end) : '' };
  const code = first && first.tag === 0x0a ? (b[first.start] as number) : -1;
  return { op: op.tag, code, dn: '' };
}

/** LDAP check options. */
export interface LdapCheckOptions {
  readonly host: string;
  /** Default 389 (636 with tls). */
  readonly port?: number;
  /** ldaps. */
  readonly tls?: boolean;
  /** Bind DN and password (both set ⇒ simple bind; else anonymous bind). */
  readonly login?: string;
  readonly passwd?: string;
  /** `request`: `/`-prefixed base DN (ldirectord strips the first character). */
  readonly request: string;
  /** `receive`: a regex the entry's DN must match (empty: any). */
  readonly receive?: RegExp;
  readonly key?: string;
}

/** ldirectord `check_ldap`. */
export function ldapCheck(o: LdapCheckOptions): Checker {
  checkOptions(
    o,
    {
      host: required(text),
      port: portRule,
      tls: bool,
      login: anyString,
      passwd: anyString,
      request: required(anyString),
      receive: regexp,
      key: text,
    },
    'ldapCheck options',
  );
  const port = o.port ?? (o.tls ? 636 : 389);
  const base = o.request.slice(1);
  return {
    kind: o.tls ? 'ldirectord:ldaps' : 'ldirectord:ldap',
    key: o.key ?? `ldirectord:ldap ${formatEndpoint(o.host, port)} ${base}`,
    check(signal) {
      return guarded(signal, async () => {
        const sock = await dial({ host: o.host, port, ...(o.tls ? { tls: { verify: false } } : {}) }, signal);
        try {
          let buf = Buffer.alloc(0);
          const queue: LdapOp[] = [];
          let wake: (() => void) | null = null;
          let ended: Error | null = null;
          sock.on('data', (chunk: Buffer) => {
            buf = Buffer.concat([buf, chunk]);
            for (;;) {
              const m = berRead(buf, 0);
              if (!m) break;
              queue.push(parseLdapMessage(buf, m));
              buf = buf.subarray(m.end);
            }
            wake?.();
          });
          const onEnd = (e?: Error) => {
            ended = e ?? new Error('connection closed');
            wake?.();
          };
          sock.once('end', () => onEnd());
          sock.once('error', (e) => onEnd(e));
          const next = async (): Promise<LdapOp> => {
            for (;;) {
              const op = queue.shift();
              if (op) return op;
              if (ended) throw ended;
              if (signal.aborted) throw abortError(signal);
              await new Promise<void>((r) => {
                wake = r;
                signal.addEventListener('abort', () => r(), { once: true });
              });
              wake = null;
            }
          };
          const simple = o.login && o.passwd;
          sock.write(ldapBindRequest(1, simple ? (o.login as string) : '', simple ? (o.passwd as string) : ''));
          const bind = await next();
          if (bind.op !== 0x61 || bind.code !== 0) return { ok: false, message: `Bind failed (result ${bind.code})` };
          sock.write(ldapSearchRequest(2, base));
          const dns: string[] = [];
          for (;;) {
            const r = await next();
            if (r.op === 0x64) dns.push(r.dn);
            else if (r.op === 0x65) break;
          }
          sock.write(tlv(0x30, Buffer.concat([int(3), tlv(0x42, Buffer.alloc(0))]))); // UnbindRequest
          if (dns.length !== 1) return { ok: false, message: 'No answer received' };
          const dn = dns[0] as string;
          if (o.receive && o.receive.source !== '(?:)' && !o.receive.test(dn))
            return { ok: false, message: 'Response mismatch' };
          return { ok: true, message: `Success: ${dn}` };
        } finally {
          sock.destroy();
        }
      });
    },
  };
}
