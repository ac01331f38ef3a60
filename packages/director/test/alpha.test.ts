/**
 * keepalived `alpha`: a checker starts failed, so its real server is not in the table until its first
 * passing check — or is there at weight 0 under `inhibit_on_failure` (check/ipwrapper.c `init_service_rs`,
 * "In alpha mode, be pessimistic"). Without it, a real server that never answers would keep its share of
 * new connections for ever: its checker starts down, so it never makes the down transition that removes it.
 */
import { runIpvsadm } from '@lvskit/core';
import { describe, expect, it } from 'vitest';
import { type DirectorConfig, defineConfig } from '../src/index.js';
import { TestNetwork } from '../src/testing/index.js';

const RS = ['198.18.1.1', '198.18.1.2'];

function config(options: { inhibit?: boolean; at?: 'check' | 'service'; servers?: string[] } = {}): DirectorConfig {
  const check = { type: 'TCP_CHECK' as const, delay_loop: 1, retry: 0, connect_timeout: 1 };
  return defineConfig({
    vips: { web: '198.18.0.100' },
    services: [
      {
        name: 'http',
        vip: 'web',
        port: 80,
        scheduler: 'rr',
        realServers: (options.servers ?? RS).map((address) => ({
          address,
          weight: 3,
          checks: [options.at === 'service' ? check : { ...check, alpha: true }],
        })),
        health: {
          ...(options.inhibit ? { inhibitOnFailure: true } : {}),
          ...(options.at === 'service' ? { timing: { alpha: true } } : {}),
        },
      },
    ],
  });
}

/** Each real server of the table with its weight, from `ipvsadm -Ln`. */
function table(d: { ipvs: { ipvsadm: Parameters<typeof runIpvsadm>[0] } }): string[] {
  return runIpvsadm(d.ipvs.ipvsadm, '-Ln')
    .stdout.split('\n')
    .filter((l) => l.startsWith('  -> 198'))
    .map((l) => {
      const [, address, , weight] = l.trim().split(/\s+/);
      return `${address} ${weight}`;
    });
}

describe('keepalived alpha', () => {
  it('keeps a real server out until its first passing check; one that never passes stays out', async () => {
    const net = new TestNetwork();
    net.checks.set('http', RS[0]!, 80, false);
    const d = net.director(config());
    await d.start();
    expect(table(d)).toEqual([]);
    await net.advance(3_000);
    expect(table(d)).toEqual(['198.18.1.2:80 3']);
    net.checks.set('http', RS[0]!, 80, true);
    await net.advance(3_000);
    expect(table(d).sort()).toEqual(['198.18.1.1:80 3', '198.18.1.2:80 3']);
    await d.stop();
  });

  it('is inherited from the service’s timing', async () => {
    const net = new TestNetwork();
    net.checks.set('http', RS[0]!, 80, false);
    const d = net.director(config({ at: 'service' }));
    await d.start();
    expect(table(d)).toEqual([]);
    await net.advance(3_000);
    expect(table(d)).toEqual(['198.18.1.2:80 3']);
    await d.stop();
  });

  it('under inhibit_on_failure: in the table at weight 0 until it passes', async () => {
    const net = new TestNetwork();
    net.checks.set('http', RS[0]!, 80, false);
    const d = net.director(config({ inhibit: true }));
    await d.start();
    expect(table(d).sort()).toEqual(['198.18.1.1:80 0', '198.18.1.2:80 0']);
    await net.advance(3_000);
    expect(table(d).sort()).toEqual(['198.18.1.1:80 0', '198.18.1.2:80 3']);
    net.checks.set('http', RS[0]!, 80, true);
    await net.advance(3_000);
    expect(table(d).sort()).toEqual(['198.18.1.1:80 3', '198.18.1.2:80 3']);
    await d.stop();
  });

  it('a real server added by reload starts out too; the ones kept keep their state', async () => {
    const net = new TestNetwork();
    const d = net.director(config({ servers: [RS[1]!] }));
    await d.start();
    await net.advance(3_000);
    expect(table(d)).toEqual(['198.18.1.2:80 3']);
    net.checks.set('http', RS[0]!, 80, false);
    await d.reload(config());
    expect(table(d)).toEqual(['198.18.1.2:80 3']);
    await net.advance(3_000);
    expect(table(d)).toEqual(['198.18.1.2:80 3']);
    await d.stop();
  });
});
