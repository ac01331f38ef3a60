/**
 * The director's sync daemons (issue 14): the config's sync block validated at its paths, the daemons
 * switched by the followed VRRP instance as keepalived switches the kernel's (vrrp.c: become master →
 * ipvs_syncd_master, leave master → ipvs_syncd_backup), fixed roles, reload, a failed start. Two directors on
 * one TestNetwork (fake clock, fake VRRP segment, real datapath over memory frame ports) with real
 * @lvskit/sync daemons over unicast UDP on loopback (127.0.0.1 and 127.0.0.2): a connection the master
 * forwards appears in the backup's table.
 */
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMac, LvsError } from '@lvskit/base';
import { createPacketSummary, DIR_IN, TCP_SYN } from '@lvskit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eth4, ipv4, tcp } from '../../forwarders/test/golden/builder.js';
import {
  type Director,
  type DirectorConfig,
  defineConfig,
  directorMetrics,
  type StatusSnapshot,
  type SyncConfig,
  serveControl,
  serveStatus,
  validateConfig,
} from '../src/index.js';
import { describeEvent } from '../src/status/snapshot.js';
import { TestNetwork } from '../src/testing/index.js';
import { lvsadm } from './lvsadm-io.js';

const VIP = '198.18.0.100';
const RS = '198.18.1.1';
const CLIENT = '198.18.2.1';

function config(priority: number, sync: SyncConfig | undefined): DirectorConfig {
  return defineConfig({
    interfaces: [{ name: 'eth0' }],
    vips: { web: VIP },
    neighbours: { [RS]: '02:00:00:00:01:01', [CLIENT]: '02:00:00:00:02:01' },
    services: [{ name: 'http', vip: 'web', port: 80, method: 'route', realServers: [{ address: RS }] }],
    vrrp: {
      instances: [{ name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority, advertInt: 1, vips: ['web'] }],
    },
    ...(sync ? { sync } : {}),
  });
}

/** A UDP port free on both loopback addresses now. */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Waits (real time, I/O included) until `cond` holds; fails after `limitMs`. */
async function until(cond: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Log = string[];
function record(d: Director, log: Log): void {
  d.on('syncStarted', (e) => log.push(`started ${e.role} ${e.cause} syncid=${e.syncid} if=${e.interface}`));
  d.on('syncStopped', (e) => log.push(`stopped ${e.role} ${e.cause}`));
  d.on('error', (e) => log.push(`error ${e.source} ${e.error.code}`));
}

const running: Director[] = [];
afterEach(async () => {
  for (const d of running.splice(0)) if (d.status().lifecycle === 'running') await d.stop();
});

function issues(input: unknown): string[] {
  try {
    validateConfig(input as DirectorConfig);
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    return err.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  }
  return [];
}

describe('sync config', () => {
  it('defaults: follow the instance with its VRID and interface; without one both roles, syncid 0', () => {
    const followed = validateConfig(config(100, { instance: 'VI_1' })).sync;
    expect(followed).toMatchObject({ interface: 'eth0', syncid: 51, roles: 'follow', instance: 'VI_1', peers: [] });
    const fixed = validateConfig(config(100, {})).sync;
    expect(fixed).toMatchObject({ interface: 'eth0', syncid: 0, roles: 'both', instance: undefined });
    expect(validateConfig(config(100, { roles: 'backup', syncid: 9, interface: 'bond0' })).sync).toMatchObject({
      roles: 'backup',
      syncid: 9,
      interface: 'bond0',
    });
    expect(validateConfig(config(100, undefined)).sync).toBeUndefined();
  });

  it('every bad input is an issue at its path, and nothing is created', () => {
    const bad = {
      interface: 'a/b',
      syncid: 256,
      group: '198.18.0.1',
      port: 0,
      ttl: 256,
      maxLen: 65508,
      version: 2,
      peers: ['224.0.0.1', 'x'],
      address: 'nope',
      rules: { threshold: 50, period: 50, retries: 4, persistMode: 1, bogus: 1 },
      extensions: { sequence: 'yes', hmacKey: '' },
      instance: 'VI_9',
      roles: 'follow',
      other: true,
    };
    expect(issues(config(100, bad as unknown as SyncConfig))).toEqual([
      'sync.other: unknown key "other" (known: interface, syncid, group, port, ttl, maxLen, version, peers, address, rules, extensions, instance, roles)',
      'sync.instance: no VRRP instance named "VI_9"',
      'sync.interface: not an interface name: "a/b"',
      'sync.syncid: syncid must be an integer in 0..255, got 256',
      'sync.port: port must be an integer in 1..65535, got 0',
      'sync.ttl: ttl must be an integer in 1..255, got 256',
      'sync.maxLen: maxLen must be an integer in 1..65507, got 65508',
      'sync.version: version must be 0 or 1, got 2',
      'sync.group: group must be a multicast address, got "198.18.0.1"',
      'sync.peers.0: a peer must be a unicast address, got 224.0.0.1',
      'sync.peers.1: a peer is not an IP address: "x"',
      'sync.address: address is not an IP address: "nope"',
      'sync.rules.bogus: unknown key "bogus" (known: threshold, period, refreshPeriodMs, retries, persistMode)',
      'sync.rules.retries: retries must be an integer in 0..3, got 4',
      'sync.rules.persistMode: persistMode must be true or false',
      'sync.rules: threshold (50) must be below period (50), or period 0',
      'sync.extensions.sequence: sequence must be true or false',
      'sync.extensions.hmacKey: hmacKey must be a non-empty string, got ""',
    ]);
    expect(issues(config(100, { roles: 'follow' }))).toEqual([
      'sync.roles: roles follow needs the VRRP instance to follow (sync.instance)',
    ]);
    expect(issues(config(100, { instance: 'VI_1', roles: 'master' }))).toEqual([
      'sync.roles: roles master is fixed: give it without an instance, or follow the instance',
    ]);
    expect(issues(config(100, 'eth0' as unknown as SyncConfig))).toEqual(['sync: sync must be an object, got "eth0"']);
  });
});

describe('sync daemons follow the VRRP instance (keepalived vrrp.c)', () => {
  it('master on the MASTER, backup on the BACKUP; a forwarded connection reaches the backup; failover and back', async () => {
    const port = await freePort();
    const net = new TestNetwork();
    const sync = (self: string, peer: string): SyncConfig => ({
      instance: 'VI_1',
      interface: 'lo',
      address: self,
      peers: [peer],
      port,
    });
    const a = net.director(config(150, sync('127.0.0.1', '127.0.0.2')), { address: '198.18.0.1', frames: true });
    const b = net.director(config(100, sync('127.0.0.2', '127.0.0.1')), { address: '198.18.0.2', frames: true });
    running.push(a, b);
    const logA: Log = [];
    const logB: Log = [];
    record(a, logA);
    record(b, logB);
    await a.start();
    await b.start();
    // At start each runs the backup daemon (vrrp_init_state); A becomes MASTER and switches.
    expect(b.syncDaemons().map((d) => d.role)).toEqual(['backup']);
    await net.advance(5_000);
    await until(() => a.syncDaemon('master')?.running === true, 'the master daemon');
    expect(a.router('VI_1')?.state).toBe('MASTER');
    expect(b.router('VI_1')?.state).toBe('BACKUP');
    expect(a.syncDaemons().map((d) => d.role)).toEqual(['master']);
    expect(b.syncDaemons().map((d) => d.role)).toEqual(['backup']);
    expect(logA).toEqual([
      'started backup config syncid=51 if=lo',
      'stopped backup vrrp',
      'started master vrrp syncid=51 if=lo',
    ]);
    expect(logB).toEqual(['started backup config syncid=51 if=lo']);

    // A client's connection through A: SYN, ACK, data — the third packet is sync_threshold (3).
    const lan = net.frames.get('198.18.0.1')?.get('eth0');
    if (!lan) throw new Error('no memory interface');
    const mac = formatMac(lan.mac);
    const frame = (flags: number, seq: number) =>
      eth4(
        mac,
        '02:00:00:00:02:01',
        ipv4({ src: CLIENT, dst: VIP, ttl: 64 }, tcp({ sport: 40_001, dport: 80, flags, seq })),
      );
    lan.receive(frame(0x02, 1));
    lan.receive(frame(0x10, 2));
    lan.receive(frame(0x18, 2));
    expect(a.ipvs.connections()).toHaveLength(1);
    await net.advance(2_500); // the master flushes a partly filled message within 2 s (IPVS_SYNC_FLUSH_TIME)
    await until(() => b.ipvs.connections().length === 1, "the connection in the backup's table");
    const synced = b.ipvs.connections()[0];
    expect(synced).toMatchObject({ clientAddress: CLIENT, clientPort: 40_001, virtualAddress: VIP, destAddress: RS });
    expect(synced?.state).toBe('ESTABLISHED');
    const master = a.syncDaemon('master')?.counters();
    const backup = b.syncDaemon('backup')?.counters();
    expect(master?.recordsSent).toBeGreaterThanOrEqual(1);
    expect(backup?.recordsApplied).toBeGreaterThanOrEqual(1);

    // The counters as Prometheus series, per role, and on the status page.
    const textA = await directorMetrics(a).metrics();
    const textB = await directorMetrics(b).metrics();
    expect(textA).toContain(`lvskit_sync_records_sent_total{role="master"} ${master?.recordsSent}`);
    expect(textA).toContain(`lvskit_sync_messages_sent_total{role="master"} ${master?.messagesSent}`);
    expect(textA).toContain('lvskit_sync_daemon_running{role="master"} 1');
    expect(textA).not.toContain('role="backup"');
    expect(textB).toContain(`lvskit_sync_messages_received_total{role="backup"} ${backup?.messagesReceived}`);
    expect(textB).toContain(`lvskit_sync_records_applied_total{role="backup"} ${backup?.recordsApplied}`);
    expect(textB).toContain('lvskit_sync_drops_total{role="backup",kind="apply",reason="no-service"} 0');
    expect(textB).toContain('lvskit_sync_drops_total{role="backup",kind="message",reason="syncid-mismatch"} 0');
    expect(textB).toMatch(/^lvskit_sync_last_message_age_seconds\{role="backup"\} [\d.]+$/m);
    const status = await serveStatus(b, { port: 0 });
    try {
      const snap = (await (await fetch(`${status.url}api/status`)).json()) as StatusSnapshot;
      expect(snap.sync.roles).toBe('follow');
      expect(snap.sync.instance).toBe('VI_1');
      expect(snap.sync.daemons).toHaveLength(1);
      expect(snap.sync.daemons[0]).toMatchObject({
        role: 'backup',
        running: true,
        interface: 'lo',
        syncid: 51,
        port,
        peers: ['127.0.0.1'],
        recordsApplied: backup?.recordsApplied,
        drops: 0,
      });
      const page = await (await fetch(status.url)).text();
      expect(page).toContain('<section id="syncbox"><h2>Connection sync</h2>');
    } finally {
      await status.close();
    }

    // A freezes (its adverts stop): B takes over and switches to the master daemon.
    net.partition('198.18.0.1', true);
    await net.advance(5_000);
    expect(b.router('VI_1')?.state).toBe('MASTER');
    await until(() => b.syncDaemon('master')?.running === true, "B's master daemon");
    expect(b.syncDaemons().map((d) => d.role)).toEqual(['master']);
    // A comes back and preempts: B leaves MASTER, back to the backup daemon.
    net.partition('198.18.0.1', false);
    await net.advance(5_000);
    expect(b.router('VI_1')?.state).toBe('BACKUP');
    await until(() => b.syncDaemon('backup')?.running === true, "B's backup daemon");
    expect(logB).toEqual([
      'started backup config syncid=51 if=lo',
      'stopped backup vrrp',
      'started master vrrp syncid=51 if=lo',
      'stopped master vrrp',
      'started backup vrrp syncid=51 if=lo',
    ]);

    // stop() stops the daemons after VRRP, and no transition restarts one.
    await b.stop();
    expect(b.syncDaemons()).toEqual([]);
    expect(logB.slice(-1)).toEqual(['stopped backup config']);
  });
});

describe('extensions through the director', () => {
  it('a backup started after its master gets the table by bulk resync: syncResync events on both', async () => {
    const port = await freePort();
    const net = new TestNetwork();
    const ext = { sequence: true, bulkResync: true, hmacKey: 'k3y' };
    const noVrrp = (roles: 'master' | 'backup', self: string, peer: string): DirectorConfig => ({
      vips: { web: VIP },
      services: [{ name: 'http', vip: 'web', port: 80, realServers: [{ address: RS }] }],
      sync: { roles, interface: 'lo', address: self, peers: [peer], port, extensions: ext },
    });
    const a = net.director(noVrrp('master', '127.0.0.1', '127.0.0.2'));
    const b = net.director(noVrrp('backup', '127.0.0.2', '127.0.0.1'));
    running.push(a, b);
    const events: string[] = [];
    a.on('syncResync', (e) => events.push(`A ${e.role} ${e.phase} ${e.entries}`));
    b.on('syncResync', (e) => events.push(`B ${e.role} ${e.phase} ${e.entries}`));
    await a.start();
    // Two connections on the master before the backup exists (packets straight into its engine).
    const processor = a.ipvs.engine;
    for (const sport of [40_001, 40_002]) {
      const summary = createPacketSummary();
      summary.family = 4;
      summary.protocol = 6;
      summary.saddr.set([198, 18, 2, 1]);
      summary.daddr.set([198, 18, 0, 100]);
      summary.sport = sport;
      summary.dport = 80;
      summary.tcpFlags = TCP_SYN;
      summary.length = 60;
      summary.direction = DIR_IN;
      processor.process(summary, net.clock.now());
    }
    expect(a.ipvs.connections()).toHaveLength(2);
    await b.start();
    const end = Date.now() + 5_000;
    while (!events.includes('B backup completed 2')) {
      if (Date.now() > end) throw new Error(`no completed resync: ${events.join('; ')}`);
      await net.advance(100); // the resync is paced on the director's clock
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(events).toEqual(['B backup requested 0', 'A master served 2', 'B backup completed 2']);
    expect(
      b.ipvs
        .connections()
        .map((c) => c.clientPort)
        .sort(),
    ).toEqual([40_001, 40_002]);
    // Every datagram carried a good HMAC: the backup refused none.
    const auth: Readonly<Record<string, number>> = b.syncDaemon('backup')?.counters().authDrops ?? {};
    expect(Object.values(auth).reduce((x, y) => x + y, 0)).toBe(0);
  });
});

describe('sync events on the timeline', () => {
  it('one line each, in the kernel and director words', () => {
    expect(describeEvent('syncStarted', { role: 'master', interface: 'eth0', syncid: 51, cause: 'vrrp' })).toEqual({
      level: 'info',
      text: 'sync: master daemon started (mcast=eth0, syncid=51; vrrp)',
    });
    expect(describeEvent('syncStopped', { role: 'backup', cause: 'failed' })).toEqual({
      level: 'error',
      text: 'sync: backup daemon stopped (failed)',
    });
    expect(
      describeEvent('syncResync', { role: 'backup', phase: 'completed', peer: '198.18.0.1', entries: 500, lost: 1 }),
    ).toEqual({ level: 'warn', text: 'sync: bulk resync completed (backup, 198.18.0.1, 500 entries, 1 message lost)' });
  });
});

describe('lvsadm over the control socket', () => {
  it('--start-daemon, -L --daemon as ipvsadm prints it, --stop-daemon, and ipvsadm errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lvskit-sync-ctl-'));
    const net = new TestNetwork();
    const d = net.director(config(100, undefined));
    running.push(d);
    const path = join(dir, 'lvskit.sock');
    const server = await serveControl(d, { path });
    const run = (...argv: string[]) => lvsadm(path, argv);
    try {
      await d.start();
      const [p1, p2] = [await freePort(), await freePort()];
      expect(await run('-L', '--daemon')).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(
        await run(
          '--start-daemon',
          'master',
          '--mcast-interface',
          'lo',
          '--syncid',
          '5',
          '--mcast-group',
          '224.0.0.82',
          '--mcast-port',
          String(p1),
          '--mcast-ttl',
          '2',
          '--sync-maxlen',
          '1400',
        ),
      ).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(
        await run(
          '--start-daemon',
          'backup',
          '--mcast-interface',
          'lo',
          '--mcast-port',
          String(p2),
          '--sync-maxlen',
          '1200',
        ),
      ).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(await run('-L', '--daemon')).toEqual({
        code: 0,
        stdout:
          `master sync daemon (mcast=lo, syncid=5, maxlen=1400, group=224.0.0.82, port=${p1}, ttl=2)\n` +
          `backup sync daemon (mcast=lo, syncid=0, maxlen=1200, group=224.0.0.81, port=${p2}, ttl=1)\n`,
        stderr: '',
      });
      expect(d.syncDaemons().map((x) => [x.role, x.running])).toEqual([
        ['master', true],
        ['backup', true],
      ]);
      // ipvsadm's refusals, in its words and exit statuses (ipvs_strerror; fail() is 2, a refused call 255).
      expect(await run('--start-daemon', 'master', '--mcast-interface', 'lo')).toEqual({
        code: 255,
        stdout: '',
        stderr: 'Daemon has already run\n',
      });
      expect((await run('--start-daemon', 'primary')).stderr).toBe('illegal start-daemon parameter specified\n');
      expect(await run('--stop-daemon', 'master')).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(await run('--stop-daemon', 'master')).toEqual({
        code: 255,
        stdout: '',
        stderr: 'No daemon is running\n',
      });
      expect(await run('--start-daemon', 'master', '--mcast-interface', 'nosuch0')).toEqual({
        code: 255,
        stdout: '',
        stderr: 'No such device\n',
      });
      // The refused start changed nothing: the backup still runs alone.
      expect((await run('-L', '--daemon')).stdout).toBe(
        `backup sync daemon (mcast=lo, syncid=0, maxlen=1200, group=224.0.0.81, port=${p2}, ttl=1)\n`,
      );
      expect(await run('--stop-daemon', 'backup')).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(d.syncDaemons()).toEqual([]);
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('fixed roles, reload, failures', () => {
  it('both without an instance; an unchanged reload keeps them, a changed sync block restarts them', async () => {
    const net = new TestNetwork();
    const [p1, p2] = [await freePort(), await freePort()];
    const base = { interface: 'lo', address: '127.0.0.1', peers: ['127.0.0.2'] } as const;
    const d = net.director(config(100, { ...base, port: p1 }));
    running.push(d);
    const log: Log = [];
    record(d, log);
    await d.start();
    expect(d.syncDaemons().map((x) => [x.role, x.running, x.options.port])).toEqual([
      ['master', true, p1],
      ['backup', true, p1],
    ]);
    const before = d.syncDaemons();
    await d.reload(config(100, { ...base, port: p1 }));
    expect(d.syncDaemons()).toEqual(before);
    await d.reload(config(100, { ...base, port: p2, roles: 'backup' }));
    expect(d.syncDaemons().map((x) => [x.role, x.running, x.options.port])).toEqual([['backup', true, p2]]);
    await d.reload(config(100, undefined));
    expect(d.syncDaemons()).toEqual([]);
    expect(log).toEqual([
      'started master config syncid=0 if=lo',
      'started backup config syncid=0 if=lo',
      'stopped master config',
      'stopped backup config',
      'started backup config syncid=0 if=lo',
      'stopped backup config',
    ]);
  });

  it("a reload that changes the interface's address the daemon binds restarts it on the new one", async () => {
    const net = new TestNetwork();
    const port = await freePort();
    const cfg = (address: string): DirectorConfig => ({
      interfaces: [{ name: 'lo', address }],
      vips: { web: VIP },
      services: [{ name: 'http', vip: 'web', port: 80, realServers: [{ address: RS }] }],
      sync: { roles: 'backup', interface: 'lo', peers: ['127.0.0.2'], port },
    });
    const d = net.director(cfg('127.0.0.1'));
    running.push(d);
    await d.start();
    expect(d.syncDaemon('backup')?.options.address).toBe('127.0.0.1');
    await d.reload(cfg('127.0.0.3'));
    expect(d.syncDaemon('backup')?.options.address).toBe('127.0.0.3');
    expect(d.syncDaemon('backup')?.running).toBe(true);
  });

  it('a daemon that cannot start is an error event with source sync; the director keeps running', async () => {
    const net = new TestNetwork();
    const d = net.director(config(100, { interface: 'nosuch0', roles: 'master' }));
    running.push(d);
    const log: Log = [];
    record(d, log);
    const errors: LvsError[] = [];
    d.on('error', (e) => errors.push(e.error));
    await d.start();
    expect(d.status().lifecycle).toBe('running');
    expect(d.syncDaemons()).toEqual([]);
    expect(log).toEqual(['error sync SYNC_NO_INTERFACE', 'stopped master failed']);
    expect(errors[0]?.message).toMatch(/nosuch0/);
  });

  it('startSyncDaemon / stopSyncDaemon refuse a taken or an empty role with DIRECTOR_SYNC', async () => {
    const net = new TestNetwork();
    const d = net.director(config(100, undefined));
    running.push(d);
    await expect(d.startSyncDaemon({ role: 'backup', interface: 'lo' })).rejects.toMatchObject({
      code: 'DIRECTOR_SYNC',
    });
    await d.start();
    const port = await freePort();
    const daemon = await d.startSyncDaemon({
      role: 'backup',
      interface: 'lo',
      address: '127.0.0.1',
      peers: ['127.0.0.2'],
      port,
    });
    expect(daemon.running).toBe(true);
    await expect(d.startSyncDaemon({ role: 'backup', interface: 'lo' })).rejects.toMatchObject({
      code: 'DIRECTOR_SYNC',
      message: 'a backup sync daemon already runs',
    });
    await d.stopSyncDaemon('backup');
    expect(daemon.running).toBe(false);
    await expect(d.stopSyncDaemon('backup')).rejects.toMatchObject({
      code: 'DIRECTOR_SYNC',
      message: 'no backup sync daemon runs',
    });
  });
});
