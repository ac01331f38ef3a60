// The lab's `ping`: sends ICMP echo requests over a raw socket (the `raw-socket` package) from inside a lab
// namespace and reports the matching echo replies. Run by netlab's `Lab.ping()` as
// `ip netns exec <ns> node icmp-echo.mjs --family 4|6 --to ADDR --id N --interval MS --timeout MS HEX…`,
// where each HEX is one whole ICMP message that `src/icmp.ts` built (IPv4 with its checksum; IPv6 with a
// zero checksum, which the kernel fills on raw ICMPv6 sockets, RFC 3542 §3.1). The kernel routes them and
// resolves the next hop, as iputils ping's do. Message i leaves i × interval ms after the first; the script
// waits `timeout` ms after the last for replies (iputils `-W`), or less when every request was answered.
// Prints one JSON line: `{"sent":n,"replies":[{"seq":s,"rttMs":t}…],"errors":["…"]}`. It must never send
// anything but the messages it was given, and only to `--to`.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const raw = require('raw-socket');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    family: { type: 'string' },
    to: { type: 'string' },
    id: { type: 'string' },
    interval: { type: 'string', default: '0' },
    timeout: { type: 'string', default: '1000' },
  },
});
const v6 = values.family === '6';
const target = values.to ?? '';
const id = Number(values.id);
const interval = Number(values.interval);
const timeout = Number(values.timeout);
const requests = positionals.map((h) => Buffer.from(h, 'hex'));
// RFC 792 echo reply type 0; RFC 4443 §4.2 echo reply type 129. Identifier at offset 4, sequence at 6.
const REPLY = v6 ? 129 : 0;

const sentAt = new Map();
const replies = [];
const errors = [];
let sent = 0;
let finished = 0;

const sock = raw.createSocket({
  protocol: v6 ? raw.Protocol.ICMPv6 : raw.Protocol.ICMP,
  addressFamily: v6 ? raw.AddressFamily.IPv6 : raw.AddressFamily.IPv4,
});
sock.on('error', (err) => {
  errors.push(err.message);
  done();
});
sock.on('message', (buf, source) => {
  // IPv4 raw sockets deliver the IP header too (IHL × 4 octets); ICMPv6 sockets the ICMP message only.
  const off = v6 ? 0 : (buf[0] & 0x0f) * 4;
  if (buf.length < off + 8 || buf[off] !== REPLY || buf.readUInt16BE(off + 4) !== id) return;
  if (source !== target) return; // both as inet_ntop writes them: src/icmp.ts passes base's canonicalIp
  const seq = buf.readUInt16BE(off + 6);
  const t0 = sentAt.get(seq);
  if (t0 === undefined) return;
  sentAt.delete(seq); // a duplicate reply counts once
  replies.push({ seq, rttMs: Math.round((performance.now() - t0) * 1000) / 1000 });
  if (finished === requests.length && sentAt.size === 0) done();
});

let timer;
function done() {
  clearTimeout(timer);
  try {
    sock.close();
  } catch {
    // already closed
  }
  process.stdout.write(`${JSON.stringify({ sent, replies, errors })}\n`);
  process.exit(0);
}

function sendOne(i) {
  const pkt = requests[i];
  const seq = pkt.readUInt16BE(6);
  sock.send(
    pkt,
    0,
    pkt.length,
    target,
    () => sentAt.set(seq, performance.now()),
    (err) => {
      finished++;
      if (err) {
        sentAt.delete(seq);
        errors.push(err.message);
      } else sent++;
      if (finished === requests.length) {
        if (sentAt.size === 0) done();
        else timer = setTimeout(done, timeout);
      }
    },
  );
}

if (requests.length === 0) done();
for (let i = 0; i < requests.length; i++) {
  if (i === 0 || interval <= 0) sendOne(i);
  else setTimeout(() => sendOne(i), i * interval);
}
