/**
 * ScaleOut without a router: its validation, the scheduler warning, `drain()` holding the withdraw's
 * connections — a real TCP connection through the director's datapath on a TestNetwork (manual clock) — and
 * the director's `announce` block, `drain()` and `lvskit drain`. The announcer is the testing FakeAnnouncer,
 * which records calls: it stands in for the BGP router, outside the machine in use. With a real gobgpd and
 * BIRD router: test/lab/scale-out.test.ts.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMac } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { eth4, ipv4, tcp } from '../../forwarders/test/golden/builder.js';
import { runLvskit } from '../src/cli/index.js';
import {
  createDirector,
  type DirectorConfig,
  defineConfig,
  directorMetrics,
  ScaleOut,
  serveControl,
  serveStatus,
} from '../src/index.js';
import { FakeAnnouncer, TestNetwork } from '../src/testing/index.js';

const VIP = '198.18.0.100';
const RS = '198.18.1.1';
const RS_MAC = '02:00:00:00:01:01';
const CLIENT = '198.18.2.1';
const CMAC = '02:00:00:00:02:01';

function config(scheduler: 'mh' | 'wlc', extra: Partial<DirectorConfig> = {}): DirectorConfig {
  return defineConfig({
    vips: { web: VIP, other: '198.18.0.101' },
    services: [
      { name: 'http', vip: 'web', port: 80, scheduler, method: 'route', realServers: [{ address: RS }] },
      { name: 'https', vip: 'web', port: 443, scheduler: 'mh', method: 'route', realServers: [{ address: RS }] },
    ],
    ...extra,
  });
}

/** The issue paths of a config the director refuses with DIRECTOR_INVALID_CONFIG (fails if it is accepted). */
function refusedPaths(extra: Record<string, unknown>): unknown[][] {
  try {
    createDirector(config('mh', extra as Partial<DirectorConfig>));
  } catch (err) {
    expect(err).toMatchObject({ code: 'DIRECTOR_INVALID_CONFIG' });
    return (err as { issues: { path: unknown[] }[] }).issues.map((i) => i.path);
  }
  throw new Error('the config was accepted');
}

describe('ScaleOut options', () => {
  it('announces every VIP that has a service, with its services', () => {
    const s = new ScaleOut(createDirector(config('mh')), { announcer: new FakeAnnouncer() });
    expect(s.status()).toEqual([{ vip: 'web', prefix: `${VIP}/32`, services: ['http', 'https'], announced: false }]);
    expect(s.warnings).toEqual([]);
  });

  it('warns for a scheduler that does not make the same choice on every director', () => {
    const s = new ScaleOut(createDirector(config('wlc')), { announcer: new FakeAnnouncer() });
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]).toMatch(/^scale-out VIP web: service http uses wlc, which does not make the same choice/);
  });

  it.each([
    ['an unknown VIP', { vips: ['nope'] }],
    ['a VIP without services', { vips: ['other'] }],
    ['a negative drain timeout', { drainTimeoutMs: -1 }],
    ['a zero drain check', { drainCheckMs: 0 }],
  ])('refuses %s with DIRECTOR_INVALID_CONFIG', (_what, options) => {
    const d = createDirector(config('mh'));
    expect(() => new ScaleOut(d, { announcer: new FakeAnnouncer(), ...options })).toThrow(
      expect.objectContaining({ code: 'DIRECTOR_INVALID_CONFIG' }),
    );
  });

  it('start() before the director runs is DIRECTOR_STATE and starts nothing', async () => {
    const a = new FakeAnnouncer();
    const s = new ScaleOut(createDirector(config('mh')), { announcer: a });
    await expect(s.start()).rejects.toMatchObject({ code: 'DIRECTOR_STATE' });
    expect(a.calls).toEqual([]);
  });
});

/** A running director with the datapath on a TestNetwork, its ScaleOut started, and a client-segment sender. */
async function served(drainTimeoutMs: number) {
  const net = new TestNetwork();
  const d = net.director(
    defineConfig({
      interfaces: [{ name: 'eth0' }],
      vips: { web: VIP },
      neighbours: { [RS]: RS_MAC, [CLIENT]: CMAC },
      services: [
        { name: 'http', vip: 'web', port: 80, scheduler: 'mh', method: 'route', realServers: [{ address: RS }] },
      ],
    }),
    { address: '198.18.0.1', frames: true },
  );
  const a = new FakeAnnouncer();
  const s = new ScaleOut(d, { announcer: a, drainTimeoutMs });
  await d.start();
  await net.advance(3_000);
  await s.start();
  const lan = net.frames.get('198.18.0.1')?.get('eth0');
  if (!lan) throw new Error('no memory interface');
  const mac = formatMac(lan.mac);
  /** Sends one client segment from port `sport`; returns the MAC it was forwarded to (undefined: not forwarded). */
  const send = (sport: number, flags: number): string | undefined => {
    lan.takeSent();
    const out = lan
      .receive(eth4(mac, CMAC, ipv4({ src: CLIENT, dst: VIP, ttl: 64 }, tcp({ sport, dport: 80, flags }))))
      .find((f) => f.bytes[12] === 0x08 && f.bytes[13] === 0x00);
    return out ? formatMac(out.bytes.subarray(0, 6)) : undefined;
  };
  return { net, d, a, s, send };
}

describe('ScaleOut drain()', () => {
  it('withdraws at once, keeps forwarding the established connection, stops when it is gone', async () => {
    const { net, d, a, s, send } = await served(600_000);
    expect(a.calls).toEqual(['start', `announce ${VIP}/32`]);
    expect(send(40_000, 0x02)).toBe(RS_MAC); // SYN
    expect(send(40_000, 0x10)).toBe(RS_MAC); // ACK: ESTABLISHED
    const drained: string[] = [];
    s.on('drained', (e) => drained.push(`${e.reason} ${e.connections}`));
    const done = s.drain();
    await net.advance(0);
    expect(a.calls.at(-1)).toBe(`withdraw ${VIP}/32`);
    await net.advance(5_000);
    expect(drained).toEqual([]); // the connection is still there
    expect(send(40_000, 0x10)).toBe(RS_MAC); // and still forwarded
    expect(send(40_000, 0x04)).toBe(RS_MAC); // RST: CLOSE, expires 10 s later
    await net.advance(15_000);
    expect(await done).toBe('drained');
    expect(drained).toEqual(['drained 0']);
    expect(a.calls.slice(2)).toEqual([`withdraw ${VIP}/32`, 'stop']);
    await d.stop();
  });

  it('ends at the drain timeout with connections left', async () => {
    const { net, d, a, s, send } = await served(30_000);
    send(40_001, 0x02);
    send(40_001, 0x10);
    const done = s.drain();
    await net.advance(31_000);
    expect(await done).toBe('timeout');
    expect(a.calls.slice(-2)).toEqual([`withdraw ${VIP}/32`, 'stop']);
    await d.stop();
  });
});

describe('switches (the IPVS sysctls) in the director config', () => {
  it('reach the engine and stay through table changes (sloppy_tcp for scale-out)', async () => {
    const d = createDirector(config('mh', { switches: { sloppyTcp: true } }));
    expect(d.config.switches).toEqual({ sloppyTcp: true });
    expect(d.ipvs.engine.settings.sloppyTcp).toBe(true);
    await d.start();
    await d.reload(config('mh', { switches: { sloppyTcp: true } }));
    expect(d.ipvs.engine.settings.sloppyTcp).toBe(true);
    await d.reload(config('mh'));
    expect(d.ipvs.engine.settings.sloppyTcp).toBe(false);
    await d.stop();
  });

  it.each([
    ['a value of the wrong type', { sloppyTcp: 'yes' }, ['switches', 'sloppyTcp']],
    ['an unknown switch', { sloppy: true }, ['switches', 'sloppy']],
  ])('refuses %s at its path, nothing created', (_what, switches, path) => {
    expect(refusedPaths({ switches })).toContainEqual(path);
  });
});

describe('the announce block: the director runs its ScaleOut', () => {
  const bgp = { localAs: 65001, routerId: '198.18.1.2', peers: [{ address: '198.18.1.1', as: 65000 }] };

  it('start() announces, drain() (director and `lvskit drain` over the control socket) withdraws and stops', async () => {
    const net = new TestNetwork();
    const d = net.director(
      defineConfig({
        interfaces: [{ name: 'eth0' }],
        vips: { web: VIP },
        neighbours: { [RS]: RS_MAC, [CLIENT]: CMAC },
        drain: { timeoutMs: 60_000 },
        announce: { bgp },
        services: [
          { name: 'http', vip: 'web', port: 80, scheduler: 'mh', method: 'route', realServers: [{ address: RS }] },
        ],
      }),
      { address: '198.18.0.1', frames: true },
    );
    const events: string[] = [];
    d.on('announced', (e) => events.push(`announced ${e.vip} ${e.prefix}`));
    d.on('withdrawn', (e) => events.push(`withdrawn ${e.vip} ${e.reason}`));
    const dir = await mkdtemp(join(tmpdir(), 'lvskit-drain-'));
    const path = join(dir, 'lvskit.sock');
    const control = await serveControl(d, { path });
    try {
      await d.start();
      await net.advance(3_000);
      expect(events).toEqual([`announced web ${VIP}/32`]);
      expect(d.scaleOut?.status()[0]?.announced).toBe(true);
      const a = net.announcers.get('198.18.0.1');
      const out: string[] = [];
      const io = {
        stdout: { write: (t: string) => out.push(t) },
        stderr: { write: (t: string) => out.push(t) },
        env: {},
      };
      const code = await runLvskit(['drain', '--control-socket', path], io);
      expect({ code, out: out.join('') }).toEqual({
        code: 0,
        out: 'drained: VIPs withdrawn, no connection left, BGP speaker stopped\n',
      });
      expect(events).toEqual([`announced web ${VIP}/32`, 'withdrawn web drain']);
      expect(a?.calls).toEqual(['start', `announce ${VIP}/32`, `withdraw ${VIP}/32`, 'stop']);
      await expect(d.drain()).rejects.toMatchObject({ code: 'DIRECTOR_STATE' });
    } finally {
      await control.close();
      await d.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('metrics: announced per VIP, the peers, withdrawals by reason', async () => {
    const net = new TestNetwork();
    const d = net.director(config('mh', { announce: { bgp } }));
    const registry = directorMetrics(d);
    expect(await registry.metrics()).not.toMatch(/^lvskit_announce_announced\{/m); // nothing before start
    await d.start();
    await net.advance(1_000);
    let text = await registry.metrics();
    expect(text).toContain(`lvskit_announce_announced{vip="web",prefix="${VIP}/32"} 1\n`);
    await d.drain();
    text = await registry.metrics();
    expect(text).toContain(`lvskit_announce_announced{vip="web",prefix="${VIP}/32"} 0\n`);
    expect(text).toContain('lvskit_announce_withdrawals_total{vip="web",reason="drain"} 1\n');
    await d.stop();
  });

  it('status page: /api/status carries the announce section, and the page renders it', async () => {
    const net = new TestNetwork();
    const d = net.director(config('mh', { announce: { bgp } }));
    const none = createDirector(config('mh'));
    const page = await serveStatus(d, { port: 0 });
    const plain = await serveStatus(none, { port: 0 });
    try {
      await d.start();
      await net.advance(1_000);
      const snap = (await (await fetch(`${page.url}api/status`)).json()) as { announce: unknown };
      expect(snap.announce).toEqual({ vips: [{ vip: 'web', prefix: `${VIP}/32`, announced: true }], peers: [] });
      const html = await (await fetch(page.url)).text();
      expect(html).toContain('<section id="annbox"><h2>Announcement</h2>');
      expect(((await (await fetch(`${plain.url}api/status`)).json()) as { announce: unknown }).announce).toBeNull();
    } finally {
      await page.close();
      await plain.close();
      await d.stop();
    }
  });

  it('stop() withdraws before the datapath stops', async () => {
    const a = new FakeAnnouncer();
    const d = createDirector(config('mh', { announce: { bgp } }), { announcer: () => a });
    await d.start();
    await d.stop();
    expect(a.calls).toEqual(['start', `announce ${VIP}/32`, `withdraw ${VIP}/32`, 'stop']);
  });

  it('drain() without an announce block is DIRECTOR_STATE', async () => {
    const d = createDirector(config('mh'));
    await d.start();
    await expect(d.drain()).rejects.toMatchObject({ code: 'DIRECTOR_STATE' });
    await d.stop();
  });

  it.each([
    ['a bad AS number', { bgp: { ...bgp, localAs: 0 } }, ['announce', 'bgp']],
    ['a peer without an address', { bgp: { ...bgp, peers: [{ as: 1 }] } }, ['announce', 'bgp']],
    ['an unknown VIP', { bgp, vips: ['nope'] }, ['announce', 'vips', 0]],
    ['an unknown key', { bgp, vip: ['web'] }, ['announce', 'vip']],
    ['no bgp', {}, ['announce', 'bgp']],
  ])('refuses %s at its path', (_what, announce, path) => {
    expect(refusedPaths({ announce })).toContainEqual(path);
  });
});
