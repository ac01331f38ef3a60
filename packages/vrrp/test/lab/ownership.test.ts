/**
 * Both ownership implementations on a real segment: the VIP appears and disappears with `ip addr`, and a
 * gratuitous ARP moves a third host's neighbour entry for the VIP to the new owner's MAC (Linux accepts a
 * gratuitous ARP request as an override of an existing entry, net/ipv4/arp.c `arp_process`). The third host
 * pings with netlab's own ICMP echo; iputils' `arping` is used only by the `garp: 'arping'` case.
 */
import { buildSegmentLab, type Lab, type LabHost, requireLab, requireOwnTools, requireTools } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AddressOwnership,
  compileInstance,
  Iproute2Ownership,
  NativeOwnership,
  nativeOwnershipAvailable,
} from '../../src/index.js';
import { holds, waitFor } from './helpers.js';

const canRun = requireLab() && requireOwnTools('the VIP ownership lab', 'ping');
// Only the arping fallback (machines without the addon) needs iputils: skipped with one line where it is
// missing, failed under CI=true.
const hasArping = canRun && requireTools('the iproute2 + arping GARP case', 'arping');
const VIP = '198.18.12.100';
const vip = compileInstance(
  { name: 'VI', interface: 'eth0', virtualRouterId: 1, virtualIpAddresses: [`${VIP}/24`] },
  '198.18.12.1',
).virtualAddresses[0]!;

describe.runIf(canRun)('VIP ownership ports on a lab segment', () => {
  let lab: Lab;
  let hosts: { a: LabHost; b: LabHost; x: LabHost };
  beforeAll(async () => {
    const built = await buildSegmentLab({ hosts: ['a', 'b', 'x'], subnet: '198.18.12.0/24' });
    lab = built.lab;
    hosts = built.hosts;
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const mac = (h: LabHost): string => h.interfaces.get('eth0')?.mac ?? '';
  async function neighbourMac(): Promise<string> {
    const r = await lab.exec(hosts.x, ['ip', '-4', 'neigh', 'show', VIP, 'dev', 'eth0']);
    return /lladdr (\S+)/.exec(r.stdout)?.[1] ?? '';
  }

  const impls: [string, (ns: string) => AddressOwnership, boolean][] = [
    ['iproute2 (GARP auto: native where built)', (ns) => new Iproute2Ownership({ netns: ns }), true],
    ['iproute2 + arping', (ns) => new Iproute2Ownership({ netns: ns, garp: 'arping' }), hasArping],
    ['@lvskit/native', (ns) => new NativeOwnership({ netns: ns }), nativeOwnershipAvailable()],
  ];
  for (const [name, make, available] of impls) {
    it.runIf(available || process.env.CI === 'true')(`${name}: add, announce, move, remove`, async () => {
      const a = make(hosts.a.ns);
      const b = make(hosts.b.ns);
      expect(await a.primaryAddress('eth0', 4)).toBe('198.18.12.1');
      await a.add(vip);
      await a.add(vip); // already present: not an error
      expect(await holds(lab, hosts.a, VIP)).toBe(true);
      expect((await lab.ping(hosts.x, VIP, { timeoutMs: 2000 })).received).toBe(1);
      expect(await neighbourMac()).toBe(mac(hosts.a));
      await a.remove(vip);
      await a.remove(vip); // already absent: not an error
      expect(await holds(lab, hosts.a, VIP)).toBe(false);
      await b.add(vip);
      await b.announce(vip, 3);
      await waitFor('neighbour entry moved to b', async () => (await neighbourMac()) === mac(hosts.b), 5000);
      await b.remove(vip);
      await lab.exec(hosts.x, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    });
  }

  it.runIf(nativeOwnershipAvailable() || process.env.CI === 'true')(
    '@lvskit/native: an unsolicited NA moves the IPv6 neighbour entry (keepalived vrrp_ndisc.c frame)',
    async () => {
      const VIP6 = '2001:2:0:12::100';
      const vip6 = compileInstance(
        { name: 'VI6', interface: 'eth0', virtualRouterId: 2, virtualIpAddresses: [`${VIP6}/64`] },
        'fe80::1',
      ).virtualAddresses[0]!;
      await lab.exec(hosts.x, ['ip', '-6', 'addr', 'add', '2001:2:0:12::3/64', 'dev', 'eth0', 'nodad']);
      const ready = (h: LabHost) => async () => {
        const r = await lab.exec(h, ['ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0']);
        return r.stdout.includes(VIP6) && !r.stdout.includes('tentative');
      };
      const neigh6 = async (): Promise<string> => {
        const r = await lab.exec(hosts.x, ['ip', '-6', 'neigh', 'show', VIP6, 'dev', 'eth0']);
        return /lladdr (\S+)/.exec(r.stdout)?.[1] ?? '';
      };
      const a = new NativeOwnership({ netns: hosts.a.ns });
      const b = new NativeOwnership({ netns: hosts.b.ns });
      await a.add(vip6);
      await waitFor('VIP6 ready on a', ready(hosts.a));
      expect((await lab.ping(hosts.x, VIP6, { timeoutMs: 2000 })).received).toBe(1);
      expect(await neigh6()).toBe(mac(hosts.a));
      await a.remove(vip6);
      await b.add(vip6);
      await waitFor('VIP6 ready on b', ready(hosts.b));
      await b.announce(vip6, 2);
      await waitFor('IPv6 neighbour entry moved to b', async () => (await neigh6()) === mac(hosts.b), 5000);
      await b.remove(vip6);
    },
  );
});
