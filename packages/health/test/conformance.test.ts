/**
 * One conformance suite for every socket checker (STYLE rule 9): against a closed port, a server that
 * accepts and never speaks, and a server that sends garbage and hangs up, each checker must resolve (never
 * reject or throw) with `ok: false`, a message, a non-negative duration, and must honour its AbortSignal.
 * Unprivileged: plain sockets on 127.0.0.1 (PING needs raw sockets and is covered in test/lab).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Checker,
  dnsCheck,
  ftpCheck,
  httpGetCheck,
  imapCheck,
  ldapCheck,
  ldDnsCheck,
  ldHttpCheck,
  ldSmtpCheck,
  mysqlCheck,
  nntpCheck,
  pgsqlCheck,
  popCheck,
  radiusCheck,
  simpleTcpCheck,
  sipCheck,
  smtpCheck,
  tcpCheck,
  udpCheck,
} from '../src/index.js';

const HOST = '127.0.0.1';
type Make = (port: number) => Checker;

const tcpCheckers: [string, Make][] = [
  ['HTTP_GET', (port) => httpGetCheck({ host: HOST, port, urls: [{ path: '/' }] })],
  ['SSL_GET', (port) => httpGetCheck({ host: HOST, port, urls: [{ path: '/' }], ssl: {} })],
  ['SMTP_CHECK', (port) => smtpCheck({ host: HOST, port })],
  ['ldirectord http', (port) => ldHttpCheck({ host: HOST, port, request: '/' })],
  ['ldirectord smtp', (port) => ldSmtpCheck({ host: HOST, port })],
  ['ldirectord ftp', (port) => ftpCheck({ host: HOST, port, request: 'x', receive: /x/ })],
  ['ldirectord pop', (port) => popCheck({ host: HOST, port })],
  ['ldirectord imap', (port) => imapCheck({ host: HOST, port })],
  ['ldirectord nntp', (port) => nntpCheck({ host: HOST, port })],
  ['ldirectord simpletcp', (port) => simpleTcpCheck({ host: HOST, port, request: '/x', receive: /never/ })],
  ['ldirectord ldap', (port) => ldapCheck({ host: HOST, port, request: '/dc=x' })],
  ['ldirectord sip/tcp', (port) => sipCheck({ host: HOST, port, login: 'a@b', protocol: 'tcp' })],
  ['ldirectord mysql', (port) => mysqlCheck({ host: HOST, port, login: 'u', database: 'd', request: 'SELECT 1' })],
  ['ldirectord pgsql', (port) => pgsqlCheck({ host: HOST, port, login: 'u', database: 'd', request: 'SELECT 1' })],
];

const udpCheckers: [string, Make][] = [
  ['DNS_CHECK', (port) => dnsCheck({ host: HOST, port })],
  ['UDP_CHECK require_reply', (port) => udpCheck({ host: HOST, port, requireReply: Buffer.from('OK'), waitMs: 5000 })],
  ['ldirectord dns', (port) => ldDnsCheck({ host: HOST, port, request: 'x', receive: /x/ })],
  ['ldirectord radius', (port) => radiusCheck({ host: HOST, port, login: 'u', passwd: 'p', secret: 's' })],
  ['ldirectord sip/udp', (port) => sipCheck({ host: HOST, port, login: 'a@b' })],
];

function listen(s: Server): Promise<number> {
  return new Promise((r) => s.listen(0, HOST, () => r((s.address() as { port: number }).port)));
}

async function expectFailure(c: Checker, signal: AbortSignal, maxMs: number): Promise<void> {
  const started = Date.now();
  const r = await c.check(signal);
  expect(r.ok).toBe(false);
  expect(typeof r.message).toBe('string');
  expect(r.message.length).toBeGreaterThan(0);
  expect(r.durationMs).toBeGreaterThanOrEqual(0);
  expect(Date.now() - started).toBeLessThan(maxMs);
}

describe('checker conformance', () => {
  const held: Socket[] = [];
  const blackhole = createServer((s) => {
    held.push(s);
  });
  const garbage = createServer((s) => {
    held.push(s);
    s.on('error', () => {});
    s.end('\u0000\u00ff garbage \r\n\r\n not a protocol\r\n');
  });
  let closedPort = 0;
  let holePort = 0;
  let garbagePort = 0;
  let udpSilent: UdpSocket;
  let udpGarbage: UdpSocket;
  beforeAll(async () => {
    holePort = await listen(blackhole);
    garbagePort = await listen(garbage);
    const tmp = createServer();
    closedPort = await listen(tmp);
    await new Promise((r) => tmp.close(r));
    udpSilent = createSocket('udp4');
    await new Promise<void>((r) => udpSilent.bind(0, HOST, () => r()));
    udpGarbage = createSocket('udp4');
    udpGarbage.on('message', (_m, rinfo) =>
      udpGarbage.send(Buffer.from([0xff, 0x00, 0x13]), rinfo.port, rinfo.address),
    );
    await new Promise<void>((r) => udpGarbage.bind(0, HOST, () => r()));
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => blackhole.close(r));
    await new Promise((r) => garbage.close(r));
    udpSilent.close();
    udpGarbage.close();
  });

  describe.each(tcpCheckers)('%s', (_name, make) => {
    it('fails on a closed port', async () => {
      await expectFailure(make(closedPort), AbortSignal.timeout(5000), 5000);
    });
    it('honours the abort when the server never speaks', async () => {
      await expectFailure(make(holePort), AbortSignal.timeout(300), 3000);
    });
    it('fails on garbage without throwing', async () => {
      await expectFailure(make(garbagePort), AbortSignal.timeout(2000), 4000);
    });
    it('returns at once when already aborted', async () => {
      const ac = new AbortController();
      ac.abort(new Error('stop'));
      await expectFailure(make(holePort), ac.signal, 1000);
    });
  });

  describe.each(udpCheckers)('%s', (_name, make) => {
    it('honours the abort when nobody answers', async () => {
      await expectFailure(make(udpSilent.address().port), AbortSignal.timeout(300), 3000);
    });
    it('fails on a garbage datagram (or waits for the abort) without throwing', async () => {
      await expectFailure(make(udpGarbage.address().port), AbortSignal.timeout(500), 3000);
    });
  });

  it('HTTP_GET with no url is up without connecting (check_http.c http_connect_thread)', async () => {
    const r = await httpGetCheck({ host: HOST, port: closedPort, urls: [{ path: '' }] }).check(
      AbortSignal.timeout(1000),
    );
    expect(r.ok).toBe(true);
  });

  it('TCP_CHECK: closed port fails, listener passes', async () => {
    await expectFailure(tcpCheck({ host: HOST, port: closedPort }), AbortSignal.timeout(2000), 2000);
    expect((await tcpCheck({ host: HOST, port: holePort }).check(AbortSignal.timeout(2000))).ok).toBe(true);
  });
});
