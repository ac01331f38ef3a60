/**
 * keepalived UDP_CHECK: send `payload` on a connected UDP socket; an ICMP port-unreachable (ECONNREFUSED)
 * means down; silence until `waitMs` means up unless `require_reply`; a reply must be between
 * min/max_reply_length and match the `require_reply` bytes over the shorter length. Protocol only.
 * @see keepalived/check/check_udp.c `udp_check_thread`, `check_udp_reply`; keepalived/core/layer4.c
 * `udp_socket_state` ("Handle Read timeout, we consider it success unless require_reply is set")
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { formatEndpoint, systemClock, type TimerHandle } from '@lvskit/base';
import { bool, bytes, checkOptions, duration, either, int, ip, port, required, text } from '../options.js';
import type { Checker } from '../types.js';
import { type CheckVerdict, guarded } from './common.js';
import { abortError } from './socket.js';

/** UDP_CHECK options. */
export interface UdpCheckOptions {
  readonly host: string;
  readonly port: number;
  /** `payload` bytes (default: empty datagram). */
  readonly payload?: Buffer;
  /** `require_reply`: true, or the bytes the reply must start with. */
  readonly requireReply?: boolean | Buffer;
  /** `min_reply_length` (default 0). */
  readonly minReplyLength?: number;
  /** `max_reply_length` (default 255). */
  readonly maxReplyLength?: number;
  /**
   * How long to wait for a reply or an ICMP error (keepalived uses connect_timeout). Keep it below the
   * runner's timeout, or a silent-but-healthy server reads as a timeout.
   */
  readonly waitMs?: number;
  readonly bindTo?: string;
  readonly key?: string;
}

/** Build a UDP_CHECK. */
export function udpCheck(o: UdpCheckOptions): Checker {
  checkOptions(
    o,
    {
      host: required(text),
      port: required(port),
      payload: bytes,
      requireReply: either(bool, bytes, 'true, false or a Buffer'),
      minReplyLength: int(0, 65535),
      maxReplyLength: int(0, 65535),
      waitMs: duration(1, false),
      bindTo: ip,
      key: text,
    },
    'udpCheck options',
  );
  const where = formatEndpoint(o.host, o.port);
  const min = o.minReplyLength ?? 0;
  const max = o.maxReplyLength ?? 255;
  const wait = o.waitMs ?? 1000;
  return {
    kind: 'UDP_CHECK',
    key: o.key ?? `UDP_CHECK ${where}`,
    check(signal) {
      return guarded(
        signal,
        () =>
          new Promise<CheckVerdict>((resolve, reject) => {
            const sock = createSocket(isIPv6(o.host) ? 'udp6' : 'udp4');
            let timer: TimerHandle | null = null;
            const finish = (v: CheckVerdict | Error) => {
              timer?.cancel();
              signal.removeEventListener('abort', onAbort);
              try {
                sock.close();
              } catch {
                // already closed
              }
              if (v instanceof Error) reject(v);
              else resolve(v);
            };
            const onAbort = () => finish(abortError(signal));
            signal.addEventListener('abort', onAbort, { once: true });
            sock.on('error', (err: NodeJS.ErrnoException) =>
              finish({ ok: false, message: `UDP connection to ${where} failed: ${err.code ?? err.message}` }),
            );
            sock.on('message', (msg) => {
              if (!o.requireReply) return finish({ ok: true, message: `UDP reply from ${where}` });
              if (msg.length < min || msg.length > max) {
                return finish({ ok: false, message: `UDP reply length ${msg.length} outside ${min}..${max}` });
              }
              if (Buffer.isBuffer(o.requireReply)) {
                const n = Math.min(msg.length, o.requireReply.length);
                if (!msg.subarray(0, n).equals(o.requireReply.subarray(0, n))) {
                  return finish({ ok: false, message: `UDP check to ${where} reply data mismatch` });
                }
              }
              finish({ ok: true, message: `UDP reply from ${where}` });
            });
            const go = () =>
              sock.connect(o.port, o.host, () => {
                sock.send(o.payload ?? Buffer.alloc(0), (err) => {
                  if (err) finish({ ok: false, message: `UDP send to ${where} failed: ${err.message}` });
                });
                // The one guarded clock (a wait a timer cannot hold is refused at validation).
                timer = systemClock.setTimeout(() => {
                  finish(
                    o.requireReply
                      ? { ok: false, message: `no UDP reply from ${where}` }
                      : { ok: true, message: `no ICMP error from ${where}` },
                  );
                }, wait);
              });
            if (o.bindTo !== undefined) sock.bind({ address: o.bindTo }, go);
            else go();
          }),
      );
    },
  };
}
