/**
 * keepalived checker configuration as data → a runner `CheckerSpec`: the checker blocks of keepalived.conf
 * with keepalived's inheritance ("the virtual server setting is the default for real servers, and the real
 * server setting is the default for checkers") and its per-checker defaults. Durations are in seconds as in
 * keepalived.conf. It builds objects; it runs nothing.
 * @see keepalived.conf(5) "LVS CONFIGURATION"; keepalived/check/check_api.c, check_data.c, check_*.c
 */
import { type CommandRunner, IssueList, LvsError, type LvsIssue, type LvsPathSegment } from '@lvskit/base';
import { DNS_TYPES, type DnsType, dnsCheck } from './checkers/dns.js';
import { httpGetCheck, type StatusCodes } from './checkers/http.js';
import { miscCheck } from './checkers/misc.js';
import { pingCheck } from './checkers/ping.js';
import { smtpCheck } from './checkers/smtp.js';
import { tcpCheck } from './checkers/tcp.js';
import { udpCheck } from './checkers/udp.js';
import { splitCommandLine } from './notify.js';
import {
  anyString,
  arrayOf,
  bool,
  checkRecord,
  duration,
  each,
  either,
  fn,
  int,
  ip,
  isRecord,
  oneOf,
  own,
  port,
  port0,
  type Rule,
  required,
  rule,
  type Shape,
  text,
  throwIssues,
} from './options.js';
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
  /** Runs MISC_CHECK scripts (default `execCommand` of `@lvskit/base`); tests inject `FakeCommandRunner`. */
  readonly runner?: CommandRunner;
}

const hexOctets: Rule = rule(
  (v) => typeof v === 'string' && /^([0-9a-fA-F]{2})*$/.test(v.replace(/\s+/g, '')),
  'hex octets (e.g. "0a1b2c")',
);

const regexSource: Rule = (v, path, issues, key) => {
  if (typeof v !== 'string') return text(v, path, issues, key);
  try {
    new RegExp(v);
  } catch (err) {
    issues.add(
      path,
      'HEALTH_INVALID_CONFIG',
      `${key} ${JSON.stringify(v)} is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
};

const statusCodes: Rule = (v, path, issues, key) => {
  const code = (x: unknown) => Number.isInteger(x) && (x as number) >= 100 && (x as number) <= 599;
  if (!Array.isArray(v))
    return arrayOf(text, 'an array of status codes 100..599 and ranges [from, to]')(v, path, issues, key);
  each(v, (x, i) => {
    const ok = code(x) || (Array.isArray(x) && x.length === 2 && code(x[0]) && code(x[1]) && x[0] <= x[1]);
    if (!ok) {
      issues.add(
        [...path, i],
        'HEALTH_INVALID_CONFIG',
        `${key}[${i}] must be a status code 100..599 or a range [from, to], got ${JSON.stringify(x) ?? String(x)}`,
      );
    }
  });
};

/** keepalived's timing keywords (seconds) and what each must be. */
const TIMING: Shape = {
  delay_loop: duration(1000, false),
  retry: int(0, 2_147_483_647),
  delay_before_retry: duration(1000, true),
  warmup: duration(1000, true),
  alpha: bool,
  connect_timeout: duration(1000, false),
  virtualhost: text,
};

const CONNECT: Shape = { ...TIMING, connect_ip: ip, connect_port: port, bindto: ip, bind_port: port };

const URL: Shape = {
  path: required(anyString),
  digest: rule((v) => typeof v === 'string' && /^[0-9a-fA-F]{32}$/.test(v), 'an MD5 digest (32 hex digits)'),
  status_code: statusCodes,
  virtualhost: text,
  regex: regexSource,
  regex_no_match: bool,
};

const urls: Rule = (v, path, issues, key) => {
  if (!Array.isArray(v)) {
    return issues.add(
      path,
      'HEALTH_INVALID_CONFIG',
      `${key} must be an array of url blocks ({ path, … }), got ${JSON.stringify(v) ?? String(v)}`,
    );
  }
  each(v, (u, i) => {
    checkRecord(u, URL, [...path, i], issues, 'a url block');
  });
};

const TYPE = required(rule((v) => typeof v === 'string', 'a checker type'));

/** The keywords of each checker block (check_*.c `install_*_keyword`). */
const CHECKER_SHAPES: Readonly<Record<KeepalivedCheckerConfig['type'], Shape>> = {
  TCP_CHECK: { type: TYPE, ...CONNECT },
  HTTP_GET: {
    type: TYPE,
    ...CONNECT,
    url: required(urls),
    http_protocol: oneOf(['1.0', '1.0C', '1.1']),
    enable_sni: bool,
    sni_name: text,
  },
  SSL_GET: {
    type: TYPE,
    ...CONNECT,
    url: required(urls),
    http_protocol: oneOf(['1.0', '1.0C', '1.1']),
    enable_sni: bool,
    sni_name: text,
  },
  SMTP_CHECK: { type: TYPE, ...CONNECT, helo_name: text },
  DNS_CHECK: { type: TYPE, ...CONNECT, dns_type: oneOf(Object.keys(DNS_TYPES)), name: anyString },
  UDP_CHECK: {
    type: TYPE,
    ...CONNECT,
    payload: hexOctets,
    require_reply: either(bool, hexOctets, 'true, false or hex octets'),
    min_reply_length: int(0, 65535),
    max_reply_length: int(0, 65535),
  },
  PING_CHECK: { type: TYPE, ...CONNECT },
  MISC_CHECK: {
    type: TYPE,
    ...TIMING,
    misc_path: required((v, path, issues, key) => {
      if (typeof v !== 'string') return text(v, path, issues, key);
      try {
        splitCommandLine(v);
      } catch (err) {
        if (!LvsError.is(err)) throw err;
        for (const i of err.issues) issues.add(path, i.code, `${key}: ${i.message}`);
      }
    }),
    misc_timeout: duration(1000, true),
    misc_dynamic: bool,
    user: text,
  },
};

const SCOPE: Shape = {
  virtualServer: rule(isRecord, 'an object of timing keywords'),
  realServer: rule(isRecord, 'an object of timing keywords'),
  address: required(text),
  port: required(port0),
  ssl: rule(isRecord, 'an object { ca, certificate, key }'),
  runner: fn,
};

/**
 * Every issue of one level of keepalived timing keywords (`delay_loop`, `retry`, `delay_before_retry`,
 * `warmup`, `alpha`, `connect_timeout`, `virtualhost`), under `path`: for a caller that keeps a virtual
 * server's or real server's timing apart from its checkers and wants each issue reported once, where it was
 * written. {@link keepalivedChecker} reports the inherited levels too, under `['virtualServer', k]` and
 * `['realServer', k]`.
 * @param timing - the keywords (seconds)
 * @param path - where they sit in the caller's input
 * @returns every issue (codes `HEALTH_INVALID_CONFIG` and `TIMER_RANGE`), none when valid
 */
export function validateKeepalivedTiming(timing: unknown, path: readonly LvsPathSegment[] = []): LvsIssue[] {
  const issues = new IssueList();
  const at = Array.isArray(path) ? path.filter((k) => typeof k === 'string' || typeof k === 'number') : [];
  checkRecord(timing, TIMING, at, issues, 'timing keywords');
  return [...issues.issues];
}

/**
 * Every issue of one checker block and its scope, or none. Paths: the block's own keywords as written
 * (`['url', 0, 'regex']`, `['delay_loop']`), the inherited ones under `virtualServer` / `realServer`, the
 * scope's own fields by name.
 */
function keepalivedIssues(c: unknown, scope: unknown, issues: IssueList): void {
  if (!isRecord(c)) {
    issues.add(
      [],
      'HEALTH_INVALID_CONFIG',
      `a checker block must be an object { type, … }, got ${JSON.stringify(c) ?? String(c)}`,
    );
  } else {
    const type = own(c, 'type');
    if (typeof type === 'string' && Object.hasOwn(CHECKER_SHAPES, type)) {
      checkRecord(c, CHECKER_SHAPES[type as KeepalivedCheckerConfig['type']], [], issues, type);
    } else if (type === 'BFD_CHECK' || type === 'FILE_CHECK') {
      issues.add(
        ['type'],
        'HEALTH_INVALID_CONFIG',
        `checker type ${JSON.stringify(type)} is not supported by lvskit (it needs a bfd_instance / track_file)`,
      );
    } else {
      issues.add(
        ['type'],
        'HEALTH_INVALID_CONFIG',
        `unknown checker type ${JSON.stringify(type) ?? String(type)} (known: ${Object.keys(CHECKER_SHAPES).join(', ')})`,
      );
    }
  }
  const sc = checkRecord(scope, SCOPE, [], issues, 'a checker scope');
  if (!sc) return;
  for (const level of ['virtualServer', 'realServer'] as const) {
    const t = own(sc, level);
    if (isRecord(t)) checkRecord(t, TIMING, [level], issues, `${level} timing`);
  }
  const ssl = own(sc, 'ssl');
  if (isRecord(ssl))
    checkRecord(ssl, { ca: anyString, certificate: anyString, key: anyString }, ['ssl'], issues, 'ssl');
}

function hexBytes(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/**
 * Build the runner spec for one keepalived checker block. Inherits each timing keyword checker → real
 * server → virtual server → keepalived default, and fills connect_ip/connect_port from the real server.
 * Everything is validated first, every issue at once: an unknown checker type or keyword, a `null`, a
 * value out of range (`connect_port` 70000), a bad `regex`, an HTTP_GET without `url`, a delay a timer
 * cannot hold (`TIMER_RANGE`, `delay_loop` of 2^31 ms or more). Issue paths are relative to the checker
 * block, as written (`['url', 0, 'regex']`); inherited keywords under `['virtualServer', k]` /
 * `['realServer', k]`.
 * @param c - the checker block, in keepalived.conf keywords (durations in seconds)
 * @param scope - its virtual server's and real server's timing, the real server's address and port, the
 *   global SSL material, and the command runner MISC_CHECK uses (default `execCommand`)
 * @throws LvsError `HEALTH_INVALID_CONFIG` or `TIMER_RANGE` with every issue
 */
export function keepalivedChecker(c: KeepalivedCheckerConfig, scope: KeepalivedScope): CheckerSpec {
  const issues = new IssueList();
  keepalivedIssues(c, scope, issues);
  if (issues.size === 0 && c.type !== 'MISC_CHECK' && c.type !== 'PING_CHECK' && c.type !== 'DNS_CHECK') {
    if ((c.connect_port ?? scope.port) === 0) {
      issues.add(
        ['connect_port'],
        'HEALTH_INVALID_CONFIG',
        `${c.type} needs a port: the real server has port 0, so set connect_port`,
      );
    }
  }
  throwIssues(issues, `invalid ${isRecord(c) && typeof c.type === 'string' ? c.type : 'checker'} block`);
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
      ...(scope.runner !== undefined ? { runner: scope.runner } : {}),
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
        ...(c.payload !== undefined ? { payload: hexBytes(c.payload) } : {}),
        ...(c.require_reply !== undefined
          ? {
              requireReply: typeof c.require_reply === 'string' ? hexBytes(c.require_reply) : c.require_reply,
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
