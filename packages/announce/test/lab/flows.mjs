// Opens `count` TCP connections to host:port, `parallel` at a time, sends one HTTP/1.1 keep-alive request
// on each and reads the answer (the body names the server), keeping every connection open until the end:
// no source port is used twice, so `count` connections are `count` distinct 5-tuples — distinct flows for
// the router. Prints one JSON line: answers by body, distinct source ports, failures by code.
import net from 'node:net';

const [host, portArg, countArg, parallelArg] = process.argv.slice(2);
const count = Number(countArg);
const parallel = Number(parallelArg ?? 50);
const byBody = {};
const errors = {};
const ports = new Set();
const open = [];
let failed = 0;
let started = 0;
function one() {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(portArg) });
    open.push(s);
    let got = '';
    const timer = setTimeout(() => s.destroy(new Error('timeout')), 5000);
    s.on('connect', () => s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
    s.on('data', (c) => {
      got += c;
      const at = got.indexOf('\r\n\r\n');
      const len = /content-length:\s*(\d+)/i.exec(got);
      if (at < 0 || !len || got.length < at + 4 + Number(len[1])) return;
      clearTimeout(timer);
      const body = got.slice(at + 4, at + 4 + Number(len[1])).trim();
      byBody[body] = (byBody[body] ?? 0) + 1;
      ports.add(s.localPort);
      resolve();
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      failed++;
      errors[err.code ?? err.message] = (errors[err.code ?? err.message] ?? 0) + 1;
      resolve();
    });
  });
}
async function worker() {
  while (started < count) {
    started++;
    await one();
  }
}
await Promise.all(Array.from({ length: parallel }, worker));
for (const s of open) s.destroy();
process.stdout.write(`${JSON.stringify({ byBody, flows: ports.size, failed, errors })}\n`);
