/**
 * Link-layer multicast membership of a packet socket (`multicast`): the group is joined on the interface
 * while the socket is open (the kernel lists it under `ip maddr`, as a member the host's own addresses do not
 * account for) and left when it closes; a malformed MAC is refused before any socket exists.
 */
import { buildSegmentLab, type Lab, requireLab } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeUnavailableReason, PacketSocket } from '../../src/index.js';

const canRun = requireLab();
if (canRun && nativeUnavailableReason() !== undefined) {
  throw new Error(`native addon unavailable: ${nativeUnavailableReason()}`);
}

describe.runIf(canRun)('native: multicast groups of a packet socket', () => {
  let lab: Lab;
  let ns: string;
  beforeAll(async () => {
    const built = await buildSegmentLab({ hosts: ['a'], ipv6: false });
    lab = built.lab;
    ns = built.hosts.a.ns;
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  const groups = async () => (await lab.exec('a', ['ip', 'maddr', 'show', 'dev', 'eth0'])).stdout;

  it('joins the groups while open and leaves them on close', async () => {
    // The solicited-node group of 2001:2::64 (RFC 4291 §2.7.1), as an Ethernet address (RFC 2464 §7).
    const group = '33:33:ff:00:00:64';
    expect(await groups()).not.toContain(group);
    const s = PacketSocket.open({ ifname: 'eth0', netns: ns, multicast: [group, '01:00:5e:00:00:fb'] });
    try {
      const joined = await groups();
      expect(joined).toContain(`link  ${group}`);
      expect(joined).toContain('link  01:00:5e:00:00:fb');
    } finally {
      s.close();
    }
    expect(await groups()).not.toContain(group);
  });

  it('refuses a malformed group with INVALID_ARGUMENT', () => {
    expect(() => PacketSocket.open({ ifname: 'eth0', netns: ns, multicast: ['33:33:ff:00:00'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
