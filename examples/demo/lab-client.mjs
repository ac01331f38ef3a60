// The lab demo's client: runs inside the client namespace (`ip netns exec`, started by netlab's `spawn`) and
// sends real HTTP requests to the VIP, each on a new TCP connection, at a steady rate; a few connections are
// held open idle for a while first (so the director shows ActiveConn). Prints one line per answer, `ok <body>`
// (the real server's name) or `err <reason>`. Bounded: stops after --count requests or --seconds, whichever
// comes first, and exits when its standard input closes (its owner is gone). It must never retry in a loop
// without a bound, nor talk to anything but the VIP.
import { request } from 'node:http';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    vip: { type: 'string' },
    port: { type: 'string', default: '80' },
    rate: { type: 'string', default: '20' },
    count: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '60' },
    hold: { type: 'string', default: '2' },
  },
});
const vip = values.vip;
if (!vip) {
  process.stderr.write('lab-client: --vip is required\n');
  process.exit(2);
}
const port = Number(values.port);
const rate = Number(values.rate);
const count = Number(values.count);
const holdPerSecond = Number(values.hold);
const deadline = Date.now() + Number(values.seconds) * 1000;

let sent = 0;
const say = (line) => process.stdout.write(`${line}\n`);

function get() {
  const req = request({ host: vip, port, path: '/', agent: false, timeout: 3000 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => {
      body += d;
    });
    res.on('end', () => say(`ok ${body.trim()}`));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => say(`err ${e.message}`));
  req.end();
}

// A keep-alive style client: connects, stays idle 3–12 s (ESTABLISHED at the director), then asks once and closes.
function held() {
  const s = connect({ host: vip, port });
  let body = '';
  s.setEncoding('utf8');
  s.setTimeout(20_000, () => s.destroy(new Error('timeout')));
  s.on('connect', () => {
    setTimeout(
      () => s.write(`GET / HTTP/1.1\r\nHost: ${vip}\r\nConnection: close\r\n\r\n`),
      3000 + Math.random() * 9000,
    );
  });
  s.on('data', (d) => {
    body += d;
  });
  s.on('end', () => say(`ok ${body.split('\r\n\r\n')[1]?.trim() ?? '?'}`));
  s.on('error', (e) => say(`err ${e.message}`));
}

const tick = setInterval(
  () => {
    if (sent >= count || Date.now() >= deadline) {
      clearInterval(tick);
      // Let answers in flight arrive, then leave (held connections may still be open: they are ended with us).
      setTimeout(() => process.exit(0), 1500).unref();
      return;
    }
    sent++;
    if (holdPerSecond > 0 && sent % Math.max(1, Math.round(rate / holdPerSecond)) === 0) held();
    else get();
  },
  Math.max(1, Math.round(1000 / rate)),
);
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
say('ready');
