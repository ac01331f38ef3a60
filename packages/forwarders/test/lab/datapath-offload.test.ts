/**
 * Segmentation offload and fragmentation through the live datapath. Every sender keeps its veth's TSO, GSO and checksum
 * offload on (the veth defaults), so its kernel hands the director super-frames of up to 64 KiB with
 * partial checksums. Multi-megabyte uploads (DR, NAT) and downloads (NAT replies, which cross the director)
 * must arrive byte for byte (SHA-256 on both ends), with super-frames forwarded whole for the kernel to
 * segment (counter SUPER_FRAMES) and nothing dropped as OVERSIZED or OFFLOAD_UNSUPPORTED. Before this,
 * the 2 KiB receive slots cut such frames and a 300 KB POST through DR stalled. TUN cannot hand a
 * super-frame to the kernel inside IPIP, so the datapath cuts it into segments itself (counter SEGMENTS);
 * through the real server's user-space IPIP agent a multi-megabyte upload must arrive intact too, after the
 * usual ICMP fragmentation-needed (MTU − 20) that tunnelling a full-size DF segment draws. And a datagram
 * without DF that no longer fits once encapsulated leaves as IPv4 fragments (counter FRAGMENTS), which the
 * real server reassembles: checked byte for byte against the original packet.
 */

import { fileURLToPath } from 'node:url';
import { DropReason } from '@lvskit/base';
import { ipvs } from '@lvskit/core';
import { interfaceInfo, PacketSocket } from '@lvskit/native';
import { buildSegmentLab, type Lab, type LabHost, offloadsOn, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import {
  applyDrRealServer,
  createDatapath,
  DatapathCounter,
  fragmentCount,
  PacketInfo,
  parsePacket,
  ReassemblyCounter,
  writeFragment,
} from '../../src/index.js';
import { eth4, ipv4, noise, rfc1071, udp } from '../golden/builder.js';
import { tunRealServer } from './dr-lab.js';

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
  await offloadsOn(lab, host);
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
      const lvs = await ipvs()
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
      const lvs = await ipvs()
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

  it('TUN: a 4 MB upload is cut into segments here, encapsulated, and arrives intact through the IPIP agent', async () => {
    const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'] });
    try {
      await offloadOn(lab, hosts.client);
      const setup = await tunRealServer(lab, hosts.rs1, VIP, ip.director);
      await bulkServer(lab, hosts.rs1, 9000);
      const datapath = createDatapath({
        ifname: 'eth0',
        netns: hosts.director.ns,
        vips: [VIP],
        address: ip.director,
        neighbours: { [ip.rs1]: hosts.rs1.interfaces.get('eth0')!.mac },
      });
      const lvs = await ipvs()
        .service('bulk', { protocol: 'tcp', address: VIP, port: 9000, scheduler: 'rr' })
        .realServer('bulk', { address: ip.rs1, method: 'tunnel' })
        .start({ packets: datapath });
      try {
        const t = await transfer(lab, hosts.client, 9000, 4 * MB, 100);
        expect(t).toMatchObject({ name: 'rs1', upOk: true, downOk: true });
        expect(datapath.counters[DatapathCounter.SEGMENTS]).toBeGreaterThan(0);
        // A full-size DF segment + 20 bytes exceeds the MTU: fragmentation-needed went back to the client.
        expect(datapath.counters[DatapathCounter.REPLIED]).toBeGreaterThan(0);
        expect(datapath.drops[DropReason.OFFLOAD_UNSUPPORTED]).toBe(0);
        expect(datapath.drops[DropReason.NO_ROOM]).toBe(0);
      } finally {
        await lvs.stop();
        await setup.undo();
      }
    } finally {
      await lab.destroy();
    }
  });

  it('TUN: a 1500-byte datagram without DF leaves as two IPIP fragments that reassemble to the packet', async () => {
    const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'], ipv6: false });
    try {
      const macOf = (h: LabHost) => h.interfaces.get('eth0')!.mac;
      const datapath = createDatapath({
        ifname: 'eth0',
        netns: hosts.director.ns,
        vips: [VIP],
        address: ip.director,
        neighbours: { [ip.rs1]: macOf(hosts.rs1) },
      });
      const lvs = await ipvs()
        .service('dns', { protocol: 'udp', address: VIP, port: 53, scheduler: 'rr' })
        .realServer('dns', { address: ip.rs1, method: 'tunnel' })
        .start({ packets: datapath });
      const dirMac = interfaceInfo('eth0', { netns: hosts.director.ns }).mac;
      const client = PacketSocket.open({ ifname: 'eth0', netns: hosts.client.ns, protocol: 0x0800, batchSize: 4 });
      const sink = PacketSocket.open({ ifname: 'eth0', netns: hosts.rs1.ns, protocol: 0x0800, batchSize: 64 });
      try {
        // IP total length 1500 (the MTU), no DF: 1520 bytes once encapsulated.
        const data = Array.from({ length: 1500 - 28 }, (_, i) => (i * 13 + 5) & 0xff);
        const packet = ipv4({ src: ip.client, dst: VIP, ttl: 64, id: 0x4242 }, udp({ sport: 40_000, dport: 53, data }));
        const frame = eth4(dirMac, macOf(hosts.client), packet);
        client.tx.buffer.set(frame, 0);
        client.tx.offsets[0] = 0;
        client.tx.lengths[0] = frame.length;
        expect(client.send(1)).toBe(1);
        const frags: { off: number; mf: boolean; id: number; data: Buffer; ckOk: boolean }[] = [];
        const until = Date.now() + 3000;
        while (frags.length < 2 && Date.now() < until) {
          const n = sink.receive();
          for (let i = 0; i < n; i++) {
            const b = sink.rx.buffer.subarray(sink.rx.offsets[i]!, sink.rx.offsets[i]! + sink.rx.lengths[i]!);
            if (b[23] !== 4) continue; // IPIP only
            const hl = (b[14]! & 0x0f) * 4;
            const total = b.readUInt16BE(16);
            frags.push({
              off: (b.readUInt16BE(20) & 0x1fff) * 8,
              mf: (b.readUInt16BE(20) & 0x2000) !== 0,
              id: b.readUInt16BE(18),
              data: Buffer.from(b.subarray(14 + hl, 14 + total)),
              ckOk: rfc1071([...b.subarray(14, 14 + hl)]) === 0,
            });
          }
          if (n === 0) await new Promise((r) => setTimeout(r, 5));
        }
        expect(frags.map((f) => [f.off, f.mf])).toEqual([
          [0, true],
          [1480, false],
        ]);
        expect(frags[0]!.data.length).toBe(1480); // 1500 − 20 header, a multiple of 8
        expect(frags[0]!.id).toBe(frags[1]!.id);
        expect(frags.every((f) => f.ckOk)).toBe(true);
        // Reassembled: the client's packet, its TTL decremented (and header checksum updated) by the director.
        const inner = Buffer.concat(frags.map((f) => f.data));
        const want = Buffer.from(packet);
        want[8] = 63;
        want.writeUInt16BE(0, 10);
        want.writeUInt16BE(rfc1071([...want.subarray(0, 20)]), 10);
        expect(inner.equals(want)).toBe(true);
        expect(datapath.counters[DatapathCounter.FRAGMENTS]).toBe(2);
        expect(datapath.drops[DropReason.NEEDS_FRAGMENTATION]).toBe(0);
      } finally {
        client.close();
        sink.close();
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });

  it.each([true, false])(
    'DR: a fragmented datagram to the VIP reaches the real server whole (reassembly %s)',
    async (reasm) => {
      const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'], ipv6: false });
      try {
        await applyDrRealServer({ vips: [VIP], netns: hosts.rs1.ns });
        const sink = lab.spawn(hosts.rs1, [
          process.execPath,
          '-e',
          "const s=require('node:dgram').createSocket('udp4');s.on('message',(m)=>console.log('got '+m.length));" +
            "s.bind(53,()=>console.log('listening'))",
        ]);
        await sink.waitForOutput(/listening/);
        const datapath = createDatapath({
          ifname: 'eth0',
          netns: hosts.director.ns,
          vips: [VIP],
          neighbours: { [ip.rs1]: hosts.rs1.interfaces.get('eth0')!.mac },
          ...(reasm ? {} : { reassembly: false as const }),
        });
        const lvs = await ipvs()
          .service('dns', { protocol: 'udp', address: VIP, port: 53, scheduler: 'rr' })
          .realServer('dns', { address: ip.rs1, method: 'route' })
          .start({ packets: datapath });
        const dirMac = interfaceInfo('eth0', { netns: hosts.director.ns }).mac;
        const sock = PacketSocket.open({ ifname: 'eth0', netns: hosts.client.ns, protocol: 0x0800, batchSize: 8 });
        try {
          // One 4,000-byte datagram cut into 1,480 + 1,480 + 1,048 bytes of fragments, sent last one first.
          const whole = eth4(
            dirMac,
            hosts.client.interfaces.get('eth0')!.mac,
            ipv4({ src: ip.client, dst: VIP, id: 0x2222 }, udp({ sport: 40_000, dport: 53, data: noise(4000) })),
          );
          const info = new PacketInfo();
          parsePacket(whole, whole.length, info);
          const n = fragmentCount(info, 1500);
          expect(n).toBe(3);
          for (let k = 0; k < n; k++) {
            const slot = (n - 1 - k) * sock.frameSize;
            sock.tx.offsets[k] = slot;
            sock.tx.lengths[k] = writeFragment(whole, info, 1500, n - 1 - k, sock.tx.buffer, slot);
          }
          expect(sock.send(n)).toBe(n);
          await new Promise((r) => setTimeout(r, 800));
          if (reasm) {
            expect(sink.output()).toContain('got 4000');
            expect(datapath.reassembly[ReassemblyCounter.REASSEMBLED]).toBe(1);
            expect(datapath.counters[DatapathCounter.FRAGMENTS]).toBe(3); // cut again for the 1,500-byte link
          } else {
            // Fragments one by one: only the first carries the ports; the datagram never arrives whole.
            expect(sink.output()).not.toContain('got');
          }
        } finally {
          sock.close();
          await lvs.stop();
        }
      } finally {
        await lab.destroy();
      }
    },
  );
});
