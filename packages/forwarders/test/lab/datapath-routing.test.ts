/**
 * The datapath over more than one interface, and next hops it resolves itself.
 *
 * Two-armed NAT, the classic LVS-NAT layout (netlab's two-segment lab): clients on 198.18.1.0/24 reach the
 * VIP on the director's eth0; real servers on 198.18.2.0/24 behind its eth1 use the director's eth1
 * address as their default gateway. The datapath binds both interfaces; requests leave by eth1 (the real
 * servers' connected subnet), replies by eth0. No MAC is configured and the director's kernel has never
 * talked to the real servers, so the datapath sends ARP requests itself and learns the answers. Checked
 * with curl (rr over two real servers, VIP:80 → RIP:8080) and with 8 MB each way through offloaded
 * super-frames that now cross from one interface to the other.
 *
 * Clients behind a router: one-armed NAT on an inside segment, the client on an outside segment beyond a
 * router. NAT replies to the client (not on any connected subnet) must go to the router's MAC through the
 * `gateway` option — before it, they went to the client's own address, which no neighbour table holds.
 */

import { fileURLToPath } from 'node:url';
import { DropReason } from '@lvskit/base';
import { ipvs } from '@lvskit/core';
import { PacketSocket } from '@lvskit/native';
import {
  buildSegmentLab,
  buildTwoSegmentLab,
  createLab,
  type Lab,
  type LabHost,
  offloadsOn,
  requireLab,
  requireOwnTools,
} from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { applyDrRealServer, createDatapath, DatapathCounter } from '../../src/index.js';
import { eth4, ipv4, noise, udp } from '../golden/builder.js';

const canRun = requireLab();
const hasPing = canRun && requireOwnTools('the datapath routing socket-filter tests', 'ping');
const BULK = fileURLToPath(new URL('./bulk.mjs', import.meta.url));
const MB = 1 << 20;

async function curl(lab: Lab, client: LabHost, url: string): Promise<string> {
  const r = await lab.exec(client, ['curl', '-s', '--max-time', '5', url], { check: false, timeoutMs: 15_000 });
  return r.stdout.trim();
}

describe.runIf(canRun)('lab: datapath routing (interfaces, gateway, own ARP)', () => {
  it('two-armed NAT: clients on eth0, real servers behind eth1, MACs resolved by our own ARP', async () => {
    const VIP = '198.18.1.100';
    const { lab, hosts, serverSideIp } = await buildTwoSegmentLab({
      clients: ['client'],
      directors: ['director'],
      servers: ['rs1', 'rs2'],
    });
    try {
      // The kernel must not forward (or answer) what the datapath translates.
      await lab.sysctl(hosts.director, { 'net.ipv4.ip_forward': '0' });
      for (const rs of [hosts.rs1, hosts.rs2]) {
        await lab.httpServer(rs, 8080, rs.name);
        const p = lab.spawn(rs, [process.execPath, BULK, 'server', rs.name, '9001']);
        await p.waitForOutput(/listening/);
      }
      for (const h of [hosts.client, hosts.rs1, hosts.rs2]) await offloadsOn(lab, h);
      const before = await lab.exec(hosts.director, ['ip', '-4', 'neigh', 'show', 'dev', 'eth1']);
      expect(before.stdout).not.toContain(serverSideIp.rs1);
      const datapath = createDatapath({
        ifname: 'eth0',
        interfaces: [{ ifname: 'eth1' }],
        netns: hosts.director.ns,
        vips: [VIP],
      });
      const lvs = await ipvs()
        .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
        .realServer('web', { address: serverSideIp.rs1, port: 8080, method: 'masq' })
        .realServer('web', { address: serverSideIp.rs2, port: 8080, method: 'masq' })
        .service('bulk', { protocol: 'tcp', address: VIP, port: 9000, scheduler: 'rr' })
        .realServer('bulk', { address: serverSideIp.rs1, port: 9001, method: 'masq' })
        .start({ packets: datapath });
      try {
        // The first SYN to each real server waits for our ARP (dropped, NEXT_HOP_UNKNOWN); curl's SYN
        // retransmission (1 s) then goes through.
        const served: string[] = [];
        for (let i = 0; i < 6; i++) served.push(await curl(lab, hosts.client, `http://${VIP}/`));
        expect(new Set(served)).toEqual(new Set(['rs1', 'rs2']));
        expect(datapath.counters[DatapathCounter.ARP_REQUESTS]).toBeGreaterThanOrEqual(2);
        const r = await lab.exec(
          hosts.client,
          [process.execPath, BULK, 'client', VIP, '9000', String(8 * MB), String(8 * MB)],
          { check: false, timeoutMs: 40_000 },
        );
        expect(r.stderr.trim()).toBe('');
        expect(JSON.parse(r.stdout)).toMatchObject({ name: 'rs1', upOk: true, downOk: true, downBytes: 8 * MB });
        expect(datapath.counters[DatapathCounter.SUPER_FRAMES]).toBeGreaterThan(0);
        expect(datapath.drops[DropReason.OFFLOAD_UNSUPPORTED]).toBe(0);
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });

  it('two-armed NAT over IPv6: subnets from the kernel, next hops by our own neighbour solicitations', async () => {
    const VIP6 = '2001:2:0:1::100';
    const { lab, hosts } = await buildTwoSegmentLab({ clients: ['client'], directors: ['director'], servers: ['rs1'] });
    try {
      await lab.sysctl(hosts.director, { 'net.ipv4.ip_forward': '0', 'net.ipv6.conf.all.forwarding': '0' });
      await lab.addAddress(hosts.client, 'eth0', '2001:2:0:1::10/64');
      await lab.addAddress(hosts.director, 'eth0', '2001:2:0:1::1/64');
      await lab.addAddress(hosts.director, 'eth1', '2001:2:0:2::1/64');
      await lab.addAddress(hosts.rs1, 'eth0', '2001:2:0:2::10/64');
      await lab.exec(hosts.rs1, ['ip', '-6', 'route', 'add', 'default', 'via', '2001:2:0:2::1']);
      await lab.httpServer(hosts.rs1, 8080, 'rs1');
      const datapath = createDatapath({
        ifname: 'eth0',
        interfaces: [{ ifname: 'eth1' }],
        netns: hosts.director.ns,
        vips: [VIP6],
      });
      const lvs = await ipvs()
        .service('web', { protocol: 'tcp', address: VIP6, port: 80, scheduler: 'rr' })
        .realServer('web', { address: '2001:2:0:2::10', port: 8080, method: 'masq' })
        .start({ packets: datapath });
      try {
        for (let i = 0; i < 3; i++) expect(await curl(lab, hosts.client, `http://[${VIP6}]/`)).toBe('rs1');
        // Our solicitations: the real server (via eth1) and the client (via eth0) at least.
        expect(datapath.counters[DatapathCounter.ARP_REQUESTS]).toBeGreaterThanOrEqual(2);
        expect(datapath.counters[DatapathCounter.FORWARDED]).toBeGreaterThan(10);
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });

  it('two-armed NAT onto a smaller MTU: fragments without DF, fragmentation-needed with DF', async () => {
    const VIP = '198.18.5.100';
    const lab = await createLab();
    try {
      const outside = await lab.addSegment('outside');
      const inside = await lab.addSegment('inside');
      const client = await lab.addHost('client', { ipv6: false });
      const dir = await lab.addHost('director', { ipv6: false });
      const rs = await lab.addHost('rs1', { ipv6: false });
      await lab.connect(client, outside, { ifname: 'eth0', addresses: ['198.18.5.10/24'], mtu: 9000 });
      await lab.connect(dir, outside, { ifname: 'eth0', addresses: ['198.18.5.1/24'], mtu: 9000 });
      await lab.connect(dir, inside, { ifname: 'eth1', addresses: ['198.18.6.1/24'] });
      await lab.connect(rs, inside, { ifname: 'eth0', addresses: ['198.18.6.10/24'] });
      await lab.addRoute(rs, 'default', '198.18.6.1');
      // The real server reports the size of every datagram its stack delivers (reassembled or not).
      const sink = lab.spawn(rs, [
        process.execPath,
        '-e',
        "const s=require('node:dgram').createSocket('udp4');s.on('message',(m)=>console.log('got '+m.length));" +
          "s.bind(5353,()=>console.log('listening'))",
      ]);
      await sink.waitForOutput(/listening/);
      const datapath = createDatapath({ ifname: 'eth0', interfaces: [{ ifname: 'eth1' }], netns: dir.ns, vips: [VIP] });
      const lvs = await ipvs()
        .service('dns', { protocol: 'udp', address: VIP, port: 53, scheduler: 'rr' })
        .realServer('dns', { address: '198.18.6.10', port: 5353, method: 'masq' })
        .start({ packets: datapath });
      const sock = PacketSocket.open({ ifname: 'eth0', netns: client.ns, protocol: 0x0800, frameSize: 9100 });
      try {
        const dirMac = dir.interfaces.get('eth0')!.mac;
        const clientMac = client.interfaces.get('eth0')!.mac;
        const send = (df: boolean, id: number) => {
          const f = eth4(
            dirMac,
            clientMac,
            ipv4(
              { src: '198.18.5.10', dst: VIP, df, id },
              udp({ sport: 40_000 + id, dport: 53, data: noise(4000, id) }),
            ),
          );
          sock.tx.buffer.set(f, 0);
          sock.tx.offsets[0] = 0;
          sock.tx.lengths[0] = f.length;
          expect(sock.send(1)).toBe(1);
        };
        // The first datagram may wait for our ARP for the real server (dropped meanwhile): send until it lands.
        for (let i = 1; i <= 5 && !/got 4000/.test(sink.output()); i++) {
          send(false, i);
          await new Promise((r) => setTimeout(r, 300));
        }
        expect(sink.output()).toContain('got 4000');
        // 4,008 bytes of UDP behind 20 of IPv4 into 1,500: 1,480 + 1,480 + 1,048.
        expect(datapath.counters[DatapathCounter.FRAGMENTS]).toBeGreaterThanOrEqual(3);
        expect(datapath.counters[DatapathCounter.FRAGMENTS]! % 3).toBe(0);
        // With DF: ICMP fragmentation-needed (next-hop MTU 1500) back out the interface it came in by.
        const before = datapath.counters[DatapathCounter.REPLIED]!;
        send(true, 9);
        let icmp: { type: number; code: number; mtu: number } | undefined;
        const until = Date.now() + 2000;
        while (icmp === undefined && Date.now() < until) {
          const n = sock.receive();
          for (let i = 0; i < n; i++) {
            const o = sock.rx.offsets[i]!;
            const b = sock.rx.buffer;
            if (b[o + 23] === 1 && b[o + 34] === 3) icmp = { type: 3, code: b[o + 35]!, mtu: b.readUInt16BE(o + 40) };
          }
          if (n === 0) await new Promise((r) => setTimeout(r, 10));
        }
        expect(icmp).toEqual({ type: 3, code: 4, mtu: 1500 });
        expect(datapath.counters[DatapathCounter.REPLIED]).toBe(before + 1);
      } finally {
        sock.close();
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });

  it('NAT replies to a client behind a router go to the gateway', async () => {
    const VIP = '198.18.3.100';
    const lab = await createLab();
    try {
      const outside = await lab.addSegment('outside');
      const inside = await lab.addSegment('inside');
      const client = await lab.addHost('client', { ipv6: false });
      const router = await lab.addHost('router', { ipv6: false, forwarding: true });
      const dir = await lab.addHost('director', { ipv6: false });
      const rs = await lab.addHost('rs1', { ipv6: false });
      await lab.connect(client, outside, { ifname: 'eth0', addresses: ['198.18.4.10/24'] });
      await lab.connect(router, outside, { ifname: 'eth0', addresses: ['198.18.4.1/24'] });
      await lab.connect(router, inside, { ifname: 'eth1', addresses: ['198.18.3.1/24'] });
      await lab.connect(dir, inside, { ifname: 'eth0', addresses: ['198.18.3.2/24'] });
      await lab.connect(rs, inside, { ifname: 'eth0', addresses: ['198.18.3.10/24'] });
      await lab.addRoute(client, '198.18.3.0/24', '198.18.4.1');
      // One-armed NAT on the inside: the real server reaches the clients through the director.
      await lab.addRoute(rs, '198.18.4.0/24', '198.18.3.2');
      await lab.httpServer(rs, 80, 'rs1');
      const datapath = createDatapath({ ifname: 'eth0', netns: dir.ns, vips: [VIP], gateway: '198.18.3.1' });
      const lvs = await ipvs()
        .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
        .realServer('web', { address: '198.18.3.10', method: 'masq' })
        .start({ packets: datapath });
      try {
        for (let i = 0; i < 3; i++) expect(await curl(lab, client, `http://${VIP}/`)).toBe('rs1');
        // Replies went out: nothing was left waiting for the client's own MAC.
        expect(datapath.counters[DatapathCounter.FORWARDED]).toBeGreaterThan(10);
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  });

  it.runIf(hasPing).each([true, false])(
    'socket filter %s: the director’s own traffic reaches the datapath only without the filter',
    async (filter) => {
      const VIP = '198.18.0.100';
      const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'], ipv6: false });
      try {
        await applyDrRealServer({ vips: [VIP], netns: hosts.rs1.ns });
        await lab.httpServer(hosts.rs1, 80, 'rs1');
        const datapath = createDatapath({
          ifname: 'eth0',
          netns: hosts.director.ns,
          vips: [VIP],
          filter,
          neighbours: { [ip.rs1]: hosts.rs1.interfaces.get('eth0')!.mac },
        });
        const lvs = await ipvs()
          .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
          .realServer('web', { address: ip.rs1, method: 'route' })
          .start({ packets: datapath });
        try {
          expect(await curl(lab, hosts.client, `http://${VIP}/`)).toBe('rs1');
          const before = datapath.counters[DatapathCounter.RECEIVED]!;
          // 50 echo requests to the director's own address: its kernel answers them.
          const ping = await lab.ping(hosts.client, ip.director, { count: 50, intervalMs: 2, timeoutMs: 2000 });
          expect(ping.received).toBe(50);
          const seen = datapath.counters[DatapathCounter.RECEIVED]! - before;
          if (filter)
            expect(seen).toBeLessThan(5); // at most a stray ARP
          else expect(seen).toBeGreaterThanOrEqual(50);
          expect(await curl(lab, hosts.client, `http://${VIP}/`)).toBe('rs1'); // VIP traffic still passes
        } finally {
          await lvs.stop();
        }
      } finally {
        await lab.destroy();
      }
    },
  );

  it('refuses two gateways of a family, gateway with gateways, a bad address and an interface given twice', () => {
    expect(() =>
      createDatapath({
        ifname: 'eth0',
        vips: ['198.18.0.100'],
        gateway: '198.18.0.1',
        interfaces: [{ ifname: 'eth1', gateway: '198.18.1.1' }],
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => createDatapath({ ifname: 'eth0', vips: ['198.18.0.100'], interfaces: [{ ifname: 'eth0' }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    // One gateway per family: an IPv6 one beside an IPv4 one is fine, a second IPv6 one is not.
    expect(() =>
      createDatapath({ ifname: 'eth0', vips: ['198.18.0.100'], gateways: ['198.18.0.1', '2001:2::1'] }),
    ).not.toThrow();
    expect(() =>
      createDatapath({
        ifname: 'eth0',
        vips: ['198.18.0.100'],
        gateway: '2001:2::1',
        interfaces: [{ ifname: 'eth1', gateway: '2001:2:0:1::1' }],
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() =>
      createDatapath({ ifname: 'eth0', vips: ['198.18.0.100'], gateway: '198.18.0.1', gateways: ['198.18.0.2'] }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => createDatapath({ ifname: 'eth0', vips: ['198.18.0.100'], gateway: 'not-an-address' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
