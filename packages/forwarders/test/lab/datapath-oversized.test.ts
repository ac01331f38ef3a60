/**
 * Frames longer than 2 KiB. The client and the director are joined by a veth with MTU 9000 on both ends, so a
 * 4000-byte frame reaches the director's packet socket whole. With `offload: false` (2 KiB slots) it is
 * longer than its receive slot: counted as `OVERSIZED`, before parsing, instead of being cut and miscounted
 * as `MALFORMED_IPV4` (the addon flags the cut, `RxFlag.TRUNCATED`, from MSG_TRUNC); a small frame of the
 * same flow is forwarded as usual, which shows the datapath was reading while the big one was dropped. With
 * offload (64 KiB slots, the default) the same frame is forwarded whole.
 */

import { DropReason } from '@lvskit/base';
import { ipvs } from '@lvskit/core';
import { PacketSocket } from '@lvskit/native';
import { createLab, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { createDatapath } from '../../src/index.js';
import { bytes, eth4, ipv4, udp } from '../golden/builder.js';
import { CLIENT, MAC_CLIENT, MAC_DIRECTOR, MAC_RS, RIP, VIP } from '../golden/fixtures.js';

const canRun = requireLab();

/** A UDP datagram client:40000 → VIP:53 in a frame of exactly `frameLength` bytes (14 + 20 + 8 + data). */
function frame(frameLength: number): Uint8Array {
  const data = bytes(frameLength - 14 - 20 - 8);
  return eth4(MAC_DIRECTOR, MAC_CLIENT, ipv4({ src: CLIENT, dst: VIP }, udp({ sport: 40000, dport: 53, data })));
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

describe.runIf(canRun)('lab: oversized frames', () => {
  it('without offload a 4000-byte frame is dropped as OVERSIZED (not MALFORMED_IPV4), with offload forwarded whole', async () => {
    const lab = await createLab();
    try {
      const client = await lab.addHost('client', { ipv6: false });
      const dir = await lab.addHost('director', { ipv6: false });
      await lab.link(client, dir, {
        a: { ifname: 'eth0', mac: MAC_CLIENT, mtu: 9000 },
        b: { ifname: 'eth0', mac: MAC_DIRECTOR, mtu: 9000 },
      });
      const datapath = createDatapath({
        ifname: 'eth0',
        netns: dir.ns,
        vips: [VIP],
        neighbours: { [RIP]: MAC_RS },
        offload: false,
      });
      const lvs = await ipvs()
        .service('dns', { protocol: 'udp', address: VIP, port: 53, scheduler: 'rr' })
        .realServer('dns', { address: RIP, method: 'route' })
        .start({ packets: datapath });
      const sock = PacketSocket.open({ ifname: 'eth0', netns: client.ns, protocol: 0x0800, frameSize: 8192 });
      let stopped = false;
      try {
        const send = (f: Uint8Array) => {
          sock.tx.buffer.set(f, sock.tx.offsets[0]!);
          sock.tx.lengths[0] = f.length;
          expect(sock.send(1)).toBe(1);
        };
        send(frame(4000));
        await until(() => datapath.drops[DropReason.OVERSIZED]! > 0);
        send(frame(100));
        await until(() => datapath.counters[1]! > 0);
        expect(datapath.drops[DropReason.OVERSIZED]).toBe(1);
        expect(datapath.drops[DropReason.MALFORMED_IPV4]).toBe(0);
        expect(datapath.counters[0]).toBe(2); // both frames received
        expect(datapath.counters[1]).toBe(1); // only the small one forwarded (DR towards RIP's MAC)
        stopped = true;
        await lvs.stop();
        // The same frames with offload: 64 KiB slots take the big one whole, and it is forwarded.
        const big = createDatapath({ ifname: 'eth0', netns: dir.ns, vips: [VIP], neighbours: { [RIP]: MAC_RS } });
        const lvs2 = await ipvs()
          .service('dns', { protocol: 'udp', address: VIP, port: 53, scheduler: 'rr' })
          .realServer('dns', { address: RIP, method: 'route' })
          .start({ packets: big });
        try {
          send(frame(4000));
          send(frame(100));
          await until(() => big.counters[1]! >= 2);
          expect(big.counters[1]).toBe(2);
          expect(big.drops[DropReason.OVERSIZED]).toBe(0);
        } finally {
          await lvs2.stop();
        }
      } finally {
        sock.close();
        if (!stopped) await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  }, 60_000);
});
