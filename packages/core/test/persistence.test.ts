/**
 * Persistence templates (ip_vs_core.c `ip_vs_sched_persist`, ip_vs_conn.c `ip_vs_conn_expire`,
 * `ip_vs_check_template`): per port (PPC), per client with port-0 services (PCC), per firewall mark
 * (PFWMC), netmask granularity, ASSURED state, refresh, expiry and the 60-second expire-later rule.
 * Expectations follow the kernel's template keys as listed in reference/lvs-semantics.md §2.2.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../src/model.js';
import { TCP_SYN } from '../src/packet.js';
import { rig } from './helpers.js';

const VIP = '198.18.0.1';
const TWO = [{ address: '198.18.1.1' }, { address: '198.18.1.2' }];

function web(extra: Record<string, unknown>): { name: string; config: ServiceConfig } {
  return {
    name: 'web',
    config: { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr', realServers: TWO, ...extra } as ServiceConfig,
  };
}

describe('persistence', () => {
  it('per port (PPC): one client sticks to one server across source ports; the template is <proto, client, 0, vip, vport>', async () => {
    const { director, port } = await rig({ services: [web({ persistence: true })] });
    const a = port.connect('198.19.0.1', 1001, VIP, 80).realServer;
    const b = port.connect('198.19.0.1', 1002, VIP, 80).realServer;
    const other = port.connect('198.19.0.2', 1001, VIP, 80).realServer;
    expect(b).toBe(a);
    expect(other).not.toBe(a); // rr moves on for a new client
    const tpl = director.connections().filter((c) => c.clientPort === 0);
    expect(tpl).toHaveLength(2);
    expect(tpl[0]).toMatchObject({ protocol: 'TCP', virtualPort: 80, state: 'ASSURED', expires: 360 });
    expect(
      director
        .get('web')
        .realServers.map((r) => r.persistentConns)
        .sort(),
    ).toEqual([1, 1]);
    // Templates are counted in PersistConn, not in ActiveConn/InActConn.
    expect(director.get('web').realServers.reduce((s, r) => s + r.activeConns, 0)).toBe(3);
  });

  it('netmask: clients in one /24 share a template', async () => {
    const { port } = await rig({ services: [web({ persistence: { netmask: '255.255.255.0' } })] });
    const a = port.connect('198.19.0.1', 1, VIP, 80).realServer;
    expect(port.connect('198.19.0.200', 1, VIP, 80).realServer).toBe(a);
    expect(port.connect('198.19.1.1', 1, VIP, 80).realServer).not.toBe(a);
  });

  it('IPv6 prefix netmask', async () => {
    const { port } = await rig({
      services: [
        {
          name: 'v6',
          config: {
            protocol: 'tcp',
            address: '2001:db8::1',
            port: 443,
            scheduler: 'rr',
            persistence: { netmask: 64 },
            realServers: [{ address: '2001:db8:1::1' }, { address: '2001:db8:1::2' }],
          },
        },
      ],
    });
    const a = port.connect('2001:db8:9:1::5', 1, '2001:db8::1', 443).realServer;
    expect(port.connect('2001:db8:9:1::ffff', 2, '2001:db8::1', 443).realServer).toBe(a);
    expect(port.connect('2001:db8:9:2::5', 1, '2001:db8::1', 443).realServer).not.toBe(a);
  });

  it('per client (PCC, port-0 service): every port of the VIP goes to the same server, template vport 0', async () => {
    const { director, port } = await rig({
      services: [
        web({
          port: 0,
          persistence: { timeout: 600 },
          realServers: [{ address: '198.18.1.1' }, { address: '198.18.1.2' }],
        }),
      ],
    });
    const a = port.connect('198.19.0.1', 1, VIP, 80).realServer;
    const b = port.connect('198.19.0.1', 2, VIP, 443).realServer;
    expect(a?.split(':')[0]).toBe(b?.split(':')[0]);
    expect(b?.endsWith(':443')).toBe(true); // real port 0 → the packet's port
    const tpl = director.connections().filter((c) => c.clientPort === 0);
    expect(tpl).toHaveLength(1);
    expect(tpl[0]).toMatchObject({ virtualPort: 0, expires: 600 });
  });

  it('per firewall mark (PFWMC): ports marked alike share a template <IP, client, 0, mark, 0>', async () => {
    const { director, port } = await rig({
      services: [{ name: 'fw', config: { fwmark: 7, scheduler: 'rr', persistence: true, realServers: TWO } }],
      classifier: (p) => (p.daddr[0] === 198 && (p.dport === 80 || p.dport === 443) ? 7 : 0),
    });
    const a = port.connect('198.19.0.1', 1, VIP, 80).realServer;
    const b = port.connect('198.19.0.1', 2, VIP, 443).realServer;
    expect(b?.split(':')[0]).toBe(a?.split(':')[0]);
    expect(
      port.send({ source: '198.19.0.1', sourcePort: 3, destination: VIP, destinationPort: 22, flags: 'S' }).verdict,
    ).toBe('local');
    const tpl = director.connections().find((c) => c.clientPort === 0);
    expect(tpl).toMatchObject({ protocol: 'IP', virtualAddress: '0.0.0.7', virtualPort: 0 });
  });

  it('a template outlives its connections by its timeout, then new connections are rescheduled', async () => {
    const { director, port, clock } = await rig({ services: [web({ persistence: { timeout: 30 } })] });
    const a = port.connect('198.19.0.1', 1, VIP, 80).realServer;
    // IN rst from ESTABLISHED → CLOSE (10 s). (From SYN_RECV a client RST keeps SYN_RECV: IN rst SR = SR.)
    port.send({ source: '198.19.0.1', sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'R' });
    clock.advance(11_000);
    expect(director.connections().map((c) => c.clientPort)).toEqual([0]); // only the template
    clock.advance(15_000); // 26 s after creation: still inside 30 s
    expect(port.connect('198.19.0.1', 2, VIP, 80).realServer).toBe(a); // re-arms the template for 30 s
    port.send({ source: '198.19.0.1', sourcePort: 2, destination: VIP, destinationPort: 80, flags: 'R' });
    clock.advance(31_000);
    expect(director.connections()).toHaveLength(0);
    expect(port.connect('198.19.0.1', 3, VIP, 80).realServer).not.toBe(a);
  });

  it('an expiring template that still controls a connection is re-armed for 60 s (expire_later)', async () => {
    const { director, port, clock } = await rig({ services: [web({ persistence: { timeout: 5 } })] });
    port.connect('198.19.0.1', 1, VIP, 80); // ESTABLISHED: 900 s
    clock.advance(5_000);
    clock.advance(200);
    const tpl = director.connections().find((c) => c.clientPort === 0);
    expect(tpl?.expires).toBe(59); // re-armed at ~5.0 s for 60 s; 0.2 s later floor(59.8…) = 59
    expect(director.get('web').realServers.reduce((s, r) => s + r.persistentConns, 0)).toBe(1);
  });

  it('a template to a deleted server is not used (ip_vs_check_template)', async () => {
    const { director, port } = await rig({ services: [web({ persistence: true })] });
    const a = port.connect('198.19.0.1', 1, VIP, 80).realServer ?? '';
    director.removeRealServer('web', { address: a.split(':')[0] ?? '' });
    const b = port.connect('198.19.0.1', 2, VIP, 80).realServer;
    expect(b).not.toBe(a);
    expect(b).toBeDefined();
  });

  it('quiescent servers keep their persistent clients unless expire_quiescent_template', async () => {
    for (const expireQuiescentTemplate of [false, true]) {
      const { director, port } = await rig({
        services: [web({ persistence: true })],
        switches: { expireQuiescentTemplate },
      });
      const a = port.connect('198.19.0.1', 1, VIP, 80).realServer ?? '';
      director.editRealServer('web', { address: a.split(':')[0] ?? '' }, { weight: 0 });
      const b = port.connect('198.19.0.1', 2, VIP, 80).realServer;
      if (expireQuiescentTemplate) expect(b).not.toBe(a);
      else expect(b).toBe(a);
    }
    expect(TCP_SYN).toBe(2);
  });
});

describe('template ASSURED state', () => {
  it('UDP: a NAT reply assures the template (udp_state_transition, OUTPUT)', async () => {
    const { director, port } = await rig({
      services: [
        {
          name: 'dns',
          config: {
            protocol: 'udp',
            address: VIP,
            port: 53,
            persistence: true,
            realServers: [{ address: '198.18.1.1', method: 'masq' }],
          },
        },
      ],
    });
    port.send({ protocol: 'udp', source: '198.19.0.1', sourcePort: 5353, destination: VIP, destinationPort: 53 });
    const tpl = () => director.connections().find((c) => c.clientPort === 0);
    expect(tpl()?.state).toBe('NONE');
    port.send({
      protocol: 'udp',
      source: '198.18.1.1',
      sourcePort: 53,
      destination: '198.19.0.1',
      destinationPort: 5353,
      direction: 'out',
    });
    expect(tpl()?.state).toBe('ASSURED');
  });

  it('TCP: the template stays NONE until a controlled connection is ESTABLISHED', async () => {
    const { director, port } = await rig({ services: [web({ persistence: true })] });
    port.send({ source: '198.19.0.1', sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'S' });
    expect(director.connections().find((c) => c.clientPort === 0)?.state).toBe('NONE');
    port.send({ source: '198.19.0.1', sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'A' });
    expect(director.connections().find((c) => c.clientPort === 0)?.state).toBe('ASSURED');
  });
});

describe('persistence and the sorry server', () => {
  it('a client pinned to the sorry server moves to a real server once one is usable', async () => {
    const { director, port } = await rig({
      services: [
        web({
          persistence: true,
          realServers: [{ address: '198.18.1.1', weight: 0 }],
          sorryServer: { address: '198.18.9.9' },
        }),
      ],
    });
    expect(port.connect('198.19.0.1', 1, VIP, 80).realServer).toBe('198.18.9.9:80');
    expect(port.connect('198.19.0.1', 2, VIP, 80).realServer).toBe('198.18.9.9:80');
    director.editRealServer('web', { address: '198.18.1.1' }, { weight: 1 });
    expect(port.connect('198.19.0.1', 3, VIP, 80).realServer).toBe('198.18.1.1:80');
  });
});
