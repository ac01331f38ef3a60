/**
 * Benchmark helper process: TCP and HTTP listeners on 127.0.0.1..N (one per address, a fixed port each),
 * so the checks' client sockets spread over many 4-tuples. Prints `ready <json>` and exits when its parent
 * goes away. Never part of the package build.
 */
import { createServer as createHttp } from 'node:http';
import { createServer as createTcp } from 'node:net';

const n = Number(process.argv[2] ?? '20');
const tcpPort = Number(process.argv[3] ?? '0');
const httpPort = Number(process.argv[4] ?? '0');
const body = 'ok\n';

async function main(): Promise<void> {
  const hosts: string[] = [];
  for (let i = 1; i <= n; i++) {
    const host = `127.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    hosts.push(host);
    const tcp = createTcp((s) => s.destroy());
    const http = createHttp((_req, res) => {
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    http.keepAliveTimeout = 0;
    await new Promise<void>((r) => tcp.listen({ port: tcpPort, host, backlog: 4096 }, () => r()));
    await new Promise<void>((r) => http.listen({ port: httpPort, host, backlog: 4096 }, () => r()));
  }
  process.stdout.write(`ready ${JSON.stringify({ hosts, tcpPort, httpPort })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

void main();
