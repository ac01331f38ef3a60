// A real server of the ECMP lab: listens on host:port, answers every line with its own name, so a client
// knows which real server holds each of its connections. Ended by its PID (the lab's teardown).
import net from 'node:net';

const [host, port, name] = process.argv.slice(2);
const server = net.createServer((s) => {
  s.on('data', (chunk) => {
    for (const c of chunk) if (c === 10) s.write(`${name}\n`);
  });
  s.on('error', () => {});
});
server.listen(Number(port), host, () => process.stdout.write('listening\n'));
