/**
 * Traffic generator for bench/datapath.bench.ts, run inside the generator's namespace: sends `count` copies
 * of one 60-byte UDP frame (64 on the wire with the FCS) from eth0 as fast as the packet socket takes them,
 * and prints `sent <n> <ms>`. Usage: udp-gen.ts <dst-mac> <src-ip> <dst-ip> <count>
 */
import { interfaceInfo, PacketSocket } from '@lvskit/native';
import { eth4, ipv4, udp } from '../test/golden/builder.js';

const [dstMac, srcIp, dstIp, countText] = process.argv.slice(2) as [string, string, string, string];
const count = Number(countText);
const me = interfaceInfo('eth0');
const frame = eth4(
  dstMac,
  me.mac,
  ipv4({ src: srcIp, dst: dstIp }, udp({ sport: 1000, dport: 9, data: Array(18).fill(0x5a) })),
);
const sock = PacketSocket.open({ ifname: 'eth0', batchSize: 256 });
for (let i = 0; i < sock.batchSize; i++) {
  sock.tx.buffer.set(frame, sock.tx.offsets[i]!);
  sock.tx.lengths[i] = frame.length;
}
const t0 = performance.now();
let sent = 0;
while (sent < count) sent += sock.send(Math.min(sock.batchSize, count - sent));
const ms = performance.now() - t0;
sock.close();
process.stdout.write(`sent ${sent} ${ms.toFixed(1)}\n`);
