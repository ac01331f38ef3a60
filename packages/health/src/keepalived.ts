/**
 * keepalived checker configuration as data → a runner `CheckerSpec`: the checker blocks of keepalived.conf
 * with keepalived's inheritance ("the virtual server setting is the default for real servers, and the real
 * server setting is the default for checkers") and its per-checker defaults. Durations are in seconds as in
 * keepalived.conf. It builds objects; it runs nothing.
 * @see keepalived.conf(5) "LVS CONFIGURATION"; keepalived/check/check_api.c, check_data.c, check_*.c
 */
import { type DnsType, dnsCheck } from './checkers/dns.js';
import { httpGetCheck, type StatusCodes } from './checkers/http.js';
import { miscCheck } from './checkers/misc.js';
import { pingCheck } from './checkers/ping.js';
import { smtpCheck } from './checkers/smtp.js';
import { tcpCheck } from './checkers/tcp.js';
import { udpCheck } from './checkers/udp.js';
import { invalidConfig } from './errors.js';
import { keepalivedPolicy } from './policy.js';
import type { CheckerSpec } from './runner.js';
import type { Checker } from './types.js';

/** Timing keywords allowed at virtual-server, real-server and checker level (seconds). */
export interface KeepalivedTiming {
  readonly delay_loop?: number;
  readonly retry?: number;
  readonly delay_before_retry?: number;
  readonly warmup?: number;
  readonly alpha?: boolean;
  readonly connect_timeout?: number;
  readonly virtualhost?: string;
}

/** Keywords common to every checker except MISC_CHECK (check_api.c `install_checker_common_keywords`). */
export interface KeepalivedConnectOptions extends KeepalivedTiming {
  readonly connect_ip?: string;
  readonly connect_port?: number;
  readonly bindto?: string;
  readonly bind_port?: number;
}

/** One `url { }` block. */
export interface KeepalivedUrl {
  readonly path: string;
  readonly digest?: string;
  readonly status_code?: StatusCodes;
  readonly virtualhost?: string;
  readonly regex?: string;
  readonly regex_no_match?: boolean;
}

/** A checker block of keepalived.conf. */
export type KeepalivedCheckerConfig =
  | ({ readonly type: 'TCP_CHECK' } & KeepalivedConnectOptions)
  | ({
      readonly type: 'HTTP_GET' | 'SSL_GET';
      readonly url: readonly KeepalivedUrl[];
      readonly http_protocol?: '1.0' | '1.0C' | '1.1';
      readonly enable_sni?: boolean;
      readonly sni_name?: string;
    } & KeepalivedConnectOptions)
  | ({ readonly type: 'SMTP_CHECK'; readonly helo_name?: string } & KeepalivedConnectOptions)
  | ({ readonly type: 'DNS_CHECK'; readonly dns_type?: DnsType; readonly name?: string } & KeepalivedConnectOptions)
  | ({
      readonly type: 'UDP_CHECK';
      readonly payload?: string;
      readonly require_reply?: boolean | string;
      readonly min_reply_length?: number;
      readonly max_reply_length?: number;
    } & KeepalivedConnectOptions)
  | ({ readonly type: 'PING_CHECK' } & KeepalivedConnectOptions)
  | ({
      readonly type: 'MISC_CHECK';
      readonly misc_path: string;
      readonly misc_timeout?: number;
      readonly misc_dynamic?: boolean;
      readonly user?: string;
    } & KeepalivedTiming);

/** Where a checker sits: its virtual server's and real server's settings, and the real server's address. */
export interface KeepalivedScope {
  readonly virtualServer?: KeepalivedTiming;
  readonly realServer?: KeepalivedTiming;
  readonly address: string;
  readonly port: number;
  /** Global `SSL { ca; certificate; key }` contents (PEM). */
  readonly ssl?: { readonly ca?: string; readonly certificate?: string; readonly key?: string };
}

function hex(s: string, path: string): Buffer {
  const h = s.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(h)) invalidConfig([path], `${path} must be hex octets`);
  return Buffer.from(h, 'hex');
}

/**
 * Build the runner spec for one keepalived checker block. Inherits each timing keyword checker → real
 * server → virtual server → keepalived default, and fills connect_ip/connect_port from the real server.
 */
export function keepalivedChecker(c: KeepalivedCheckerConfig, scope: KeepalivedScope): CheckerSpec {
  const pick = <K extends keyof KeepalivedTiming>(k: K): KeepalivedTiming[K] =>
    c[k] ?? scope.realServer?.[k] ?? scope.virtualServer?.[k];
  const delayLoop = pick('delay_loop') ?? 60;
  const sec = (v: number | undefined) => (v === undefined ? undefined : v * 1000);
  const policy = keepalivedPolicy(c.type, {
    delayLoopMs: delayLoop * 1000,
    ...(pick('retry') !== undefined ? { retry: pick('retry') as number } : {}),
    ...(pick('delay_before_retry') !== undefined
      ? { delayBeforeRetryMs: sec(pick('delay_before_retry')) as number }
      : {}),
    ...(pick('warmup') !== undefined ? { warmupMs: sec(pick('warmup')) as number } : {}),
    ...(pick('alpha') !== undefined ? { alpha: pick('alpha') as boolean } : {}),
  });
  // connection_to default 5 s (check_data.c); MISC: misc_timeout, unset/0 ⇒ delay_loop (check_misc.c).
  const timeoutMs =
    c.type === 'MISC_CHECK'
      ? (c.misc_timeout ? c.misc_timeout : delayLoop) * 1000
      : (pick('connect_timeout') ?? 5) * 1000;
  if (c.type === 'MISC_CHECK') {
    const checker = miscCheck({
      path: c.misc_path,
      dynamic: c.misc_dynamic ?? false,
      timeoutMs,
      ...(c.user !== undefined ? { user: c.user } : {}),
    });
    return { checker, policy, timeoutMs };
  }
  const host = c.connect_ip ?? scope.address;
  const port = c.connect_port ?? scope.port;
  const bind = {
    ...(c.bindto !== undefined ? { bindTo: c.bindto } : {}),
    ...(c.bind_port !== undefined ? { bindPort: c.bind_port } : {}),
  };
  let checker: Checker;
  switch (c.type) {
    case 'TCP_CHECK':
      checker = tcpCheck({ host, port, ...bind });
      break;
    case 'HTTP_GET':
    case 'SSL_GET': {
      const vhost = pick('virtualhost');
      checker = httpGetCheck({
        host,
        port,
        ...bind,
        httpProtocol: c.http_protocol ?? '1.0',
        ...(vhost !== undefined ? { virtualhost: vhost } : {}),
        urls: c.url.map((u) => ({
          path: u.path,
          ...(u.digest !== undefined ? { digest: u.digest } : {}),
          ...(u.status_code !== undefined ? { statusCode: u.status_code } : {}),
          ...(u.virtualhost !== undefined ? { virtualhost: u.virtualhost } : {}),
          ...(u.regex !== undefined ? { regex: new RegExp(u.regex) } : {}),
          ...(u.regex_no_match !== undefined ? { regexNoMatch: u.regex_no_match } : {}),
        })),
        ...(c.type === 'SSL_GET'
          ? {
              ssl: {
                enableSni: c.enable_sni ?? false,
                ...(c.sni_name !== undefined ? { sniName: c.sni_name } : {}),
                ...(scope.ssl?.ca !== undefined ? { ca: scope.ssl.ca } : {}),
                ...(scope.ssl?.certificate !== undefined ? { cert: scope.ssl.certificate } : {}),
                ...(scope.ssl?.key !== undefined ? { key: scope.ssl.key } : {}),
              },
            }
          : {}),
      });
      break;
    }
    case 'SMTP_CHECK':
      checker = smtpCheck({
        host,
        port,
        ...(c.bindto !== undefined ? { bindTo: c.bindto } : {}),
        ...(c.helo_name ? { heloName: c.helo_name } : {}),
      });
      break;
    case 'DNS_CHECK':
      checker = dnsCheck({
        host,
        port: c.connect_port ?? (scope.port || 53),
        type: c.dns_type ?? 'SOA',
        name: c.name ?? '',
        ...(c.bindto !== undefined ? { bindTo: c.bindto } : {}),
      });
      break;
    case 'UDP_CHECK':
      checker = udpCheck({
        host,
        port,
        ...(c.bindto !== undefined ? { bindTo: c.bindto } : {}),
        ...(c.payload !== undefined ? { payload: hex(c.payload, 'payload') } : {}),
        ...(c.require_reply !== undefined
          ? {
              requireReply:
                typeof c.require_reply === 'string' ? hex(c.require_reply, 'require_reply') : c.require_reply,
            }
          : {}),
        ...(c.min_reply_length !== undefined ? { minReplyLength: c.min_reply_length } : {}),
        ...(c.max_reply_length !== undefined ? { maxReplyLength: c.max_reply_length } : {}),
        // The silence window keepalived takes from connect_timeout; keep it inside the runner's timeout.
        waitMs: Math.max(1, timeoutMs - 50),
      });
      break;
    case 'PING_CHECK':
      checker = pingCheck({ host });
      break;
  }
  return { checker, policy, timeoutMs };
}
