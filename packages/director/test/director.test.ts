/**
 * Whole directors on fakes (one FakeClock, one VRRP segment, scripted checks): reload × health × failover,
 * serving gated by VRRP, quorum and the sorry server, sync groups, and configuration refusal.
 */
import { LvsError } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { type DirectorConfig, defineConfig, validateConfig } from '../src/index.js';
import { TestNetwork } from '../src/testing/index.js';

const RS1 = '198.18.1.1';
const RS2 = '198.18.1.2';
const RS3 = '198.18.1.3';
const SORRY = '198.18.1.9';
const VIP = '198.18.0.100';

function config(priority: number, options: { realServers?: string[]; weight?: number; inhibit?: boolean } = {}) {
  return defineConfig({
    vips: { web: VIP },
    services: [
      {
        name: 'http',
        vip: 'web',
        port: 80,
        scheduler: 'rr',
        realServers: (options.realServers ?? [RS1, RS2]).map((address) => ({
          address,
          weight: options.weight ?? 1,
          checks: [{ type: 'TCP_CHECK', delay_loop: 1, retry: 0, connect_timeout: 1 }],
        })),
        health: { sorryServer: { address: SORRY }, ...(options.inhibit ? { inhibitOnFailure: true } : {}) },
      },
    ],
    vrrp: {
      instances: [{ name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority, advertInt: 1, vips: ['web'] }],
    },
  });
}

function table(d: { ipvs: { list(): readonly { realServers: readonly { address: string; weight: number }[] }[] } }) {
  return d.ipvs
    .list()[0]!
    .realServers.map((r) => `${r.address}/${r.weight}`)
    .sort();
}

describe('one director', () => {
  it('serves its VIP without VRRP and takes a failed real server out', async () => {
    const net = new TestNetwork();
    const { vrrp: _vrrp, ...noVrrp } = config(100);
    const d = net.director(noVrrp);
    const downs: string[] = [];
    d.on('realServerDown', (e) => downs.push(`${e.address}:${e.port}`));
    await d.start();
    await net.advance(3_000);
    expect(d.serving).toEqual([VIP]);
    expect(table(d)).toEqual([`${RS1}/1`, `${RS2}/1`]);
    net.checks.set('http', RS2, 80, false);
    await net.advance(5_000);
    expect(downs).toEqual([`${RS2}:80`]);
    expect(table(d)).toEqual([`${RS1}/1`]);
    net.checks.set('http', RS2, 80, true);
    await net.advance(5_000);
    expect(table(d)).toEqual([`${RS1}/1`, `${RS2}/1`]);
    await d.stop();
    expect(d.serving).toEqual([]);
  });

  it('keeps a health-down real server down across a reload, and checks a server added by the reload', async () => {
    const net = new TestNetwork();
    const d = net.director(config(150));
    await d.start();
    await net.advance(5_000);
    net.checks.set('http', RS2, 80, false);
    await net.advance(5_000);
    expect(table(d)).toEqual([`${RS1}/1`]);
    // The reload changes RS2's weight and adds RS3: RS2 must stay out, RS3 must be checked.
    await d.reload(config(150, { realServers: [RS1, RS2, RS3], weight: 3 }));
    expect(table(d)).toEqual([`${RS1}/3`, `${RS3}/3`]);
    const before = net.checks.calls('http', RS3, 80);
    await net.advance(5_000);
    expect(net.checks.calls('http', RS3, 80)).toBeGreaterThan(before);
    expect(table(d)).toEqual([`${RS1}/3`, `${RS3}/3`]);
    net.checks.set('http', RS2, 80, true);
    await net.advance(5_000);
    expect(table(d)).toEqual([`${RS1}/3`, `${RS2}/3`, `${RS3}/3`]);
    await d.stop();
  });

  it('keeps a quiesced (inhibit_on_failure) real server at weight 0 across a reload', async () => {
    const net = new TestNetwork();
    const d = net.director(config(150, { inhibit: true }));
    await d.start();
    await net.advance(3_000);
    net.checks.set('http', RS1, 80, false);
    await net.advance(5_000);
    expect(table(d)).toEqual([`${RS1}/0`, `${RS2}/1`]);
    await d.reload(config(150, { inhibit: true, weight: 5 }));
    expect(table(d)).toEqual([`${RS1}/0`, `${RS2}/5`]);
    net.checks.set('http', RS1, 80, true);
    await net.advance(5_000);
    expect(table(d)).toEqual([`${RS1}/5`, `${RS2}/5`]);
    await d.stop();
  });

  it('puts the sorry server in when quorum is lost and takes it out when it is back', async () => {
    const net = new TestNetwork();
    const d = net.director(config(150));
    const quorum: string[] = [];
    d.on('quorumDown', (e) => quorum.push(`down ${e.service}`));
    d.on('quorumUp', (e) => quorum.push(`up ${e.service}`));
    await d.start();
    await net.advance(3_000);
    expect(table(d)).toEqual([`${RS1}/1`, `${RS2}/1`]);
    net.checks.set('http', RS1, 80, false);
    net.checks.set('http', RS2, 80, false);
    await net.advance(5_000);
    expect(table(d)).toEqual([`${SORRY}/1`]);
    net.checks.set('http', RS1, 80, true);
    await net.advance(5_000);
    expect(table(d)).toEqual([`${RS1}/1`]);
    expect(quorum).toEqual(['down http', 'up http']);
    await d.stop();
  });
});

describe('two directors, one virtual router', () => {
  it('only the MASTER serves; the BACKUP takes over within Master_Down_Interval and the old master stops serving', async () => {
    const net = new TestNetwork();
    const a = net.director(config(150), { address: '198.18.0.1' });
    const b = net.director(config(100), { address: '198.18.0.2' });
    await a.start();
    await b.start();
    await net.advance(5_000);
    expect(a.router('VI_1')!.state).toBe('MASTER');
    expect(b.router('VI_1')!.state).toBe('BACKUP');
    expect(a.serving).toEqual([VIP]);
    expect(b.serving).toEqual([]);

    // Freeze the master: its adverts stop reaching the segment.
    net.partition('198.18.0.1', true);
    const cut = net.clock.now();
    let tookOver = Number.NaN;
    b.on('serving', (e) => {
      if (e.serving) tookOver = net.clock.now();
    });
    await net.advance(5_000);
    // Master_Down_Interval = 3 × advert_int + skew (skew = (256 − 100) / 256 s).
    expect(tookOver - cut).toBeLessThanOrEqual(3_000 + ((256 - 100) / 256) * 1000 + 50);
    expect(b.serving).toEqual([VIP]);

    // Back, the old master preempts (higher priority); the backup stops serving.
    net.partition('198.18.0.1', false);
    await net.advance(5_000);
    expect(a.router('VI_1')!.state).toBe('MASTER');
    expect(b.router('VI_1')!.state).toBe('BACKUP');
    expect(b.serving).toEqual([]);
    expect(a.serving).toEqual([VIP]);

    // A graceful stop sends priority 0: the backup takes over at once (Skew_Time).
    await a.stop();
    await net.advance(1_000);
    expect(b.serving).toEqual([VIP]);
    await b.stop();
  });

  it("the master's interface going down puts it in FAULT: it stops serving and the backup serves", async () => {
    const net = new TestNetwork();
    const a = net.director(config(150), { address: '198.18.0.1' });
    const b = net.director(config(100), { address: '198.18.0.2' });
    await a.start();
    await b.start();
    await net.advance(5_000);
    expect(a.serving).toEqual([VIP]);
    net.links.get('198.18.0.1')!.up.set('eth0', false);
    await net.advance(5_000);
    expect(a.router('VI_1')!.state).toBe('FAULT');
    expect(a.serving).toEqual([]);
    expect(b.serving).toEqual([VIP]);
    net.links.get('198.18.0.1')!.up.set('eth0', true);
    await net.advance(5_000);
    expect(a.serving).toEqual([VIP]);
    expect(b.serving).toEqual([]);
    await a.stop();
    await b.stop();
  });

  it('a reload during a failover keeps the new master serving and its table reconciled', async () => {
    const net = new TestNetwork();
    const a = net.director(config(150), { address: '198.18.0.1' });
    const b = net.director(config(100), { address: '198.18.0.2' });
    await a.start();
    await b.start();
    await net.advance(5_000);
    net.checks.set('http', RS2, 80, false);
    net.partition('198.18.0.1', true);
    await net.advance(2_000); // mid-failover: the backup has not taken over yet
    expect(b.serving).toEqual([]);
    await b.reload(config(100, { realServers: [RS1, RS2, RS3] }));
    await net.advance(5_000);
    expect(b.router('VI_1')!.state).toBe('MASTER');
    expect(b.serving).toEqual([VIP]);
    expect(table(b)).toEqual([`${RS1}/1`, `${RS3}/1`]);
    await a.stop();
    await b.stop();
  });

  it('a sync group moves together: a fault on one instance takes both VIPs to the peer', async () => {
    const net = new TestNetwork();
    const two = (priority: number) =>
      defineConfig({
        vips: { web: VIP, mail: '198.18.0.101' },
        services: [
          { name: 'http', vip: 'web', port: 80, realServers: [{ address: RS1 }] },
          { name: 'smtp', vip: 'mail', port: 25, realServers: [{ address: RS2 }] },
        ],
        vrrp: {
          instances: [
            { name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority, vips: ['web'] },
            { name: 'VI_2', interface: 'eth1', virtualRouterId: 52, priority, vips: ['mail'] },
          ],
          syncGroups: [{ name: 'G', instances: ['VI_1', 'VI_2'] }],
        },
      });
    const a = net.director(two(150), { address: '198.18.0.1' });
    const b = net.director(two(100), { address: '198.18.0.2' });
    await a.start();
    await b.start();
    await net.advance(5_000);
    expect([...a.serving].sort()).toEqual([VIP, '198.18.0.101']);
    a.router('VI_2')!.setFault(true);
    await net.advance(5_000);
    expect(a.serving).toEqual([]);
    expect([...b.serving].sort()).toEqual([VIP, '198.18.0.101']);
    await a.stop();
    await b.stop();
  });

  it('a reload that changes one member of a sync group, or the groups, restarts the group as one', async () => {
    const net = new TestNetwork();
    const two = (priority: number, grouped: boolean, advertInt = 1) =>
      defineConfig({
        vips: { web: VIP, mail: '198.18.0.101' },
        services: [
          { name: 'http', vip: 'web', port: 80, realServers: [{ address: RS1 }] },
          { name: 'smtp', vip: 'mail', port: 25, realServers: [{ address: RS2 }] },
        ],
        vrrp: {
          instances: [
            { name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority, advertInt, vips: ['web'] },
            { name: 'VI_2', interface: 'eth1', virtualRouterId: 52, priority, vips: ['mail'] },
          ],
          syncGroups: grouped ? [{ name: 'G', instances: ['VI_1', 'VI_2'] }] : [],
        },
      });
    const a = net.director(two(150, false), { address: '198.18.0.1' });
    const b = net.director(two(100, false), { address: '198.18.0.2' });
    await a.start();
    await b.start();
    await net.advance(5_000);
    // Not grouped yet: a fault on VI_2 moves only the mail VIP.
    a.router('VI_2')!.setFault(true);
    await net.advance(5_000);
    expect(a.serving).toEqual([VIP]);
    a.router('VI_2')!.setFault(false);
    await net.advance(5_000);
    // The group appears on both; then one member's advert_int changes on both: the group is rebuilt each time.
    for (const [d, p] of [
      [a, 150],
      [b, 100],
    ] as const)
      await d.reload(two(p, true));
    await net.advance(5_000);
    for (const [d, p] of [
      [a, 150],
      [b, 100],
    ] as const)
      await d.reload(two(p, true, 2));
    await net.advance(10_000);
    expect([...a.serving].sort()).toEqual([VIP, '198.18.0.101']);
    a.router('VI_2')!.setFault(true);
    await net.advance(10_000);
    expect(a.serving).toEqual([]);
    expect([...b.serving].sort()).toEqual([VIP, '198.18.0.101']);
    await a.stop();
    await b.stop();
  });
});

describe('configuration', () => {
  it('reports every issue at once, with the user path, and starts nothing', () => {
    const bad = {
      vips: { web: '198.18.0.100/', mail: '224.0.0.1', db: '198.18.0.100' },
      services: [
        {
          name: 'http',
          vip: 'wbe',
          port: 70000,
          tcpp: true,
          realServers: [{ address: '0.0.0.0', weight: null, checks: [{ type: 'HTTP_GTE' }] }],
        },
        { name: 'http', vip: 'db', port: 80, scheduler: 'toString', realServers: [] },
      ],
      vrrp: { instances: [{ name: 'VI_1', interface: 'eth0', virtualRouterId: 51, vips: ['nope'] }] },
      advert_int: 1,
    } as unknown as DirectorConfig;
    let err: unknown;
    try {
      validateConfig(bad);
    } catch (e) {
      err = e;
    }
    expect(LvsError.is(err)).toBe(true);
    const e = err as LvsError;
    expect(e.code).toBe('DIRECTOR_INVALID_CONFIG');
    const paths = e.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'advert_int',
        'vips.web',
        'vips.mail',
        'services.0.vip',
        'services.0.port',
        'services.0.tcpp',
        'services.0.realServers.0.address',
        'services.0.realServers.0.weight',
        'services.1.name',
        'services.1.scheduler',
        'vrrp.instances.0.vips.0',
      ]),
    );
    expect(e.message).toContain('unknown key "tcpp"');
  });

  it('refuses what core, health and VRRP would refuse, naming the user path', () => {
    const net = new TestNetwork();
    const c = config(150);
    const bad = {
      ...c,
      services: [{ ...c.services[0]!, persistence: { timeout: 0 } }],
      vrrp: { instances: [{ ...c.vrrp!.instances[0]!, virtualRouterId: 300 }] },
    } as DirectorConfig;
    expect(() => net.director(bad)).toThrow(
      expect.objectContaining({
        code: 'DIRECTOR_INVALID_CONFIG',
        issues: expect.arrayContaining([
          expect.objectContaining({ path: expect.arrayContaining(['services', 0]) }),
          expect.objectContaining({ path: expect.arrayContaining(['vrrp', 'instances', 0]) }),
        ]),
      }),
    );
  });

  it('a refused reload changes nothing', async () => {
    const net = new TestNetwork();
    const d = net.director(config(150));
    await d.start();
    await net.advance(3_000);
    const before = table(d);
    await expect(d.reload({ ...config(150), vips: { web: 'nope' } } as DirectorConfig)).rejects.toThrow(LvsError);
    expect(table(d)).toEqual(before);
    expect(d.config.vips.get('web')!.address).toBe(VIP);
    await d.stop();
  });

  it('vrrp.scripts: a script two instances track runs once per interval (not twice), and its failure faults both', async () => {
    const net = new TestNetwork();
    const two = (priority: number) =>
      defineConfig({
        vips: { web: VIP, mail: '198.18.0.101' },
        services: [
          { name: 'http', vip: 'web', port: 80, realServers: [{ address: RS1 }] },
          { name: 'smtp', vip: 'mail', port: 25, realServers: [{ address: RS2 }] },
        ],
        vrrp: {
          globals: { version: 3 },
          scripts: [{ name: 'chk_app', script: '/usr/local/bin/chk-app --quick', interval: 2, weight: 0 }],
          instances: ['VI_1', 'VI_2'].map((name, i) => ({
            name,
            interface: 'eth0',
            virtualRouterId: 51 + i,
            priority,
            vips: [i === 0 ? 'web' : 'mail'] as const,
            tracking: { trackScripts: [{ name: 'chk_app' }] },
          })),
        },
      });
    let failing = false;
    net.commands.answer((argv) => ({ code: argv.includes('--quick') && failing ? 1 : 0 }));
    const a = net.director(two(150), { address: '198.18.0.1' });
    const b = net.director(two(100), { address: '198.18.0.2' });
    await a.start();
    await b.start();
    await net.advance(10_000);
    expect([...a.serving].sort()).toEqual([VIP, '198.18.0.101']);
    // vrrp_version 3 from the globals: the adverts on the segment are VRRPv3.
    expect(net.segment.frames.at(-1)!.message[0]! >> 4).toBe(3);
    // Two directors, each one run per 2 s interval for both instances: 10 s → about 5 runs per director.
    const runs = net.commands.calls.filter((c) => c.argv[0] === '/usr/local/bin/chk-app').length;
    expect(runs).toBeGreaterThanOrEqual(10);
    expect(runs).toBeLessThanOrEqual(14);
    failing = true;
    await net.advance(8_000);
    expect(a.serving).toEqual([]);
    expect([...b.serving].sort()).toEqual([]);
    expect(a.router('VI_1')!.state).toBe('FAULT');
    await a.stop();
    await b.stop();
  });

  it('refuses a track_script naming no vrrp_script, and reports an inherited timing keyword once, where it is written', () => {
    const paths = (input: unknown) => {
      try {
        validateConfig(input as DirectorConfig);
      } catch (e) {
        return (e as LvsError).issues.map((i) => i.path.join('.'));
      }
      return [];
    };
    const noScript = {
      ...config(150),
      vrrp: {
        instances: [
          {
            name: 'VI_1',
            interface: 'eth0',
            virtualRouterId: 51,
            vips: ['web'],
            tracking: { trackScripts: [{ name: 'nope' }] },
          },
        ],
      },
    };
    expect(paths(noScript)).toEqual(['vrrp.instances.0.tracking.trackScripts.0.name']);
    const c = config(150);
    const longDelay = { ...c, services: [{ ...c.services[0]!, health: { timing: { delay_loop: 2 ** 31 } } }] };
    // Two real servers with one check each inherit it: one issue, at the service's timing.
    expect(paths(longDelay)).toEqual(['services.0.health.timing.delay_loop']);
  });

  it('a reload the table or VRRP would refuse is refused before anything changes (found by the fuzz suite)', async () => {
    const net = new TestNetwork();
    const d = net.director({ ...config(150), maxConnections: 4096 });
    await d.start();
    await net.advance(3_000);
    const before = JSON.stringify([d.ipvs.list(), d.serving, d.status().vrrp, d.ipvs.configuration]);
    // The table's capacity cannot change at run time: refused as a config issue with its path.
    const bigger = d.reload({ ...config(150, { realServers: [RS1] }), maxConnections: 8192 });
    await expect(bigger).rejects.toThrow(
      expect.objectContaining({
        code: 'DIRECTOR_INVALID_CONFIG',
        issues: [expect.objectContaining({ path: ['maxConnections'] })],
      }),
    );
    // A new IPv6 instance with no source address (the port knows none) could not start: refused up front.
    const v6 = defineConfig({
      ...config(150, { realServers: [RS1] }),
      maxConnections: 4096,
      vips: { web: VIP, six: '2001:2::100' },
      vrrp: {
        instances: [
          { name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority: 150, advertInt: 1, vips: ['web'] },
          { name: 'VI_6', interface: 'eth0', virtualRouterId: 52, priority: 150, version: 3, vips: ['six'] },
        ],
      },
    });
    await expect(d.reload(v6)).rejects.toThrow(
      expect.objectContaining({
        issues: [expect.objectContaining({ path: ['vrrp', 'instances', 1, 'sourceIp'] })],
      }),
    );
    expect(JSON.stringify([d.ipvs.list(), d.serving, d.status().vrrp, d.ipvs.configuration])).toBe(before);
    await d.stop();
    // The same config refuses to start a fresh director, and nothing is left running.
    const e = net.director(v6);
    await expect(e.start()).rejects.toThrow(expect.objectContaining({ code: 'DIRECTOR_INVALID_CONFIG' }));
    expect(net.clock.pending).toBe(0);
  });

  it('lifecycle calls out of order are refused', async () => {
    const net = new TestNetwork();
    const d = net.director(config(150));
    await expect(d.stop()).rejects.toThrow(expect.objectContaining({ code: 'DIRECTOR_STATE' }));
    await d.start();
    await expect(d.start()).rejects.toThrow(expect.objectContaining({ code: 'DIRECTOR_STATE' }));
    await d.stop();
  });
});
