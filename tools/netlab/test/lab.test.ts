/**
 * The lab builds what it promises and leaves nothing behind: a 3-host segment where hosts ping each other
 * and an HTTP server answers `curl` from another namespace with its name; the two-segment layout routes a
 * client to a real server through the director; `destroy()` ends every process and namespace.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildSegmentLab,
  buildTwoSegmentLab,
  createLab,
  type Lab,
  namespacePidsSync,
  requireLab,
  requireOwnTools,
} from '../src/index.js';
import { alive, namespacesWithPrefix, psAlive } from './helpers.js';

const canRun = requireLab();
const hasPing = canRun && requireOwnTools('the netlab tests that ping across the lab', 'ping');
const labs: Lab[] = [];

afterAll(async () => {
  for (const lab of labs) await lab.destroy();
});

describe.runIf(hasPing)('netlab: one segment', () => {
  it('builds three hosts on one bridge: ping, HTTP by name, sysctls, clean teardown', async () => {
    const { lab, hosts, ip, segment } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'] });
    labs.push(lab);
    expect(lab.prefix).toMatch(/^lvsk[0-9a-f]{6}-$/);
    // Every namespace carries the prefix; the bridge has a namespace of its own.
    const nss = namespacesWithPrefix(lab.prefix).sort();
    expect(nss).toEqual([hosts.client.ns, hosts.director.ns, hosts.rs1.ns, segment.ns].sort());
    // Addresses in order from 198.18.0.0/24 (host i gets .i+1).
    expect(ip).toEqual({ client: '198.18.0.1', director: '198.18.0.2', rs1: '198.18.0.3' });

    const ping = await lab.ping(hosts.client, ip.rs1, { count: 2, intervalMs: 200, timeoutMs: 2000 });
    expect(ping).toMatchObject({ sent: 2, received: 2 });
    expect((await lab.ping(hosts.rs1, ip.director, { timeoutMs: 2000 })).received).toBe(1);

    const server = await lab.httpServer(hosts.rs1, 8080, 'rs1');
    const director = await lab.httpServer(hosts.director, 8080, 'director');
    const r1 = await lab.exec(hosts.client, ['curl', '-sS', '--max-time', '5', `http://${ip.rs1}:8080/`]);
    const r2 = await lab.exec(hosts.client, ['curl', '-sS', '--max-time', '5', `http://${ip.director}:8080/`]);
    expect(r1.stdout).toBe('rs1\n');
    expect(r2.stdout).toBe('director\n');
    // The server listens only inside rs1's namespace: the client's own port 8080 is closed.
    const local = await lab.exec(hosts.client, ['curl', '-sS', '--max-time', '2', 'http://127.0.0.1:8080/'], {
      check: false,
    });
    expect(local.code).not.toBe(0);

    const tw = await lab.exec(hosts.client, ['sysctl', '-n', 'net.ipv4.tcp_tw_reuse']);
    expect(tw.stdout.trim()).toBe('1');
    // The bridge's own namespace too (every lab namespace gets it).
    const bridgeTw = execFileSync('ip', ['netns', 'exec', segment.ns, 'cat', '/proc/sys/net/ipv4/tcp_tw_reuse'], {
      encoding: 'utf8',
    });
    expect(bridgeTw.trim()).toBe('1');
    const mac = hosts.client.interfaces.get('eth0')?.mac;
    expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);

    const pids = [server.pid, director.pid];
    expect(lab.trackedPids().sort()).toEqual([...pids].sort());
    await lab.destroy();
    expect(namespacesWithPrefix(lab.prefix)).toEqual([]);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(psAlive(pids)).toEqual([]);
    await expect(lab.addHost('late')).rejects.toMatchObject({ code: 'NETLAB_DESTROYED' });
  });

  it('rejects addresses outside 198.18.0.0/15 and changes nothing', async () => {
    const { lab, hosts } = await buildSegmentLab({ hosts: ['a'] });
    labs.push(lab);
    await expect(lab.addAddress(hosts.a, 'eth0', '10.0.0.1/24')).rejects.toMatchObject({ code: 'NETLAB_BAD_ADDRESS' });
    await expect(lab.addAddress(hosts.a, 'eth0', '198.20.0.1/24')).rejects.toMatchObject({
      code: 'NETLAB_BAD_ADDRESS',
    });
    const addrs = await lab.exec(hosts.a, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    expect(addrs.stdout).not.toMatch(/10\.0\.0\.1|198\.20/);
    await lab.destroy();
  });

  it('exec times out with NETLAB_TIMEOUT and kills the command', async () => {
    const { lab, hosts } = await buildSegmentLab({ hosts: ['a'] });
    labs.push(lab);
    await expect(lab.exec(hosts.a, ['sleep', '30'], { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'NETLAB_TIMEOUT',
    });
    // No process is left in the namespace after the timeout.
    expect(namespacePidsSync(hosts.a.ns)).toEqual([]);
    await lab.destroy();
    expect(namespacesWithPrefix(lab.prefix)).toEqual([]);
  });

  it('ends a spawned process that ignores SIGTERM with SIGKILL on destroy', async () => {
    const { lab, hosts } = await buildSegmentLab({ hosts: ['a'] });
    labs.push(lab);
    const stubborn = lab.spawn(hosts.a, ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done']);
    await stubborn.waitForOutput(/ready/);
    const t0 = Date.now();
    await lab.destroy();
    expect(alive(stubborn.pid)).toBe(false);
    expect((await stubborn.exited).signal).toBe('SIGKILL');
    // It was given the grace period first (SIGTERM, then SIGKILL after 2 s).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(namespacesWithPrefix(lab.prefix)).toEqual([]);
  });
});

describe.runIf(hasPing)('netlab: building blocks', () => {
  it('point-to-point link with fixed MAC and MTU; bad input changes nothing', async () => {
    const lab = await createLab();
    labs.push(lab);
    const a = await lab.addHost('a', { sysctls: { 'net.ipv4.conf.all.arp_ignore': '1' } });
    const b = await lab.addHost('b');
    await expect(lab.addHost('c', { sysctls: { 'net.ipv4.ip_forward': '1 2' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(namespacesWithPrefix(lab.prefix).sort()).toEqual([a.ns, b.ns].sort());
    const [ia, ib] = await lab.link(a, b, {
      a: { ifname: 'p2p0', addresses: ['198.18.9.1/30'], mac: '02:00:5e:00:09:01', mtu: 9000 },
      b: { addresses: ['198.18.9.2/30'] },
    });
    expect(ia).toMatchObject({ name: 'p2p0', mac: '02:00:5e:00:09:01', attachedTo: 'b', addresses: ['198.18.9.1/30'] });
    expect(ib.name).toBe('eth0');
    const shown = JSON.parse((await lab.exec(a, ['ip', '-j', 'link', 'show', 'dev', 'p2p0'])).stdout) as {
      mtu: number;
      address: string;
    }[];
    expect(shown[0]).toMatchObject({ mtu: 9000, address: '02:00:5e:00:09:01' });
    expect((await lab.exec(a, ['sysctl', '-n', 'net.ipv4.conf.all.arp_ignore'])).stdout.trim()).toBe('1');
    expect((await lab.ping(b, '198.18.9.1', { timeoutMs: 2000 })).received).toBe(1);
    await lab.destroy();
    expect(namespacesWithPrefix(lab.prefix)).toEqual([]);
  });
});

describe.runIf(canRun)('netlab: two segments', () => {
  it('routes a client to real servers through the director', async () => {
    const t = await buildTwoSegmentLab({ clients: ['c1'], directors: ['dir'], servers: ['rs1', 'rs2'] });
    labs.push(t.lab);
    expect(t.clientSideIp).toEqual({ c1: '198.18.1.10', dir: '198.18.1.1' });
    expect(t.serverSideIp).toEqual({ dir: '198.18.2.1', rs1: '198.18.2.10', rs2: '198.18.2.11' });
    const fwd = await t.lab.exec(t.hosts.dir, ['sysctl', '-n', 'net.ipv4.ip_forward']);
    expect(fwd.stdout.trim()).toBe('1');
    const clientFwd = await t.lab.exec(t.hosts.c1, ['sysctl', '-n', 'net.ipv4.ip_forward']);
    expect(clientFwd.stdout.trim()).toBe('0');
    await t.lab.httpServer(t.hosts.rs2, 80, 'rs2');
    const r = await t.lab.exec(t.hosts.c1, ['curl', '-sS', '--max-time', '5', `http://${t.serverSideIp.rs2}/`]);
    expect(r.stdout).toBe('rs2\n');
    const route = await t.lab.exec(t.hosts.rs2, ['ip', 'route', 'show', 'default']);
    expect(route.stdout).toMatch(/via 198\.18\.2\.1 dev eth0/);
    // The path really goes through the director: with its forwarding off the same request fails.
    await t.lab.sysctl(t.hosts.dir, { 'net.ipv4.ip_forward': '0' });
    const blocked = await t.lab.exec(t.hosts.c1, ['curl', '-sS', '--max-time', '2', `http://${t.serverSideIp.rs2}/`], {
      check: false,
    });
    expect(blocked.code).not.toBe(0);
    await t.lab.destroy();
    expect(namespacesWithPrefix(t.lab.prefix)).toEqual([]);
  });
});
