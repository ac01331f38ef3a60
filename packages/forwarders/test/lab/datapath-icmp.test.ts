/**
 * ICMP errors the datapath originates go through the kernel's rate limits (`IcmpRateLimiter`, defaults of
 * net.ipv4.icmp_ratelimit = 1000 ms with inet_peer's burst of 6, icmp_ratemask = 0x1818). Twenty frames with
 * TTL 1 sent at once to a DR service draw exactly six time-exceeded errors (a new peer starts with a full
 * bucket of 6 × 1000 ms tokens, each error costs 1000 ms, and the test takes far less than a second): the
 * other fourteen are counted as ICMP_RATE_LIMITED. Twenty DF frames too big for a TUN service draw twenty
 * fragmentation-needed errors: PMTU discovery is never limited (`icmpv4_mask_allow`). With
 * `icmpRateLimit: false` every time-exceeded goes out.
 */

import { DropReason } from '@lvskit/base';
import { ipvs } from '@lvskit/core';
import { interfaceInfo, PacketSocket } from '@lvskit/native';
import { buildSegmentLab, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { createDatapath } from '../../src/index.js';
import { eth4, ipv4, udp } from '../golden/builder.js';

const canRun = requireLab();
const VIP = '198.18.0.100';

describe.runIf(canRun)('lab: ICMP errors from the datapath are rate limited like the kernel', () => {
  it.each([true, false])(
    'limits on: %s — time exceeded 6 of 20 when on (all 20 when off), fragmentation-needed always 20',
    async (limits) => {
      const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1'], ipv6: false });
      try {
        const rsMac = hosts.rs1.interfaces.get('eth0')!.mac;
        const datapath = createDatapath({
          ifname: 'eth0',
          netns: hosts.director.ns,
          vips: [VIP],
          address: ip.director,
          neighbours: { [ip.rs1]: rsMac },
          ...(limits ? {} : { icmpRateLimit: false as const }),
        });
        const lvs = await ipvs()
          .service('dns', { protocol: 'udp', address: VIP, port: 53, scheduler: 'rr' })
          .realServer('dns', { address: ip.rs1, method: 'route' })
          .service('big', { protocol: 'udp', address: VIP, port: 54, scheduler: 'rr' })
          .realServer('big', { address: ip.rs1, method: 'tunnel' })
          .start({ packets: datapath });
        const dirMac = interfaceInfo('eth0', { netns: hosts.director.ns }).mac;
        const clientMac = hosts.client.interfaces.get('eth0')!.mac;
        const sock = PacketSocket.open({ ifname: 'eth0', netns: hosts.client.ns, protocol: 0x0800, batchSize: 32 });
        try {
          const send = (frames: Uint8Array[]) => {
            for (const [i, f] of frames.entries()) {
              sock.tx.buffer.set(f, i * sock.frameSize);
              sock.tx.offsets[i] = i * sock.frameSize;
              sock.tx.lengths[i] = f.length;
            }
            expect(sock.send(frames.length)).toBe(frames.length);
          };
          /** ICMP errors of `type` seen by the client within 1.5 s. */
          const collect = async (type: number): Promise<number> => {
            let n = 0;
            const until = Date.now() + 1500;
            while (Date.now() < until) {
              const c = sock.receive();
              for (let i = 0; i < c; i++) {
                const o = sock.rx.offsets[i]!;
                if (sock.rx.buffer[o + 23] === 1 && sock.rx.buffer[o + 34] === type) n++;
              }
              if (c === 0) await new Promise((r) => setTimeout(r, 10));
            }
            return n;
          };
          const ttl1 = Array.from({ length: 20 }, (_, k) =>
            eth4(
              dirMac,
              clientMac,
              ipv4({ src: ip.client, dst: VIP, ttl: 1, id: k }, udp({ sport: 40_000 + k, dport: 53, data: [1, 2, 3] })),
            ),
          );
          send(ttl1);
          expect(await collect(11)).toBe(limits ? 6 : 20);
          expect(datapath.drops[DropReason.ICMP_RATE_LIMITED]).toBe(limits ? 14 : 0);
          // 1500-byte DF datagrams into the tunnel (MTU − 20 = 1480): fragmentation-needed, every time.
          const big = Array.from({ length: 20 }, (_, k) =>
            eth4(
              dirMac,
              clientMac,
              ipv4(
                { src: ip.client, dst: VIP, df: true, id: 100 + k },
                udp({ sport: 41_000 + k, dport: 54, data: new Array(1500 - 28).fill(7) }),
              ),
            ),
          );
          send(big);
          expect(await collect(3)).toBe(20);
        } finally {
          sock.close();
          await lvs.stop();
        }
      } finally {
        await lab.destroy();
      }
    },
  );
});
