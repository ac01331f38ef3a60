/**
 * Segmentation offload through the live datapath. Every sender keeps its veth's TSO, GSO and checksum
 * offload on (the veth defaults), so its kernel hands the director super-frames of up to 64 KiB with
 * partial checksums. Multi-megabyte uploads (DR, NAT) and downloads (NAT replies, which cross the director)
 * must arrive byte for byte (SHA-256 on both ends), with super-frames forwarded whole for the kernel to
 * segment (counter SUPER_FRAMES) and nothing dropped as OVERSIZED or OFFLOAD_UNSUPPORTED. Before this,
 * the 2 KiB receive slots cut such frames and a 300 KB POST through DR stalled.
 */

import { fileURLToPath } from 'node:url';
import { director } from '@lvskit/core';
import { buildSegmentLab, type Lab, type LabHost, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { applyDrRealServer, createDatapath, DatapathCounter, DropReason } from '../../src/index.js';

const canRun = requireLab();
const VIP = '198.18.0.100';
const BULK = fileURLToPath(new URL('./bulk.mjs', import.meta.url));
const MB = 1 << 20;

interface Transfer {
  name: string;
  upOk: boolean;
  downOk: boolean;
  downBytes: number;
  ms: number;
}

async function offloadOn(lab: Lab, host: LabHost): Promise<void> {
  await lab.exec(host, ['ethtool', '-K', 'eth0', 'tx', 'on', 'sg', 'on', 'tso', 'on', 'gso', 'on']);
}

async function bulkServer(lab: Lab, host: LabHost, port: number): Promise<void> {
  const p = lab.spawn(host, [process.execPath, BULK, 'server', host.name, String(port)]);
  await p.waitForOutput(/listening/);
}

async function transfer(lab: Lab, client: LabHost, port: number, up: number, down: number): Promise<Transfer> {
  const r = await lab.exec(client, [process.execPath, BULK, 'client', VIP, String(port), String(up), String(down)], {
    check: false,
    timeoutMs: 40_000,
  });
  expect(r.stderr.trim()).toBe('');
  return JSON.parse(r.stdout) as Transfer;
}

describe.runIf(canRun)('lab: datapath with segmentation offload (GSO super-frames, partial checksums)', () => {
  it('DR: 8 MB uploads arrive intact with super-frames forwarded whole', async () => {
    const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1', 'rs2'] });
    try {
      for (const rs of [hosts.rs1, hosts.rs2]) {
        await applyDrRealServer({ vips: [VIP], netns: rs.ns });
        await bulkServer(lab, rs, 9000);
      }
      await offloadOn(lab, hosts.client);
      const datapath = createDatapath({
        ifname: 'eth0',
        netns: hosts.director.ns,
        vips: [VIP],
        neighbours: {
          [ip.rs1]: hosts.rs1.interfaces.get('eth0')!.mac,
          [ip.rs2]: hosts.rs2.interfaces.get('eth0')!.mac,
        },
      });
      const lvs = await director()
        .service('bulk', { protocol: 'tcp', address: VIP, port: 9000, scheduler: 'rr' })
        .realServer('bulk', { address: ip.rs1, method: 'route' })
        .realServer('bulk', { address: ip.rs2, method: 'route' })
        .start({ packets: datapath });
      try {
        const names = new Set<string>();
        for (let i = 0; i < 2; i++) {
          const t = await transfer(lab, hosts.client, 9000, 8 * MB, 1000);
          expect(t).toMatchObject({ upOk: true, downOk: true, downBytes: 1000 });
          names.add(t.name);
        }
        expect(names).toEqual(new Set(['rs1', 'rs2']));
        expect(datapath.counters[DatapathCounter.SUPER_FRAMES]).toBeGreaterThan(0);
        expect(datapath.drops[DropReason.OVERSIZED]).toBe(0);
        expect(datapath.drops[DropReason.OFFLOAD_UNSUPPORTED]).toBe(0);
        // Partial checksums went back to the kernel, not through a software completion.
        expect(datapath.counters[DatapathCounter.CHECKSUMS_COMPLETED]).toBe(0);
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });

  it('NAT (VIP:9000 → RIP:9001): 8 MB up and 8 MB down intact, super-frames both ways', async () => {
    const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'] });
    try {
      await bulkServer(lab, hosts.rs1, 9001);
      for (const h of [hosts.client, hosts.rs1]) await offloadOn(lab, h);
      await lab.addRoute(hosts.rs1, `${ip.client}/32`, ip.director);
      const mac = (h: LabHost) => h.interfaces.get('eth0')!.mac;
      const datapath = createDatapath({
        ifname: 'eth0',
        netns: hosts.director.ns,
        vips: [VIP],
        neighbours: { [ip.rs1]: mac(hosts.rs1), [ip.client]: mac(hosts.client) },
      });
      const lvs = await director()
        .service('bulk', { protocol: 'tcp', address: VIP, port: 9000, scheduler: 'rr' })
        .realServer('bulk', { address: ip.rs1, port: 9001, method: 'masq' })
        .start({ packets: datapath });
      try {
        const before = datapath.counters[DatapathCounter.SUPER_FRAMES]!;
        const up = await transfer(lab, hosts.client, 9000, 8 * MB, 100);
        expect(up).toMatchObject({ name: 'rs1', upOk: true, downOk: true });
        const afterUp = datapath.counters[DatapathCounter.SUPER_FRAMES]!;
        expect(afterUp).toBeGreaterThan(before);
        const down = await transfer(lab, hosts.client, 9000, 100, 8 * MB);
        expect(down).toMatchObject({ name: 'rs1', upOk: true, downOk: true, downBytes: 8 * MB });
        // The real server's replies crossed the director as super-frames too (rewritten VIP:9000 → client).
        expect(datapath.counters[DatapathCounter.SUPER_FRAMES]).toBeGreaterThan(afterUp);
        expect(datapath.drops[DropReason.OVERSIZED]).toBe(0);
        expect(datapath.drops[DropReason.OFFLOAD_UNSUPPORTED]).toBe(0);
        expect(datapath.counters[DatapathCounter.CHECKSUMS_COMPLETED]).toBe(0);
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });
});
