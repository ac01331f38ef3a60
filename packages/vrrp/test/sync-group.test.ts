/**
 * vrrp_sync_group behaviour (keepalived vrrp_sync.c) with two nodes of two instances each on a fake
 * segment: members become MASTER together only when all want to, a member fault faults the group and the
 * peer group takes over, and a member that wants MASTER alone stays BACKUP (no thrashing).
 */

import { FakeClock } from '@lvskit/base/testing';
import { describe, expect, it } from 'vitest';
import { VrrpRouter, VrrpSyncGroup } from '../src/index.js';
import { FakeLinkMonitor, FakeOwnership, FakeSegment } from '../src/testing.js';

function node(seg: FakeSegment, clock: FakeClock, n: number, priority: number) {
  const mk = (vrid: number) =>
    new VrrpRouter(
      {
        name: `VI_${vrid}`,
        interface: 'eth0',
        virtualRouterId: vrid,
        priority,
        virtualIpAddresses: [`198.18.${vrid}.100/24`],
        sourceIp: `198.18.0.${n * 10 + vrid}`,
      },
      {
        transport: seg.transport(`198.18.0.${n * 10 + vrid}`),
        ownership: new FakeOwnership(),
        linkMonitor: new FakeLinkMonitor(),
        clock,
      },
    );
  const members = [mk(1), mk(2)];
  return { members, group: new VrrpSyncGroup(`G${n}`, members) };
}

describe('vrrp_sync_group', () => {
  it('members become MASTER together, the peer group stays BACKUP', async () => {
    const clock = new FakeClock(0);
    const seg = new FakeSegment(clock);
    const a = node(seg, clock, 1, 150);
    const b = node(seg, clock, 2, 100);
    for (const r of [...a.members, ...b.members]) await r.start();
    clock.advance(10000);
    expect(a.members.map((r) => r.state)).toEqual(['MASTER', 'MASTER']);
    expect(b.members.map((r) => r.state)).toEqual(['BACKUP', 'BACKUP']);
    expect([a.group.state, b.group.state]).toEqual(['MASTER', 'BACKUP']);
  });
  it('a fault in one member faults the whole group and the peer group takes over both VIPs', async () => {
    const clock = new FakeClock(0);
    const seg = new FakeSegment(clock);
    const a = node(seg, clock, 1, 150);
    const b = node(seg, clock, 2, 100);
    for (const r of [...a.members, ...b.members]) await r.start();
    clock.advance(10000);
    a.members[0]?.setFault(true);
    expect(a.members.map((r) => r.state)).toEqual(['FAULT', 'FAULT']);
    clock.advance(2000);
    expect(b.members.map((r) => r.state)).toEqual(['MASTER', 'MASTER']);
    a.members[0]?.setFault(false);
    expect(a.members.map((r) => r.state)).toEqual(['BACKUP', 'BACKUP']);
    // Preemption: A (150) takes both back after its Master_Down_Interval.
    clock.advance(5000);
    expect(a.members.map((r) => r.state)).toEqual(['MASTER', 'MASTER']);
    expect(b.members.map((r) => r.state)).toEqual(['BACKUP', 'BACKUP']);
  });
  it('one member wanting MASTER alone stays BACKUP (vrrp_sync_can_goto_master prefers backup)', async () => {
    const clock = new FakeClock(0);
    const seg = new FakeSegment(clock);
    const a = node(seg, clock, 1, 150);
    const b = node(seg, clock, 2, 100);
    for (const r of [...a.members, ...b.members]) await r.start();
    clock.advance(10000);
    // B's VI_2 now outranks A's: it ignores A's adverts and times out, but B's VI_1 still hears its master.
    b.members[1]?.setTotalPriority(200);
    clock.advance(10000);
    expect(b.members[1]?.machine?.wantsMaster).toBe(true);
    expect(b.members.map((r) => r.state)).toEqual(['BACKUP', 'BACKUP']);
    expect(a.members.map((r) => r.state)).toEqual(['MASTER', 'MASTER']);
  });
});
