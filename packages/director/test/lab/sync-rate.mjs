// The connection-rate client of the sync benchmark (packages/director/bench/sync.bench.ts), run with plain node
// inside the client's namespace:
//   node sync-rate.mjs '{"host":VIP,"port":P,"concurrency":64,"durationMs":10000}'
// Keeps `concurrency` connections in flight for `durationMs`: each connects, sends one request line, waits for
// the answer line (sync-server.mjs), closes, and is replaced at once by the next. Prints one JSON line at the
// end: {ok, failed, errors (by code), elapsedMs, rate (ok per second), latency p50/p99 ms}. A connection not done
// after `timeoutMs` (default 2000) counts as failed.
import net from 'node:net';

const o = { host: '198.18.0.100', port: 7000, concurrency: 64, durationMs: 10_000, timeoutMs: 2000 };
Object.assign(o, JSON.parse(process.argv[2] ?? '{}'));

let ok = 0;
let failed = 0;
const errors = {};
const latencies = [];
const start = Date.now();
const until = start + o.durationMs;
let inFlight = 0;

function one() {
  if (Date.now() >= until) {
    if (inFlight === 0) finish();
    return;
  }
  inFlight++;
  const t = Date.now();
  const s = net.connect({ host: o.host, port: o.port, noDelay: true });
  s.setEncoding('utf8');
  let done = false;
  const end = (error) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    inFlight--;
    if (error === undefined) {
      ok++;
      latencies.push(Date.now() - t);
      s.end();
    } else {
      failed++;
      errors[error] = (errors[error] ?? 0) + 1;
      s.destroy();
    }
    setImmediate(one);
  };
  const timer = setTimeout(() => end('timeout'), o.timeoutMs);
  s.once('connect', () => s.write('r 0\n'));
  s.on('data', (chunk) => {
    if (chunk.includes('\n')) end(undefined);
  });
  s.on('error', (err) => end(err.code ?? err.message));
  s.on('close', () => end('closed'));
}

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  const elapsedMs = Date.now() - start;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  const rate = Math.round((ok / elapsedMs) * 1000);
  console.log(JSON.stringify({ ok, failed, errors, elapsedMs, rate, p50: q(0.5), p99: q(0.99) }));
  process.exit(0);
}

for (let i = 0; i < o.concurrency; i++) one();
