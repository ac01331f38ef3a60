/**
 * rtnetlink through the addon, checked against iproute2's own view: addresses and neighbours added or
 * removed with @lvskit/native inside a lab namespace show up (or vanish) in `ip addr` / `ip neigh`, and
 * what `ip` configures is what the addon reads back. Interface facts match `ip -j link`.
 */
import { buildSegmentLab, type Lab, type LabHost, requireLab } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addAddress,
  getNeighbour,
  interfaceInfo,
  listAddresses,
  listNeighbours,
  nativeUnavailableReason,
  removeAddress,
  removeNeighbour,
  setNeighbour,
} from '../../src/index.js';

const canRun = requireLab();
if (canRun && nativeUnavailableReason() !== undefined) {
  throw new Error(`native addon unavailable: ${nativeUnavailableReason()}`);
}

describe.runIf(canRun)('native: rtnetlink addresses and neighbours in a lab namespace', () => {
  let lab: Lab;
  let a: LabHost;

  beforeAll(async () => {
    const built = await buildSegmentLab({ hosts: ['a', 'b'] });
    lab = built.lab;
    a = built.hosts.a;
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const ipAddr = async () => (await lab.exec(a, ['ip', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
  const ipNeigh = async () => (await lab.exec(a, ['ip', 'neigh', 'show', 'dev', 'eth0'])).stdout;

  it('reports the interface as ip -j link does', async () => {
    const j = JSON.parse((await lab.exec(a, ['ip', '-j', 'link', 'show', 'dev', 'eth0'])).stdout) as {
      ifindex: number;
      address: string;
      mtu: number;
    }[];
    const info = interfaceInfo('eth0', { netns: a.ns });
    expect(info.index).toBe(j[0]!.ifindex);
    expect(info.mac).toBe(j[0]!.address);
    expect(info.mtu).toBe(j[0]!.mtu);
    expect(info.up).toBe(true);
  });

  it('adds and removes IPv4 and IPv6 addresses visible to ip addr', async () => {
    addAddress({ netns: a.ns, ifname: 'eth0', address: '198.18.0.100', prefixLength: 32 });
    addAddress({ netns: a.ns, ifname: 'eth0', address: '2001:2::64', prefixLength: 64, nodad: true });
    const shown = await ipAddr();
    expect(shown).toMatch(/inet 198\.18\.0\.100\/32 /);
    expect(shown).toMatch(/inet6 2001:2::64\/64 /);
    const listed = listAddresses({ netns: a.ns, ifname: 'eth0' }).map((x) => `${x.address}/${x.prefixLength}`);
    expect(listed).toEqual(expect.arrayContaining(['198.18.0.1/24', '198.18.0.100/32', '2001:2::64/64']));

    expect(() => addAddress({ netns: a.ns, ifname: 'eth0', address: '198.18.0.100', prefixLength: 32 })).toThrow(
      expect.objectContaining({ code: 'NATIVE_EXISTS' }),
    );
    removeAddress({ netns: a.ns, ifname: 'eth0', address: '198.18.0.100', prefixLength: 32 });
    removeAddress({ netns: a.ns, ifname: 'eth0', address: '2001:2::64', prefixLength: 64 });
    const after = await ipAddr();
    expect(after).not.toMatch(/198\.18\.0\.100/);
    expect(after).not.toMatch(/2001:2::64/);
    expect(after).toMatch(/inet 198\.18\.0\.1\/24 /);
    expect(() => removeAddress({ netns: a.ns, ifname: 'eth0', address: '198.18.0.100', prefixLength: 32 })).toThrow(
      expect.objectContaining({ code: 'NATIVE_NOT_FOUND' }),
    );
  });

  it('adds an address with label, scope and noprefixroute as ip addr would show them', async () => {
    addAddress({
      netns: a.ns,
      ifname: 'eth0',
      address: '198.18.7.5',
      prefixLength: 24,
      label: 'eth0:vip',
      scope: 'link',
      noPrefixRoute: true,
    });
    expect(await ipAddr()).toMatch(/inet 198\.18\.7\.5\/24 scope link noprefixroute eth0:vip/);
    // noprefixroute: no route for 198.18.7.0/24 appeared.
    expect((await lab.exec(a, ['ip', 'route', 'show', '198.18.7.0/24'])).stdout.trim()).toBe('');
    expect(listAddresses({ netns: a.ns, ifname: 'eth0' }).find((x) => x.address === '198.18.7.5')).toMatchObject({
      label: 'eth0:vip',
      scope: 253,
      prefixLength: 24,
    });
    expect(() => addAddress({ netns: a.ns, ifname: 'eth0', address: '198.18.7.6', label: 'other:vip' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    removeAddress({ netns: a.ns, ifname: 'eth0', address: '198.18.7.5', prefixLength: 24 });
    expect(await ipAddr()).not.toMatch(/198\.18\.7\./);
  });

  it('sets, reads and removes ARP and ND entries visible to ip neigh', async () => {
    setNeighbour({ netns: a.ns, ifname: 'eth0', address: '198.18.0.77', mac: '02:00:5e:10:00:77' });
    setNeighbour({
      netns: a.ns,
      ifname: 'eth0',
      address: '2001:2::77',
      mac: '02:00:5e:10:00:78',
      state: 'reachable',
    });
    const shown = await ipNeigh();
    expect(shown).toMatch(/198\.18\.0\.77 lladdr 02:00:5e:10:00:77 PERMANENT/);
    expect(shown).toMatch(/2001:2::77 lladdr 02:00:5e:10:00:78 REACHABLE/);
    expect(getNeighbour({ netns: a.ns, ifname: 'eth0', address: '198.18.0.77' })).toMatchObject({
      family: 4,
      mac: '02:00:5e:10:00:77',
      state: 'permanent',
    });
    // Replace: same address, new MAC.
    setNeighbour({ netns: a.ns, ifname: 'eth0', address: '198.18.0.77', mac: '02:00:5e:10:00:99' });
    expect(await ipNeigh()).toMatch(/198\.18\.0\.77 lladdr 02:00:5e:10:00:99 PERMANENT/);

    // What ip configures, the addon reads.
    await lab.exec(a, [
      'ip',
      'neigh',
      'add',
      '198.18.0.88',
      'lladdr',
      '02:00:5e:10:00:88',
      'dev',
      'eth0',
      'nud',
      'stale',
    ]);
    expect(getNeighbour({ netns: a.ns, ifname: 'eth0', address: '198.18.0.88' })).toMatchObject({
      mac: '02:00:5e:10:00:88',
      state: 'stale',
    });
    expect(listNeighbours({ netns: a.ns }).map((n) => n.address)).toEqual(
      expect.arrayContaining(['198.18.0.77', '198.18.0.88', '2001:2::77']),
    );

    removeNeighbour({ netns: a.ns, ifname: 'eth0', address: '198.18.0.77' });
    removeNeighbour({ netns: a.ns, ifname: 'eth0', address: '2001:2::77' });
    const after = await ipNeigh();
    expect(after).not.toMatch(/198\.18\.0\.77 /);
    expect(after).not.toMatch(/2001:2::77 /);
    expect(getNeighbour({ netns: a.ns, ifname: 'eth0', address: '198.18.0.77' })).toBeUndefined();
    expect(() => removeNeighbour({ netns: a.ns, ifname: 'eth0', address: '198.18.0.77' })).toThrow(
      expect.objectContaining({ code: 'NATIVE_NOT_FOUND' }),
    );
  });

  it('leaves the root namespace untouched and returns the thread to it', async () => {
    const before = listAddresses().map((x) => `${x.ifindex}:${x.address}`);
    addAddress({ netns: a.ns, ifname: 'eth0', address: '198.18.0.101', prefixLength: 32 });
    // Still in the root namespace afterwards: its address list is unchanged and has no lab address.
    const after = listAddresses().map((x) => `${x.ifindex}:${x.address}`);
    expect(after).toEqual(before);
    expect(after.some((x) => x.endsWith(':198.18.0.101'))).toBe(false);
    expect(await ipAddr()).toMatch(/198\.18\.0\.101\/32/);
  });
});
