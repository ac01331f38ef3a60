// Lab helper: a UDP echo server on the given address and port that answers "echo: <payload>".
import dgram from 'node:dgram';

const [address, port] = process.argv.slice(2);
const s = dgram.createSocket('udp4');
s.on('message', (msg, from) => s.send(`echo: ${msg}`, from.port, from.address));
s.bind(Number(port), address, () => process.stdout.write('listening\n'));
