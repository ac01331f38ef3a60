// The lab's real-server stand-in: a small HTTP server that answers every request with its own name, so a
// test can tell which real server a connection reached. Started by netlab's `httpServer()` with
// `ip netns exec <ns> node http-server.mjs --port P --name N [--address A] [--exit-with-stdin]`.
// Prints `listening <address>:<port>` once bound. With --exit-with-stdin it exits when its standard input
// closes, i.e. when the lab's owner is gone. It must never bind outside its namespace or read files.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    name: { type: 'string' },
    address: { type: 'string' },
    'exit-with-stdin': { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
const name = values.name ?? 'unnamed';
const body = `${name}\n`;

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-served-by': name });
  res.end(body);
});
server.on('error', (err) => {
  process.stderr.write(`http-server: ${err.message}\n`);
  process.exit(1);
});
server.listen({ port, host: values.address, backlog: 4096 }, () => {
  process.stdout.write(`listening ${values.address ?? '*'}:${port}\n`);
});
if (values['exit-with-stdin']) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
process.on('SIGTERM', () => process.exit(0));
