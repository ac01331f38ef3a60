/**
 * Forwarding rate of the live datapath in DR against the kernel forwarding the same frames as a plain router
 * on the same veth path (the ceiling), in netlab namespaces: a generator process blasts 64-byte UDP frames
 * (60 + FCS) at the director, a packet socket on the sink counts what arrives. Root only; not run by tests.
 *
 * Run: `node --conditions=@lvskit/source --import tsx bench/datapath.bench.ts` (in packages/forwarders)
 */
import { fileURLToPath } from 'node:url';
import { ipvs } from '@lvskit/core';
import { PacketSocket } from '@lvskit/native';
import { buildSegmentLab, requireLab } from '@lvskit/netlab';
import { createDatapath } from '../src/index.js';

const COUNT = 300_000;
const VIP = '198.18.0.100';
const gen = fileURLToPath(new URL('./udp-gen.ts', import.meta.url));
const tsx = [process.execPath, '--conditions=@lvskit/source', '--import', 'tsx'];

if (!requireLab()) process.exit(0);

/** Runs one configuration; returns frames per second arriving at the sink during the generator's run. */
async function run(kind: 'kernel' | 'lvskit'): Promise<{ pps: number; delivered: number; sent: number }> {
  const { lab, hosts, ip } = await buildSegmentLab({
    hosts: ['gen', 'director', 'sink'],
    forwarding: kind === 'kernel' ? ['director'] : [],
  });
  try {
    await lab.sysctl(hosts.director, {
      'net.ipv4.conf.all.send_redirects': '0',
      'net.ipv4.conf.eth0.send_redirects': '0',
    });
    const sink = PacketSocket.open({ ifname: 'eth0', netns: hosts.sink.ns, batchSize: 256 });
    let delivered = 0;
    let first = 0;
    let last = 0;
    sink.onBatch((n) => {
      const t = performance.now();
      if (first === 0) first = t;
      last = t;
      for (let i = 0; i < n; i++) {
        const off = sink.rx.offsets[i]!;
        // UDP to port 9 (the generator's), after the IPv4 header without options.
        if (sink.rx.buffer[off + 23] === 17 && sink.rx.buffer[off + 36] === 0 && sink.rx.buffer[off + 37] === 9)
          delivered++;
      }
    });
    let stop: () => Promise<void> = async () => {};
    if (kind === 'lvskit') {
      const datapath = createDatapath({
        ifname: 'eth0',
        netns: hosts.director.ns,
        vips: [VIP],
        batchSize: 256,
        neighbours: { [ip.sink]: hosts.sink.interfaces.get('eth0')!.mac },
      });
      const lvs = await ipvs()
        .service('sink', { protocol: 'udp', address: VIP, port: 9, scheduler: 'rr' })
        .realServer('sink', { address: ip.sink, method: 'route' })
        .start({ packets: datapath });
      stop = () => lvs.stop();
    } else {
      // Let the director resolve the sink's MAC before the blast.
      await lab.ping(hosts.director, ip.sink);
    }
    const target = kind === 'lvskit' ? VIP : ip.sink;
    const directorMac = hosts.director.interfaces.get('eth0')!.mac;
    const g = lab.spawn(hosts.gen, [...tsx, gen, directorMac, ip.gen, target, String(COUNT)]);
    const line = await g.waitForOutput(/sent \d+ [\d.]+/, 120_000);
    const [, sentText] = /sent (\d+) ([\d.]+)/.exec(line)!;
    await new Promise((r) => setTimeout(r, 1000)); // let the last frames drain through
    await stop();
    sink.close();
    const sent = Number(sentText);
    // Delivered frames over the time between the sink's first and last batch: the rate the path sustained.
    return { pps: delivered / ((last - first) / 1000), delivered, sent };
  } finally {
    await lab.destroy();
  }
}

const kernel = await run('kernel');
const lvskit = await run('lvskit');
const rows: [string, { pps: number; delivered: number; sent: number }][] = [
  ['kernel as a router (ceiling)', kernel],
  ['lvskit datapath, DR', lvskit],
];
console.log('| path | frames sent | frames delivered | delivered frames/s | ratio to kernel |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, r] of rows) {
  console.log(`| ${name} | ${r.sent} | ${r.delivered} | ${Math.round(r.pps)} | ${(r.pps / kernel.pps).toFixed(2)} |`);
}
console.log(`\n64-byte UDP frames over veth, one generator process, ${COUNT} frames per run; node ${process.version}`);
