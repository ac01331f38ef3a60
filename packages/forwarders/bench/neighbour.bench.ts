/**
 * Next-hop MAC lookup per forwarded packet: the datapath's former `macOf` (a `Map` per family, IPv6 keyed by
 * text built from a `slice`, and a kernel neighbour query for every packet towards an unresolved address —
 * as in commit 381ea35, reproduced below as the baseline) against `NeighbourCache`, measured in the same run.
 * The unresolved case queries a real namespace's neighbour table (a netlab host, its `lo`), so it needs
 * root; without a lab it is left out and said so.
 *
 * Run: `npm run bench:neighbour -w @lvskit/forwarders`
 */
import { getNeighbour } from '@lvskit/native';
import { createLab, requireLab } from '@lvskit/netlab';
import { formatAddress } from '@lvskit/schedulers';
import { Bench } from 'tinybench';
import { get32 } from '../src/bytes.js';
import { NeighbourCache } from '../src/index.js';
import { parseMac } from '../src/params.js';

const BATCH = 1000;
const v4 = Uint8Array.from([198, 18, 0, 11]);
const v6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11]);
const unresolved = Uint8Array.from([198, 18, 0, 99]);
const MAC = '02:00:00:00:00:0b';
let sink = 0;

/** The former macOf (datapath.ts before this change), with `query` standing for getNeighbour. */
function oldMacOf(query: (a: string) => string | undefined) {
  const known4 = new Map<number, Uint8Array>([[get32(v4, 0), parseMac(MAC)]]);
  const known = new Map<string, Uint8Array>([[formatAddress(6, v6), parseMac(MAC)]]);
  const ipKey = (b: Uint8Array, len: number) => formatAddress(len === 4 ? 4 : 6, b);
  return (bytes: Uint8Array, off: number, len: number): Uint8Array | undefined => {
    const hit = len === 4 ? known4.get(get32(bytes, off)) : known.get(ipKey(bytes.slice(off, off + 16), 16));
    if (hit !== undefined) return hit;
    const key = ipKey(bytes.slice(off, off + len), len);
    const m = query(key);
    if (m === undefined) return undefined;
    const mac = parseMac(m);
    if (len === 4) known4.set(get32(bytes, off), mac);
    else known.set(key, mac);
    return mac;
  };
}

const lab = requireLab() ? await createLab() : undefined;
try {
  const host = lab === undefined ? undefined : await lab.addHost('nb');
  const query = (a: string) =>
    host === undefined ? undefined : getNeighbour({ ifname: 'lo', netns: host.ns, address: a })?.mac;
  const known = { [formatAddress(4, v4)]: MAC, [formatAddress(6, v6)]: MAC };
  const old = oldMacOf(query);
  const cache = new NeighbourCache({ known, query });
  let t = 0;
  const task = (fn: () => void) => () => {
    for (let i = 0; i < BATCH; i++) fn();
  };
  const bench = new Bench({ time: 400, warmupTime: 100 });
  bench.add(
    'IPv4 hit|old',
    task(() => (sink ^= old(v4, 0, 4)![5]!)),
  );
  bench.add(
    'IPv4 hit|new',
    task(() => (sink ^= cache.lookup(v4, 0, 4, t++)![5]!)),
  );
  bench.add(
    'IPv6 hit|old',
    task(() => (sink ^= old(v6, 0, 16)![5]!)),
  );
  bench.add(
    'IPv6 hit|new',
    task(() => (sink ^= cache.lookup(v6, 0, 16, t++)![5]!)),
  );
  if (host !== undefined) {
    // The clock advances 1 µs a packet: the new cache asks the kernel once per 100,000 packets.
    bench.add(
      'IPv4 unresolved|old',
      task(() => (sink ^= old(unresolved, 0, 4) === undefined ? 1 : 0)),
    );
    bench.add(
      'IPv4 unresolved|new',
      task(() => {
        t += 0.001;
        sink ^= cache.lookup(unresolved, 0, 4, t) === undefined ? 1 : 0;
      }),
    );
  } else console.log('(no lab: the unresolved case, which queries a namespace, is left out)');
  await bench.run();
  const ns: Record<string, number> = {};
  for (const k of bench.tasks) {
    if (k.result.state !== 'completed') throw new Error(`${k.name}: ${k.result.state}`);
    ns[k.name] = (k.result.latency.p50 * 1e6) / BATCH;
  }
  const lines = ['| lookup | old macOf, ns | NeighbourCache, ns | new / old |', '|---|---:|---:|---:|'];
  for (const name of [...new Set(bench.tasks.map((k) => k.name.split('|')[0]!))]) {
    const o = ns[`${name}|old`]!;
    const n = ns[`${name}|new`]!;
    lines.push(`| ${name} | ${o.toFixed(1)} | ${n.toFixed(1)} | ${(n / o).toFixed(3)} |`);
  }
  console.log(lines.join('\n'));
  console.log(
    `node ${process.version}, ${process.arch}, BATCH ${BATCH}, p50 of tinybench samples; kernel queries: ${cache.queries}`,
  );
  if (sink === -1) console.log(sink);
} finally {
  await lab?.destroy();
}
