/**
 * Iproute2Ownership's commands, through base's FakeCommandRunner: `ip addr` in the lab namespace, and
 * gratuitous ARPs by iputils `arping -U` only when asked (`garp: 'arping'`, the fallback of machines without
 * the addon): one single-probe arping per GARP, IPv4 only. The native GARP path is lab-tested
 * (test/lab/ownership.test.ts). Bad options are refused before anything runs.
 */
import { FakeCommandRunner } from '@lvskit/base/testing';
import { describe, expect, it } from 'vitest';
import { compileInstance, Iproute2Ownership } from '../src/index.js';

const vip = compileInstance(
  { name: 'VI', interface: 'eth0', virtualRouterId: 1, virtualIpAddresses: ['198.18.12.100/24'] },
  '198.18.12.1',
).virtualAddresses[0]!;
const vip6 = compileInstance(
  { name: 'VI6', interface: 'eth0', virtualRouterId: 2, virtualIpAddresses: ['2001:2:0:12::100/64'] },
  'fe80::1',
).virtualAddresses[0]!;

describe('Iproute2Ownership', () => {
  it('garp arping: one `arping -U -c 1` per GARP in the namespace, all at once', async () => {
    const fake = new FakeCommandRunner();
    const o = new Iproute2Ownership({ netns: 'lvsk000000-a', commandRunner: fake.runner, garp: 'arping' });
    await o.announce(vip, 3);
    const argv = ['ip', 'netns', 'exec', 'lvsk000000-a', 'arping', '-U', '-c', '1', '-I', 'eth0'];
    expect(fake.calls.map((c) => c.argv)).toEqual(
      Array.from({ length: 3 }, () => [...argv, '-s', '198.18.12.100', '198.18.12.100']),
    );
  });

  it('garp arping: IPv6 and repeat 0 run nothing; a failing arping is VRRP_OWNERSHIP_FAILED', async () => {
    const fake = new FakeCommandRunner(() => ({ code: 2, stderr: 'arping: unknown iface eth0' }));
    const o = new Iproute2Ownership({ commandRunner: fake.runner, garp: 'arping' });
    await o.announce(vip6, 2);
    await o.announce(vip, 0);
    expect(fake.calls).toEqual([]);
    await expect(o.announce(vip, 1)).rejects.toMatchObject({
      code: 'VRRP_OWNERSHIP_FAILED',
      message: expect.stringContaining('unknown iface eth0'),
    });
  });

  it('adds with ip in the namespace; refuses an unknown garp sender before running anything', async () => {
    const fake = new FakeCommandRunner();
    await new Iproute2Ownership({ netns: 'lvsk000000-a', commandRunner: fake.runner }).add(vip);
    expect(fake.calls.map((c) => c.argv)).toEqual([
      ['ip', 'netns', 'exec', 'lvsk000000-a', 'ip', 'addr', 'add', '198.18.12.100/24', 'dev', 'eth0'],
    ]);
    expect(() => new Iproute2Ownership({ garp: 'iputils' as 'arping' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
