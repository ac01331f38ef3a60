/**
 * ldirectord's check selection as data → checkers: `checktype` (connect, negotiate, N = combined, ping,
 * external, on, off), `service` (with its default by port), `checkport`, the request/receive pair, and the
 * timeout fallbacks between `checktimeout` and `negotiatetimeout`. It builds checkers and a policy; it runs
 * nothing itself. Where ldirectord's POD and code disagree we follow the code (see README).
 * @see ldirectord.in `_check_real`, `ld_checkport`, `ld_setup` (timeouts), `ld_port_to_service`
 */

import { hostname } from 'node:os';
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
import { invalidConfig } from './errors.js';
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
  return PORT_SERVICE[port] ?? 'none';
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

function rx(s: string | undefined): RegExp | undefined {
  return s === undefined || s === '' ? undefined : new RegExp(s);
}

/**
 * The checker and policy ldirectord would use for one real server of one virtual service, or null for
 * `checktype = off` (no checks: the real is never added).
 */
export function ldirectordChecker(
  v: LdirectordVirtual,
  r: LdirectordReal,
  g: LdirectordGlobals = {},
): CheckerSpec | null {
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
        if (v.database === undefined) invalidConfig(['database'], `service ${service} needs database =`);
        const o = { host, port, login, passwd: v.passwd ?? '', database: v.database, request };
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
        return invalidConfig(['service'], 'service oracle is not supported (no Oracle driver); use checktype external');
      case 'none':
        return always('ldirectord:none', `none ${host}:${port}`, true, 'check_none');
    }
  };
  let checker: Checker;
  let timeoutMs: number;
  if (checktype === 'off') return null;
  if (checktype === 'on') {
    checker = always('ldirectord:on', `on ${host}:${port}`, true, 'checktype on');
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
    });
    timeoutMs = t.check * 1000;
  } else if (checktype === 'external-perl') {
    return invalidConfig(['checktype'], 'checktype external-perl evaluates Perl in-process; use external');
  } else if (checktype === 'negotiate') {
    checker = negotiate();
    timeoutMs = t.negotiate * 1000;
  } else if (typeof checktype === 'number' && Number.isInteger(checktype) && checktype >= 0) {
    checker = combinedCheck(connect(), negotiate(), checktype);
    timeoutMs = Math.max(t.check, t.negotiate) * 1000;
  } else {
    return invalidConfig(
      ['checktype'],
      `checktype ${String(checktype)} is not one of connect, negotiate, ping, off, on, external, N`,
    );
  }
  return { checker, policy, timeoutMs };
}
