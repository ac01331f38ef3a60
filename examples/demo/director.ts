/**
 * Part 2 of `npm start`: a simulated director. Builds a director with `@lvskit/core`'s typed builder, drives it
 * with simulated clients on a fake clock (no privileges, no network), and shows what an operator would see with
 * `ipvsadm -Ln`, `--stats` and `--rate` while a scripted timeline quiesces, adds and removes real servers.
 * On a terminal the table refreshes live (the simulation runs at 2× real time); otherwise it prints snapshots.
 */
import { ipvs, runIpvsadm } from '@lvskit/core';
import { FakeClock, SimulatedClients, SimulatedPacketPort } from '@lvskit/core/testing';

const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: number, s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = (s: string) => paint(1, s);
const dim = (s: string) => paint(2, s);

const SECONDS = 40;
const STEP_MS = 1000;

/** Runs the simulated director demo; resolves when the timeline is over (or at once after Ctrl-C). */
export async function runDirectorDemo(): Promise<void> {
  const clock = new FakeClock();
  const packets = new SimulatedPacketPort(clock);
  const lvs = await ipvs()
    .service('web', { protocol: 'tcp', address: '198.18.0.10', port: 80, scheduler: 'wlc' })
    .realServer('web', { address: '198.18.1.1', method: 'masq', weight: 3 })
    .realServer('web', { address: '198.18.1.2', method: 'masq', weight: 2 })
    .realServer('web', { address: '198.18.1.3', method: 'masq', weight: 1 })
    .service('dns', { protocol: 'udp', address: '198.18.0.10', port: 53, scheduler: 'rr' })
    .realServer('dns', { address: '198.18.2.1', method: 'route' })
    .realServer('dns', { address: '198.18.2.2', method: 'route' })
    .start({ clock, packets });

  const log: string[] = [];
  const note = (text: string) => log.push(`${String(Math.round(clock.now() / 1000)).padStart(3)} s  ${text}`);
  lvs.on('realServerQuiesced', (e) => note(`  event realServerQuiesced ${e.address}`));
  lvs.on('realServerAdded', (e) => note(`  event realServerAdded ${e.address}`));
  lvs.on('realServerRemoved', (e) => note(`  event realServerRemoved ${e.address}`));

  const web = new SimulatedClients(packets, clock, {
    vip: '198.18.0.10',
    port: 80,
    clients: 400,
    // Each run() below covers half of every 100 ms (the two sources take turns on one clock): double rates.
    connectionsPerSecond: 240,
    packetsPerConnection: 6,
  });
  const dns = new SimulatedClients(packets, clock, {
    vip: '198.18.0.10',
    port: 53,
    protocol: 'udp',
    clients: 100,
    connectionsPerSecond: 80,
    packetsPerConnection: 1,
    packetBytes: 60,
    seed: 7,
  });

  // The operator's timeline, as ipvsadm commands against the live director.
  const timeline: Record<number, [string, string]> = {
    10: ['-e -t 198.18.0.10:80 -r 198.18.1.3:80 -m -w 0', 'quiesce 198.18.1.3 (weight 0): no new connections'],
    20: ['-a -t 198.18.0.10:80 -r 198.18.1.4:80 -m -w 2', 'add 198.18.1.4 with weight 2'],
    30: ['-d -t 198.18.0.10:80 -r 198.18.1.2:80', 'remove 198.18.1.2'],
  };

  const screen = (t: number): string => {
    const list = runIpvsadm(lvs.ipvsadm, '-Ln').stdout;
    const stats = runIpvsadm(lvs.ipvsadm, '-Ln --stats').stdout.split('\n').slice(1).join('\n');
    const rate = runIpvsadm(lvs.ipvsadm, '-Ln --rate').stdout.split('\n').slice(1).join('\n');
    return [
      bold(`lvskit — a simulated director, t = ${t} s of ${SECONDS}`) +
        dim('   (web: 126 conn/s from 650 clients, NAT, some kept open; dns: 40 datagrams/s, DR)'),
      '',
      bold('$ ipvsadm -Ln'),
      list,
      bold('$ ipvsadm -Ln --stats'),
      stats,
      bold('$ ipvsadm -Ln --rate') + dim('   (the kernel estimator: 2 s samples, EWMA ¼)'),
      rate,
      bold('operator timeline'),
      ...(log.length ? log.slice(-6) : [dim('  (nothing yet: at 10 s, 20 s and 30 s the operator acts)')]),
    ].join('\n');
  };

  // Long-lived connections (keep-alive clients): they stay ESTABLISHED, so ActiveConn shows, until both
  // sides send FIN. Seeded, so every run is the same.
  let seed = 42;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) / 16777216;
  };
  const open: { client: string; port: number; server?: string; until: number }[] = [];
  let nextPort = 30000;
  const keepAlive = (now: number) => {
    for (let k = open.length - 1; k >= 0; k--) {
      const c = open[k]!;
      if (c.until > now) continue;
      const base = { source: c.client, sourcePort: c.port, destination: '198.18.0.10', destinationPort: 80 };
      packets.send({ ...base, flags: 'FA' });
      if (c.server) {
        const i = c.server.lastIndexOf(':');
        const back = { source: c.server.slice(0, i), sourcePort: Number(c.server.slice(i + 1)) };
        packets.send({ ...back, destination: c.client, destinationPort: c.port, flags: 'FA', direction: 'out' });
      }
      packets.send({ ...base, flags: 'A' });
      open.splice(k, 1);
    }
    for (let k = 0; k < 6; k++) {
      const client = `198.19.9.${1 + Math.floor(rand() * 250)}`;
      const port = nextPort++;
      const r = packets.connect(client, port, '198.18.0.10', 80);
      open.push({ client, port, server: r.realServer, until: now + 3000 + rand() * 12000 });
    }
  };

  let stopped = false;
  const onSigint = () => {
    stopped = true;
  };
  process.once('SIGINT', onSigint);
  try {
    for (let t = 1; t <= SECONDS && !stopped; t++) {
      for (let sub = 0; sub < STEP_MS; sub += 100) {
        web.run(50);
        dns.run(50);
      }
      keepAlive(clock.now());
      const step = timeline[t];
      if (step) {
        note(`ipvsadm ${step[0]}   # ${step[1]}`);
        const r = runIpvsadm(lvs.ipvsadm, step[0]);
        if (r.exitCode !== 0) note(`  ipvsadm: ${r.stderr.trim()}`);
      }
      if (tty) {
        process.stdout.write(`\x1b[H\x1b[2J${screen(t)}\n${dim('Ctrl-C to stop')}\n`);
        await new Promise((r) => setTimeout(r, 500));
      } else if (t % 10 === 9 || t === SECONDS) {
        console.log(`\n${screen(t)}`);
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    await lvs.stop();
  }
}
