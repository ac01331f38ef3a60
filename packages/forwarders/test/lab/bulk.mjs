// Lab helper for bulk transfers through the datapath (large enough that the senders' TSO makes GSO
// super-frames). It must never bind or connect outside the lab namespace it is started in, nor read files.
//   server <name> <port>: per connection reads "<up> <down>\n", then <up> bytes, answers
//     "<name> <sha256 of the upload>\n" followed by <down> bytes of the pattern, and closes.
//   client <address> <port> <up> <down>: sends the request line and <up> bytes of the pattern, reads the
//     answer and the <down> bytes, and prints one JSON line {name, upOk, downOk, downBytes, ms}
//     (exit 1 on a socket error or after 30 s).
// The pattern byte at position i is (i * 7 + (i >>> 11)) & 0xff: no short period, so a duplicated,
// missing or reordered segment changes the digest.
import { createHash } from 'node:crypto';
import net from 'node:net';

const [mode, a, b, c, d] = process.argv.slice(2);
const CHUNK = 1 << 16;

/** The pattern's bytes [from, from + n). */
function pattern(from, n) {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const p = from + i;
    out[i] = (p * 7 + (p >>> 11)) & 0xff;
  }
  return out;
}

/** Writes <n> pattern bytes to the socket, respecting back-pressure, then calls done. */
function sendPattern(sock, n, done) {
  let sent = 0;
  const pump = () => {
    while (sent < n) {
      const len = Math.min(CHUNK, n - sent);
      const ok = sock.write(pattern(sent, len));
      sent += len;
      if (!ok) {
        sock.once('drain', pump);
        return;
      }
    }
    done();
  };
  pump();
}

if (mode === 'server') {
  const server = net.createServer((s) => {
    let head = '';
    let up = -1;
    let down = 0;
    let got = 0;
    const hash = createHash('sha256');
    s.on('data', (chunk) => {
      let data = chunk;
      if (up < 0) {
        head += data.toString('latin1');
        const nl = head.indexOf('\n');
        if (nl < 0) return;
        [up, down] = head.slice(0, nl).split(' ').map(Number);
        data = Buffer.from(head.slice(nl + 1), 'latin1');
      }
      hash.update(data);
      got += data.length;
      if (got === up) {
        s.write(`${a} ${hash.digest('hex')}\n`);
        sendPattern(s, down, () => s.end());
      }
    });
    s.on('error', () => {});
  });
  server.listen(Number(b), () => process.stdout.write('listening\n'));
  process.on('SIGTERM', () => process.exit(0));
} else if (mode === 'client') {
  const up = Number(c);
  const down = Number(d);
  const start = Date.now();
  const want = createHash('sha256');
  for (let i = 0; i < up; i += CHUNK) want.update(pattern(i, Math.min(CHUNK, up - i)));
  const wantHex = want.digest('hex');
  const sock = net.connect(Number(b), a, () => {
    sock.write(`${up} ${down}\n`);
    sendPattern(sock, up, () => {});
  });
  let line = '';
  let rest = null;
  let downBytes = 0;
  let downOk = true;
  sock.on('data', (chunk) => {
    let data = chunk;
    if (rest === null) {
      line += data.toString('latin1');
      const nl = line.indexOf('\n');
      if (nl < 0) return;
      data = Buffer.from(line.slice(nl + 1), 'latin1');
      rest = line.slice(0, nl);
    }
    const expect = pattern(downBytes, data.length);
    if (!expect.equals(data)) downOk = false;
    downBytes += data.length;
  });
  sock.on('end', () => {
    const [name, digest] = (rest ?? '').split(' ');
    process.stdout.write(
      `${JSON.stringify({ name, upOk: digest === wantHex, downOk: downOk && downBytes === down, downBytes, ms: Date.now() - start })}\n`,
    );
    process.exit(0);
  });
  sock.on('error', (err) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
  setTimeout(() => {
    process.stderr.write(`timeout after 30 s (${downBytes} bytes down)\n`);
    process.exit(1);
  }, 30_000).unref();
}
