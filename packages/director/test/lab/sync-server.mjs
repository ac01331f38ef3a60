// A request/answer TCP server for the connection-sync lab, run with plain node inside a real server's namespace:
//   node sync-server.mjs NAME ADDRESS PORT
// Listens on ADDRESS:PORT; for every line a client sends it answers one line `NAME <the line>`. It prints
// `listening ADDRESS:PORT` once it listens (netlab's waitForOutput) and exits when its stdin closes (the lab
// owner's pipe) or on SIGTERM. In DR the address is the real server's own (RIP) and the VIP is on its lo: the
// server binds the wildcard address then, so both reach it; in NAT it binds the RIP.
import net from 'node:net';

const [name = 'rs', address = '0.0.0.0', portText = '7000'] = process.argv.slice(2);
const port = Number(portText);
const sockets = new Set();

const server = net.createServer((socket) => {
  sockets.add(socket);
  socket.setNoDelay(true);
  socket.setEncoding('utf8');
  let buf = '';
  socket.on('data', (chunk) => {
    buf += chunk;
    let nl = buf.indexOf('\n');
    if (nl < 0) return;
    let out = '';
    while (nl >= 0) {
      out += `${name} ${buf.slice(0, nl)}\n`;
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
    socket.write(out);
  });
  socket.on('end', () => socket.end());
  socket.on('error', () => {});
  socket.on('close', () => sockets.delete(socket));
});
server.on('error', (err) => {
  console.error(`sync-server: ${err.message}`);
  process.exit(1);
});
server.listen({ host: address, port, backlog: 4096 }, () => console.log(`listening ${address}:${port}`));

const stop = () => {
  server.close();
  for (const s of sockets) s.destroy();
  process.exit(0);
};
process.stdin.on('close', stop);
process.stdin.resume();
process.once('SIGTERM', stop);
