/**
 * The lab's own `ping` and `arping` on a real segment, checked against what the kernels of the other hosts
 * do: echo replies from a live host (IPv4 and IPv6) and none from an absent one or one that drops ICMP; ARP
 * replies carrying the answering host's MAC, RFC 5227 probes answered too, and a gratuitous ARP that moves a
 * third host's neighbour entry (Linux takes a gratuitous request as an override, net/ipv4/arp.c
 * `arp_process`). The echo requests carry a valid checksum.
 */
import { internetChecksum, LvsError } from '@lvskit/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSegmentLab, echoRequests, type Lab, type LabHost, requireLab, requireOwnTools } from '../src/index.js';

describe('echoRequests', () => {
  it('builds numbered echo requests: IPv4 with a valid checksum, IPv6 left to the kernel', () => {
    const v4 = echoRequests(4, 0x1234, 3, 56);
    expect(v4).toHaveLength(3);
    for (const [i, m] of v4.entries()) {
      expect(m.length).toBe(64);
      expect([m[0], m[1]]).toEqual([8, 0]); // RFC 792: type 8 code 0
      expect(m.readUInt16BE(4)).toBe(0x1234);
      expect(m.readUInt16BE(6)).toBe(i + 1);
      expect(internetChecksum(m, 0, m.length)).toBe(0); // a correct checksum sums to zero
    }
    const v6 = echoRequests(6, 7, 1, 0);
    expect([...v6[0]!]).toEqual([128, 0, 0, 0, 0, 7, 0, 1]); // RFC 4443 §4.1, checksum by the kernel
  });
});

const canRun = requireLab() && requireOwnTools('the netlab ping/arping tests', 'ping', 'arping');

describe.runIf(canRun)('netlab: the lab’s own ping and arping', () => {
  let lab: Lab;
  let hosts: { a: LabHost; b: LabHost; x: LabHost };
  let ip: { a: string; b: string; x: string };
  beforeAll(async () => {
    const built = await buildSegmentLab({ hosts: ['a', 'b', 'x'], subnet: '198.18.14.0/24' });
    lab = built.lab;
    hosts = built.hosts;
    ip = built.ip;
    for (const [h, n] of [
      [hosts.a, 1],
      [hosts.b, 2],
    ] as const) {
      await lab.addAddress(h, 'eth0', `2001:2:0:14::${n}/64`);
    }
  });
  afterAll(async () => {
    await lab?.destroy();
  });
  const mac = (h: LabHost): string => h.interfaces.get('eth0')?.mac ?? '';

  it('ping: IPv4 echo replies with round-trip times; nothing from an absent host', async () => {
    const r = await lab.ping(hosts.a, ip.b, { count: 3, intervalMs: 20, timeoutMs: 2000 });
    expect(r).toMatchObject({ sent: 3, received: 3, errors: [] });
    expect(r.rttsMs).toHaveLength(3);
    for (const t of r.rttsMs) expect(t).toBeGreaterThan(0);
    const none = await lab.ping(hosts.a, '198.18.14.200', { timeoutMs: 300 });
    expect(none).toMatchObject({ sent: 1, received: 0 });
  });

  it('ping: a host that drops ICMP echo does not answer, and answers again once it stops', async () => {
    await lab.sysctl(hosts.b, { 'net.ipv4.icmp_echo_ignore_all': '1' });
    try {
      expect((await lab.ping(hosts.a, ip.b, { count: 2, intervalMs: 0, timeoutMs: 300 })).received).toBe(0);
    } finally {
      await lab.sysctl(hosts.b, { 'net.ipv4.icmp_echo_ignore_all': '0' });
    }
    expect((await lab.ping(hosts.a, ip.b, { timeoutMs: 2000 })).received).toBe(1);
  });

  it('ping: IPv6 echo (any text form of the address)', async () => {
    const r = await lab.ping(hosts.a, '2001:0002:0000:0014:0000:0000:0000:0002', { count: 2, timeoutMs: 2000 });
    expect(r).toMatchObject({ sent: 2, received: 2 });
    expect((await lab.ping(hosts.a, '2001:2:0:14::99', { timeoutMs: 300 })).received).toBe(0);
  });

  it('ping: refuses addresses outside the lab and bad options, sending nothing', async () => {
    await expect(lab.ping(hosts.a, '8.8.8.8')).rejects.toMatchObject({ code: 'NETLAB_BAD_ADDRESS' });
    await expect(lab.ping(hosts.a, 'b')).rejects.toMatchObject({ code: 'NETLAB_BAD_ADDRESS' });
    await expect(lab.ping(hosts.a, ip.b, { count: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(lab.ping(hosts.a, ip.b, { timeoutMs: 1.5 })).rejects.toBeInstanceOf(LvsError);
  });

  it('arping: the owner answers with its MAC, RFC 5227 probes too; nobody answers for an absent address', async () => {
    const r = await lab.arping(hosts.a, 'eth0', ip.b, { count: 2, intervalMs: 20 });
    expect(r.sent).toBe(2);
    expect(r.received).toBe(2);
    expect(r.macs).toEqual([mac(hosts.b)]);
    const probe = await lab.arping(hosts.a, 'eth0', ip.b, { source: '0.0.0.0' });
    expect(probe.macs).toEqual([mac(hosts.b)]);
    const none = await lab.arping(hosts.a, 'eth0', '198.18.14.200', { timeoutMs: 300 });
    expect(none).toEqual({ sent: 1, received: 0, macs: [] });
    await expect(lab.arping(hosts.a, 'eth0', '2001:2:0:14::2')).rejects.toMatchObject({ code: 'NETLAB_BAD_ADDRESS' });
    await expect(lab.arping(hosts.a, 'no0', ip.b)).rejects.toMatchObject({ code: 'NATIVE_NO_INTERFACE' });
  });

  it('arping announce: a gratuitous ARP moves a neighbour entry to the announcer', async () => {
    const VIP = '198.18.14.100';
    const neighbour = async (): Promise<string> => {
      const r = await lab.exec(hosts.x, ['ip', '-4', 'neigh', 'show', VIP, 'dev', 'eth0']);
      return /lladdr (\S+)/.exec(r.stdout)?.[1] ?? '';
    };
    await lab.addAddress(hosts.a, 'eth0', `${VIP}/32`);
    expect((await lab.ping(hosts.x, VIP, { timeoutMs: 2000 })).received).toBe(1);
    expect(await neighbour()).toBe(mac(hosts.a));
    await lab.removeAddress(hosts.a, 'eth0', `${VIP}/32`);
    await lab.addAddress(hosts.b, 'eth0', `${VIP}/32`);
    const r = await lab.arping(hosts.b, 'eth0', VIP, { announce: true, count: 2, intervalMs: 0 });
    expect(r).toEqual({ sent: 2, received: 0, macs: [] });
    const until = Date.now() + 3000;
    while ((await neighbour()) !== mac(hosts.b) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(await neighbour()).toBe(mac(hosts.b));
    await lab.removeAddress(hosts.b, 'eth0', `${VIP}/32`);
  });
});
