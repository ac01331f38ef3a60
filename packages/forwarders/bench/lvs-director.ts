/**
 * The lvskit director as its own process for the HTTP benchmark (`http.bench.ts`), so that its CPU time can be
 * read from /proc/<pid>/stat apart from the benchmark driver, like HAProxy's. Started inside the lab's director
 * namespace; argv[2] is a JSON {@link DirectorConfig}. Prints `ready <pid>` once forwarding; on SIGTERM stops the
 * director and prints `counters <json>` (datapath counters and drops) before exiting. It never configures
 * anything on the host: the datapath only opens a packet socket on the namespace's `eth0`.
 */
import { ipvs } from '@lvskit/core';
import { createDatapath } from '../src/index.js';

/** What the benchmark driver passes in argv[2]. */
export interface DirectorConfig {
  /** `route` (DR) or `masq` (NAT). */
  readonly method: 'route' | 'masq';
  readonly vip: string;
  /** The virtual service: `tcp` port 80 for HTTP, `udp` port 9 for the packet-rate run. */
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  /** The director's address on eth0. */
  readonly address: string;
  readonly servers: readonly string[];
  /** MACs by address: the real servers and (for NAT replies) the client. */
  readonly neighbours: Readonly<Record<string, string>>;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as DirectorConfig;
const datapath = createDatapath({
  ifname: 'eth0',
  vips: [cfg.vip],
  address: cfg.address,
  neighbours: cfg.neighbours,
  batchSize: 256,
});
let builder = ipvs().service('web', {
  protocol: cfg.protocol,
  address: cfg.vip,
  port: cfg.port,
  scheduler: 'rr',
});
for (const s of cfg.servers) builder = builder.realServer('web', { address: s, port: cfg.port, method: cfg.method });
const lvs = await builder.start({ packets: datapath });
process.stdout.write(`ready ${process.pid}\n`);

process.on('SIGTERM', () => {
  void lvs.stop().finally(() => {
    const drops: Record<number, number> = {};
    datapath.drops.forEach((n, i) => {
      if (n > 0) drops[i] = n;
    });
    process.stdout.write(`counters ${JSON.stringify({ counters: [...datapath.counters], drops })}\n`);
    process.exit(0);
  });
});
