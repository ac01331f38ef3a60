/**
 * Two routers on a fake segment with a fake clock (STYLE rule 2): election, takeover on stop (priority 0 →
 * Skew_Time), ownership calls in order, notify-free typed events. Times derived from RFC 3768 §6.1 by hand.
 */

import { FakeClock } from '@lvskit/base/testing';
import { describe, expect, it } from 'vitest';
import { type VrrpInstanceConfig, VrrpRouter } from '../src/index.js';
import { FakeLinkMonitor, FakeOwnership, FakeSegment } from '../src/testing.js';

const cfg = (priority: number, over: Partial<VrrpInstanceConfig> = {}): VrrpInstanceConfig => ({
  name: 'VI_1',
  interface: 'eth0',
  virtualRouterId: 51,
  priority,
  virtualIpAddresses: ['198.18.0.100/24'],
  authentication: { type: 'PASS', password: 'pw' },
  ...over,
});

async function pair(over: Partial<VrrpInstanceConfig> = {}) {
  const clock = new FakeClock(0);
  const seg = new FakeSegment(clock);
  const oa = new FakeOwnership();
  const ob = new FakeOwnership();
  const a = new VrrpRouter(cfg(150, { sourceIp: '198.18.0.1', ...over }), {
    transport: seg.transport('198.18.0.1'),
    ownership: oa,
    linkMonitor: new FakeLinkMonitor(),
    clock,
  });
  const b = new VrrpRouter(cfg(100, { sourceIp: '198.18.0.2', ...over }), {
    transport: seg.transport('198.18.0.2'),
    ownership: ob,
    linkMonitor: new FakeLinkMonitor(),
    clock,
  });
  const transitions: string[] = [];
  a.on('stateChanged', (e) => transitions.push(`a:${e.to}@${clock.now() * 1000}`));
  b.on('stateChanged', (e) => transitions.push(`b:${e.to}@${clock.now() * 1000}`));
  await a.start();
  await b.start();
  return { clock, seg, a, b, oa, ob, transitions };
}

describe('two lvskit routers on one segment', () => {
  it('elect the higher priority; the other stays backup while adverts flow', async () => {
    const { clock, a, b, oa, ob, transitions } = await pair();
    clock.advance(20000);
    await a.settled();
    // a: MDI(150) = 3 s + 106·10⁶/256 µs = 3_414_062; b hears a's adverts and never times out.
    expect(transitions).toEqual(['a:BACKUP@0', 'b:BACKUP@0', 'a:MASTER@3414062']);
    expect(a.state).toBe('MASTER');
    expect(b.state).toBe('BACKUP');
    expect([...oa.owned]).toEqual(['198.18.0.100']);
    expect(ob.owned.size).toBe(0);
    expect(oa.log.slice(0, 2)).toEqual(['add 198.18.0.100/24 eth0', 'announce 198.18.0.100 x5']);
  });
  it('stopping the master moves the VIP after Skew_Time (priority 0, RFC 3768 §6.4.2)', async () => {
    const { clock, a, b, oa, ob, transitions } = await pair();
    clock.advance(10000);
    await a.stop();
    expect(oa.owned.size).toBe(0);
    clock.advance(5000);
    await b.settled();
    // b's skew at priority 100 = 609375 µs after the priority-0 advert sent at 10 s.
    expect(transitions.at(-1)).toBe('b:MASTER@10609375');
    expect([...ob.owned]).toEqual(['198.18.0.100']);
  });
  it('a PASS mismatch keeps them apart: both become master and count auth failures', async () => {
    const clock = new FakeClock(0);
    const seg = new FakeSegment(clock);
    const a = new VrrpRouter(cfg(150, { sourceIp: '198.18.0.1' }), {
      transport: seg.transport('198.18.0.1'),
      ownership: new FakeOwnership(),
      linkMonitor: new FakeLinkMonitor(),
      clock,
    });
    const b = new VrrpRouter(
      cfg(100, { sourceIp: '198.18.0.2', authentication: { type: 'PASS', password: 'other' } }),
      {
        transport: seg.transport('198.18.0.2'),
        ownership: new FakeOwnership(),
        linkMonitor: new FakeLinkMonitor(),
        clock,
      },
    );
    await a.start();
    await b.start();
    clock.advance(10000);
    expect([a.state, b.state]).toEqual(['MASTER', 'MASTER']);
    expect(b.machine?.drops['auth-failure']).toBeGreaterThan(0);
  });
  it('sends VRRPv3 at 100 ms and fails over within Master_Down_Interval', async () => {
    const { clock, a, b, transitions } = await pair({ version: 3, advertInt: 0.1, authentication: undefined });
    clock.advance(2000);
    expect(a.state).toBe('MASTER');
    // A crash (no priority 0): silence from 2 s; b's MDI(100) = 300000 + 60937 µs after a's last advert.
    const lastAdvert = 2_000_000 - ((2_000_000 - 341_406) % 100_000);
    (a as unknown as { machine: undefined }).machine = undefined;
    clock.advance(1000);
    expect(b.state).toBe('MASTER');
    expect(transitions.at(-1)).toBe(`b:MASTER@${lastAdvert + 360_937}`);
  });
});
