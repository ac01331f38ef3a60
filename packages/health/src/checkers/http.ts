/**
 * keepalived HTTP_GET / SSL_GET and ldirectord's http/https negotiate checks, over our own small HTTP/1.x
 * client so the request bytes and the digest match keepalived exactly: the MD5 is over the raw body bytes
 * after the header block (no de-chunking), cut at Content-Length when present — what `genhash` prints.
 * Protocol only; no retries or timers.
 * @see keepalived/check/check_http.c `http_request_thread`, `http_process_response`, `http_handle_response`
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { describe, formatEndpoint, LvsError } from '@lvskit/base';
import {
  abortSignal,
  anyString,
  arrayOf,
  bool,
  bytes,
  checkArgs,
  checkOptions,
  checkRecord,
  each,
  either,
  int,
  ip,
  oneOf,
  optional,
  pem,
  port,
  port0,
  type Rule,
  regexp,
  required,
  rule,
  type Shape,
  text,
} from '../options.js';
import type { Checker, CheckResult } from '../types.js';
import { type CheckVerdict, guarded } from './common.js';
import { type DialOptions, dial } from './socket.js';

const statusCode: Rule = (v, path, issues, key) => {
  const code = (x: unknown) => Number.isInteger(x) && (x as number) >= 100 && (x as number) <= 599;
  arrayOf(
    either(
      rule(code, 'a status code'),
      rule((x) => Array.isArray(x) && x.length === 2 && code(x[0]) && code(x[1]) && x[0] <= x[1], 'a range'),
      'a status code 100..599 or a range [from, to]',
    ),
    'an array of status codes and ranges',
  )(v, path, issues, key);
};

const HTTP_URL: Shape = {
  path: required(anyString),
  digest: rule((v) => typeof v === 'string' && /^[0-9a-fA-F]{32}$/.test(v), 'an MD5 digest (32 hex digits)'),
  statusCode,
  virtualhost: text,
  regex: regexp,
  regexNoMatch: bool,
};

const HTTP_GET_OPTIONS: Shape = {
  host: required(text),
  port: required(port),
  urls: required((v, path, issues, key) => {
    if (!Array.isArray(v)) return arrayOf(text, 'an array of url blocks')(v, path, issues, key);
    each(v, (u, i) => {
      checkRecord(u, HTTP_URL, [...path, i], issues, 'a url');
    });
  }),
  httpProtocol: oneOf(['1.0', '1.0C', '1.1']),
  virtualhost: text,
  ssl: (v, path, issues) =>
    void checkRecord(
      v,
      { enableSni: bool, sniName: text, verify: bool, ca: pem, cert: pem, key: pem },
      path,
      issues,
      'ssl options',
    ),
  bindTo: ip,
  bindPort: port0,
  key: text,
};

/** A status-code set: single codes and inclusive ranges, e.g. `[200, [300, 399]]`. */
export type StatusCodes = readonly (number | readonly [number, number])[];

/** One `url { … }` block. */
export interface HttpUrl {
  /** `path` (required; keepalived ignores a url without one). */
  readonly path: string;
  /** `digest`: MD5 hex of the body as genhash computes it. */
  readonly digest?: string;
  /** `status_code` (default 200-299). */
  readonly statusCode?: StatusCodes;
  /** `virtualhost` for this url. */
  readonly virtualhost?: string;
  /** `regex` on the body. */
  readonly regex?: RegExp;
  /** `regex_no_match`: up when the regex does NOT match. */
  readonly regexNoMatch?: boolean;
}

/** HTTP_GET / SSL_GET options. */
export interface HttpGetOptions {
  readonly host: string;
  readonly port: number;
  readonly urls: readonly HttpUrl[];
  /** `http_protocol`: 1.0 (default), 1.0C (1.0 + Connection: close), 1.1 (+ Connection: close). */
  readonly httpProtocol?: '1.0' | '1.0C' | '1.1';
  /** Checker-level `virtualhost` (else RS/VS virtualhost, passed here by the caller). */
  readonly virtualhost?: string;
  /** SSL_GET: TLS options. `enableSni` sends `sniName` or the virtualhost. Verification off unless `ca`/`verify`. */
  readonly ssl?: {
    readonly enableSni?: boolean;
    readonly sniName?: string;
    readonly verify?: boolean;
    readonly ca?: string | Buffer;
    readonly cert?: string | Buffer;
    readonly key?: string | Buffer;
  };
  readonly bindTo?: string;
  readonly bindPort?: number;
  readonly key?: string;
}

/** A parsed response: status, headers (lower-case names), raw body and its keepalived digest. */
export interface RawHttpResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  readonly md5: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

function malformed(message: string): never {
  throw new LvsError('HEALTH_MALFORMED_REPLY', message);
}

/**
 * Parse raw response bytes (keepalived `extract_status_code` / `extract_content_length`).
 * @throws LvsError `HEALTH_MALFORMED_REPLY` when the header block is incomplete or the status line malformed;
 *   `INVALID_ARGUMENT` when `raw` is not bytes
 */
export function parseHttpResponse(raw: Buffer): RawHttpResponse {
  if (!(raw instanceof Uint8Array)) {
    throw new LvsError(
      'INVALID_ARGUMENT',
      `parseHttpResponse needs the response bytes (a Buffer), got ${describe(raw)}`,
    );
  }
  if (!Buffer.isBuffer(raw)) {
    const u = raw as Uint8Array;
    raw = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  }
  const end = raw.indexOf(HEADER_END);
  if (end < 0) malformed('incomplete HTTP response header (no blank line after the headers)');
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/\d\.\d\s+(\d{3})/.exec(head[0] ?? '');
  if (!m) malformed(`malformed HTTP status line: ${JSON.stringify((head[0] ?? '').slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  let body = raw.subarray(end + HEADER_END.length);
  const cl = headers.get('content-length');
  if (cl !== undefined && /^\d+$/.test(cl)) {
    const n = Number(cl);
    if (n < body.length) body = body.subarray(0, n);
  }
  return { status: Number(m[1]), headers, body, md5: createHash('md5').update(body).digest('hex') };
}

/** True when `code` is in `set` (default 200-299, keepalived check_http.c). */
export function statusMatches(code: number, set: StatusCodes | undefined): boolean {
  checkArgs('statusMatches', [
    ['code', int(0, 999), code],
    ['set', optional(statusCode), set],
  ]);
  if (!set || set.length === 0) return code >= 200 && code <= 299;
  return set.some((s) => (typeof s === 'number' ? s === code : code >= s[0] && code <= s[1]));
}

/** Send raw request bytes and read the whole response (the server closes; Content-Length ends it early). */
export async function httpExchange(d: DialOptions, request: string, signal: AbortSignal): Promise<RawHttpResponse> {
  const sock: Socket = await dial(d, signal);
  try {
    sock.write(request, 'latin1');
    const raw = await readUntilComplete(sock, signal);
    return parseHttpResponse(raw);
  } finally {
    sock.destroy();
  }
}

// Read to EOF, but stop early once Content-Length bytes of body are in (keep-alive servers).
async function readUntilComplete(sock: Socket, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  let need = -1;
  const check = () => {
    if (need >= 0) return total >= need;
    const all = Buffer.concat(chunks, total);
    const end = all.indexOf(HEADER_END);
    if (end < 0) return false;
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(all.subarray(0, end).toString('latin1'));
    if (!m) {
      need = Number.POSITIVE_INFINITY;
      return false;
    }
    need = end + 4 + Number(m[1]);
    return total >= need;
  };
  await new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      chunks.push(b);
      total += b.length;
      if (check()) finish();
    };
    const finish = (err?: Error) => {
      sock.removeListener('data', onData);
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => {
      sock.destroy();
      finish(new Error(String(signal.reason ?? 'aborted')));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('data', onData);
    sock.once('end', () => finish());
    sock.once('close', () => finish());
    sock.once('error', (e) => finish(e));
  });
  return Buffer.concat(chunks, total);
}

/**
 * The request keepalived sends:
 * `GET <path> HTTP/1.<0|1>\r\nUser-Agent: KeepAliveClient\r\n[Connection: close\r\n]Host: <host>[:port]\r\n\r\n`
 * — Host is the virtualhost when set, else the address with `:port` (IPv6 in brackets, RFC 2732).
 */
export function keepalivedRequest(
  path: string,
  protocol: '1.0' | '1.0C' | '1.1',
  host: string,
  port: number,
  vhost: string | undefined,
): string {
  checkArgs('keepalivedRequest', [
    ['path', anyString, path],
    ['protocol', oneOf(['1.0', '1.0C', '1.1']), protocol],
    ['host', text, host],
    ['port', port0, port],
    ['vhost', optional(text), vhost],
  ]);
  const minor = protocol === '1.1' ? 1 : 0;
  const close = protocol === '1.0' ? '' : 'Connection: close\r\n';
  const h = vhost ?? formatEndpoint(host, port);
  return `GET ${path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${h}\r\n\r\n`;
}

function dialOptions(o: HttpGetOptions, vhost: string | undefined): DialOptions {
  const s = o.ssl;
  const servername = s?.enableSni ? (s.sniName ?? vhost) : undefined;
  return {
    host: o.host,
    port: o.port,
    ...(o.bindTo !== undefined ? { bindTo: o.bindTo } : {}),
    ...(o.bindPort !== undefined ? { bindPort: o.bindPort } : {}),
    ...(s
      ? {
          tls: {
            ...(servername !== undefined ? { servername } : {}),
            verify: s.verify ?? s.ca !== undefined,
            ...(s.ca !== undefined ? { ca: s.ca } : {}),
            ...(s.cert !== undefined ? { cert: s.cert } : {}),
            ...(s.key !== undefined ? { key: s.key } : {}),
          },
        }
      : {}),
  };
}

/** Check one url; exported for genhash-like tools. */
export async function checkUrl(o: HttpGetOptions, url: HttpUrl, signal: AbortSignal): Promise<CheckVerdict> {
  checkOptions(o, HTTP_GET_OPTIONS, 'checkUrl options');
  checkOptions(url, HTTP_URL, 'checkUrl url');
  checkArgs('checkUrl', [['signal', abortSignal, signal]]);
  const vhost = url.virtualhost ?? o.virtualhost;
  const req = keepalivedRequest(url.path, o.httpProtocol ?? '1.0', o.host, o.port, vhost);
  const res = await httpExchange(dialOptions(o, vhost), req, signal);
  if (!statusMatches(res.status, url.statusCode)) {
    return {
      ok: false,
      message: `HTTP status code error to ${formatEndpoint(o.host, o.port)} url(${url.path}), status_code [${res.status}]`,
    };
  }
  if (url.digest !== undefined && res.md5 !== url.digest.toLowerCase()) {
    return {
      ok: false,
      message: `MD5 digest error to ${formatEndpoint(o.host, o.port)} url(${url.path}), expected ${url.digest}, got ${res.md5}`,
    };
  }
  if (url.regex) {
    const matched = url.regex.test(res.body.toString('latin1'));
    if (matched === (url.regexNoMatch ?? false)) {
      return { ok: false, message: `regex ${url.regexNoMatch ? 'matched' : 'did not match'} on url(${url.path})` };
    }
  }
  return { ok: true, message: `HTTP status ${res.status} url(${url.path})` };
}

/**
 * Build an HTTP_GET (or SSL_GET when `ssl` is set). All urls are fetched in one run and all must pass
 * (keepalived fetches one url per delay_loop and declares the checker up after the last one).
 */
export function httpGetCheck(o: HttpGetOptions): Checker {
  checkOptions(o, HTTP_GET_OPTIONS, 'httpGetCheck options');
  const kind = o.ssl ? 'SSL_GET' : 'HTTP_GET';
  const urls = o.urls.filter((u) => u.path !== '');
  return {
    kind,
    key: o.key ?? `${kind} ${formatEndpoint(o.host, o.port)} ${urls.map((u) => u.path).join(',')}`,
    check(signal): Promise<CheckResult> {
      return guarded(signal, async () => {
        // check_http.c http_connect_thread: "if there are no URLs in list, enable server w/o checking".
        if (urls.length === 0) return { ok: true, message: 'no url configured: up without checking' };
        let last: CheckVerdict = { ok: true, message: '' };
        for (const u of urls) {
          last = await checkUrl(o, u, signal);
          if (!last.ok) return last;
        }
        return last;
      });
    },
  };
}

/** ldirectord http / https negotiate options. */
export interface LdHttpOptions {
  readonly host: string;
  readonly port: number;
  /** `request` (a leading `/` is added by the config reader). */
  readonly request: string;
  /** `receive`: a regex the body must match (empty ⇒ any 2xx). */
  readonly receive?: RegExp;
  /** `httpmethod` GET (default) or HEAD. */
  readonly method?: 'GET' | 'HEAD';
  /** `virtualhost` (default: the real server address). */
  readonly virtualhost?: string;
  /** https: TLS without hostname verification (LWP `verify_hostname => 0`). */
  readonly https?: boolean;
  readonly key?: string;
}

/** Decode a chunked body (RFC 9112 §7.1); returns the input when it is not valid chunked framing. */
export function dechunk(body: Buffer): Buffer {
  checkArgs('dechunk', [['body', bytes, body]]);
  if (!Buffer.isBuffer(body)) {
    const u = body as Uint8Array;
    body = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  }
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) return body;
    const size = Number.parseInt(body.toString('latin1', at, eol).split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size < 0) return body;
    if (size === 0) return Buffer.concat(parts);
    const start = eol + 2;
    if (start + size > body.length) return body;
    parts.push(body.subarray(start, start + size));
    at = start + size + 2;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * ldirectord `check_http` (LWP::UserAgent): up when the final response is 2xx (`is_success`) and the
 * (de-chunked) body matches `receive`; redirects are followed up to 7 times for GET and HEAD (LWP's
 * `max_redirect`), the first request carrying `Host: <virtualhost or real address>`.
 */
export function ldHttpCheck(o: LdHttpOptions): Checker {
  checkOptions(
    o,
    {
      host: required(text),
      port: required(port),
      request: required(anyString),
      receive: regexp,
      method: oneOf(['GET', 'HEAD']),
      virtualhost: text,
      https: bool,
      key: text,
    },
    'ldHttpCheck options',
  );
  const kind = o.https ? 'ldirectord:https' : 'ldirectord:http';
  const path = o.request.startsWith('/') ? o.request : `/${o.request}`;
  const method = o.method ?? 'GET';
  return {
    kind,
    key: o.key ?? `${kind} ${formatEndpoint(o.host, o.port)}${path}`,
    check(signal) {
      return guarded(signal, async () => {
        let https = o.https ?? false;
        let connectHost = o.host;
        let port = o.port;
        let target = path;
        let hostHeader = o.virtualhost ?? (o.host.includes(':') ? `[${o.host}]` : o.host);
        for (let hop = 0; ; hop++) {
          const req = `${method} ${target} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: ldirectord\r\nConnection: close\r\n\r\n`;
          const servername = hop === 0 ? o.virtualhost : /^[\d.]+$|:/.test(connectHost) ? undefined : connectHost;
          const d: DialOptions = {
            host: connectHost,
            port,
            ...(https ? { tls: { verify: false, ...(servername ? { servername } : {}) } } : {}),
          };
          const res = await httpExchange(d, req, signal);
          const location = res.headers.get('location');
          if (REDIRECTS.has(res.status) && location && hop < 7) {
            const base = `${https ? 'https' : 'http'}://${formatEndpoint(connectHost, port)}${target}`;
            const next = new URL(location, base);
            https = next.protocol === 'https:';
            connectHost = next.hostname.replace(/^\[|\]$/g, '');
            port = next.port ? Number(next.port) : https ? 443 : 80;
            target = `${next.pathname}${next.search}`;
            hostHeader = next.host;
            continue;
          }
          if (res.status < 200 || res.status > 299) return { ok: false, message: `status ${res.status}` };
          const body = /chunked/i.test(res.headers.get('transfer-encoding') ?? '') ? dechunk(res.body) : res.body;
          if (o.receive && !o.receive.test(body.toString('latin1'))) {
            return { ok: false, message: `receive ${o.receive} did not match` };
          }
          return { ok: true, message: `status ${res.status}${hop > 0 ? ` after ${hop} redirects` : ''}` };
        }
      });
    },
  };
}
