/**
 * Two lvskit directors in one virtual router, as root in the network lab: the README's HA director
 * (`examples/ha-director`, unchanged) runs in two namespaces as two processes, over two DR real servers, with a
 * client requesting the VIP every 20 ms. Killing the master (SIGKILL) moves serving to the backup within
 * Master_Down_Interval + 50 ms; the old master, back as BACKUP, neither forwards nor answers ARP for the VIP —
 * checked on frames captured on its own interface and on the client's neighbour entry.
 */
import { formatMac, parseIp, parseMac } from '@lvskit/base';
import { applyDrRealServer } from '@lvskit/forwarders';
import { PacketSocket } from '@lvskit/native';
import { buildSegmentLab, type Lab, type LabHost, type LabProcess, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { haMain, replies, spawnTs, startClient } from './lab-helpers.js';

const canRun = requireLab();
const VIP = '198.18.0.100';

function startDirector(lab: Lab, host: LabHost, priority: number): LabProcess {
  return spawnTs(lab, host, haMain, [String(priority)]);
}

/** Frames `host` sends on eth0 during `ms`: ARP replies for the VIP and IPv4 frames to the VIP (forwarded by DR). */
async function outgoing(host: LabHost, mac: string, ms: number): Promise<{ arpReplies: number; forwarded: number }> {
  const sock = PacketSocket.open({ ifname: 'eth0', netns: host.ns });
  const own = parseMac(mac);
  const vip = parseIp(VIP);
  let arpReplies = 0;
  let forwarded = 0;
  sock.onBatch((n) => {
    const { buffer, offsets, lengths } = sock.rx;
    for (let i = 0; i < n; i++) {
      const o = offsets[i]!;
      if (lengths[i]! < 34) continue;
      let fromUs = true;
      for (let k = 0; k < 6; k++) if (buffer[o + 6 + k] !== own[k]) fromUs = false;
      if (!fromUs) continue;
      const type = (buffer[o + 12]! << 8) | buffer[o + 13]!;
      const at = (off: number) => vip.every((b, k) => buffer[o + off + k] === b);
      if (type === 0x0806 && buffer[o + 21] === 2 && at(28)) arpReplies++;
      if (type === 0x0800 && at(30)) forwarded++;
    }
  });
  await new Promise((r) => setTimeout(r, ms));
  sock.close();
  return { arpReplies, forwarded };
}

/** Sends one broadcast ARP request for the VIP from `host` (as a client whose entry expired would). */
function askArp(host: LabHost, mac: string, ip: string): void {
  const sock = PacketSocket.open({ ifname: 'eth0', netns: host.ns });
  const { buffer, offsets, lengths } = sock.tx;
  const o = offsets[0]!;
  const own = parseMac(mac);
  buffer.fill(0, o, o + 42);
  buffer.fill(0xff, o, o + 6);
  buffer.set(own, o + 6);
  buffer.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1], o + 12);
  buffer.set(own, o + 22);
  buffer.set(parseIp(ip), o + 28);
  buffer.set(parseIp(VIP), o + 38);
  lengths[0] = 42;
  sock.send(1);
  sock.close();
}

async function neighbourOf(lab: Lab, host: LabHost): Promise<string | undefined> {
  const r = await lab.exec(host, ['ip', '-j', 'neigh', 'show', VIP, 'dev', 'eth0'], { check: false });
  const rows = JSON.parse(r.stdout || '[]') as { lladdr?: string }[];
  return rows[0]?.lladdr;
}

describe.runIf(canRun)('lab: two lvskit directors, one virtual router, DR real servers', () => {
  it('the backup serves within Master_Down_Interval + 50 ms of the master dying; back as BACKUP, the old master neither forwards nor answers ARP', async () => {
    // Hosts get 198.18.0.1, .2, … in order: the example's real servers are .3 and .4.
    const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['dir1', 'dir2', 'rs1', 'rs2', 'client'] });
    const undo: (() => Promise<void>)[] = [];
    try {
      for (const rs of [hosts.rs1, hosts.rs2]) {
        undo.push((await applyDrRealServer({ vips: [VIP], netns: rs.ns })).undo);
        await lab.httpServer(rs, 80, rs.name);
      }
      const macOf = (h: LabHost) => hosts[h.name as keyof typeof hosts].interfaces.get('eth0')!.mac;
      const a = startDirector(lab, hosts.dir1, 150);
      await a.waitForOutput(/198\.18\.0\.100: serving/, 20_000);
      const b = startDirector(lab, hosts.dir2, 100);
      await b.waitForOutput(/VI_1: \w+ -> BACKUP/, 20_000);

      const client = startClient(lab, hosts.client, `http://${VIP}/`, 20);
      await new Promise((r) => setTimeout(r, 2_000));
      const before = replies(client);
      expect(before.filter((r) => r.ok).length).toBeGreaterThan(20);
      expect(new Set(before.filter((r) => r.ok).map((r) => r.body))).toEqual(new Set(['rs1', 'rs2']));
      expect(await neighbourOf(lab, hosts.client)).toBe(macOf(hosts.dir1));

      // Kill the master. Master_Down_Interval of the backup: 3 × 1 s + (256 − 100) / 256 s.
      const killedAt = Date.now();
      process.kill(a.pid, 'SIGKILL');
      await a.exited;
      const lines = b.output().length;
      await b.waitForOutput(/198\.18\.0\.100: serving/, 10_000);
      const servedAt = Date.now();
      expect(b.output().slice(lines)).toMatch(/VI_1: BACKUP -> MASTER/);
      expect(servedAt - killedAt).toBeLessThanOrEqual(3_000 + (156 / 256) * 1000 + 50);
      await new Promise((r) => setTimeout(r, 1_500));
      const after = replies(client).filter((r) => r.t > servedAt + 200);
      expect(after.length).toBeGreaterThan(10);
      expect(after.every((r) => r.ok)).toBe(true);
      expect(await neighbourOf(lab, hosts.client)).toBe(macOf(hosts.dir2));

      // The old master comes back with a lower priority: BACKUP. It must neither forward nor answer ARP.
      const a2 = startDirector(lab, hosts.dir1, 50);
      await a2.waitForOutput(/VI_1: \w+ -> BACKUP/, 20_000);
      const capture = outgoing(hosts.dir1, macOf(hosts.dir1), 2_000);
      await new Promise((r) => setTimeout(r, 200));
      askArp(hosts.client, macOf(hosts.client), ip.client);
      const seen = await capture;
      expect(seen).toEqual({ arpReplies: 0, forwarded: 0 });
      expect(await neighbourOf(lab, hosts.client)).toBe(macOf(hosts.dir2));
      const late = replies(client).filter((r) => r.t > servedAt + 200);
      expect(late.filter((r) => r.ok).length).toBe(late.length);
      expect(formatMac(parseMac(macOf(hosts.dir2)))).toBe(macOf(hosts.dir2));

      await client.stop();
      await a2.stop();
      await b.stop();
    } finally {
      for (const u of undo) await u().catch(() => {});
      await lab.destroy();
    }
  });
});
