/**
 * Engine semantics through the packet path, each expectation derived by hand from the kernel code the
 * comment cites (reference/lvs-semantics.md §1.0, §2.1–2.6): accounting, timeouts, thresholds and
 * OVERLOAD, quiescing, expire_nodest_conn, conn_reuse_mode, sorry server, one-packet scheduling, NAT
 * replies, the table-full defense.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceConfig } from '../src/model.js';
import { rig } from './helpers.js';

const VIP = '198.18.0.1';
const C = '198.19.0.10';

function svc(config: Partial<ServiceConfig> & Record<string, unknown>, name = 'web') {
  return { name, config: { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr', ...config } as ServiceConfig };
}

describe('ActiveConn / InActConn accounting (ip_vs_proto_tcp.c set_tcp_state, tcp_state_active_table)', () => {
  it('NAT: SYN_RECV and ESTABLISHED are active, CLOSE_WAIT inactive, expiry releases the count', async () => {
    const { director, port, clock } = await rig({
      services: [svc({ realServers: [{ address: '198.18.1.1', method: 'masq' }] })],
    });
    const rs = () => director.get('web').realServers[0];
    port.send({ source: C, sourcePort: 1000, destination: VIP, destinationPort: 80, flags: 'S' });
    expect([rs()?.activeConns, rs()?.inactiveConns]).toEqual([1, 0]); // NONE → SYN_RECV (active)
    port.send({ source: C, sourcePort: 1000, destination: VIP, destinationPort: 80, flags: 'A' });
    expect(director.connections()[0]?.state).toBe('ESTABLISHED');
    port.send({ source: C, sourcePort: 1000, destination: VIP, destinationPort: 80, flags: 'FA' });
    // IN fin from ESTABLISHED → CLOSE_WAIT, which is not active.
    expect(director.connections()[0]?.state).toBe('CLOSE_WAIT');
    expect([rs()?.activeConns, rs()?.inactiveConns]).toEqual([0, 1]);
    // CLOSE_WAIT times out after 60 s (tcp_timeouts).
    clock.advance(59_000);
    expect(director.connections()).toHaveLength(1);
    clock.advance(1_500);
    expect(director.connections()).toHaveLength(0);
    expect([rs()?.activeConns, rs()?.inactiveConns]).toEqual([0, 0]);
  });

  it('UDP connections are always InActConn and live 300 s, or what --set udp says', async () => {
    const { director, port, clock } = await rig({
      services: [
        { name: 'dns', config: { protocol: 'udp', address: VIP, port: 53, realServers: [{ address: '198.18.1.1' }] } },
      ],
    });
    const r = port.send({ protocol: 'udp', source: C, sourcePort: 5000, destination: VIP, destinationPort: 53 });
    expect(r.verdict).toBe('forward');
    expect(director.get('dns').realServers[0]?.inactiveConns).toBe(1);
    expect(director.get('dns').realServers[0]?.activeConns).toBe(0);
    expect(director.connections()[0]).toMatchObject({ protocol: 'UDP', state: 'UDP', expires: 300 });
    director.setConnectionTimeouts({ tcp: 0, tcpfin: 0, udp: 10 });
    expect(director.timeouts).toEqual({ tcp: 900, tcpfin: 120, udp: 10 }); // 0 keeps the value
    port.send({ protocol: 'udp', source: C, sourcePort: 5000, destination: VIP, destinationPort: 53 });
    expect(director.connections()[0]?.expires).toBe(10);
    clock.advance(10_200);
    expect(director.connections()).toHaveLength(0);
  });

  it('--set tcp changes the ESTABLISHED timeout of the next transition', async () => {
    const { director, port } = await rig({
      services: [svc({ realServers: [{ address: '198.18.1.1', method: 'masq' }] })],
    });
    director.setConnectionTimeouts({ tcp: 100 });
    port.connect(C, 1000, VIP, 80);
    expect(director.connections()[0]).toMatchObject({ state: 'ESTABLISHED', expires: 100 });
  });
});

describe('thresholds and OVERLOAD (ip_vs_conn.c ip_vs_bind_dest / ip_vs_unbind_dest)', () => {
  it('sets at active+inactive >= upper, clears below 3/4 of upper when no lower threshold', async () => {
    const { director, port, clock } = await rig({
      services: [svc({ realServers: [{ address: '198.18.1.1', method: 'masq', upperThreshold: 4 }] })],
    });
    const events: boolean[] = [];
    director.on('realServerOverloaded', (e) => events.push(e.overloaded));
    for (let p = 1; p <= 3; p++) port.connect(C, p, VIP, 80);
    expect(director.get('web').realServers[0]?.overloaded).toBe(false);
    port.connect(C, 4, VIP, 80); // total 4 >= 4
    expect(director.get('web').realServers[0]?.overloaded).toBe(true);
    // rr skips an overloaded server; nothing else can take the connection → ip_vs_leave drop.
    expect(port.send({ source: C, sourcePort: 5, destination: VIP, destinationPort: 80, flags: 'S' })).toMatchObject({
      verdict: 'drop',
      reason: 'NO_SERVER',
    });
    // Close connections one by one (RST → CLOSE, expires after 10 s). Clear when total*4 < 4*3, i.e. total <= 2.
    port.send({ source: C, sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'R' });
    clock.advance(10_500);
    expect(director.get('web').realServers[0]?.overloaded).toBe(true); // total 3: 12 < 12 is false
    port.send({ source: C, sourcePort: 2, destination: VIP, destinationPort: 80, flags: 'R' });
    clock.advance(10_500);
    expect(director.get('web').realServers[0]?.overloaded).toBe(false); // total 2: 8 < 12
    clock.advance(1000); // housekeeping drains events
    expect(events).toEqual([true, false]);
  });

  it('with a lower threshold, clears only when total < lower', async () => {
    const { director, port, clock } = await rig({
      services: [
        svc({ realServers: [{ address: '198.18.1.1', method: 'masq', upperThreshold: 3, lowerThreshold: 1 }] }),
      ],
    });
    for (let p = 1; p <= 3; p++) port.connect(C, p, VIP, 80);
    expect(director.get('web').realServers[0]?.overloaded).toBe(true);
    for (const p of [1, 2]) port.send({ source: C, sourcePort: p, destination: VIP, destinationPort: 80, flags: 'R' });
    clock.advance(10_500);
    expect(director.get('web').realServers[0]?.overloaded).toBe(true); // total 1, not < 1
    port.send({ source: C, sourcePort: 3, destination: VIP, destinationPort: 80, flags: 'R' });
    clock.advance(10_500);
    expect(director.get('web').realServers[0]?.overloaded).toBe(false);
  });

  it('editing the upper threshold above the old one (or to 0) clears OVERLOAD (__ip_vs_update_dest)', async () => {
    const { director, port } = await rig({
      services: [svc({ realServers: [{ address: '198.18.1.1', method: 'masq', upperThreshold: 1 }] })],
    });
    port.connect(C, 1, VIP, 80);
    expect(director.get('web').realServers[0]?.overloaded).toBe(true);
    director.editRealServer('web', { address: '198.18.1.1' }, { upperThreshold: 5 });
    expect(director.get('web').realServers[0]?.overloaded).toBe(false);
  });

  it('rejects lower > upper at once, with every issue', () => {
    expect(() =>
      director_reject({
        realServers: [{ address: '198.18.1.1', upperThreshold: 2, lowerThreshold: 3, weight: 70000 }],
      }),
    ).toThrow(expect.objectContaining({ code: 'CORE_INVALID_CONFIG' }));
    try {
      director_reject({
        realServers: [{ address: '198.18.1.1', upperThreshold: 2, lowerThreshold: 3, weight: 70000 }],
      });
    } catch (e) {
      const codes = (e as { issues: { code: string }[] }).issues.map((i) => i.code).sort();
      expect(codes).toEqual(['CORE_INVALID_WEIGHT', 'CORE_THRESHOLD_RANGE']);
    }
  });
});

import { compileConfig } from '../src/director.js';

function director_reject(config: Record<string, unknown>) {
  return compileConfig({ services: [svc(config)] });
}

describe('quiescing and deleted real servers', () => {
  it('weight 0: no new connections, existing ones keep flowing', async () => {
    const { director, port } = await rig({
      services: [
        svc({
          realServers: [
            { address: '198.18.1.1', method: 'masq' },
            { address: '198.18.1.2', method: 'masq' },
          ],
        }),
      ],
    });
    const first = port.connect(C, 1, VIP, 80).realServer;
    director.editRealServer('web', { address: first?.split(':')[0] ?? '' }, { weight: 0 });
    for (let p = 2; p < 6; p++) expect(port.connect(C, p, VIP, 80).realServer).not.toBe(first);
    expect(port.send({ source: C, sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'A' }).realServer).toBe(
      first,
    );
  });

  it('expire_nodest_conn off: packets of a deleted server are dropped; on: its connections are flushed', async () => {
    for (const expireNodestConn of [false, true]) {
      const { director, port } = await rig({
        services: [svc({ realServers: [{ address: '198.18.1.1', method: 'masq' }] })],
        switches: { expireNodestConn },
      });
      port.connect(C, 1, VIP, 80);
      director.removeRealServer('web', { address: '198.18.1.1' });
      const r = port.send({ source: C, sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'A' });
      if (expireNodestConn) {
        expect(director.connections()).toHaveLength(0);
        expect(r.verdict).toBe('local'); // no entry, not a SYN: NF_ACCEPT
      } else {
        expect(r).toMatchObject({ verdict: 'drop', reason: 'DEST_UNAVAILABLE' });
        expect(director.connections()).toHaveLength(1);
      }
    }
  });
});

describe('conn_reuse_mode (ip_vs_core.c is_new_conn_expected)', () => {
  it('a SYN on a TIME_WAIT entry is scheduled at once as a new connection (no stall)', async () => {
    const { director, port } = await rig({
      services: [svc({ realServers: [{ address: '198.18.1.1' }, { address: '198.18.1.2' }] })],
    });
    const first = port.send({ source: C, sourcePort: 7, destination: VIP, destinationPort: 80, flags: 'S' }).realServer;
    port.send({ source: C, sourcePort: 7, destination: VIP, destinationPort: 80, flags: 'F' }); // IO fin SR → TW
    expect(director.connections()[0]?.state).toBe('TIME_WAIT');
    const again = port.send({ source: C, sourcePort: 7, destination: VIP, destinationPort: 80, flags: 'S' });
    expect(again.verdict).toBe('forward');
    expect(again.realServer).not.toBe(first); // rescheduled: rr moved on
    expect(director.connections()).toHaveLength(1);
    expect(director.connections()[0]?.state).toBe('SYN_RECV');
    expect(director.list()[0]?.stats.conns).toBe(2);
  });

  it('mode 0 keeps the old entry (IO syn TIME_WAIT → SYN_RECV on the same server)', async () => {
    const { director, port } = await rig({
      services: [svc({ realServers: [{ address: '198.18.1.1' }, { address: '198.18.1.2' }] })],
      switches: { connReuseMode: 0 },
    });
    const first = port.send({ source: C, sourcePort: 7, destination: VIP, destinationPort: 80, flags: 'S' }).realServer;
    port.send({ source: C, sourcePort: 7, destination: VIP, destinationPort: 80, flags: 'F' });
    expect(port.send({ source: C, sourcePort: 7, destination: VIP, destinationPort: 80, flags: 'S' }).realServer).toBe(
      first,
    );
    expect(director.list()[0]?.stats.conns).toBe(1);
  });
});

describe('new connections, replies, sorry server, one-packet scheduling', () => {
  it('only SYN creates a TCP connection; RST never; unknown VIPs pass to the host', async () => {
    const { port } = await rig({ services: [svc({ realServers: [{ address: '198.18.1.1' }] })] });
    expect(port.send({ source: C, sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'A' }).verdict).toBe(
      'local',
    );
    expect(port.send({ source: C, sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'SR' }).verdict).toBe(
      'local',
    );
    expect(
      port.send({ source: C, sourcePort: 1, destination: '198.18.0.99', destinationPort: 80, flags: 'S' }).verdict,
    ).toBe('local');
    expect(port.send({ source: C, sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'S' })).toMatchObject({
      verdict: 'forward',
      method: 'route',
      realServer: '198.18.1.1:80',
    });
  });

  it('NAT replies match the entry in reverse and are rewritten to the VIP; DR replies are not ours', async () => {
    const { director, port } = await rig({
      services: [svc({ realServers: [{ address: '198.18.1.1', port: 8080, method: 'masq' }] })],
    });
    expect(port.send({ source: C, sourcePort: 9, destination: VIP, destinationPort: 80, flags: 'S' }).realServer).toBe(
      '198.18.1.1:8080',
    );
    const r = port.send({
      source: '198.18.1.1',
      sourcePort: 8080,
      destination: C,
      destinationPort: 9,
      flags: 'SA',
      direction: 'out',
      length: 100,
    });
    expect(r).toMatchObject({ verdict: 'forward', reply: true, method: 'masq' });
    expect(director.get('web').stats).toMatchObject({ conns: 1, inpkts: 1, outpkts: 1, outbytes: 100 });
    // From another port of the real server: no entry.
    expect(
      port.send({
        source: '198.18.1.1',
        sourcePort: 8081,
        destination: C,
        destinationPort: 9,
        flags: 'A',
        direction: 'out',
      }).verdict,
    ).toBe('local');
  });

  it('uses the sorry server only when no real server can take a new connection', async () => {
    const { director, port } = await rig({
      services: [svc({ realServers: [{ address: '198.18.1.1', weight: 0 }], sorryServer: { address: '198.18.9.9' } })],
    });
    expect(port.send({ source: C, sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'S' }).realServer).toBe(
      '198.18.9.9:80',
    );
    director.editRealServer('web', { address: '198.18.1.1' }, { weight: 1 });
    expect(port.send({ source: C, sourcePort: 2, destination: VIP, destinationPort: 80, flags: 'S' }).realServer).toBe(
      '198.18.1.1:80',
    );
    director.setSorryServer('web', undefined);
    director.editRealServer('web', { address: '198.18.1.1' }, { weight: 0 });
    expect(port.send({ source: C, sourcePort: 3, destination: VIP, destinationPort: 80, flags: 'S' })).toMatchObject({
      verdict: 'drop',
      reason: 'NO_SERVER',
    });
  });

  it('one-packet scheduling: every UDP datagram is scheduled alone and leaves no entry', async () => {
    const { director, port } = await rig({
      services: [
        {
          name: 'dns',
          config: {
            protocol: 'udp',
            address: VIP,
            port: 53,
            scheduler: 'rr',
            onePacket: true,
            realServers: [{ address: '198.18.1.1' }, { address: '198.18.1.2' }],
          },
        },
      ],
    });
    const a = port.send({
      protocol: 'udp',
      source: C,
      sourcePort: 5,
      destination: VIP,
      destinationPort: 53,
    }).realServer;
    const b = port.send({
      protocol: 'udp',
      source: C,
      sourcePort: 5,
      destination: VIP,
      destinationPort: 53,
    }).realServer;
    expect(a).not.toBe(b);
    expect(director.connections()).toHaveLength(0);
    expect(director.get('dns').stats).toMatchObject({ conns: 2, inpkts: 2 });
    expect(director.get('dns').realServers.map((r) => r.inactiveConns)).toEqual([0, 0]);
  });
});

describe('the connection table when full (drop_entry defense, ip_vs_conn.c ip_vs_random_dropentry)', () => {
  it('reclaims SYN_RECV entries for new connections', async () => {
    const { director, port } = await rig({
      services: [svc({ realServers: [{ address: '198.18.1.1' }] })],
      maxConnections: 2,
    });
    for (let p = 1; p <= 3; p++)
      expect(port.send({ source: C, sourcePort: p, destination: VIP, destinationPort: 80, flags: 'S' }).verdict).toBe(
        'forward',
      );
    expect(director.engine.counters.reclaimed).toBeGreaterThan(0);
    expect(director.engine.counters.tableFullDrops).toBe(0);
  });

  it('drops (and counts, and reports once) new connections when only busy established entries remain', async () => {
    const { director, port, clock } = await rig({
      services: [svc({ realServers: [{ address: '198.18.1.1' }] })],
      maxConnections: 2,
    });
    const full: number[] = [];
    director.on('tableFull', (e) => full.push(e.drops));
    for (const p of [1, 2]) {
      port.connect(C, p, VIP, 80);
      // in_pkts > 8: todrop_entry never drops it.
      for (let k = 0; k < 10; k++)
        port.send({ source: C, sourcePort: p, destination: VIP, destinationPort: 80, flags: 'A' });
    }
    clock.advance(61_000); // idle long enough; still too many packets to be dropped
    for (const p of [3, 4])
      expect(port.send({ source: C, sourcePort: p, destination: VIP, destinationPort: 80, flags: 'S' })).toMatchObject({
        verdict: 'drop',
        reason: 'TABLE_FULL',
      });
    expect(director.engine.counters.tableFullDrops).toBe(2);
    clock.advance(1000);
    expect(full).toEqual([2]);
  });
});

describe('table-full reclaim and persistence templates', () => {
  it('never frees the template a new connection is being linked to', async () => {
    const { director, port } = await rig({
      services: [svc({ persistence: true, realServers: [{ address: '198.18.1.1' }, { address: '198.18.1.2' }] })],
      maxConnections: 2,
    });
    const a = port.send({ source: C, sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'S' }).realServer;
    // Full: the template and one SYN_RECV connection. The next SYN of the same client finds the template,
    // reclaims the SYN_RECV entry (whose non-assured template would go with it on a forced drop) and
    // must keep the template it is using.
    const b = port.send({ source: C, sourcePort: 2, destination: VIP, destinationPort: 80, flags: 'S' });
    expect(b).toMatchObject({ verdict: 'forward', realServer: a });
    const entries = director.connections();
    expect(entries.map((e) => e.clientPort).sort()).toEqual([0, 2]);
    expect(director.engine.counters.reclaimed).toBe(1);
    expect(director.get('web').realServers.reduce((s, r) => s + r.persistentConns, 0)).toBe(1);
  });

  it('a forced drop of the last connection of a non-assured template drops the template too', async () => {
    const { director, port } = await rig({
      services: [svc({ persistence: true, realServers: [{ address: '198.18.1.1' }] })],
      maxConnections: 3,
    });
    port.send({ source: C, sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'S' }); // template + SR
    port.send({ source: '198.19.0.11', sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'S' }); // 2nd template (3 entries)
    // Third client: template insert needs room; the scan drops SYN_RECV entries and, with them, their
    // non-assured templates (ip_vs_conn_expire: has_ref && !n_control && !ASSURED → expire the template).
    const r = port.send({ source: '198.19.0.12', sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'S' });
    expect(r.verdict).toBe('forward');
    expect(director.connections().filter((e) => e.clientAddress === C)).toEqual([]);
  });
});

describe('kernel list order (ip_vs_ctl.c: a new real server goes to the head)', () => {
  it('rr starts at the last-added server, also after -E changes the scheduler of a populated service', async () => {
    const servers = [{ address: '198.18.1.1' }, { address: '198.18.1.2' }, { address: '198.18.1.3' }];
    const { director, port } = await rig({ services: [svc({ scheduler: 'wlc', realServers: servers })] });
    expect(director.get('web').realServers.map((r) => r.address)).toEqual(['198.18.1.3', '198.18.1.2', '198.18.1.1']);
    director.editService('web', { scheduler: 'rr' });
    const picks = [1, 2, 3, 4].map(
      (p) => port.send({ source: C, sourcePort: p, destination: VIP, destinationPort: 80, flags: 'S' }).realServer,
    );
    // ip_vs_rr.c: sched_data starts at the list head, the first candidate is the head's successor entry
    // (the first server in the list), then list order, wrapping.
    expect(picks).toEqual(['198.18.1.3:80', '198.18.1.2:80', '198.18.1.1:80', '198.18.1.3:80']);
  });
});

describe('drop_packet defense (ip_vs_core.c ip_vs_todrop)', () => {
  it('drops one of every N new-connection packets and never packets of existing connections', async () => {
    const { director, port } = await rig({
      services: [svc({ realServers: [{ address: '198.18.1.1' }] })],
      switches: { dropPacketRate: 3 },
    });
    // drop_counter starts at 0: the first check decrements to -1 <= 0 → drop, then every third.
    const verdicts = [1, 2, 3, 4, 5, 6, 7].map(
      (p) => port.send({ source: C, sourcePort: p, destination: VIP, destinationPort: 80, flags: 'S' }).verdict,
    );
    expect(verdicts).toEqual(['drop', 'forward', 'forward', 'drop', 'forward', 'forward', 'drop']);
    expect(director.engine.counters.dropPacketDrops).toBe(3);
    expect(port.send({ source: C, sourcePort: 2, destination: VIP, destinationPort: 80, flags: 'A' }).verdict).toBe(
      'forward',
    );
  });
});

describe('IPv6', () => {
  it('NAT replies are matched over IPv6 and listed with bracketed addresses', async () => {
    const { director, port } = await rig({
      services: [
        {
          name: 'v6',
          config: {
            protocol: 'tcp',
            address: '2001:db8::10',
            port: 443,
            realServers: [{ address: '2001:db8:1::1', port: 8443, method: 'masq' }],
          },
        },
      ],
    });
    expect(
      port.send({
        source: '2001:db8:9::5',
        sourcePort: 4000,
        destination: '2001:db8::10',
        destinationPort: 443,
        flags: 'S',
      }).realServer,
    ).toBe('[2001:db8:1::1]:8443');
    const reply = port.send({
      source: '2001:db8:1::1',
      sourcePort: 8443,
      destination: '2001:db8:9::5',
      destinationPort: 4000,
      flags: 'SA',
      direction: 'out',
    });
    expect(reply).toMatchObject({ verdict: 'forward', reply: true });
    // The same ports from a different IPv6 client (same first word) must not match.
    expect(
      port.send({
        source: '2001:db8:1::1',
        sourcePort: 8443,
        destination: '2001:db8:9::6',
        destinationPort: 4000,
        flags: 'A',
        direction: 'out',
      }).verdict,
    ).toBe('local');
    expect(director.connections()[0]).toMatchObject({
      family: 6,
      clientAddress: '2001:db8:9::5',
      destAddress: '2001:db8:1::1',
      state: 'SYN_RECV',
    });
  });
});

describe('expire_nodest_conn with a quiesced server (ip_vs_in: resched when the dest weight is 0)', () => {
  it('a new SYN on a live entry to a weight-0 server is rescheduled only when the switch is on', async () => {
    for (const expireNodestConn of [false, true]) {
      const { director, port } = await rig({
        services: [svc({ realServers: [{ address: '198.18.1.1' }, { address: '198.18.1.2' }] })],
        switches: { expireNodestConn },
      });
      const first = port.connect(C, 9, VIP, 80).realServer ?? '';
      director.editRealServer('web', { address: first.split(':')[0] ?? '' }, { weight: 0 });
      const again = port.send({
        source: C,
        sourcePort: 9,
        destination: VIP,
        destinationPort: 80,
        flags: 'S',
      }).realServer;
      if (expireNodestConn) expect(again).not.toBe(first);
      else expect(again).toBe(first); // IO syn ESTABLISHED → ESTABLISHED on the same entry
    }
  });
});
