/**
 * Scale-out with a scheduler that does not make the same choice everywhere (issue 15 item 3): three `lvskit run`
 * daemons, each in its own namespace on a JSON director config — datapath on eth0, DR to three real servers,
 * `wlc`, an `announce` block (its gobgpd peers with the BIRD 2 router of the announce lab) and a `sync` block
 * with both roles and the two other directors as unicast peers, so every director holds every connection. A
 * client holds 3,000 established connections (ecmp-client.mjs). Director 1's daemon is then SIGKILLed: its
 * gobgpd dies with it, the session closes, the router moves its flows (and, hash-threshold being what it is,
 * some of the others) to the other two, which find them in their tables from the sync. Checked: at least
 * 99.9 % of the connections carry on, answered by the real server they had; how many the router moved is
 * reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ControlConnectionsResult, controlRequest, type DirectorConfig } from '@lvskit/director';
import { applyDrRealServer } from '@lvskit/forwarders';
import { type LabProcess, requireLab, requireTools } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildEcmpLab,
  DIRECTOR_AS,
  type EcmpLab,
  HOLD_TIME_SEC,
  ROUTER_AS,
  VIP,
} from '../../../announce/test/lab/ecmp-lab.js';

const canRun = requireLab() && requireTools('the ECMP + sync lab', 'gobgpd', 'gobgp', 'bird', 'birdc');
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const LVSKIT = here('../../bin/lvskit.mjs');
const NODE = [process.execPath, '--conditions=@lvskit/source', '--import', 'tsx'];
const CONNECTIONS = 3000;
const RS = ['198.18.1.10', '198.18.1.11', '198.18.1.12'];

interface Ping {
  readonly conns: [number, string | null][];
  readonly failed: number;
  readonly resets: number;
}

async function ping(client: LabProcess): Promise<Ping> {
  const lines = () =>
    client
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{"conns"'));
  const before = lines().length;
  process.kill(client.pid, 'SIGUSR1');
  const end = Date.now() + 60_000;
  while (lines().length === before) {
    if (Date.now() > end) throw new Error('the client did not answer');
    await new Promise((r) => setTimeout(r, 50));
  }
  return JSON.parse(lines()[before]!) as Ping;
}

describe.runIf(canRun)('three wlc directors with connection sync behind an ECMP router', () => {
  let e: EcmpLab;
  let dir: string;
  const daemons: LabProcess[] = [];
  const sockets: string[] = [];
  let client: LabProcess;

  async function nextHopOf(ports: readonly number[]): Promise<string[]> {
    const batch = ports.map((p) => `route get ${VIP} from 198.18.3.2 iif eth1 ipproto tcp sport ${p} dport 80`);
    const r = await e.lab.exec(e.router, ['ip', '-batch', '-'], { input: `${batch.join('\n')}\n`, timeoutMs: 60_000 });
    return [...r.stdout.matchAll(/via (\S+)/g)].map((m) => m[1]!);
  }

  beforeAll(async () => {
    e = await buildEcmpLab(3, false);
    dir = mkdtempSync(join(tmpdir(), 'lvskit-ecmp-sync-'));
    for (let i = 0; i < 3; i++) {
      const rs = await e.lab.addHost(`rs${i + 1}`);
      await e.lab.connect(rs, 'edge', { ifname: 'eth0', addresses: [`${RS[i]}/24`] });
      await e.lab.addRoute(rs, 'default', '198.18.1.1');
      await applyDrRealServer({ vips: [VIP], netns: rs.ns });
      const srv = e.lab.spawn(rs, [process.execPath, here('./ecmp-server.mjs'), VIP, '80', `rs${i + 1}`]);
      await srv.waitForOutput(/listening/, 10_000);
    }
    for (let i = 0; i < 3; i++) {
      const me = e.addresses[i]!;
      const config: DirectorConfig = {
        interfaces: [{ name: 'eth0', address: me }],
        vips: { web: VIP },
        services: [
          {
            name: 'tcp80',
            vip: 'web',
            port: 80,
            scheduler: 'wlc',
            method: 'route',
            realServers: RS.map((address) => ({ address })),
          },
        ],
        announce: {
          bgp: {
            localAs: DIRECTOR_AS,
            routerId: me,
            localAddress: me,
            peers: [
              { address: '198.18.1.1', as: ROUTER_AS, holdTimeSec: HOLD_TIME_SEC, keepaliveSec: 1, connectRetrySec: 1 },
            ],
          },
        },
        sync: { roles: 'both', interface: 'eth0', address: me, peers: e.addresses.filter((a) => a !== me) },
      };
      const file = join(dir, `d${i + 1}.json`);
      writeFileSync(file, JSON.stringify(config, null, 2));
      const sock = join(dir, `d${i + 1}.sock`);
      sockets.push(sock);
      const p = e.lab.spawn(e.directors[i]!, [...NODE, LVSKIT, 'run', file, '--control-socket', sock]);
      daemons.push(p);
      await p.waitForOutput(/BGP: announcing/, 60_000);
    }
    await e.waitNextHops((h) => h.length === 3, 30_000);
    client = e.lab.spawn(e.client, [process.execPath, here('./ecmp-client.mjs'), VIP, '80', String(CONNECTIONS), '50']);
    await client.waitForOutput(/"ready":\d+/, 90_000);
  }, 240_000);

  afterAll(async () => {
    if (client) process.kill(client.pid, 'SIGTERM');
    for (const d of daemons) await d.stop();
    await e?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every director holds all 3,000 connections (its own and the two others’ by sync)', async () => {
    const first = await ping(client);
    expect(first.failed).toBe(0);
    expect(new Set(first.conns.map(([, s]) => s))).toEqual(new Set(['rs1', 'rs2', 'rs3']));
    // Three more rounds: each connection's in_pkts passes the sync threshold (3) on its director.
    for (let k = 0; k < 3; k++) await ping(client);
    const end = Date.now() + 30_000;
    let counts: number[] = [];
    for (;;) {
      counts = [];
      for (const s of sockets) {
        const r = (await controlRequest(s, 'connections', {})) as ControlConnectionsResult;
        counts.push(r.connections.filter((c) => c.virtualPort === 80 && c.state === 'ESTABLISHED').length);
      }
      if (counts.every((n) => n >= CONNECTIONS) || Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(counts).toEqual([CONNECTIONS, CONNECTIONS, CONNECTIONS]);
  }, 120_000);

  it('director 1 killed (SIGKILL): the router moves flows, ≥ 99.9 % carry on with the real server they had', async () => {
    const before = await ping(client);
    const ports = before.conns.map(([p]) => p);
    const hopsBefore = await nextHopOf(ports);
    process.kill(daemons[0]!.pid, 'SIGKILL');
    await e.waitNextHops((h) => h.length === 2, 15_000);
    const hopsAfter = await nextHopOf(ports);
    const moved = ports.filter((_, i) => hopsBefore[i] !== hopsAfter[i]).length;
    const after = await ping(client);
    const server = new Map(before.conns);
    let changed = 0;
    let lost = 0;
    for (const [p, s] of after.conns) {
      if (s === null) lost++;
      else if (s !== server.get(p)) changed++;
    }
    console.log(
      `ECMP kill 1 of 3 (plain ECMP, wlc + sync): ${moved}/${ports.length} connections moved by the router, ` +
        `${changed} reached another real server, ${lost} lost, ${after.resets} resets`,
    );
    expect(moved).toBeGreaterThan(ports.length / 6);
    expect(changed).toBe(0);
    expect(lost).toBeLessThanOrEqual(Math.floor(ports.length * 0.001));
  }, 120_000);
});
