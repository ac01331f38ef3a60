// Opens `count` HTTP connections to `url` (each a new TCP connection, source port chosen by the kernel),
// `parallel` at a time, and prints one JSON line: how many answers each body got, the failures by code.
import http from 'node:http';

const [url, countArg, parallelArg] = process.argv.slice(2);
const count = Number(countArg);
const parallel = Number(parallelArg ?? 50);
const byBody = {};
let failed = 0;
const errors = {};
let started = 0;
const agent = new http.Agent({ keepAlive: false, maxSockets: parallel });
function one() {
  return new Promise((resolve) => {
    const req = http.get(url, { agent, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => {
        body = body.trim();
        byBody[body] = (byBody[body] ?? 0) + 1;
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
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
process.stdout.write(`${JSON.stringify({ byBody, failed, errors })}\n`);
