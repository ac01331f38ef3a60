// The load client of the connection-sync lab, run with plain node inside the client's namespace:
//   node sync-client.mjs '{"host":VIP,"port":P,"conns":500,"intervalMs":100,"freshPerSec":20,"summary":FILE}'
// It opens `conns` TCP connections to host:port (`rampPerTick` every 100 ms) and keeps them: each sends one
// request line every `intervalMs` once the previous one was answered (one request outstanding), and expects the
// server's answer line (`NAME <request>`, sync-server.mjs). It never reconnects: a connection that is reset or
// closed stays lost. Alongside, it opens `freshPerSec` fresh connections a second, each one request, one answer,
// then a close, failing after `freshTimeoutMs`. It records per established connection: resets and other errors,
// the answers, the longest gap between two answers (the stall, with when it began and ended; at the end the gap
// since the last answer counts too), the real server that answers; per fresh connection: start time, success,
// duration, error. Every 500 ms it prints a progress line `{"progress":{…}}`; on SIGTERM (or SIGINT, or stdin
// closing) it writes the JSON summary to `summary` (synchronously), prints `summary written` and exits 0.
// `idle` more connections make one exchange and then stay silent (no packet, so a sync master has no reason to
// send them again) until SIGUSR2, when each sends one request; their summary says when it was answered.
import { writeFileSync } from 'node:fs';
import net from 'node:net';

const o = {
  host: '198.18.0.100',
  port: 7000,
  conns: 500,
  intervalMs: 100,
  freshPerSec: 20,
  freshTimeoutMs: 3000,
  rampPerTick: 50,
  idle: 0,
  summary: '',
  ...JSON.parse(process.argv[2] ?? '{}'),
};
const startedAt = Date.now();

/** @type {{id:number, idle:boolean, wokeAt:number, wakeAnsweredAt:number, switched:number, wake?:() => void, socket:net.Socket, localPort:number, server:string, connectedAt:number, answers:number, resets:number, error:string, closedAt:number, lastAnswerAt:number, maxGapMs:number, maxGapFrom:number, maxGapTo:number, seq:number, outstanding:boolean, timer:NodeJS.Timeout|undefined, buf:string}[]} */
const conns = [];
/** @type {{t:number, ok:boolean, ms:number, server:string, error:string}[]} */
const fresh = [];
let freshOpen = 0;

function openConn(id, idle) {
  const c = {
    id,
    idle,
    wokeAt: 0,
    wakeAnsweredAt: 0,
    switched: 0,
    socket: net.connect({ host: o.host, port: o.port, noDelay: true }),
    localPort: 0,
    server: '',
    connectedAt: 0,
    answers: 0,
    resets: 0,
    error: '',
    closedAt: 0,
    lastAnswerAt: 0,
    maxGapMs: 0,
    maxGapFrom: 0,
    maxGapTo: 0,
    seq: 0,
    outstanding: false,
    timer: undefined,
    buf: '',
  };
  conns.push(c);
  const send = () => {
    c.timer = undefined;
    if (c.closedAt !== 0 || c.outstanding) return;
    c.outstanding = true;
    c.socket.write(`c${id} ${c.seq++}\n`);
  };
  c.wake = () => {
    c.wokeAt = Date.now();
    send();
  };
  c.socket.setEncoding('utf8');
  c.socket.once('connect', () => {
    c.connectedAt = Date.now();
    c.lastAnswerAt = c.connectedAt;
    c.localPort = c.socket.localPort ?? 0;
    send();
  });
  c.socket.on('data', (chunk) => {
    c.buf += chunk;
    let nl = c.buf.indexOf('\n');
    while (nl >= 0) {
      const line = c.buf.slice(0, nl);
      c.buf = c.buf.slice(nl + 1);
      nl = c.buf.indexOf('\n');
      const now = Date.now();
      const gap = now - c.lastAnswerAt;
      if (gap > c.maxGapMs) {
        c.maxGapMs = gap;
        c.maxGapFrom = c.lastAnswerAt;
        c.maxGapTo = now;
      }
      c.lastAnswerAt = now;
      c.answers++;
      const server = line.split(' ', 1)[0] ?? '';
      if (c.server === '') c.server = server;
      else if (server !== c.server) c.switched++;
      c.outstanding = false;
      if (c.wokeAt !== 0 && c.wakeAnsweredAt === 0) c.wakeAnsweredAt = now;
      // An idle connection makes one exchange, then waits to be woken (SIGUSR2).
      if (c.idle) continue;
      const wait = Math.max(0, o.intervalMs - gap);
      c.timer = setTimeout(send, wait);
    }
  });
  c.socket.on('error', (err) => {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code ?? err.message;
    if (code === 'ECONNRESET' || code === 'EPIPE') c.resets++;
    if (c.error === '') c.error = code;
  });
  c.socket.on('close', () => {
    c.closedAt = Date.now();
    if (c.timer !== undefined) clearTimeout(c.timer);
  });
}

function openFresh() {
  const t = Date.now();
  const rec = { t, ok: false, ms: 0, server: '', error: '' };
  fresh.push(rec);
  freshOpen++;
  const s = net.connect({ host: o.host, port: o.port, noDelay: true });
  s.setEncoding('utf8');
  let buf = '';
  let done = false;
  const finish = (ok, error) => {
    if (done) return;
    done = true;
    freshOpen--;
    clearTimeout(timer);
    rec.ok = ok;
    rec.error = error;
    rec.ms = Date.now() - t;
    if (ok) s.end();
    else s.destroy();
  };
  const timer = setTimeout(() => finish(false, 'timeout'), o.freshTimeoutMs);
  s.once('connect', () => s.write(`f${fresh.length} 0\n`));
  s.on('data', (chunk) => {
    buf += chunk;
    if (buf.includes('\n')) {
      rec.server = buf.split(' ', 1)[0] ?? '';
      finish(true, '');
    }
  });
  s.on('error', (err) => finish(false, /** @type {NodeJS.ErrnoException} */ (err).code ?? err.message));
  s.on('close', () => finish(false, 'closed'));
}

let opened = 0;
const ramp = setInterval(() => {
  const total = o.conns + o.idle;
  for (let i = 0; i < o.rampPerTick && opened < total; i++) openConn(opened, opened++ >= o.conns);
  if (opened >= total) clearInterval(ramp);
}, 100);
const freshTimer = o.freshPerSec > 0 ? setInterval(openFresh, 1000 / o.freshPerSec) : undefined;

function counts() {
  const now = Date.now();
  let established = 0;
  let answering = 0;
  let resets = 0;
  let closed = 0;
  let idle = 0;
  for (const c of conns) {
    if (c.connectedAt !== 0 && c.closedAt === 0) {
      if (c.idle) idle += c.answers > 0 ? 1 : 0;
      else established++;
    }
    if (!c.idle && c.closedAt === 0 && now - c.lastAnswerAt < 1000 && c.answers > 0) answering++;
    if (c.resets > 0) resets++;
    if (c.closedAt !== 0) closed++;
  }
  const freshOk = fresh.filter((f) => f.ok).length;
  const freshFailed = fresh.length - freshOk - freshOpen;
  return { t: now, opened, established, answering, idle, resets, closed, freshOk, freshFailed, freshOpen };
}
const progress = setInterval(() => console.log(JSON.stringify({ progress: counts() })), 500);

let ended = false;
function end() {
  if (ended) return;
  ended = true;
  const endedAt = Date.now();
  clearInterval(ramp);
  clearInterval(progress);
  if (freshTimer !== undefined) clearInterval(freshTimer);
  // Fresh connections still waiting: neither success nor failure.
  for (const f of fresh) if (!f.ok && f.error === '') f.error = 'open';
  const summary = {
    options: o,
    startedAt,
    endedAt,
    totals: counts(),
    conns: conns.map((c) => {
      // A connection still open whose last answer is older than its longest gap is stalled now (an idle one
      // only when it was woken and not answered).
      const waiting = !c.idle || (c.wokeAt !== 0 && c.wakeAnsweredAt === 0);
      const tail = c.closedAt === 0 && c.connectedAt !== 0 && waiting ? endedAt - c.lastAnswerAt : 0;
      const stalledAtEnd = tail > c.maxGapMs;
      return {
        id: c.id,
        localPort: c.localPort,
        server: c.server,
        connectedAt: c.connectedAt,
        answers: c.answers,
        resets: c.resets,
        error: c.error,
        closedAt: c.closedAt,
        lastAnswerAt: c.lastAnswerAt,
        maxGapMs: stalledAtEnd ? tail : c.maxGapMs,
        maxGapFrom: stalledAtEnd ? c.lastAnswerAt : c.maxGapFrom,
        maxGapTo: stalledAtEnd ? endedAt : c.maxGapTo,
        stalledAtEnd,
        idle: c.idle,
        wokeAt: c.wokeAt,
        wakeAnsweredAt: c.wakeAnsweredAt,
        switched: c.switched,
      };
    }),
    fresh,
  };
  if (o.summary !== '') writeFileSync(o.summary, JSON.stringify(summary));
  console.log('summary written');
  for (const c of conns) c.socket.destroy();
  process.exit(0);
}
process.on('SIGUSR2', () => {
  for (const c of conns) if (c.idle && c.closedAt === 0) c.wake();
});
process.once('SIGTERM', end);
process.once('SIGINT', end);
process.stdin.on('close', end);
process.stdin.resume();
