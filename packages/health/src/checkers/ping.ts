/**
 * keepalived PING_CHECK and ldirectord `checktype = ping` (also `connect` on UDP services): one ICMP echo
 * request (IPv4 type 8 / ICMPv6 type 128) over a raw socket from the `raw-socket` package, up on the
 * matching echo reply (same identifier and sequence, from the target). One raw socket per address family
 * is shared by all concurrent pings and closed when none is outstanding. Needs CAP_NET_RAW. Protocol only.
 * @see keepalived/check/check_ping.c; ldirectord.in `check_ping` (Net::Ping icmp)
 */
import { isIPv4, isIPv6 } from 'node:net';
import { checkOptions, duration, int, required, text } from '../options.js';
import type { Checker } from '../types.js';
import { guarded } from './common.js';
import { abortError } from './socket.js';

type RawModule = typeof import('raw-socket');
type RawSocket = import('raw-socket').Socket;

// ICMP echo (RFC 792 / RFC 4443 §4.1):
//  0       8       16              31
// | type  | code  |   checksum    |
// |  identifier   |   sequence    |
// | data …
const ICMP_TYPE = 0;
const ICMP_CSUM = 2;
const ICMP_ID = 4;
const ICMP_SEQ = 6;
const ICMP_HDR = 8;
const ECHO_REQUEST_V4 = 8;
const ECHO_REPLY_V4 = 0;
const ECHO_REQUEST_V6 = 128;
const ECHO_REPLY_V6 = 129;
const PAYLOAD = Buffer.from('lvskit-health-ping');

let raw: RawModule | null = null;
async function loadRaw(): Promise<RawModule> {
  if (!raw) {
    const m = (await import('raw-socket')) as RawModule & { default?: RawModule };
    raw = m.default ?? m;
  }
  return raw;
}

interface Pending {
  readonly target: string;
  readonly resolve: () => void;
}

/** One shared raw socket per family with a demultiplexer over (identifier, sequence). */
class Pinger {
  #sock: RawSocket | null = null;
  readonly #pending = new Map<number, Pending>();
  readonly #v6: boolean;
  readonly #id = (process.pid ^ (Math.random() * 0x10000)) & 0xffff;
  #seq = 0;

  constructor(v6: boolean) {
    this.#v6 = v6;
  }

  async ping(target: string, signal: AbortSignal): Promise<void> {
    const r = await loadRaw();
    if (signal.aborted) throw abortError(signal);
    const sock = this.#open(r);
    let seq = this.#nextSeq();
    while (this.#pending.has(seq)) seq = this.#nextSeq();
    const pkt = Buffer.alloc(ICMP_HDR + PAYLOAD.length);
    pkt[ICMP_TYPE] = this.#v6 ? ECHO_REQUEST_V6 : ECHO_REQUEST_V4;
    pkt.writeUInt16BE(this.#id, ICMP_ID);
    pkt.writeUInt16BE(seq, ICMP_SEQ);
    PAYLOAD.copy(pkt, ICMP_HDR);
    // The kernel fills the ICMPv6 checksum on raw IPPROTO_ICMPV6 sockets (RFC 3542 §3.1); IPv4 is ours.
    if (!this.#v6) r.writeChecksum(pkt, ICMP_CSUM, r.createChecksum(pkt));
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.#pending.delete(seq);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        this.#pending.set(seq, {
          target,
          resolve: () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          },
        });
        sock.send(pkt, 0, pkt.length, target, (err) => {
          if (err) {
            signal.removeEventListener('abort', onAbort);
            this.#pending.delete(seq);
            reject(err);
          }
        });
      });
    } finally {
      this.#pending.delete(seq);
      if (this.#pending.size === 0) this.#close();
    }
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) & 0xffff;
    return this.#seq;
  }

  #open(r: RawModule): RawSocket {
    if (this.#sock) return this.#sock;
    const sock = r.createSocket({
      protocol: this.#v6 ? r.Protocol.ICMPv6 : r.Protocol.ICMP,
      addressFamily: this.#v6 ? r.AddressFamily.IPv6 : r.AddressFamily.IPv4,
    });
    sock.on('message', (buf, source) => this.#onMessage(buf, source));
    sock.on('error', () => this.#close());
    this.#sock = sock;
    return sock;
  }

  #close(): void {
    const s = this.#sock;
    this.#sock = null;
    try {
      s?.close();
    } catch {
      // already closed
    }
  }

  #onMessage(buf: Buffer, source: string): void {
    // IPv4 raw sockets deliver the IP header too (IHL × 4 octets); ICMPv6 sockets deliver ICMP only.
    const off = this.#v6 ? 0 : ((buf[0] ?? 0) & 0x0f) * 4;
    if (buf.length < off + ICMP_HDR) return;
    if (buf[off + ICMP_TYPE] !== (this.#v6 ? ECHO_REPLY_V6 : ECHO_REPLY_V4)) return;
    if (buf.readUInt16BE(off + ICMP_ID) !== this.#id) return;
    const p = this.#pending.get(buf.readUInt16BE(off + ICMP_SEQ));
    if (p && sameAddress(p.target, source)) p.resolve();
  }
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase() || a.replace(/^::ffff:/, '') === b.replace(/^::ffff:/, '');
}

const pingers = { v4: new Pinger(false), v6: new Pinger(true) };

/** PING_CHECK options. */
export interface PingCheckOptions {
  /** IPv4 or IPv6 address (no names: resolve before building checkers). */
  readonly host: string;
  /** ldirectord `checkcount`: attempts before giving up (default 1), each bounded by `attemptMs`. */
  readonly count?: number;
  /** Per-attempt wait when `count` > 1 (default 1000 ms). */
  readonly attemptMs?: number;
  readonly key?: string;
}

/** Build a PING_CHECK. */
export function pingCheck(o: PingCheckOptions): Checker {
  checkOptions(
    o,
    { host: required(text), count: int(1, 1000), attemptMs: duration(1, false), key: text },
    'pingCheck options',
  );
  const v6 = isIPv6(o.host);
  if (!v6 && !isIPv4(o.host)) {
    return {
      kind: 'PING_CHECK',
      key: o.key ?? `PING_CHECK ${o.host}`,
      check: (signal) => guarded(signal, async () => ({ ok: false, message: `${o.host} is not an IP address` })),
    };
  }
  const count = Math.max(1, o.count ?? 1);
  return {
    kind: 'PING_CHECK',
    key: o.key ?? `PING_CHECK ${o.host}`,
    check(signal) {
      return guarded(signal, async () => {
        const pinger = v6 ? pingers.v6 : pingers.v4;
        for (let i = 0; i < count; i++) {
          const attempt = count === 1 ? signal : AbortSignal.any([signal, AbortSignal.timeout(o.attemptMs ?? 1000)]);
          try {
            await pinger.ping(o.host, attempt);
            return { ok: true, message: `echo reply from ${o.host}` };
          } catch (err) {
            if (signal.aborted || i === count - 1) throw err;
          }
        }
        return { ok: false, message: `no echo reply from ${o.host}` };
      });
    },
  };
}
