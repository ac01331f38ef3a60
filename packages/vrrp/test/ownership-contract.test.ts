/**
 * The router's contract with AddressOwnership (ports.ts), on one FakeClock and one FakeSegment through
 * createVrrpTestbed: add then announce on entering MASTER, the second announcement garp_master_delay (5 s)
 * later, remove on leaving MASTER for BACKUP, FAULT and INIT (stop), in that order and nothing else. Times
 * derived by hand from RFC 3768 §6.1 (Master_Down_Interval = 3 s + (256 − priority)/256 s).
 */
import { describe, expect, it } from 'vitest';
import { type VrrpRouter, VrrpSyncGroup } from '../src/index.js';
import { createVrrpTestbed } from '../src/testing.js';

const round = (calls: readonly { at: number; call: string }[]) =>
  calls.map((c) => `${c.call} @${Math.round(c.at * 1000) / 1000}`);

describe('AddressOwnership contract', () => {
  it('add/announce on MASTER, remove on BACKUP, FAULT and stop — in order, from one clock', async () => {
    const tb = createVrrpTestbed([{ priority: 150 }, { priority: 100 }]);
    const [a, b] = tb.routers as [(typeof tb.routers)[0], (typeof tb.routers)[0]];
    const states: string[] = [];
    a.router.on('stateChanged', (e) => states.push(`${e.from}->${e.to} ${e.reason} ${e.priority}`));
    await tb.start();
    await tb.advance(10_000);
    // A: MDI(150) = 3_414_062 µs → MASTER at 3414.062 ms; b stays BACKUP.
    expect(tb.states()).toEqual(['MASTER', 'BACKUP']);
    // B now outranks A: it discards A's adverts and its MDI(200) = 3_218_750 µs runs from A's last accepted
    // advert (9414.062 ms) → B MASTER at 12632.812 ms; A hears priority 200 and goes BACKUP.
    b.router.setTotalPriority(200);
    expect(b.router.effectivePriority).toBe(200);
    await tb.advance(10_000);
    expect(tb.states()).toEqual(['BACKUP', 'MASTER']);
    // B faults: priority-0 advert, remove; A takes over after its Skew_Time (106/256 s, 414_062 µs in whole µs).
    b.router.setFault(true);
    await tb.advance(10_000);
    expect(tb.states()).toEqual(['MASTER', 'FAULT']);
    await a.router.stop();
    expect(tb.states()).toEqual(['INIT', 'FAULT']);

    expect(round(a.ownership.calls)).toEqual([
      'add 198.18.0.100/24 eth0 @3414.062',
      'announce 198.18.0.100 x5 @3414.062',
      'announce 198.18.0.100 x5 @8414.062',
      'del 198.18.0.100/24 eth0 @12632.812',
      'add 198.18.0.100/24 eth0 @20414.062',
      'announce 198.18.0.100 x5 @20414.062',
      'announce 198.18.0.100 x5 @25414.062',
      'del 198.18.0.100/24 eth0 @30000',
    ]);
    expect(round(b.ownership.calls)).toEqual([
      'add 198.18.0.100/24 eth0 @12632.812',
      'announce 198.18.0.100 x5 @12632.812',
      'announce 198.18.0.100 x5 @17632.812',
      'del 198.18.0.100/24 eth0 @20000',
    ]);
    expect([...a.ownership.violations, ...b.ownership.violations]).toEqual([]);
    expect(states).toEqual([
      'INIT->BACKUP start 150',
      'BACKUP->MASTER master-down 150',
      'MASTER->BACKUP higher-priority 150',
      'BACKUP->MASTER master-down 150',
      'MASTER->INIT shutdown 150',
    ]);
    // The counters are readable on the router: two entries to MASTER, two releases; a priority-0 advert.
    expect(a.router.stats).toMatchObject({ becameMaster: 2, releasedMaster: 2, priorityZeroSent: 1 });
    expect(b.router.stats).toMatchObject({ becameMaster: 1, releasedMaster: 1, priorityZeroSent: 1 });
    expect(a.router.stats.advertsSent).toBeGreaterThan(10);
  });

  it('an announcement due after the VIPs were released is never made', async () => {
    // garp_master_delay 1 s; A loses MASTER (fault) 0.5 s after taking it: no announce after the remove.
    const tb = createVrrpTestbed([{ priority: 150, garpMasterDelay: 1 }]);
    const [a] = tb.routers as [(typeof tb.routers)[0]];
    await tb.start();
    await tb.advance(3_900);
    a.router.setFault(true);
    await tb.advance(5_000);
    expect(round(a.ownership.calls)).toEqual([
      'add 198.18.0.100/24 eth0 @3414.062',
      'announce 198.18.0.100 x5 @3414.062',
      'del 198.18.0.100/24 eth0 @3900',
    ]);
    expect(a.ownership.violations).toEqual([]);
  });
});

describe('VrrpSyncGroup start/stop', () => {
  it('starts and stops its members together; they take MASTER together and release together', async () => {
    const vip = (n: number) => ({ name: `VI_${n}`, virtualRouterId: n, virtualIpAddresses: [`198.18.${n}.100/24`] });
    const tb = createVrrpTestbed([
      { priority: 150, ...vip(1), sourceIp: '198.18.0.11' },
      { priority: 150, ...vip(2), sourceIp: '198.18.0.12' },
    ]);
    const group = new VrrpSyncGroup(
      'G1',
      tb.routers.map((r) => r.router),
    );
    expect(group.state).toBe('INIT');
    await group.start();
    expect(tb.states()).toEqual(['BACKUP', 'BACKUP']);
    await tb.advance(5_000);
    expect(tb.states()).toEqual(['MASTER', 'MASTER']);
    expect(group.state).toBe('MASTER');
    await group.stop();
    expect(tb.states()).toEqual(['INIT', 'INIT']);
    expect(group.state).toBe('INIT');
    for (const r of tb.routers) {
      expect(r.ownership.owned.size).toBe(0);
      expect(r.ownership.violations).toEqual([]);
    }
    // Both released at the same instant, each after its priority-0 advert.
    expect(tb.routers.map((r) => r.ownership.calls.at(-1)?.call)).toEqual([
      'del 198.18.1.100/24 eth0',
      'del 198.18.2.100/24 eth0',
    ]);
    const zeros = tb.segment.frames.filter((f) => f.message[2] === 0).map((f) => f.source);
    expect(zeros).toEqual(['198.18.0.11', '198.18.0.12']);
  });
  it('a member whose interface is down at start holds the whole group in FAULT; the peer group serves both (issue #11 item 13)', async () => {
    const vip = (n: number) => ({ name: `VI_${n}`, virtualRouterId: n, virtualIpAddresses: [`198.18.${n}.100/24`] });
    const tb = createVrrpTestbed([
      { priority: 150, ...vip(1), sourceIp: '198.18.0.11' },
      { priority: 150, ...vip(2), sourceIp: '198.18.0.12', interface: 'eth1' },
      { priority: 100, ...vip(1), sourceIp: '198.18.0.21' },
      { priority: 100, ...vip(2), sourceIp: '198.18.0.22', interface: 'eth1' },
    ]);
    const [a1, a2, b1, b2] = tb.routers.map((r) => r.router) as [VrrpRouter, VrrpRouter, VrrpRouter, VrrpRouter];
    const ga = new VrrpSyncGroup('A', [a1, a2]);
    const gb = new VrrpSyncGroup('B', [b1, b2]);
    tb.routers[1]?.links.up.set('eth1', false);
    await Promise.all([ga.start(), gb.start()]);
    await tb.advance(5_000);
    expect(tb.states()).toEqual(['FAULT', 'FAULT', 'MASTER', 'MASTER']);
    expect(tb.routers[0]?.ownership.calls).toEqual([]);
    // The link comes back: A's group leaves FAULT together and, preempting at 150, takes both VIPs back.
    tb.routers[1]?.links.up.set('eth1', true);
    await tb.advance(5_000);
    expect(tb.states()).toEqual(['MASTER', 'MASTER', 'BACKUP', 'BACKUP']);
  });
  it('a member failing to start stops those already started and rethrows', async () => {
    const tb = createVrrpTestbed([{ priority: 150 }, { priority: 150, virtualRouterId: 0 }]);
    const group = new VrrpSyncGroup(
      'G1',
      tb.routers.map((r) => r.router),
    );
    await expect(group.start()).rejects.toMatchObject({ code: 'VRRP_INVALID_CONFIG' });
    expect(tb.states()).toEqual(['INIT', 'INIT']);
  });
});
