/**
 * Bench helper run inside a router's lab namespace: a UDP echo service bound to the VIP (the namespace has
 * `ip_nonlocal_bind` 1, so it binds before the VIP is there), answering every datagram with its own bytes
 * from the VIP. It is the "small service" a client sees move with the VIP; it knows nothing of VRRP.
 */
import { createSocket } from 'node:dgram';

const address = process.argv[2] ?? '198.18.11.100';
const port = Number(process.argv[3] ?? 7007);
const sock = createSocket('udp4');
sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
sock.bind(port, address, () => process.stdout.write('{"ready":true}\n'));
process.on('SIGTERM', () => {
  sock.close();
  process.exit(0);
});
