/**
 * Bench helper run inside a lab namespace: joins the VRRP multicast group on eth0 with the real raw-socket
 * transport and prints one JSON line per advert seen (`t` = wall-clock ms, performance.timeOrigin + now(),
 * comparable with bench/client.ts; source, priority), so
 * takeover gaps are measured on the wire by a third party, not by either router.
 */
import { formatIp, parseIp } from '@lvskit/base';
import { RawSocketTransport } from '../src/index.js';

const source = process.argv[2] ?? '198.18.11.3';
const t = new RawSocketTransport({
  interface: 'eth0',
  source: parseIp(source),
  multicastGroup: parseIp('224.0.0.18'),
  ttl: 255,
});
t.onReceive((a) => {
  const prio = a.bytes[a.offset + 2];
  process.stdout.write(
    `${JSON.stringify({ t: performance.timeOrigin + performance.now(), src: formatIp(a.source), prio })}\n`,
  );
});
process.stdout.write('{"ready":true}\n');
process.on('SIGTERM', () => {
  t.close();
  process.exit(0);
});
