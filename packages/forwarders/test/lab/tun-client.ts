/**
 * Lab helper process (run inside the client's namespace): sends one UDP datagram to VIP:port the way an
 * LVS-TUN director would deliver it — encapsulated by our rewriteTunnel, sent as a raw IP packet to the
 * real server — and prints the reply it gets back directly from the VIP, or "timeout".
 * Usage: tun-client.ts <client-ip> <vip> <port> <rs-ip> <outer-source-ip>
 */
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import { createForwardParams, PacketInfo, parsePacket, RewriteResult, rewriteTunnel } from '../../src/index.js';
import { eth4, ipv4, udp } from '../golden/builder.js';

const [clientIp, vip, port, rsIp, outerSrc] = process.argv.slice(2) as [string, string, string, string, string];
const sport = 40000 + (process.pid % 1000);
const sock = dgram.createSocket('udp4');
sock.bind(sport, clientIp, () => {
  const payload = [...Buffer.from('hello through IPIP')];
  const input = eth4(
    '02:00:00:00:00:fe',
    '02:00:00:00:00:0a',
    ipv4({ src: clientIp, dst: vip, ttl: 64 }, udp({ sport, dport: Number(port), data: payload })),
  );
  const frame = new Uint8Array(input.length + 64);
  frame.set(input);
  const info = new PacketInfo();
  const r = new RewriteResult();
  parsePacket(frame, input.length, info);
  const p = createForwardParams({
    ourMac: '02:00:00:00:00:fe',
    nextHopMac: '02:00:00:00:00:0b',
    address: rsIp,
    ourAddress: outerSrc,
  });
  rewriteTunnel(frame, input.length, info, p, r);
  const raw = createRequire(import.meta.url)('raw-socket') as {
    createSocket(o: { protocol: number }): {
      send(b: Buffer, o: number, l: number, a: string, cb: (e: Error | null) => void): void;
      close(): void;
    };
  };
  const tx = raw.createSocket({ protocol: 255 });
  const timer = setTimeout(() => {
    process.stdout.write('timeout\n');
    process.exit(1);
  }, 4000);
  sock.on('message', (msg, from) => {
    clearTimeout(timer);
    process.stdout.write(`reply from ${from.address}:${from.port} ${msg.toString()}\n`);
    tx.close();
    sock.close();
    process.exit(0);
  });
  tx.send(Buffer.from(frame.buffer, 14, r.length - 14), 0, r.length - 14, rsIp, (err) => {
    if (err) {
      process.stdout.write(`send failed ${err.message}\n`);
      process.exit(1);
    }
  });
});
