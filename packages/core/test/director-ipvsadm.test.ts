/**
 * ipvsadm against a live director: commands change the running engine, listings show its live counters.
 * The expected listing is written by hand from ipvsadm.c's format strings (reference/lvs-semantics.md
 * §3.3) and matches the transcript in shared/seeds/000_df7f35d03fbdcc17.txt (`rr persistent 60`, the
 * first client on 192.168.7.203 because the last-added server heads the kernel list).
 */
import { describe, expect, it } from 'vitest';
import { compileConfig, Ipvs } from '../src/director.js';
import { ipvsadmTarget, overrideKey, type RealServerOverride, restore, runIpvsadm } from '../src/index.js';
import { FakeClock, SimulatedPacketPort } from '../src/testing/index.js';

async function live() {
  const clock = new FakeClock(5_000);
  const packets = new SimulatedPacketPort(clock);
  const d = new Ipvs(compileConfig({ services: [], maxConnections: 4096 }), { clock, packets });
  await d.start();
  return { d, clock, packets };
}

const row = (addr: string, fwd: string, w: number, a: number, i: number) =>
  `  -> ${addr.padEnd(28)} ${fwd.padEnd(7)} ${String(w).padEnd(6)} ${String(a).padEnd(10)} ${String(i).padEnd(10)}`;

describe('ipvsadm on a live director', () => {
  it('keeps the ipvsadm verbs in the target: Ipvs has one vocabulary (issue 10 item 3)', async () => {
    const { d } = await live();
    for (const verb of [
      'ipvsadmAddService',
      'ipvsadmEditService',
      'addServer',
      'editServer',
      'deleteServer',
      'deleteService',
      'flush',
      'zero',
      'setTimeouts',
      'snapshot',
    ])
      expect(verb in d, verb).toBe(false);
    expect(runIpvsadm(d.ipvsadm, '-A -t 198.18.0.1:80 -s rr').exitCode).toBe(0);
    expect(d.findService({ protocol: 'tcp', address: '198.18.0.1', port: 80 })).toBe('tcp:198.18.0.1:80');
    expect(
      runIpvsadm(ipvsadmTarget(d), '-a -t 198.18.0.1:80 -r 198.18.1.1 -i --tun-type gue --tun-port 6080').exitCode,
    ).toBe(0);
    d.addRealServer('tcp:198.18.0.1:80', { address: '198.18.1.2', method: 'masq', port: 8080 });
    expect(runIpvsadm(d.ipvsadm, '-S -n').stdout).toBe(
      [
        '-A -t 198.18.0.1:80 -s rr',
        '-a -t 198.18.0.1:80 -r 198.18.1.1:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum',
        '-a -t 198.18.0.1:80 -r 198.18.1.2:8080 -m -w 1',
        '',
      ].join('\n'),
    );
  });

  it('reproduces the seed transcript: -A/-a, one client, -Ln', async () => {
    const { d, packets } = await live();
    for (const line of [
      '-A -t 192.168.7.250:80 -s rr -p 60',
      '-a -t 192.168.7.250:80 -r 192.168.7.201 -g',
      '-a -t 192.168.7.250:80 -r 192.168.7.203 -g',
    ])
      expect(runIpvsadm(d.ipvsadm, line)).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    const r = packets.send({
      source: '192.168.7.1',
      sourcePort: 40000,
      destination: '192.168.7.250',
      destinationPort: 80,
      flags: 'S',
    });
    expect(r.realServer).toBe('192.168.7.203:80');
    expect(runIpvsadm(d.ipvsadm, '-Ln').stdout).toBe(
      [
        'IP Virtual Server version 1.2.1 (size=4096)',
        'Prot LocalAddress:Port Scheduler Flags',
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
        'TCP  192.168.7.250:80 rr persistent 60',
        row('192.168.7.201:80', 'Route', 1, 0, 0),
        row('192.168.7.203:80', 'Route', 1, 1, 0),
        '',
      ].join('\n'),
    );
  });

  it('saves, restores into another director, edits, deletes, zeroes and sets timeouts', async () => {
    const { d, packets } = await live();
    const rules = [
      '-A -u 198.18.0.1:53 -s wlc',
      '-a -u 198.18.0.1:53 -r 198.18.1.1:53 -m -w 3',
      '-A -f 7 -s sh -b sh-port -p 120',
      '-a -f 7 -r 198.18.1.2:0 -g -w 1',
      '',
    ].join('\n');
    expect(restore(d.ipvsadm, rules).exitCode).toBe(0);
    const saved = runIpvsadm(d.ipvsadm, '-S -n').stdout;
    const other = await live();
    expect(restore(other.d.ipvsadm, saved).exitCode).toBe(0);
    expect(runIpvsadm(other.d.ipvsadm, '-S -n').stdout).toBe(saved);
    // Live changes reach the engine.
    expect(
      packets.send({
        protocol: 'udp',
        source: '198.19.0.1',
        sourcePort: 9,
        destination: '198.18.0.1',
        destinationPort: 53,
      }).realServer,
    ).toBe('198.18.1.1:53');
    expect(runIpvsadm(d.ipvsadm, '-e -u 198.18.0.1:53 -r 198.18.1.1:53 -m -w 0').exitCode).toBe(0);
    expect(d.list().find((s) => s.config.protocol === 'udp')?.realServers[0]?.weight).toBe(0);
    expect(runIpvsadm(d.ipvsadm, '-a -u 198.18.0.1:53 -r 198.18.1.1:53 -m').stderr).toContain(
      'Destination already exists',
    );
    expect(runIpvsadm(d.ipvsadm, '-Z').exitCode).toBe(0);
    expect(d.totals().inpkts).toBe(0);
    expect(runIpvsadm(d.ipvsadm, '--set 100 20 30').exitCode).toBe(0);
    expect(runIpvsadm(d.ipvsadm, '-L --timeout').stdout).toBe('Timeout (tcp tcpfin udp): 100 20 30\n');
    expect(runIpvsadm(d.ipvsadm, '-d -u 198.18.0.1:53 -r 198.18.1.1:53').exitCode).toBe(0);
    expect(runIpvsadm(d.ipvsadm, '-D -f 7').exitCode).toBe(0);
    expect(runIpvsadm(d.ipvsadm, '-D -f 7').stderr).toContain('No such service');
    expect(runIpvsadm(d.ipvsadm, '-C').exitCode).toBe(0);
    expect(d.list()).toEqual([]);
  });

  it('lists live connection entries with -Lnc', async () => {
    const { d, packets, clock } = await live();
    runIpvsadm(d.ipvsadm, '-A -t 198.18.0.1:80 -s rr');
    runIpvsadm(d.ipvsadm, '-a -t 198.18.0.1:80 -r 198.18.1.1:80 -m');
    packets.connect('198.19.0.1', 51234, '198.18.0.1', 80);
    clock.advance(1_000);
    const out = runIpvsadm(d.ipvsadm, '-Lnc').stdout.split('\n');
    // "%-3s %-6s %-11s %-18s %-18s %s": 899 s left → 14:59.
    expect(out[2]).toBe('TCP 14:59  ESTABLISHED 198.19.0.1:51234   198.18.0.1:80      198.18.1.1:80');
  });

  it('reproduces the seed ldirectord failover transcript: a failed server leaves, closed DR connections count as InActConn', async () => {
    const clock = new FakeClock(0);
    const packets = new SimulatedPacketPort(clock);
    // Health is @lvskit/director's: a failed check holds the server out through an override.
    const config = compileConfig({
      services: [
        {
          name: 'web',
          config: {
            protocol: 'tcp',
            address: '192.168.7.250',
            port: 80,
            scheduler: 'wrr',
            realServers: [
              { address: '192.168.7.201', method: 'route', weight: 1 },
              { address: '192.168.7.203', method: 'route', weight: 1 },
            ],
          },
        },
      ],
      maxConnections: 4096,
    });
    const d = new Ipvs(config, { clock, packets });
    await d.start();
    const down = new Map<string, RealServerOverride>([[overrideKey('web', '192.168.7.203', 80), { kind: 'absent' }]]);
    d.setOverrides(down);
    // Two HTTP requests through DR: SYN, ACK, FIN from the client (IO fin ESTABLISHED → FIN_WAIT, inactive).
    for (const p of [50001, 50002]) {
      for (const flags of ['S', 'A', 'A', 'FA', 'A'])
        packets.send({
          source: '192.168.7.1',
          sourcePort: p,
          destination: '192.168.7.250',
          destinationPort: 80,
          flags,
        });
    }
    expect(runIpvsadm(d.ipvsadm, '-ln').stdout).toBe(
      [
        'IP Virtual Server version 1.2.1 (size=4096)',
        'Prot LocalAddress:Port Scheduler Flags',
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
        'TCP  192.168.7.250:80 wrr',
        row('192.168.7.201:80', 'Route', 1, 0, 2),
        '',
      ].join('\n'),
    );
    d.setOverrides(new Map());
    expect(runIpvsadm(d.ipvsadm, '-ln').stdout.split('\n').slice(4, 6)).toEqual([
      row('192.168.7.201:80', 'Route', 1, 0, 2),
      row('192.168.7.203:80', 'Route', 1, 0, 0),
    ]);
  });

  it("a real server on one of the director's own addresses is served locally and listed as Local", async () => {
    const clock = new FakeClock(0);
    const packets = new SimulatedPacketPort(clock);
    const d = new Ipvs(compileConfig({ services: [], maxConnections: 4096, localAddresses: ['198.18.0.1'] }), {
      clock,
      packets,
    });
    await d.start();
    runIpvsadm(d.ipvsadm, '-A -t 198.18.0.1:80 -s rr');
    runIpvsadm(d.ipvsadm, '-a -t 198.18.0.1:80 -r 198.18.0.1:8080 -m');
    expect(
      packets.send({ source: '198.19.0.1', sourcePort: 5, destination: '198.18.0.1', destinationPort: 80, flags: 'S' }),
    ).toMatchObject({
      verdict: 'forward',
      method: 'local',
      realServer: '198.18.0.1:8080',
    });
    expect(runIpvsadm(d.ipvsadm, '-Ln').stdout.split('\n')[4]).toBe(row('198.18.0.1:8080', 'Local', 1, 1, 0));
  });
});
