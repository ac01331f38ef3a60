/**
 * GobgpAnnouncer without a network: option validation (every bad input a typed error, nothing started), the
 * gobgpd TOML it writes, canonical prefixes, lifecycle errors, and a daemon that cannot start. Sessions,
 * routes and the router's FIB are tested in test/lab/gobgp.test.ts against BIRD.
 */
import { LvsError } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { canonicalPrefix, GobgpAnnouncer, type GobgpOptions, gobgpdConfig } from '../src/index.js';

const base: GobgpOptions = { localAs: 65001, routerId: '198.18.1.2', peers: [{ address: '198.18.1.1', as: 65000 }] };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof LvsError ? err.code : `not an LvsError: ${String(err)}`;
  }
  return undefined;
}

describe('gobgpdConfig', () => {
  it('writes the global section without a listening port and one neighbor per peer', () => {
    expect(gobgpdConfig(base)).toBe(
      [
        '[global.config]',
        '  as = 65001',
        '  router-id = "198.18.1.2"',
        '  port = -1',
        '',
        '[[neighbors]]',
        '  [neighbors.config]',
        '    neighbor-address = "198.18.1.1"',
        '    peer-as = 65000',
        '',
      ].join('\n'),
    );
  });

  it('writes timers and the local address when given', () => {
    const toml = gobgpdConfig({
      ...base,
      localAddress: '198.18.1.2',
      peers: [
        { address: '198.18.1.1', as: 65000, holdTimeSec: 3, keepaliveSec: 1, connectRetrySec: 1, idleHoldSec: 1 },
        { address: '2001:2::1', as: 4200000000 },
      ],
    });
    expect(toml).toContain(
      [
        '  [neighbors.timers.config]',
        '    connect-retry = 1',
        '    hold-time = 3',
        '    keepalive-interval = 1',
        '    idle-hold-time-after-reset = 1',
        '  [neighbors.transport.config]',
        '    local-address = "198.18.1.2"',
      ].join('\n'),
    );
    expect(toml).toContain('neighbor-address = "2001:2::1"\n    peer-as = 4200000000');
  });

  it.each([
    ['localAs 0', { ...base, localAs: 0 }],
    ['localAs 2^32', { ...base, localAs: 2 ** 32 }],
    ['localAs 1.5', { ...base, localAs: 1.5 }],
    ['routerId IPv6', { ...base, routerId: '2001:2::1' }],
    ['routerId text', { ...base, routerId: 'router' }],
    ['no peers', { ...base, peers: [] }],
    ['peer twice', { ...base, peers: [base.peers[0]!, base.peers[0]!] }],
    ['peer address', { ...base, peers: [{ address: '198.18.1', as: 1 }] }],
    ['hold time 2', { ...base, peers: [{ address: '198.18.1.1', as: 1, holdTimeSec: 2 }] }],
    ['keepalive ≥ hold', { ...base, peers: [{ address: '198.18.1.1', as: 1, holdTimeSec: 3, keepaliveSec: 3 }] }],
    ['connect retry 0', { ...base, peers: [{ address: '198.18.1.1', as: 1, connectRetrySec: 0 }] }],
    ['poll interval', { ...base, pollIntervalMs: 1 }],
  ] as [string, GobgpOptions][])('refuses %s with ANNOUNCE_INVALID_OPTION', (_what, options) => {
    expect(code(() => gobgpdConfig(options))).toBe('ANNOUNCE_INVALID_OPTION');
    expect(code(() => new GobgpAnnouncer(options))).toBe('ANNOUNCE_INVALID_OPTION');
  });

  it('hold time 0 (no keepalives, RFC 4271 §4.2) is allowed', () => {
    expect(gobgpdConfig({ ...base, peers: [{ address: '198.18.1.1', as: 1, holdTimeSec: 0 }] })).toContain(
      'hold-time = 0',
    );
  });

  it('refuses a namespace name that is not one', () => {
    expect(code(() => new GobgpAnnouncer({ ...base, netns: 'a b' }))).toBe('ANNOUNCE_INVALID_OPTION');
  });
});

describe('canonicalPrefix', () => {
  it('gives address/length, a bare address as a host route', () => {
    expect(canonicalPrefix('198.18.0.100')).toBe('198.18.0.100/32');
    expect(canonicalPrefix('198.18.0.0/24')).toBe('198.18.0.0/24');
    expect(canonicalPrefix('2001:0002::0100')).toBe('2001:2::100/128');
  });
  it.each(['198.18.0.1/24', '198.18.0.0/33', 'vip', '198.18.0.0/'])('refuses %s', (p) => {
    expect(code(() => canonicalPrefix(p))).toBe('ANNOUNCE_INVALID_OPTION');
  });
});

describe('GobgpAnnouncer lifecycle', () => {
  it('announce before start is ANNOUNCE_STATE; a bad prefix is refused first', async () => {
    const a = new GobgpAnnouncer(base);
    await expect(a.announce('198.18.0.100')).rejects.toMatchObject({ code: 'ANNOUNCE_STATE' });
    await expect(a.withdraw('198.18.0.100')).rejects.toMatchObject({ code: 'ANNOUNCE_STATE' });
    await expect(a.announce('nope')).rejects.toMatchObject({ code: 'ANNOUNCE_INVALID_OPTION' });
    expect(a.running).toBe(false);
    expect(a.peers()).toEqual([{ address: '198.18.1.1', as: 65000, state: 'idle' }]);
    await a.stop();
    await expect(a.start()).rejects.toMatchObject({ code: 'ANNOUNCE_STATE' });
  });

  it('a gobgpd that cannot be started is ANNOUNCE_DAEMON_FAILED and leaves nothing running', async () => {
    const a = new GobgpAnnouncer({ ...base, gobgpd: '/nonexistent/gobgpd', startTimeoutMs: 2000 });
    await expect(a.start()).rejects.toMatchObject({ code: 'ANNOUNCE_DAEMON_FAILED' });
    expect(a.running).toBe(false);
    expect(a.pid).toBeUndefined();
  });
});
