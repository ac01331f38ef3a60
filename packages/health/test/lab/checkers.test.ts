/**
 * keepalived checkers against real servers started here: Node HTTP and HTTPS (openssl self-signed),
 * smtp-server, dnsmasq, a UDP echo and a closed UDP port, MISC scripts. Expected digests are computed
 * from the bytes the server sends (what genhash would print), independently of the checker.
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createServer as createTcp, type Server as TcpServer } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dnsCheck,
  externalCheck,
  httpGetCheck,
  ldDnsCheck,
  ldHttpCheck,
  ldSmtpCheck,
  miscCheck,
  smtpCheck,
  tcpCheck,
  udpCheck,
} from '../../src/index.js';
import { type Daemon, freePort, missing, selfSigned, startDnsmasq, tempDir } from './fixtures.js';

const HOST = '127.0.0.1';
const BODY = 'hello from the real server\n';
const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');
const signal = (ms = 5000) => AbortSignal.timeout(ms);

function listen(s: Server | TcpServer, port = 0): Promise<number> {
  return new Promise((resolve) => {
    s.listen(port, HOST, () => {
      const a = s.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  if (req.url === '/ok') {
    res.writeHead(200, {
      'content-type': 'text/plain',
      'content-length': Buffer.byteLength(BODY),
      'x-host': req.headers.host ?? '',
    });
    res.end(BODY);
  } else if (req.url === '/host') {
    res.end(`host=${req.headers.host} ua=${req.headers['user-agent']}`);
  } else if (req.url === '/chunked') {
    // Two writes without a length: HTTP/1.1 clients get Transfer-Encoding: chunked.
    res.write('part one ');
    res.end('part two');
  } else if (req.url === '/redirect') {
    res.writeHead(302, { location: '/ok' });
    res.end();
  } else if (req.url === '/hang') {
    // never answer
  } else {
    res.writeHead(404);
    res.end('nope');
  }
};

describe('HTTP_GET / SSL_GET against node:http and node:https', () => {
  const http = createHttp(handler);
  let port = 0;
  let tls: ReturnType<typeof selfSigned> = null;
  const https = { server: null as Server | null, port: 0 };
  beforeAll(async () => {
    port = await listen(http);
    tls = selfSigned('rs.example.test');
    if (tls) {
      https.server = createHttps({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, handler);
      https.port = await listen(https.server);
    }
  });
  afterAll(async () => {
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
    if (https.server) {
      https.server.closeAllConnections();
      await new Promise((r) => https.server?.close(r));
    }
    if (tls) rmSync(tls.dir, { recursive: true, force: true });
  });

  it('passes with the right digest and status, fails with a wrong digest', async () => {
    const ok = await httpGetCheck({ host: HOST, port, urls: [{ path: '/ok', digest: md5(BODY) }] }).check(signal());
    expect(ok).toMatchObject({ ok: true });
    expect(ok.durationMs).toBeGreaterThanOrEqual(0);
    const bad = await httpGetCheck({ host: HOST, port, urls: [{ path: '/ok', digest: md5('other') }] }).check(signal());
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/MD5 digest error/);
  });

  it('status_code default 200-299, explicit codes and ranges', async () => {
    const c = (path: string, statusCode?: (number | [number, number])[]) =>
      httpGetCheck({ host: HOST, port, urls: [{ path, ...(statusCode ? { statusCode } : {}) }] }).check(signal());
    expect((await c('/missing')).ok).toBe(false);
    expect((await c('/missing', [404])).ok).toBe(true);
    expect((await c('/redirect')).ok).toBe(false);
    expect((await c('/redirect', [[300, 399]])).ok).toBe(true);
  });

  it('sends keepalived Host (address:port or virtualhost) and User-Agent; all urls must pass', async () => {
    const r = await httpGetCheck({
      host: HOST,
      port,
      urls: [{ path: '/host', regex: new RegExp(`host=${HOST}:${port} ua=KeepAliveClient`) }],
    }).check(signal());
    expect(r.ok).toBe(true);
    const v = await httpGetCheck({
      host: HOST,
      port,
      virtualhost: 'www.example.test',
      httpProtocol: '1.1',
      urls: [{ path: '/host', regex: /host=www\.example\.test / }],
    }).check(signal());
    expect(v.ok).toBe(true);
    const noMatch = await httpGetCheck({
      host: HOST,
      port,
      urls: [{ path: '/ok', regex: /hello/, regexNoMatch: true }],
    }).check(signal());
    expect(noMatch.ok).toBe(false);
    const two = await httpGetCheck({ host: HOST, port, urls: [{ path: '/ok' }, { path: '/missing' }] }).check(signal());
    expect(two.ok).toBe(false);
  });

  it('a hung server does not return until aborted, then fails', async () => {
    const started = Date.now();
    const r = await httpGetCheck({ host: HOST, port, urls: [{ path: '/hang' }] }).check(signal(300));
    expect(r.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a closed port fails', async () => {
    const closed = await freePort();
    expect((await tcpCheck({ host: HOST, port: closed }).check(signal())).ok).toBe(false);
    expect((await tcpCheck({ host: HOST, port }).check(signal())).ok).toBe(true);
  });

  it('SSL_GET: passes without verification (keepalived default), with SNI and the right CA; bad TLS fails', async (ctx) => {
    if (missing(tls ? null : 'openssl not installed (Debian package openssl)')) return ctx.skip();
    const t = tls as NonNullable<typeof tls>;
    const base = { host: HOST, port: https.port, urls: [{ path: '/ok', digest: md5(BODY) }] };
    expect(await httpGetCheck({ ...base, ssl: {} }).check(signal())).toMatchObject({ ok: true });
    // Verified against its own certificate as CA, with SNI naming the certificate's host.
    const ca = readFileSync(t.cert);
    expect(
      await httpGetCheck({ ...base, ssl: { ca, enableSni: true, sniName: 'rs.example.test' } }).check(signal()),
    ).toMatchObject({ ok: true });
    // Bad TLS 1: a CA that did not sign the server's certificate.
    const other = selfSigned('other.example.test');
    const wrong = await httpGetCheck({
      ...base,
      ssl: { ca: readFileSync((other as NonNullable<typeof other>).cert) },
    }).check(signal());
    if (other) rmSync(other.dir, { recursive: true, force: true });
    expect(wrong.ok).toBe(false);
    // Bad TLS 2: the port speaks plain HTTP, so the handshake fails.
    expect((await httpGetCheck({ host: HOST, port, urls: [{ path: '/ok' }], ssl: {} }).check(signal())).ok).toBe(false);
  });

  it('ldirectord http/https: 2xx and receive regex', async (ctx) => {
    expect((await ldHttpCheck({ host: HOST, port, request: 'ok', receive: /real server/ }).check(signal())).ok).toBe(
      true,
    );
    expect((await ldHttpCheck({ host: HOST, port, request: '/ok', receive: /absent/ }).check(signal())).ok).toBe(false);
    expect((await ldHttpCheck({ host: HOST, port, request: '/missing' }).check(signal())).ok).toBe(false);
    // LWP follows the 302 /redirect → /ok and judges the final response.
    expect(
      await ldHttpCheck({ host: HOST, port, request: '/redirect', receive: /real server/ }).check(signal()),
    ).toMatchObject({
      ok: true,
      message: 'status 200 after 1 redirects',
    });
    // node:http answers an HTTP/1.1 request with two writes in chunks: receive sees the de-chunked body.
    expect(
      (await ldHttpCheck({ host: HOST, port, request: '/chunked', receive: /^part one part two$/ }).check(signal())).ok,
    ).toBe(true);
    if (missing(tls ? null : 'openssl not installed (Debian package openssl)')) return ctx.skip();
    expect((await ldHttpCheck({ host: HOST, port: https.port, request: '/ok', https: true }).check(signal())).ok).toBe(
      true,
    );
  });
});

describe('SMTP_CHECK against smtp-server', () => {
  let port = 0;
  let refusing = 0;
  const good = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
  });
  const bad = new SMTPServer({
    onConnect(_s, cb) {
      const err = new Error('go away') as Error & { responseCode: number };
      err.responseCode = 554;
      cb(err);
    },
  });
  beforeAll(async () => {
    port = await new Promise((r) => good.listen(0, HOST, () => r((good.server.address() as { port: number }).port)));
    refusing = await new Promise((r) => bad.listen(0, HOST, () => r((bad.server.address() as { port: number }).port)));
  });
  afterAll(async () => {
    await new Promise((r) => good.close(() => r(null)));
    await new Promise((r) => bad.close(() => r(null)));
  });

  it('220 → HELO → 250 → QUIT passes; a 554 greeting fails', async () => {
    expect(await smtpCheck({ host: HOST, port }).check(signal())).toMatchObject({ ok: true });
    const r = await smtpCheck({ host: HOST, port: refusing }).check(signal());
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/554/);
    expect((await ldSmtpCheck({ host: HOST, port }).check(signal())).ok).toBe(true);
    expect((await ldSmtpCheck({ host: HOST, port: refusing }).check(signal())).ok).toBe(false);
  });
});

describe('DNS_CHECK against dnsmasq', () => {
  let dns: Daemon | string = 'not started';
  beforeAll(async () => {
    dns = await startDnsmasq();
  });
  afterAll(async () => {
    if (typeof dns !== 'string') await dns.stop();
  });

  it('A for a served name passes (rcode 0); a refused query fails with its rcode', async (ctx) => {
    if (missing(typeof dns === 'string' ? dns : null)) return ctx.skip();
    const d = dns as Daemon;
    expect(
      await dnsCheck({ host: HOST, port: d.port, type: 'A', name: 'www.example.test' }).check(signal()),
    ).toMatchObject({ ok: true });
    // With no upstream, dnsmasq answers REFUSED (5) for the root SOA — keepalived's default query.
    const root = await dnsCheck({ host: HOST, port: d.port }).check(signal());
    expect(root.ok).toBe(false);
    expect(root.message).toMatch(/rcode = 5/);
    expect(
      (
        await ldDnsCheck({ host: HOST, port: d.port, request: 'www.example.test', receive: /192\.0\.2\.7/ }).check(
          signal(),
        )
      ).ok,
    ).toBe(true);
    expect(
      (
        await ldDnsCheck({ host: HOST, port: d.port, request: 'www.example.test', receive: /10\.9\.9\.9/ }).check(
          signal(),
        )
      ).ok,
    ).toBe(false);
  });

  it('no answer at all is a timeout failure', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, HOST, () => r()));
    const r = await dnsCheck({ host: HOST, port: silent.address().port }).check(signal(300));
    silent.close();
    expect(r.ok).toBe(false);
  });
});

describe('UDP_CHECK', () => {
  let echo: UdpSocket;
  let port = 0;
  beforeAll(async () => {
    echo = createSocket('udp4');
    echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('OK:'), m]), r.port, r.address));
    await new Promise<void>((r) => echo.bind(0, HOST, () => r()));
    port = echo.address().port;
  });
  afterAll(() => echo.close());

  it('reply required and matching passes; mismatch, length limits and ICMP unreachable fail', async () => {
    const payload = Buffer.from('ping');
    expect(
      await udpCheck({ host: HOST, port, payload, requireReply: Buffer.from('OK:') }).check(signal()),
    ).toMatchObject({ ok: true });
    expect((await udpCheck({ host: HOST, port, payload, requireReply: Buffer.from('NO') }).check(signal())).ok).toBe(
      false,
    );
    expect(
      (await udpCheck({ host: HOST, port, payload, requireReply: true, maxReplyLength: 3 }).check(signal())).ok,
    ).toBe(false);
    const closed = await freePort();
    const r = await udpCheck({ host: HOST, port: closed, payload, waitMs: 500 }).check(signal());
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/ECONNREFUSED/);
    // Silence without require_reply counts as success (layer4.c udp_socket_state).
    const sink = createSocket('udp4');
    await new Promise<void>((res) => sink.bind(0, HOST, () => res()));
    expect((await udpCheck({ host: HOST, port: sink.address().port, waitMs: 200 }).check(signal())).ok).toBe(true);
    sink.close();
  });
});

describe('MISC_CHECK and ldirectord external', () => {
  const dir = tempDir('misc');
  chmodSync(dir, 0o755); // the `user` test runs a script from here as nobody
  const script = (name: string, body: string) => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return p;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exit 0 up, 1 down; misc_dynamic maps 2..255 to weight status−2', async () => {
    expect(await miscCheck({ path: script('ok', 'exit 0') }).check(signal())).toMatchObject({ ok: true });
    expect((await miscCheck({ path: script('fail', 'exit 1') }).check(signal())).ok).toBe(false);
    expect((await miscCheck({ path: script('ten', 'exit 10') }).check(signal())).ok).toBe(false);
    const dyn = await miscCheck({ path: script('ten2', 'exit 10'), dynamic: true }).check(signal());
    expect(dyn).toMatchObject({ ok: true, weight: 8 });
    expect((await miscCheck({ path: script('one', 'exit 1'), dynamic: true }).check(signal())).ok).toBe(false);
  });

  it('user runs the script as that user (root only)', async (ctx) => {
    if (missing(process.getuid?.() === 0 ? null : 'MISC_CHECK user needs root')) return ctx.skip();
    const who = script('who', 'test "$(/usr/bin/id -un)" = nobody');
    expect(await miscCheck({ path: who, user: 'nobody' }).check(signal())).toMatchObject({ ok: true });
    expect((await miscCheck({ path: who }).check(signal())).ok).toBe(false);
  });

  it('a script that hangs is killed at misc_timeout', async () => {
    const started = Date.now();
    const r = await miscCheck({ path: script('hang', 'exec sleep 30'), timeoutMs: 300 }).check(signal());
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  // keepalived ends the script's whole process group at the timeout (check_misc.c: kill(-pid, SIGTERM), then
  // SIGKILL): a background child the script started dies with it, and cannot hold the check open.
  it('a script that hangs is killed with its children (process group) at misc_timeout', async () => {
    const pidFile = join(dir, 'misc-bg.pid');
    const started = Date.now();
    const path = script('hang-bg', `sleep 30 & echo $! > ${pidFile}; exec sleep 30`);
    const r = await miscCheck({ path, timeoutMs: 300 }).check(signal());
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(5000);
    const bg = Number(readFileSync(pidFile, 'utf8').trim());
    await new Promise((res) => setTimeout(res, 200));
    let state = 'gone';
    try {
      state = readFileSync(`/proc/${bg}/stat`, 'utf8').replace(/^\d+ \(.*\) /, '')[0] ?? 'gone';
    } catch {
      // gone
    }
    expect(['gone', 'Z', 'X']).toContain(state);
  });

  it('misc_path is split into argv as keepalived does: quoted words, no shell', async () => {
    const out = join(dir, 'misc-args');
    const cmd = script('args', `printf '%s|' "$@" > ${out}`);
    expect((await miscCheck({ path: `${cmd} "two words" 'x y' '$HOME' '&&'` }).check(signal())).ok).toBe(true);
    expect(readFileSync(out, 'utf8')).toBe('two words|x y|$HOME|&&|');
  });

  it('external gets vip vport rip rport and exit 0 means up', async () => {
    const out = join(dir, 'args');
    const cmd = script('ext', `echo "$@" > ${out}; test "$3" = 10.0.0.5`);
    const ok = await externalCheck({
      command: cmd,
      virtual: '10.0.0.100',
      virtualPort: 80,
      realServer: '10.0.0.5',
      realPort: 8080,
    }).check(signal());
    expect(ok.ok).toBe(true);
    expect(readFileSync(out, 'utf8').trim()).toBe('10.0.0.100 80 10.0.0.5 8080');
    const no = await externalCheck({
      command: cmd,
      virtual: '1',
      virtualPort: 0,
      realServer: '10.0.0.6',
      realPort: 80,
    }).check(signal());
    expect(no.ok).toBe(false);
  });
});

describe('TCP_CHECK', () => {
  it('connect success and refusal', async () => {
    const srv = createTcp((s) => s.destroy());
    const port = await listen(srv);
    expect((await tcpCheck({ host: HOST, port }).check(signal())).ok).toBe(true);
    await new Promise((r) => srv.close(r));
    expect((await tcpCheck({ host: HOST, port }).check(signal())).ok).toBe(false);
  });
});
