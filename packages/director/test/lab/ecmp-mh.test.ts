/**
 * Scale-out through the datapath (issue 15 items 3 and 4), as root in the network lab, with the router in both
 * modes — plain ECMP (hash-threshold) and a resilient next-hop group: three lvskit
 * directors (datapath on eth0 of their own namespace, DR to three real servers on the same segment, `mh`),
 * each announcing the VIP through a {@link ScaleOut} over its own `gobgpd`, behind a BIRD 2 router that
 * spreads flows over them by ECMP on a 5-tuple hash (packages/announce/test/lab/ecmp-lab.ts). A client holds
 * 3,000 established TCP connections, each answered by the real server that holds it (ecmp-client.mjs /
 * ecmp-server.mjs). Director 1 is then removed (its ScaleOut stops: the withdraw reaches the router and its
 * next hop goes). With plain ECMP the router moves the flows of the removed next hop — and, hash-threshold
 * being what it is, some of the others — to other directors, which know nothing of them: with `mh` (the
 * same lookup table on every director) and `sloppy_tcp` (schedule on a packet that is not a SYN, as the
 * kernel's sysctl does) each moved connection is scheduled again to the real server it already had. Checked:
 * none of the connections reaches a different real server, at least 99.9 % carry on, and how many the router
 * moved (from `ip route get` of each connection's 5-tuple before and after) is reported.
 */
import { type LabProcess, requireLab, requireTools } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEcmpLab, type EcmpLab, VIP } from '../../../announce/test/lab/ecmp-lab.js';
import { createDirector, type Director, defineConfig, ScaleOut } from '../../src/index.js';
import { addRealServers, compareRounds, ECMP_CLIENT, nextHopOf, ping, REAL_SERVERS } from './ecmp-setup.js';

const canRun = requireLab() && requireTools('the ECMP scale-out lab', 'gobgpd', 'gobgp', 'bird', 'birdc');
const CONNECTIONS = 3000;

describe.runIf(canRun).each(['ecmp', 'resilient'] as const)('three mh directors behind the router (%s)', (mode) => {
  let e: EcmpLab;
  const directors: Director[] = [];
  const scales: ScaleOut[] = [];
  let client: LabProcess;

  beforeAll(async () => {
    e = await buildEcmpLab(3, false, mode);
    await addRealServers(e);
    for (let i = 0; i < 3; i++) {
      const d = createDirector(
        defineConfig({
          interfaces: [{ name: 'eth0', address: e.addresses[i]! }],
          vips: { web: VIP },
          // `sysctl net.ipv4.vs.sloppy_tcp=1`: a moved connection's next packet (no SYN) is scheduled.
          switches: { sloppyTcp: true },
          services: [
            {
              name: 'tcp80',
              vip: 'web',
              port: 80,
              scheduler: 'mh',
              // mh-port: the source port joins the hash (one client address would put everything on one server).
              schedulerFlags: ['mh-port'],
              method: 'route',
              realServers: REAL_SERVERS.map((address) => ({ address })),
            },
          ],
        }),
        { netns: e.directors[i]!.ns },
      );
      directors.push(d);
      await d.start();
      const s = new ScaleOut(d, { announcer: e.announcers[i]! });
      scales.push(s);
      await s.start();
    }
    await e.waitNextHops((h) => h.length === 3, 30_000);
    client = e.lab.spawn(e.client, [process.execPath, ECMP_CLIENT, VIP, '80', String(CONNECTIONS), '50']);
    await client.waitForOutput(/"ready":\d+/, 90_000);
  }, 180_000);

  afterAll(async () => {
    if (client) process.kill(client.pid, 'SIGTERM');
    for (const s of scales) await s.stop();
    for (const d of directors) await d.stop();
    await e?.destroy();
  });

  it('3,000 connections established through all three directors, each answered by one real server', async () => {
    expect(
      JSON.parse(
        client
          .output()
          .split('\n')
          .find((l) => l.startsWith('{"ready"'))!,
      ),
    ).toEqual({
      ready: CONNECTIONS,
      open: CONNECTIONS,
    });
    const first = await ping(client);
    expect(first.failed).toBe(0);
    const byServer = new Map<string, number>();
    for (const [, s] of first.conns) byServer.set(s!, (byServer.get(s!) ?? 0) + 1);
    expect([...byServer.keys()].sort()).toEqual(['rs1', 'rs2', 'rs3']);
    const hops = await nextHopOf(
      e,
      first.conns.map(([p]) => p),
    );
    expect(new Set(hops)).toEqual(new Set(e.addresses));
  }, 120_000);

  it('director 1 removed: the router moves flows, none reaches another real server, ≥ 99.9 % carry on', async () => {
    const before = await ping(client);
    const ports = before.conns.map(([p]) => p);
    const hopsBefore = await nextHopOf(e, ports);
    await scales[0]!.stop(); // withdraw + gobgpd ended: the router drops director 1's next hop
    await e.waitNextHops((h) => h.length === 2, 10_000);
    const after = await ping(client);
    const hopsAfter = await nextHopOf(e, ports);
    const { moved, changed, lost } = compareRounds(before, after, hopsBefore, hopsAfter);
    const wasOnD1 = hopsBefore.filter((h) => h === e.addresses[0]).length;
    const movedFromOthers = hopsBefore.filter((h, i) => h !== e.addresses[0] && h !== hopsAfter[i]).length;
    console.log(
      `${mode} remove 1 of 3 (mh + sloppy_tcp): ${moved}/${ports.length} connections moved by the router ` +
        `(${wasOnD1} were on director 1, ${movedFromOthers} moved between the others), ` +
        `${changed} reached another real server, ${lost} lost, ${after.resets} resets`,
    );
    expect(moved).toBeGreaterThanOrEqual(wasOnD1); // director 1's flows all moved
    // Hash-threshold ECMP also moves flows between the directors that stay; a resilient group moves none.
    if (mode === 'resilient') expect(movedFromOthers).toBe(0);
    else expect(movedFromOthers).toBeGreaterThan(0);
    expect(changed).toBe(0);
    expect(lost).toBeLessThanOrEqual(Math.floor(ports.length * 0.001));
  }, 120_000);
});
