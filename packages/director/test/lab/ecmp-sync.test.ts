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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlConnectionsResult, controlRequest } from '@lvskit/director';
import { type LabProcess, requireLab, requireTools } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEcmpLab, type EcmpLab, VIP } from '../../../announce/test/lab/ecmp-lab.js';
import {
  addRealServers,
  compareRounds,
  directorConfig,
  ECMP_CLIENT,
  type EcmpDaemon,
  nextHopOf,
  ping,
  startDaemon,
} from './ecmp-setup.js';

const canRun = requireLab() && requireTools('the ECMP + sync lab', 'gobgpd', 'gobgp', 'bird', 'birdc');
const CONNECTIONS = 3000;

describe.runIf(canRun)('three wlc directors with connection sync behind an ECMP router', () => {
  let e: EcmpLab;
  let dir: string;
  const daemons: EcmpDaemon[] = [];
  let client: LabProcess;

  beforeAll(async () => {
    e = await buildEcmpLab(3, false);
    dir = mkdtempSync(join(tmpdir(), 'lvskit-ecmp-sync-'));
    await addRealServers(e);
    for (let i = 0; i < 3; i++) {
      const me = e.addresses[i]!;
      const sync = {
        roles: 'both' as const,
        interface: 'eth0',
        address: me,
        peers: e.addresses.filter((a) => a !== me),
      };
      daemons.push(await startDaemon(e, dir, i, directorConfig(e, i, { sync })));
    }
    await e.waitNextHops((h) => h.length === 3, 30_000);
    client = e.lab.spawn(e.client, [process.execPath, ECMP_CLIENT, VIP, '80', String(CONNECTIONS), '50']);
    await client.waitForOutput(/"ready":\d+/, 90_000);
  }, 240_000);

  afterAll(async () => {
    if (client) process.kill(client.pid, 'SIGTERM');
    for (const d of daemons) await d.process.stop();
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
      for (const d of daemons) {
        const r = (await controlRequest(d.socket, 'connections', {})) as ControlConnectionsResult;
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
    const hopsBefore = await nextHopOf(e, ports);
    process.kill(daemons[0]!.process.pid, 'SIGKILL');
    await e.waitNextHops((h) => h.length === 2, 15_000);
    const after = await ping(client);
    const { moved, changed, lost } = compareRounds(before, after, hopsBefore, await nextHopOf(e, ports));
    console.log(
      `ECMP kill 1 of 3 (plain ECMP, wlc + sync): ${moved}/${ports.length} connections moved by the router, ` +
        `${changed} reached another real server, ${lost} lost, ${after.resets} resets`,
    );
    expect(moved).toBeGreaterThan(ports.length / 6);
    expect(changed).toBe(0);
    expect(lost).toBeLessThanOrEqual(Math.floor(ports.length * 0.001));
  }, 120_000);
});
