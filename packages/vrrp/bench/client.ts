/**
 * Bench helper run inside the observer's lab namespace: sends one 8-byte UDP request to the VIP's echo
 * service every 10 ms and prints one JSON line per answer (`a` = wall-clock ms when it arrived,
 * performance.timeOrigin + now(), comparable with bench/observer.ts; `seq`), so the bench can find the
 * longest stretch without answers around a takeover as a client sees it.
 */
import { createSocket } from 'node:dgram';

const address = process.argv[2] ?? '198.18.11.100';
const port = Number(process.argv[3] ?? 7007);
const sock = createSocket('udp4');
const req = Buffer.alloc(8);
let seq = 0;
sock.on('message', (msg) => {
  if (msg.length !== 8) return;
  process.stdout.write(`{"a":${performance.timeOrigin + performance.now()},"seq":${msg.readUInt32BE(0)}}\n`);
});
sock.bind(0, () => {
  setInterval(() => {
    req.writeUInt32BE(seq++ >>> 0, 0);
    sock.send(req, port, address);
  }, 10);
  process.stdout.write('{"ready":true}\n');
});
process.on('SIGTERM', () => {
  sock.close();
  process.exit(0);
});
