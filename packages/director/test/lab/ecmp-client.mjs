// The ECMP lab's client: opens `count` TCP connections to host:port (`parallel` at a time) and keeps them
// all open; prints {ready, open} when they are. Then each SIGUSR2 (not SIGUSR1: Node keeps that one for its
// inspector, which may take the signal before a listener sees it) sends one line on every connection and
// prints {conns: [[localPort, server | null], ...], failed, resets}, where server is the name of the real
// server that answered within 2 s (null: no answer, or the connection is closed). SIGTERM closes all, exits.
import net from 'node:net';

const [host, portArg, countArg, parallelArg] = process.argv.slice(2);
const count = Number(countArg);
const parallel = Number(parallelArg ?? 50);
const conns = [];
let resets = 0;

function open() {
  return new Promise((resolve) => {
    const c = { s: net.connect({ host, port: Number(portArg) }), port: 0, closed: false, wait: null, buf: '' };
    c.s.setNoDelay(true);
    c.s.on('connect', () => {
      c.port = c.s.localPort;
      resolve(c);
    });
    c.s.on('data', (d) => {
      c.buf += d;
      const at = c.buf.indexOf('\n');
      if (at >= 0 && c.wait) {
        const w = c.wait;
        c.wait = null;
        const line = c.buf.slice(0, at);
        c.buf = c.buf.slice(at + 1);
        w(line);
      }
    });
    c.s.on('error', (err) => {
      if (err.code === 'ECONNRESET') resets++;
      c.closed = true;
      if (c.wait) c.wait(null);
      resolve(c);
    });
    c.s.on('close', () => {
      c.closed = true;
      if (c.wait) c.wait(null);
    });
  });
}

let started = 0;
async function worker() {
  while (started < count) {
    started++;
    conns.push(await open());
  }
}
await Promise.all(Array.from({ length: parallel }, worker));

function ping(c) {
  if (c.closed) return Promise.resolve([c.port, null]);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      c.wait = null;
      resolve([c.port, null]);
    }, 2000);
    c.wait = (line) => {
      clearTimeout(t);
      resolve([c.port, line]);
    };
    c.s.write('ping\n');
  });
}

process.stdout.write(`${JSON.stringify({ ready: conns.length, open: conns.filter((c) => !c.closed).length })}\n`);
let busy = false;
process.on('SIGUSR2', async () => {
  if (busy) return;
  busy = true;
  const out = [];
  for (let i = 0; i < conns.length; i += 200) out.push(...(await Promise.all(conns.slice(i, i + 200).map(ping))));
  process.stdout.write(`${JSON.stringify({ conns: out, failed: out.filter((x) => x[1] === null).length, resets })}\n`);
  busy = false;
});
process.on('SIGTERM', () => {
  for (const c of conns) c.s.destroy();
  process.exit(0);
});
setInterval(() => {}, 1 << 30);
