/**
 * The assembled director in the lab, as root, run as a process inside the director's namespace from a JSON
 * config (run-director.ts): DR with TCP checks — a real server whose service dies gets no new connection after
 * detection, a reload while it is down keeps it down, and it comes back when it answers again; then NAT (with
 * port mapping) and TUN once each through the same director.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyDrRealServer } from '@lvskit/forwarders';
import { buildSegmentLab, type Lab, type LabHost, type LabProcess, requireLab } from '@lvskit/netlab';
import { afterAll, describe, expect, it } from 'vitest';
import { tunRealServer } from '../../../forwarders/test/lab/dr-lab.js';
import type { DirectorConfig } from '../../src/index.js';
import { type Reply, replies, spawnTs, startClient } from './lab-helpers.js';

const canRun = requireLab();
const VIP = '198.18.0.100';
const runner = fileURLToPath(new URL('./run-director.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lvskit-director-lab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, config: DirectorConfig): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

async function startDirector(lab: Lab, host: LabHost, file: string): Promise<LabProcess> {
  const p = spawnTs(lab, host, runner, [file]);
  await p.waitForOutput(/^ready$/m, 20_000);
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The client's replies that match, once there are `count` of them (or what there is after 20 s). */
async function repliesWhere(client: LabProcess, match: (r: Reply) => boolean, count: number): Promise<Reply[]> {
  const end = Date.now() + 20_000;
  for (;;) {
    const got = replies(client).filter(match);
    if (got.length >= count || Date.now() > end) return got;
    await sleep(100);
  }
}
const mac = (h: LabHost) => h.interfaces.get('eth0')!.mac;

describe.runIf(canRun)('lab: the assembled director', () => {
  it('DR with checks: a dead real server gets no new connection after detection, and a reload keeps it down', async () => {
    const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1', 'rs2'] });
    const undo: (() => Promise<void>)[] = [];
    try {
      const servers: Record<string, LabProcess> = {};
      for (const rs of [hosts.rs1, hosts.rs2]) {
        undo.push((await applyDrRealServer({ vips: [VIP], netns: rs.ns })).undo);
        servers[rs.name] = await lab.httpServer(rs, 80, rs.name);
      }
      const config = (weight: number): DirectorConfig => ({
        interfaces: [{ name: 'eth0', address: ip.director }],
        vips: { web: VIP },
        neighbours: { [ip.rs1]: mac(hosts.rs1), [ip.rs2]: mac(hosts.rs2) },
        services: [
          {
            name: 'http',
            vip: 'web',
            port: 80,
            scheduler: 'rr',
            method: 'route',
            realServers: [ip.rs1, ip.rs2].map((address) => ({
              address,
              weight,
              checks: [{ type: 'TCP_CHECK', delay_loop: 1, retry: 0, connect_timeout: 1 }],
            })),
          },
        ],
      });
      const file = write('dr', config(1));
      const d = await startDirector(lab, hosts.director, file);
      const client = startClient(lab, hosts.client, `http://${VIP}/`, 20);
      const first = await repliesWhere(client, (r) => r.ok, 21);
      expect(first.length).toBeGreaterThan(20);
      expect(new Set(first.map((r) => r.body))).toEqual(new Set(['rs1', 'rs2']));

      // rs2's service dies: after the check notices, no new connection goes to it.
      await servers.rs2!.stop();
      await d.waitForOutput(/"event":"realServerDown".*198\.18\.0\.4/, 10_000);
      const detected = Date.now();
      const afterDown = await repliesWhere(client, (r) => r.t > detected + 100, 21);
      expect(afterDown.length).toBeGreaterThan(20);
      expect(afterDown.every((r) => r.ok && r.body === 'rs1')).toBe(true);

      // A reload that changes every weight while rs2 is down: rs2 must stay out.
      writeFileSync(file, JSON.stringify(config(3)));
      const mark = d.output().length;
      process.kill(d.pid, 'SIGHUP');
      await d.waitForOutput(/^reloaded \d+$/m, 10_000);
      expect(d.output().slice(mark)).not.toMatch(/addRealServer[^\n]*198\.18\.0\.4/);
      const reloaded = Date.now();
      const afterReload = await repliesWhere(client, (r) => r.t > reloaded, 21);
      expect(afterReload.length).toBeGreaterThan(20);
      expect(afterReload.every((r) => r.ok && r.body === 'rs1')).toBe(true);

      // rs2 answers again: it comes back.
      servers.rs2 = await lab.httpServer(hosts.rs2, 80, 'rs2');
      await d.waitForOutput(/"event":"realServerUp".*198\.18\.0\.4/, 10_000);
      const up = Date.now();
      const back = await repliesWhere(client, (r) => r.t > up + 100 && r.ok, 21);
      expect(new Set(back.map((r) => r.body))).toEqual(new Set(['rs1', 'rs2']));
      await client.stop();
      await d.stop();
    } finally {
      for (const u of undo) await u().catch(() => {});
      await lab.destroy();
    }
  });

  it('NAT with port mapping (VIP:80 → RIP:8080) through the assembled director', async () => {
    const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'] });
    try {
      await lab.httpServer(hosts.rs1, 8080, 'rs1');
      // One-armed NAT: the real server reaches the client through the director.
      await lab.addRoute(hosts.rs1, `${ip.client}/32`, ip.director);
      const file = write('nat', {
        interfaces: [{ name: 'eth0', address: ip.director }],
        vips: { web: VIP },
        neighbours: { [ip.rs1]: mac(hosts.rs1), [ip.client]: mac(hosts.client) },
        services: [
          { name: 'http', vip: 'web', port: 80, method: 'masq', realServers: [{ address: ip.rs1, port: 8080 }] },
        ],
      });
      const d = await startDirector(lab, hosts.director, file);
      const client = startClient(lab, hosts.client, `http://${VIP}/`, 50, 10);
      await client.exited;
      const got = replies(client);
      expect(got.length).toBe(10);
      expect(got.every((r) => r.ok && r.body === 'rs1')).toBe(true);
      await d.stop();
    } finally {
      await lab.destroy();
    }
  });

  it('TUN (IPIP) through the assembled director', async () => {
    const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'] });
    try {
      const setup = await tunRealServer(lab, hosts.rs1, VIP, ip.director);
      await lab.httpServer(hosts.rs1, 80, 'rs1');
      const file = write('tun', {
        interfaces: [{ name: 'eth0', address: ip.director }],
        vips: { web: VIP },
        neighbours: { [ip.rs1]: mac(hosts.rs1) },
        services: [{ name: 'http', vip: 'web', port: 80, method: 'tunnel', realServers: [{ address: ip.rs1 }] }],
      });
      const d = await startDirector(lab, hosts.director, file);
      try {
        const client = startClient(lab, hosts.client, `http://${VIP}/`, 50, 10);
        await client.exited;
        const got = replies(client);
        expect(got.length).toBe(10);
        expect(got.every((r) => r.ok && r.body === 'rs1')).toBe(true);
      } finally {
        await d.stop();
        await setup.undo();
      }
    } finally {
      await lab.destroy();
    }
  });
});
