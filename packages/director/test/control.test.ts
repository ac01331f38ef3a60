/**
 * The control socket and lvsadm against a director on the fakes, over a real unix socket in a temp dir.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatMac, LvsError } from '@lvskit/base';
import { ipvsadmTarget, runIpvsadm } from '@lvskit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eth4, ipv4, tcp } from '../../forwarders/test/golden/builder.js';
import { controlErrorCode, controlRequest, defineConfig, serveControl } from '../src/index.js';
import { TestNetwork } from '../src/testing/index.js';
import { lvsadm } from './lvsadm-io.js';

const VIP = '198.18.0.100';
const RS1 = '198.18.1.1';
const RS2 = '198.18.1.2';

function config() {
  return defineConfig({
    vips: { web: VIP },
    services: [
      {
        name: 'http',
        vip: 'web',
        port: 80,
        scheduler: 'rr',
        realServers: [RS1, RS2].map((address) => ({
          address,
          weight: 1,
          checks: [{ type: 'TCP_CHECK', delay_loop: 1, retry: 0, connect_timeout: 1 }],
        })),
      },
    ],
    vrrp: {
      instances: [{ name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority: 100, advertInt: 1, vips: ['web'] }],
    },
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lvskit-ctl-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function started() {
  const net = new TestNetwork();
  const d = net.director(config());
  const path = join(dir, 'run', 'lvskit.sock');
  const server = await serveControl(d, { path });
  await d.start();
  await net.advance(5_000);
  return { net, d, path, server };
}

describe('control socket', () => {
  it('lvsadm -Ln is byte-identical to runIpvsadm on the same table; socket is 0600', async () => {
    const { d, path, server } = await started();
    try {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      const r = await lvsadm(path, ['-Ln']);
      const direct = runIpvsadm(ipvsadmTarget(d.ipvs), ['-Ln']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(direct.stdout);
      expect(r.stdout).toContain(`TCP  ${VIP}:80 rr`);
    } finally {
      await server.close();
    }
  });

  it('-A/-a then -Ln; -S, -C, -R round trip; bad command gives ipvsadm message and code', async () => {
    const { path, server } = await started();
    try {
      expect((await lvsadm(path, ['-A', '-t', '198.18.0.200:443', '-s', 'wlc'])).code).toBe(0);
      expect((await lvsadm(path, ['-a', '-t', '198.18.0.200:443', '-r', '198.18.1.7:443', '-m', '-w', '3'])).code).toBe(
        0,
      );
      const list = await lvsadm(path, ['-Ln']);
      expect(list.stdout).toMatch(/TCP {2}198\.18\.0\.200:443 wlc\n {2}-> 198\.18\.1\.7:443 +Masq +3 /);
      const saved = await lvsadm(path, ['-S', '-n']);
      expect(saved.stdout).toContain('-A -t 198.18.0.200:443 -s wlc');
      expect((await lvsadm(path, ['-C'])).code).toBe(0);
      expect((await lvsadm(path, ['-Sn'])).stdout).toBe('');
      expect((await lvsadm(path, ['-R'], saved.stdout)).code).toBe(0);
      expect((await lvsadm(path, ['-Sn'])).stdout).toBe(saved.stdout);
      const bad = await lvsadm(path, ['-A', '-t', '198.18.0.200:443', '-s', 'wlc']);
      expect(bad).toEqual(expect.objectContaining({ code: 255, stderr: 'Service already exists\n' }));
      const noSuch = await lvsadm(path, ['-L', '-t', '198.18.0.201:1']);
      expect(noSuch.code).toBe(1);
      expect(noSuch.stderr).toBe('No such service\n');
    } finally {
      await server.close();
    }
  });

  it('unknown method and bad JSON are error replies; several requests per connection; concurrent clients', async () => {
    const { path, server } = await started();
    try {
      const err = await controlRequest(path, 'nope').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LvsError);
      expect((err as LvsError).code).toBe('DIRECTOR_CONTROL_FAILED');
      expect(controlErrorCode(err)).toBe('UNKNOWN_METHOD');
      const { createConnection } = await import('node:net');
      const s = createConnection(path);
      s.setEncoding('utf8');
      let text = '';
      const lines = new Promise<string[]>((res) =>
        s.on('data', (c: string) => {
          text += c;
          const l = text.split('\n').filter(Boolean);
          if (l.length === 3) res(l);
        }),
      );
      s.write('not json\n{"id":7,"method":"status"}\n{"id":8,"method":"bogus"}\n');
      const replies = (await lines).map(
        (l) => JSON.parse(l) as { id: unknown; result?: unknown; error?: { code: string } },
      );
      s.destroy();
      expect(replies.find((r) => r.id === null)?.error?.code).toBe('PARSE_ERROR');
      expect((replies.find((r) => r.id === 7)?.result as { services: unknown[] } | undefined)?.services).toHaveLength(
        1,
      );
      expect(replies.find((r) => r.id === 8)?.error?.code).toBe('UNKNOWN_METHOD');
      const many = await Promise.all(Array.from({ length: 20 }, () => lvsadm(path, ['-Ln'])));
      expect(new Set(many.map((m) => m.stdout)).size).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("removes a stale socket, refuses a live one; unreachable daemon → Can't initialize ipvs, exit 2", async () => {
    const net = new TestNetwork();
    const d = net.director(config());
    const path = join(dir, 'stale.sock');
    // a crashed daemon leaves its socket file behind: a child binds and exits without closing
    await new Promise<void>((res, rej) =>
      execFile(
        process.execPath,
        ['-e', 'require("net").createServer().listen(process.argv[1], () => process.exit(0))', path],
        (e) => (e ? rej(e) : res()),
      ),
    );
    expect((await stat(path)).isSocket()).toBe(true);
    const first = await serveControl(d, { path });
    expect((await lvsadm(path, ['-Ln'])).code).toBe(0);
    await first.close();
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(path, r));
    const err = await serveControl(d, { path }).catch((e: unknown) => e);
    expect(controlErrorCode(err)).toBe('DIRECTOR_CONTROL_IN_USE');
    await new Promise<void>((r) => probe.close(() => r()));
    const server = await serveControl(d, { path });
    await server.close();
    await writeFile(join(dir, 'plain'), 'x');
    expect(controlErrorCode(await serveControl(d, { path: join(dir, 'plain') }).catch((e: unknown) => e))).toBe(
      'DIRECTOR_CONTROL_IN_USE',
    );
    const r = await lvsadm(join(dir, 'none.sock'), ['-Ln']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Can't initialize ipvs: /);
  });

  it('vrrp reason and check results after a CheckBoard failure', async () => {
    const { net, path, server } = await started();
    try {
      net.checks.set('http', RS2, 80, false);
      await net.advance(5_000);
      const vrrp = (await controlRequest(path, 'vrrp')) as {
        instance: string;
        state: string;
        masterSince?: number;
        lastTransition?: { to: string; reason: string };
      }[];
      expect(vrrp[0]).toEqual(expect.objectContaining({ instance: 'VI_1', state: 'MASTER', priority: 100 }));
      expect(vrrp[0]?.lastTransition?.to).toBe('MASTER');
      expect(vrrp[0]?.lastTransition?.reason).not.toBe('');
      expect(typeof vrrp[0]?.masterSince).toBe('number');
      const checks = (await controlRequest(path, 'checks')) as {
        service: string;
        address: string;
        port: number;
        up?: boolean;
        results: { ok: boolean; message: string }[];
      }[];
      const rs2 = checks.find((c) => c.address === RS2 && c.port === 80);
      expect(rs2).toEqual(expect.objectContaining({ service: 'http', up: false }));
      expect(rs2?.results.at(-1)).toEqual(expect.objectContaining({ ok: false, message: 'failed' }));
      expect(checks.find((c) => c.address === RS1)?.up).toBe(true);
      const human = await lvsadm(path, ['--checks']);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain('DOWN');
      expect((await lvsadm(path, ['--vrrp'])).stdout).toContain('VI_1');
      const conns = (await controlRequest(path, 'connections', { client: '198.18.5.5' })) as { total: number };
      expect(conns.total).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('connection query by client and by real server, on frames through the real datapath', async () => {
    const net = new TestNetwork();
    const c1 = '198.18.2.1';
    const c2 = '198.18.2.2';
    const d = net.director(
      defineConfig({
        interfaces: [{ name: 'eth0' }],
        vips: { web: VIP },
        neighbours: {
          [RS1]: '02:00:00:00:01:01',
          [RS2]: '02:00:00:00:01:02',
          [c1]: '02:00:00:00:02:01',
          [c2]: '02:00:00:00:02:02',
        },
        services: [
          {
            name: 'http',
            vip: 'web',
            port: 80,
            method: 'route',
            scheduler: 'rr',
            realServers: [{ address: RS1 }, { address: RS2 }],
          },
        ],
      }),
      { address: '198.18.0.1', frames: true },
    );
    const path = join(dir, 'conn.sock');
    const server = await serveControl(d, { path });
    try {
      await d.start();
      await net.advance(3_000);
      const lan = net.frames.get('198.18.0.1')?.get('eth0');
      if (!lan) throw new Error('no memory interface');
      const mac = formatMac(lan.mac);
      const syn = (src: string, smac: string, sport: number) =>
        eth4(mac, smac, ipv4({ src, dst: VIP, ttl: 64 }, tcp({ sport, dport: 80, flags: 0x02 })));
      lan.receive(syn(c1, '02:00:00:00:02:01', 40_001));
      lan.receive(syn(c1, '02:00:00:00:02:01', 40_002));
      lan.receive(syn(c2, '02:00:00:00:02:02', 40_003));
      const all = (await controlRequest(path, 'connections')) as { total: number };
      expect(all.total).toBe(3);
      const byClient = (await controlRequest(path, 'connections', { client: c1 })) as {
        total: number;
        connections: { clientAddress: string; clientPort: number }[];
      };
      expect(byClient.connections.map((c) => `${c.clientAddress}:${c.clientPort}`).sort()).toEqual([
        `${c1}:40001`,
        `${c1}:40002`,
      ]);
      const byRs = (await controlRequest(path, 'connections', { realServer: `${RS2}:80` })) as {
        connections: { destAddress: string }[];
      };
      expect(byRs.connections.length).toBeGreaterThan(0);
      expect(byRs.connections.every((c) => c.destAddress === RS2)).toBe(true);
      const limited = (await controlRequest(path, 'connections', { limit: 1 })) as {
        total: number;
        connections: unknown[];
      };
      expect([limited.total, limited.connections.length]).toEqual([3, 1]);
      const human = await lvsadm(path, ['--connections', '--client', c2]);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(`${c2}:40003`);
      expect(human.stdout.split('\n').filter(Boolean)).toHaveLength(2);
    } finally {
      await server.close();
      await d.stop();
    }
  });

  it('the real bin prints -Ln through LVSKIT_SOCKET', async () => {
    const { d, path, server } = await started();
    try {
      const root = resolve(__dirname, '../../..');
      const out = await new Promise<{ code: number; stdout: string }>((res) =>
        execFile(
          process.execPath,
          ['--conditions=@lvskit/source', '--import', 'tsx', 'packages/director/bin/lvsadm.mjs', '-Ln'],
          { cwd: root, env: { ...process.env, LVSKIT_SOCKET: path } },
          (e, stdout) => res({ code: e ? Number(e.code) : 0, stdout }),
        ),
      );
      expect(out.code).toBe(0);
      expect(out.stdout).toBe(runIpvsadm(ipvsadmTarget(d.ipvs), ['-Ln']).stdout);
    } finally {
      await server.close();
    }
  });
});
