/**
 * ldirectord's check selection as data → checkers: `checktype` (connect, negotiate, N = combined, ping,
 * external, on, off), `service` (with its default by port), `checkport`, the request/receive pair, and the
 * timeout fallbacks between `checktimeout` and `negotiatetimeout`. It builds checkers and a policy; it runs
 * nothing itself. Where ldirectord's POD and code disagree we follow the code (see README).
 * @see ldirectord.in `_check_real`, `ld_checkport`, `ld_setup` (timeouts), `ld_port_to_service`
 */

import { hostname } from 'node:os';
import { type CommandRunner, formatEndpoint, IssueList, LvsError } from '@lvskit/base';
import { ldDnsCheck } from './checkers/dns.js';
import { ldHttpCheck } from './checkers/http.js';
import { connectUdpAsPing } from './checkers/ldirectord-connect.js';
import { ftpCheck, imapCheck, nntpCheck, popCheck, simpleTcpCheck } from './checkers/mail.js';
import { externalCheck } from './checkers/misc.js';
import { pingCheck } from './checkers/ping.js';
import { ldapCheck, radiusCheck, sipCheck } from './checkers/radius-sip-ldap.js';
import { ldSmtpCheck } from './checkers/smtp.js';
import { mysqlCheck, pgsqlCheck } from './checkers/sql.js';
import { tcpCheck } from './checkers/tcp.js';
import {
  anyString,
  checkRecord,
  duration,
  fn,
  int,
  isRecord,
  oneOf,
  port,
  port0,
  type Rule,
  required,
  type Shape,
  text,
  throwIssues,
} from './options.js';
import { ldirectordPolicy } from './policy.js';
import type { CheckerSpec } from './runner.js';
import type { Checker, CheckResult } from './types.js';

/** ldirectord `service =` values. */
export type LdirectordService =
  | 'dns'
  | 'ftp'
  | 'http'
  | 'https'
  | 'http_proxy'
  | 'imap'
  | 'imaps'
  | 'ldap'
  | 'ldaps'
  | 'mysql'
  | 'nntp'
  | 'none'
  | 'oracle'
  | 'pgsql'
  | 'pop'
  | 'pops'
  | 'radius'
  | 'simpletcp'
  | 'sip'
  | 'smtp'
  | 'submission';

/** ldirectord `checktype =` values; a number N means "combined": N connect checks, then a negotiate. */
export type LdirectordCheckType =
  | 'connect'
  | 'negotiate'
  | 'ping'
  | 'off'
  | 'on'
  | 'external'
  | 'external-perl'
  | number;

const PORT_SERVICE: Readonly<Record<number, LdirectordService>> = {
  21: 'ftp',
  25: 'smtp',
  53: 'dns',
  80: 'http',
  110: 'pop',
  119: 'nntp',
  143: 'imap',
  389: 'ldap',
  443: 'https',
  587: 'submission',
  636: 'ldaps',
  993: 'imaps',
  995: 'pops',
  1521: 'oracle',
  1812: 'radius',
  3128: 'http_proxy',
  3306: 'mysql',
  5432: 'pgsql',
  5060: 'sip',
};

/** ldirectord's default service for a virtual port (`ld_port_to_service`); `none` otherwise. */
export function serviceForPort(port: number): LdirectordService {
  return Number.isInteger(port) && Object.hasOwn(PORT_SERVICE, port)
    ? (PORT_SERVICE[port] as LdirectordService)
    : 'none';
}

/** The port of a service (`ld_service_to_port`), for `ld_checkport` when the real server has port 0. */
export function portForService(service: LdirectordService): number {
  for (const [p, s] of Object.entries(PORT_SERVICE)) if (s === service) return Number(p);
  return 0;
}

/** Global ldirectord timing directives (seconds, as in ldirectord.cf). */
export interface LdirectordGlobals {
  readonly checktimeout?: number;
  readonly negotiatetimeout?: number;
  readonly checkinterval?: number;
  readonly failurecount?: number;
  readonly checkcount?: number;
}

/** One `virtual =` section's check-related directives. */
export interface LdirectordVirtual {
  /** Virtual address, or the fwmark number for fwmark services. */
  readonly address: string;
  readonly port: number;
  /** Default `tcp` (`udp` for port 53). */
  readonly protocol?: 'tcp' | 'udp' | 'fwm';
  readonly checktype?: LdirectordCheckType;
  readonly service?: LdirectordService;
  readonly checkport?: number;
  readonly request?: string;
  readonly receive?: string;
  readonly httpmethod?: 'GET' | 'HEAD';
  readonly virtualhost?: string;
  readonly login?: string;
  readonly passwd?: string;
  readonly database?: string;
  readonly secret?: string;
  readonly checkcommand?: string;
  readonly checktimeout?: number;
  readonly negotiatetimeout?: number;
  readonly checkinterval?: number;
  readonly failurecount?: number;
  readonly checkcount?: number;
}

/** One `real =` line. */
export interface LdirectordReal {
  readonly address: string;
  /** Port (0 when omitted). */
  readonly port: number;
  /** Per-real request/receive (from `real = … "request", "receive"`). */
  readonly request?: string;
  readonly receive?: string;
}

/** Effective timeouts in seconds: ldirectord's mutual fallbacks (`ld_setup`). */
export function ldirectordTimeouts(
  v: LdirectordVirtual,
  g: LdirectordGlobals = {},
): { check: number; negotiate: number } {
  const issues = new IssueList();
  checkRecord(v, { ...VIRTUAL, address: text, port: port0 }, [], issues, 'a virtual section');
  checkRecord(g, TIMING, ['global'], issues, 'ldirectord globals');
  throwIssues(issues, 'invalid ldirectord timeouts');
  const first = (...xs: (number | undefined)[]) => xs.find((x) => x !== undefined && x >= 0);
  return {
    check: first(v.checktimeout, v.negotiatetimeout, g.checktimeout, g.negotiatetimeout, 5) as number,
    negotiate: first(v.negotiatetimeout, v.checktimeout, g.negotiatetimeout, g.checktimeout, 30) as number,
  };
}

const always = (kind: string, key: string, ok: boolean, message: string): Checker => ({
  kind,
  key,
  check: async (): Promise<CheckResult> => ({ ok, message, durationMs: 0 }),
});

/**
 * ldirectord `checktype = N` ("combined"): a negotiate check first and after every connect failure;
 * after a negotiate success, N connect checks before the next negotiate (`num_connects`, `_check_real`).
 */
export function combinedCheck(connect: Checker, negotiate: Checker, n: number): Checker {
  const issues = new IssueList();
  const checker = { kind: required(text), key: required(text), check: required(fn) };
  for (const [name, c] of [
    ['connect', connect],
    ['negotiate', negotiate],
  ] as const) {
    if (!isRecord(c)) checkRecord(c, checker, [name], issues, `the ${name} checker`);
    else for (const [k, r] of Object.entries(checker)) r.rule(c[k], [name, k], issues, k);
  }
  int(0, 2_147_483_647)(n, ['n'], issues, 'n');
  throwIssues(issues, 'invalid combinedCheck');
  let numConnects = 999_999;
  return {
    kind: `combined:${negotiate.kind}`,
    key: `combined ${n} ${negotiate.key}`,
    async check(signal) {
      if (numConnects >= n) {
        const r = await negotiate.check(signal);
        if (r.ok) numConnects = 0;
        return r;
      }
      const r = await connect.check(signal);
      numConnects = r.ok ? numConnects + 1 : 999_999;
      return r;
    },
  };
}

/** Every ldirectord `service` value (ldirectord's check_* dispatch), `none` included. */
export const LDIRECTORD_SERVICES: readonly LdirectordService[] = [
  'dns',
  'ftp',
  'http',
  'https',
  'http_proxy',
  'imap',
  'imaps',
  'ldap',
  'ldaps',
  'mysql',
  'nntp',
  'none',
  'oracle',
  'pgsql',
  'pop',
  'pops',
  'radius',
  'simpletcp',
  'sip',
  'smtp',
  'submission',
];
const CHECKTYPES = ['connect', 'negotiate', 'ping', 'off', 'on', 'external', 'external-perl'] as const;

const regexSource: Rule = (v, path, issues, key) => {
  if (typeof v !== 'string') return anyString(v, path, issues, key);
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

const TIMING: Shape = {
  checktimeout: duration(1000, false),
  negotiatetimeout: duration(1000, false),
  checkinterval: duration(1000, false),
  failurecount: int(1, 2_147_483_647),
  checkcount: int(1, 1000),
};

const VIRTUAL: Shape = {
  ...TIMING,
  address: required(text),
  port: required(port0),
  protocol: oneOf(['tcp', 'udp', 'fwm']),
  checktype: (v, path, issues, key) => {
    if (typeof v === 'number' ? !(Number.isInteger(v) && v >= 0) : !(CHECKTYPES as readonly unknown[]).includes(v)) {
      issues.add(
        path,
        'HEALTH_INVALID_CONFIG',
        `${key} must be one of ${CHECKTYPES.join(', ')} or a number N ≥ 0, got ${JSON.stringify(v) ?? String(v)}`,
      );
    }
  },
  service: (v, path, issues, key) => {
    if (!(LDIRECTORD_SERVICES as readonly unknown[]).includes(v)) {
      issues.add(
        path,
        'HEALTH_INVALID_CONFIG',
        `${key} ${JSON.stringify(v) ?? String(v)} is not an ldirectord service (known: ${LDIRECTORD_SERVICES.join(', ')})`,
      );
    }
  },
  checkport: port,
  request: anyString,
  receive: regexSource,
  httpmethod: oneOf(['GET', 'HEAD']),
  virtualhost: text,
  login: anyString,
  passwd: anyString,
  database: text,
  secret: anyString,
  checkcommand: text,
};

const REAL: Shape = { address: required(text), port: required(port0), request: anyString, receive: regexSource };

/** Every issue of one virtual/real/globals triple: the virtual's keys as written, `real.*`, `global.*`. */
function ldirectordIssues(v: unknown, r: unknown, g: unknown, options: unknown, issues: IssueList): void {
  checkRecord(v, VIRTUAL, [], issues, 'a virtual section');
  checkRecord(r, REAL, ['real'], issues, 'a real server');
  checkRecord(g, TIMING, ['global'], issues, 'ldirectord globals');
  checkRecord(options, { runner: fn }, ['options'], issues, 'ldirectordChecker options');
}

function rx(s: string | undefined): RegExp | undefined {
  return s === undefined || s === '' ? undefined : new RegExp(s);
}

/**
 * The checker and policy ldirectord would use for one real server of one virtual service, or null for
 * `checktype = off` (no checks: the real is never added). Everything is validated first, every issue at
 * once: an unknown key (`tcpp`), a `null`, a `service` such as `htp` or a `checktype` ldirectord does not
 * know, ports out of range, a bad `receive` regex, delays a timer cannot hold (`TIMER_RANGE`). Paths: the
 * virtual section's keys as written (`['service']`), `['real', k]`, `['global', k]`.
 * @param v - the `virtual =` section's check directives (durations in seconds)
 * @param r - the `real =` line
 * @param g - global directives
 * @param options - the command runner `checktype = external` uses (default `execCommand`)
 * @throws LvsError `HEALTH_INVALID_CONFIG` or `TIMER_RANGE` with every issue
 */
export function ldirectordChecker(
  v: LdirectordVirtual,
  r: LdirectordReal,
  g: LdirectordGlobals = {},
  options: { readonly runner?: CommandRunner } = {},
): CheckerSpec | null {
  const issues = new IssueList();
  ldirectordIssues(v, r, g, options, issues);
  if (issues.size === 0) {
    const service = v.service ?? serviceForPort(v.port);
    const checktype = v.checktype ?? 'negotiate';
    const negotiates = checktype === 'negotiate' || typeof checktype === 'number';
    if (negotiates && (service === 'mysql' || service === 'pgsql') && v.database === undefined) {
      issues.add(['database'], 'HEALTH_INVALID_CONFIG', `service ${service} needs database =`);
    }
    if (negotiates && service === 'oracle') {
      issues.add(
        ['service'],
        'HEALTH_INVALID_CONFIG',
        'service "oracle" is not supported (no Oracle driver); use checktype external',
      );
    }
    if (checktype === 'external-perl') {
      issues.add(
        ['checktype'],
        'HEALTH_INVALID_CONFIG',
        'checktype "external-perl" evaluates Perl in-process; use external',
      );
    }
    const port = v.checkport ?? (r.port > 0 ? r.port : portForService(service));
    const usesPort =
      checktype !== 'off' &&
      checktype !== 'on' &&
      checktype !== 'ping' &&
      checktype !== 'external' &&
      !(checktype === 'negotiate' && service === 'none');
    const udpConnect = (v.protocol ?? (v.port === 53 ? 'udp' : 'tcp')) === 'udp' && checktype === 'connect';
    if (usesPort && !udpConnect && port === 0) {
      issues.add(
        ['checkport'],
        'HEALTH_INVALID_CONFIG',
        `the real server ${JSON.stringify(r.address)} has port 0 and service ${service} has none: set checkport`,
      );
    }
  }
  throwIssues(issues, 'invalid ldirectord virtual');
  const protocol = v.protocol ?? (v.port === 53 ? 'udp' : 'tcp');
  const checktype = v.checktype ?? 'negotiate';
  const service = v.service ?? serviceForPort(v.port);
  const port = v.checkport ?? (r.port > 0 ? r.port : portForService(service));
  const t = ldirectordTimeouts(v, g);
  const policy = ldirectordPolicy({
    checkIntervalMs: (v.checkinterval ?? g.checkinterval ?? 10) * 1000,
    failureCount: v.failurecount ?? g.failurecount ?? 1,
  });
  const request = r.request ?? v.request ?? '/';
  const receive = r.receive ?? v.receive;
  const host = r.address;
  const login = v.login ?? '';
  const connect = (): Checker =>
    protocol === 'udp'
      ? connectUdpAsPing(pingCheck({ host, count: v.checkcount ?? g.checkcount ?? 1 }))
      : tcpCheck({ host, port });
  const negotiate = (): Checker => {
    const path = request.startsWith('/') ? request : `/${request}`;
    switch (service) {
      case 'http':
      case 'https':
      case 'http_proxy':
        return ldHttpCheck({
          host,
          port,
          request: path,
          ...(rx(receive) ? { receive: rx(receive) as RegExp } : {}),
          method: v.httpmethod ?? 'GET',
          ...(v.virtualhost !== undefined ? { virtualhost: v.virtualhost } : {}),
          https: service === 'https',
        });
      case 'smtp':
      case 'submission':
        return ldSmtpCheck({ host, port });
      case 'pop':
      case 'pops':
        return popCheck({ host, port, tls: service === 'pops', login, passwd: v.passwd ?? '' });
      case 'imap':
      case 'imaps':
        return imapCheck({ host, port, tls: service === 'imaps', login, passwd: v.passwd ?? '' });
      case 'ftp':
        return ftpCheck({
          host,
          port,
          login: v.login ?? 'anonymous',
          passwd: v.passwd ?? `ldirectord@${hostname()}`,
          request: request.replace(/^\//, ''),
          ...(rx(receive) ? { receive: rx(receive) as RegExp } : {}),
        });
      case 'nntp':
        return nntpCheck({ host, port });
      case 'dns':
        return ldDnsCheck({ host, port, request, receive: rx(receive) ?? /(?:)/ });
      case 'ldap':
      case 'ldaps':
        return ldapCheck({
          host,
          port,
          tls: service === 'ldaps',
          request: path,
          ...(v.login !== undefined ? { login: v.login } : {}),
          ...(v.passwd !== undefined ? { passwd: v.passwd } : {}),
          ...(rx(receive) ? { receive: rx(receive) as RegExp } : {}),
        });
      case 'mysql':
      case 'pgsql': {
        const o = { host, port, login, passwd: v.passwd ?? '', database: v.database as string, request };
        return service === 'mysql' ? mysqlCheck(o) : pgsqlCheck(o);
      }
      case 'radius':
        return radiusCheck({ host, port, login, passwd: v.passwd ?? '', secret: v.secret ?? '' });
      case 'sip':
        return sipCheck({
          host,
          port,
          login: v.login ?? `ldirectord@${hostname()}`,
          protocol: protocol === 'udp' ? 'udp' : 'tcp',
        });
      case 'simpletcp':
        return simpleTcpCheck({ host, port, request: path, receive: rx(receive) ?? /(?:)/ });
      case 'oracle':
        throw new LvsError('HEALTH_INVALID_CONFIG', 'service "oracle" is not supported'); // refused above
      case 'none':
        return always('ldirectord:none', `none ${formatEndpoint(host, port)}`, true, 'check_none');
    }
  };
  let checker: Checker;
  let timeoutMs: number;
  if (checktype === 'off') return null;
  if (checktype === 'on') {
    checker = always('ldirectord:on', `on ${formatEndpoint(host, port)}`, true, 'checktype on');
    timeoutMs = t.check * 1000;
  } else if (checktype === 'connect') {
    checker = connect();
    timeoutMs = t.check * 1000;
  } else if (checktype === 'ping') {
    checker = pingCheck({ host, count: v.checkcount ?? g.checkcount ?? 1, attemptMs: t.check * 1000 });
    timeoutMs = t.check * 1000 * Math.max(1, v.checkcount ?? g.checkcount ?? 1);
  } else if (checktype === 'external') {
    checker = externalCheck({
      ...(v.checkcommand !== undefined ? { command: v.checkcommand } : {}),
      virtual: v.address,
      virtualPort: v.port,
      realServer: host,
      realPort: r.port,
      timeoutMs: t.check * 1000,
      ...(options.runner !== undefined ? { runner: options.runner } : {}),
    });
    timeoutMs = t.check * 1000;
  } else if (checktype === 'negotiate') {
    checker = negotiate();
    timeoutMs = t.negotiate * 1000;
  } else if (typeof checktype === 'number' && Number.isInteger(checktype) && checktype >= 0) {
    checker = combinedCheck(connect(), negotiate(), checktype);
    timeoutMs = Math.max(t.check, t.negotiate) * 1000;
  } else {
    // external-perl and anything else were refused above.
    throw new LvsError('HEALTH_INVALID_CONFIG', `checktype ${JSON.stringify(checktype)} is not supported`);
  }
  return { checker, policy, timeoutMs };
}
