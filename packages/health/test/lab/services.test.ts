/**
 * ldirectord negotiate services against real daemons started here: vsftpd (ftp), Dovecot (pop, pops,
 * imap, imaps), slapd (ldap), FreeRADIUS (radius); nntp, simpletcp and sip against small node:net /
 * node:dgram servers speaking the protocol (no Debian daemon is light enough to start per test run).
 * The checkers are built through `ldirectordChecker`, as a config importer would.
 */
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LdirectordVirtual, ldirectordChecker } from '../../src/index.js';
import { type Daemon, missing, startDovecot, startFreeradius, startSlapd, startVsftpd } from './fixtures.js';

const HOST = '127.0.0.1';
const signal = (ms = 8000) => AbortSignal.timeout(ms);
const run = async (v: LdirectordVirtual, port: number, real: { request?: string; receive?: string } = {}) => {
  const spec = ldirectordChecker(v, { address: HOST, port, ...real });
  if (!spec) throw new Error('no checker');
  return spec.checker.check(signal(spec.timeoutMs));
};

describe('ldirectord ftp against vsftpd', () => {
  let d: Daemon | string = 'not started';
  beforeAll(async () => {
    d = await startVsftpd({ 'health.txt': 'ftp body OK\n' });
  }, 60_000);
  afterAll(async () => {
    if (typeof d !== 'string') await d.stop();
  });
  it('anonymous RETR of request; content must match receive', async (ctx) => {
    if (missing(typeof d === 'string' ? d : null)) return ctx.skip();
    const port = (d as Daemon).port;
    const v: LdirectordVirtual = { address: '10.0.0.100', port: 21, request: 'health.txt', receive: 'body OK' };
    expect(await run(v, port)).toMatchObject({ ok: true });
    expect((await run({ ...v, receive: 'nothing like this' }, port)).ok).toBe(false);
    expect((await run({ ...v, request: 'absent.txt', receive: '' }, port)).ok).toBe(false);
  });
});

describe('ldirectord pop/pops/imap/imaps against Dovecot', () => {
  let d: Awaited<ReturnType<typeof startDovecot>> = 'not started';
  beforeAll(async () => {
    d = await startDovecot();
  }, 60_000);
  afterAll(async () => {
    if (typeof d !== 'string') await d.stop();
  });
  it('greeting only, then with login; a wrong password is down', async (ctx) => {
    if (missing(typeof d === 'string' ? d : null)) return ctx.skip();
    const p = (d as Exclude<typeof d, string>).ports;
    for (const [service, port] of [
      ['pop', p.pop3],
      ['pops', p.pop3s],
      ['imap', p.imap],
      ['imaps', p.imaps],
    ] as const) {
      const v: LdirectordVirtual = { address: '10.0.0.100', port: 1, service };
      expect(await run(v, port), service).toMatchObject({ ok: true });
      expect(await run({ ...v, login: 'alice', passwd: 'secret' }, port), service).toMatchObject({ ok: true });
      expect((await run({ ...v, login: 'alice', passwd: 'wrong' }, port)).ok, service).toBe(false);
    }
  });
});

describe('ldirectord ldap against slapd', () => {
  let d: Daemon | string = 'not started';
  beforeAll(async () => {
    d = await startSlapd();
  }, 60_000);
  afterAll(async () => {
    if (typeof d !== 'string') await d.stop();
  });
  it('anonymous and simple bind, base search with one entry, receive on the DN', async (ctx) => {
    if (missing(typeof d === 'string' ? d : null)) return ctx.skip();
    const port = (d as Daemon).port;
    const v: LdirectordVirtual = {
      address: '10.0.0.100',
      port: 389,
      request: 'dc=example,dc=test',
      receive: 'example',
    };
    expect(await run(v, port)).toMatchObject({ ok: true });
    expect(await run({ ...v, login: 'cn=admin,dc=example,dc=test', passwd: 'secret' }, port)).toMatchObject({
      ok: true,
    });
    expect((await run({ ...v, login: 'cn=admin,dc=example,dc=test', passwd: 'nope' }, port)).message).toMatch(
      /Bind failed/,
    );
    expect((await run({ ...v, request: 'dc=absent,dc=test' }, port)).ok).toBe(false);
    expect((await run({ ...v, receive: 'elsewhere' }, port)).message).toMatch(/mismatch/);
  });
});

describe('ldirectord radius against FreeRADIUS', () => {
  let d: Daemon | string = 'not started';
  beforeAll(async () => {
    d = await startFreeradius();
  }, 60_000);
  afterAll(async () => {
    if (typeof d !== 'string') await d.stop();
  });
  it('Access-Accept is up; a reject or a wrong secret is down', async (ctx) => {
    if (missing(typeof d === 'string' ? d : null)) return ctx.skip();
    const port = (d as Daemon).port;
    const v: LdirectordVirtual = {
      address: '10.0.0.100',
      port: 1812,
      protocol: 'udp',
      login: 'lvs',
      passwd: 'pw',
      secret: 'testing123',
      negotiatetimeout: 3,
    };
    expect(await run(v, port)).toMatchObject({ ok: true, message: 'Access-Accept' });
    expect((await run({ ...v, passwd: 'bad' }, port)).ok).toBe(false);
    expect((await run({ ...v, secret: 'other' }, port)).ok).toBe(false);
  });
});

describe('ldirectord nntp, simpletcp and sip against node servers', () => {
  const servers: Server[] = [];
  const listen = (s: Server) =>
    new Promise<number>((r) => {
      servers.push(s);
      s.listen(0, HOST, () => r((s.address() as { port: number }).port));
    });
  const udp = createSocket('udp4');
  let sipPort = 0;
  beforeAll(async () => {
    udp.on('message', (m, r) => {
      const text = m.toString();
      const ok = text.startsWith('OPTIONS sip:ldirectord@') && text.includes('CSeq: 63104 OPTIONS');
      udp.send(
        ok ? 'SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n' : 'SIP/2.0 400 Bad Request\r\n\r\n',
        r.port,
        r.address,
      );
    });
    await new Promise<void>((r) => udp.bind(0, HOST, () => r()));
    sipPort = udp.address().port;
  });
  afterAll(async () => {
    udp.close();
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('nntp: a 2xx banner is up, 5xx down', async () => {
    const good = await listen(createServer((s) => s.end('200 news.example.test ready\r\n')));
    const bad = await listen(createServer((s) => s.end('502 go away\r\n')));
    expect((await run({ address: 'v', port: 119 }, good)).ok).toBe(true);
    expect((await run({ address: 'v', port: 119 }, bad)).ok).toBe(false);
  });

  it('simpletcp: request sent without its first character, \\n expanded, a line matches receive', async () => {
    let seen = '';
    const port = await listen(
      createServer((s) => {
        s.on('data', (b) => {
          seen += b.toString();
        });
        s.on('end', () => s.end(seen === 'STATUS\nPLEASE' ? 'hello\nSTATUS: OK' : 'nope\n'));
      }),
    );
    const v: LdirectordVirtual = {
      address: 'v',
      port: 7000,
      service: 'simpletcp',
      request: 'STATUS\\nPLEASE',
      receive: '^STATUS: OK$',
    };
    expect(await run(v, port)).toMatchObject({ ok: true });
    expect(seen).toBe('STATUS\nPLEASE');
    expect((await run({ ...v, receive: 'NEVER' }, port)).ok).toBe(false);
  });

  it('sip over UDP: 200 OK is up', async () => {
    const v: LdirectordVirtual = {
      address: 'v',
      port: 5060,
      protocol: 'udp',
      login: 'ldirectord@lb',
      negotiatetimeout: 2,
    };
    expect(await run(v, sipPort)).toMatchObject({ ok: true });
    expect((await run({ ...v, login: 'someone@else' }, sipPort)).ok).toBe(false);
  });
});
