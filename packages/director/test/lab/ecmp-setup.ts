/**
 * What the ECMP lab tests and the scale-out benchmark share on top of the announce lab
 * (packages/announce/test/lab/ecmp-lab.ts): three DR real servers on the directors' segment, each answering
 * every line with its name (ecmp-server.mjs); `lvskit run` daemons on JSON director configs with an
 * `announce` block; the ECMP client's rounds (ecmp-client.mjs); the router's next hop of each connection.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DirectorConfig } from '@lvskit/director';
import { applyDrRealServer } from '@lvskit/forwarders';
import type { LabProcess } from '@lvskit/netlab';
import { DIRECTOR_AS, type EcmpLab, ROUTER_PEER, VIP } from '../../../announce/test/lab/ecmp-lab.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const LVSKIT = here('../../bin/lvskit.mjs');
const NODE = [process.execPath, '--conditions=@lvskit/source', '--import', 'tsx'];

/** The real servers' addresses (on the directors' segment, 198.18.1.0/24). */
export const REAL_SERVERS = ['198.18.1.10', '198.18.1.11', '198.18.1.12'] as const;
/** The ECMP client script (3,000 held connections, rounds on SIGUSR2). */
export const ECMP_CLIENT = here('./ecmp-client.mjs');

/** Adds the three real servers: VIP on `lo` with DR's ARP sysctls, default route via the router, the server. */
export async function addRealServers(e: EcmpLab, port = 80): Promise<void> {
  for (let i = 0; i < REAL_SERVERS.length; i++) {
    const rs = await e.lab.addHost(`rs${i + 1}`);
    await e.lab.connect(rs, 'edge', { ifname: 'eth0', addresses: [`${REAL_SERVERS[i]}/24`] });
    await e.lab.addRoute(rs, 'default', '198.18.1.1');
    await applyDrRealServer({ vips: [VIP], netns: rs.ns });
    const srv = e.lab.spawn(rs, [process.execPath, here('./ecmp-server.mjs'), VIP, String(port), `rs${i + 1}`]);
    await srv.waitForOutput(/listening/, 10_000);
  }
}

/** The JSON director config of director `i`: datapath on eth0, DR to the real servers, its `announce` block. */
export function directorConfig(e: EcmpLab, i: number, extra: Partial<DirectorConfig> = {}): DirectorConfig {
  const me = e.addresses[i]!;
  return {
    interfaces: [{ name: 'eth0', address: me }],
    vips: { web: VIP },
    services: [
      {
        name: 'tcp80',
        vip: 'web',
        port: 80,
        scheduler: 'wlc',
        method: 'route',
        realServers: REAL_SERVERS.map((address) => ({ address })),
      },
    ],
    announce: {
      bgp: {
        localAs: DIRECTOR_AS,
        routerId: me,
        localAddress: me,
        peers: [ROUTER_PEER],
      },
    },
    ...extra,
  };
}

/** A running `lvskit run` daemon of the lab. */
export interface EcmpDaemon {
  readonly process: LabProcess;
  /** Its control socket. */
  readonly socket: string;
}

/** Writes `config` to `dir` and runs `lvskit run` on it in director `i`'s namespace, until it announces. */
export async function startDaemon(e: EcmpLab, dir: string, i: number, config: DirectorConfig): Promise<EcmpDaemon> {
  const file = join(dir, `d${i + 1}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  const socket = join(dir, `d${i + 1}.sock`);
  const p = e.lab.spawn(e.directors[i]!, [...NODE, LVSKIT, 'run', file, '--control-socket', socket]);
  await p.waitForOutput(/BGP: announcing/, 60_000);
  return { process: p, socket };
}

/** One round of the ECMP client: a line on every connection, and who answered. */
export interface EcmpPing {
  /** `[client port, real server name | null]` per connection (null: no answer within 2 s, or closed). */
  readonly conns: [number, string | null][];
  readonly failed: number;
  readonly resets: number;
}

/** Asks the ECMP client for one round (SIGUSR2) and returns its answer. */
export async function ping(client: LabProcess): Promise<EcmpPing> {
  const lines = () =>
    client
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{"conns"'));
  const before = lines().length;
  process.kill(client.pid, 'SIGUSR2');
  const end = Date.now() + 60_000;
  while (lines().length === before) {
    if (Date.now() > end) throw new Error('the client did not answer');
    await new Promise((r) => setTimeout(r, 50));
  }
  return JSON.parse(lines()[before]!) as EcmpPing;
}

/** The router's next hop for each client port, from `ip route get` of the connection's 5-tuple. */
export async function nextHopOf(e: EcmpLab, ports: readonly number[]): Promise<string[]> {
  const batch = ports.map((p) => `route get ${VIP} from 198.18.3.2 iif eth1 ipproto tcp sport ${p} dport 80`);
  const r = await e.lab.exec(e.router, ['ip', '-batch', '-'], { input: `${batch.join('\n')}\n`, timeoutMs: 60_000 });
  return [...r.stdout.matchAll(/via (\S+)/g)].map((m) => m[1]!);
}

/** After a director left: how many connections the router moved, and how many changed server or were lost. */
export function compareRounds(
  before: EcmpPing,
  after: EcmpPing,
  hopsBefore: readonly string[],
  hopsAfter: readonly string[],
): { moved: number; changed: number; lost: number } {
  const server = new Map(before.conns);
  let changed = 0;
  let lost = 0;
  for (const [p, s] of after.conns) {
    if (s === null) lost++;
    else if (s !== server.get(p)) changed++;
  }
  return { moved: hopsBefore.filter((h, i) => h !== hopsAfter[i]).length, changed, lost };
}
