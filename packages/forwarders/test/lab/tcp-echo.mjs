// Lab helper for long-lived TCP connections through the datapath. It must never bind or connect outside the
// lab namespace it is started in, nor read files.
//   server <name> <port>: answers every line "<line>" with "<name>:<line>".
//   client <address> <port> <count> <intervalMs>: connects, prints "connected <name>" after the first
//   answer, then sends one numbered line every intervalMs on the SAME connection, printing each answer as
//   "reply <name>:<n>", and "done" after <count> answers (exit 1 on any socket error or close).
//   cycle <address> <port> <count> <firstPort> <ports>: <count> sequential HTTP/1.1 requests with
//   `Connection: close`, connection i bound to local port firstPort + i % ports; waits for the server's
//   close before the next (so the client never holds TIME_WAIT and can rebind at once); prints
//   "<status> <localPort> <connectMs>" per connection (exit 1 on any error).
import net from 'node:net';

const [mode, a, b, c, d] = process.argv.slice(2);
if (mode === 'server') {
  const server = net.createServer((s) => {
    let buf = '';
    s.on('data', (chunk) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        s.write(`${a}:${buf.slice(0, i)}\n`);
        buf = buf.slice(i + 1);
      }
    });
    s.on('error', () => {});
  });
  server.listen(Number(b), () => process.stdout.write('listening\n'));
  process.on('SIGTERM', () => process.exit(0));
} else if (mode === 'cycle') {
  const [count, firstPort, ports] = [Number(c), Number(d), Number(process.argv[7])];
  const one = (i) =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      let connectMs = -1;
      let body = '';
      const s = net.connect({ host: a, port: Number(b), localPort: firstPort + (i % ports) });
      s.on('connect', () => {
        connectMs = performance.now() - t0;
        s.write(`GET / HTTP/1.1\r\nHost: ${a}\r\nConnection: close\r\n\r\n`);
      });
      s.on('data', (chunk) => {
        body += chunk;
      });
      s.on('error', reject);
      s.on('close', () => resolve(`${body.split(' ')[1]} ${s.localPort ?? firstPort + (i % ports)} ${connectMs}`));
    });
  for (let i = 0; i < count; i++) {
    try {
      process.stdout.write(`${await one(i)}\n`);
    } catch (err) {
      process.stdout.write(`error ${err.message}\n`);
      process.exit(1);
    }
  }
} else {
  const count = Number(c);
  const interval = Number(d);
  const s = net.connect({ host: a, port: Number(b) });
  let buf = '';
  let n = 0;
  s.on('data', (chunk) => {
    buf += chunk;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (n === 0) process.stdout.write(`connected ${line.split(':')[0]}\n`);
      else process.stdout.write(`reply ${line}\n`);
      if (n === count) {
        process.stdout.write('done\n');
        s.end();
        return;
      }
      n++;
      setTimeout(() => s.write(`${n}\n`), interval);
    }
  });
  s.on('connect', () => s.write('0\n'));
  s.on('error', (err) => {
    process.stdout.write(`error ${err.message}\n`);
    process.exit(1);
  });
  s.on('close', () => {
    if (n < count) {
      process.stdout.write('closed early\n');
      process.exit(1);
    }
  });
}
