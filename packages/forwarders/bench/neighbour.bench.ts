/**
 * Next-hop MAC lookup per forwarded packet, four implementations measured in the same run: the datapath's
 * former `macOf` (a `Map` per family, IPv6 keyed by text built from a `slice`, and a kernel neighbour query
 * for every packet towards an unresolved address — as in commit 381ea35), the former direct-mapped
 * `NeighbourCache` (as in commit 5a011c6), both reproduced below as baselines, and today's set-associative
 * `NeighbourCache` with 2 and 4 ways. Cases that need the kernel (unresolved addresses, colliding next hops
 * resolved from the neighbour table) query a real namespace's table (a netlab host with permanent neighbour
 * entries on its `eth0`), so they need root; without a lab they are left out and said so.
 *
 * Run: `npm run bench:neighbour -w @lvskit/forwarders`
 */

import { bytesEqual, copyBytes, formatIp, get32, parseAddress, parseMac } from '@lvskit/base';
import { getNeighbour, setNeighbour } from '@lvskit/native';
import { createLab, requireLab } from '@lvskit/netlab';
import { Bench } from 'tinybench';
import { NeighbourCache, type NeighbourQuery } from '../src/index.js';
import { neighbourSetOf } from '../src/neighbour-cache.js';

const BATCH = 1000;
const v4 = Uint8Array.from([198, 18, 0, 11]);
const v6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11]);
const unresolved = Uint8Array.from([198, 18, 0, 99]);
const MAC = '02:00:00:00:00:0b';
let sink = 0;

/** A next-hop lookup as the datapath calls it. */
type Lookup = (bytes: Uint8Array, off: number, len: number, now: number) => Uint8Array | undefined;

/** The former macOf (datapath.ts before commit 0a415e7), with `query` standing for getNeighbour. */
function oldMacOf(query: NeighbourQuery): Lookup {
  const known4 = new Map<number, Uint8Array>([[get32(v4, 0), parseMac(MAC)]]);
  const known = new Map<string, Uint8Array>([[formatIp(v6, 6), parseMac(MAC)]]);
  const ipKey = (b: Uint8Array, len: number) => formatIp(b, len === 4 ? 4 : 6);
  return (bytes, off, len) => {
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

/**
 * The former direct-mapped NeighbourCache (src/neighbour-cache.ts as of commit 5a011c6), reduced to what a
 * lookup does: one slot per hash value, so two addresses hashing to one slot evict each other.
 */
class DirectMappedCache {
  queries = 0;
  private readonly shift: number;
  private readonly mask: number;
  private readonly known4 = new Map<number, Uint8Array>();
  private readonly known6: { bytes: Uint8Array; mac: Uint8Array }[] = [];
  private readonly state4: Uint8Array;
  private readonly key4: Uint32Array;
  private readonly mac4: Uint8Array;
  private readonly view4: Uint8Array[];
  private readonly retry4: Float64Array;
  private readonly state6: Uint8Array;
  private readonly key6: Uint8Array;
  private readonly mac6: Uint8Array;
  private readonly view6: Uint8Array[];
  private readonly retry6: Float64Array;
  private readonly scratch6 = new Uint8Array(16);

  constructor(
    known: Readonly<Record<string, string>>,
    private readonly query: NeighbourQuery,
    private readonly retryMs = 100,
    slots = 1024,
  ) {
    this.shift = 32 - Math.log2(slots);
    this.mask = slots - 1;
    for (const [ip, mac] of Object.entries(known)) {
      const { family, bytes } = parseAddress(ip);
      if (family === 4) this.known4.set(get32(bytes, 0), parseMac(mac));
      else this.known6.push({ bytes: bytes.slice(0, 16), mac: parseMac(mac) });
    }
    this.state4 = new Uint8Array(slots);
    this.key4 = new Uint32Array(slots);
    this.mac4 = new Uint8Array(slots * 6);
    this.view4 = Array.from({ length: slots }, (_, i) => this.mac4.subarray(i * 6, i * 6 + 6));
    this.retry4 = new Float64Array(slots);
    this.state6 = new Uint8Array(slots);
    this.key6 = new Uint8Array(slots * 16);
    this.mac6 = new Uint8Array(slots * 6);
    this.view6 = Array.from({ length: slots }, (_, i) => this.mac6.subarray(i * 6, i * 6 + 6));
    this.retry6 = new Float64Array(slots);
  }

  lookup(bytes: Uint8Array, off: number, len: number, now: number): Uint8Array | undefined {
    return len === 4 ? this.lookup4(bytes, off, now) : this.lookup6(bytes, off, now);
  }

  private lookup4(bytes: Uint8Array, off: number, now: number): Uint8Array | undefined {
    const key = get32(bytes, off) >>> 0;
    const s = (Math.imul(key, 0x9e3779b1) >>> this.shift) & this.mask;
    const st = this.state4[s]!;
    if (st !== 0 && this.key4[s] === key) {
      if (st === 1) return this.view4[s];
      if (now < this.retry4[s]!) return undefined;
    }
    let mac = this.known4.get(key);
    if (mac === undefined) {
      this.queries++;
      const text = this.query(formatIp(bytes.subarray(off, off + 4), 4));
      if (text !== undefined) mac = parseMac(text);
    }
    this.key4[s] = key;
    if (mac === undefined) {
      this.state4[s] = 2;
      this.retry4[s] = now + this.retryMs;
      return undefined;
    }
    this.state4[s] = 1;
    copyBytes(this.mac4, s * 6, mac, 0, 6);
    return this.view4[s];
  }

  private lookup6(bytes: Uint8Array, off: number, now: number): Uint8Array | undefined {
    const h = (get32(bytes, off) ^ get32(bytes, off + 4) ^ get32(bytes, off + 8) ^ get32(bytes, off + 12)) >>> 0;
    const s = (Math.imul(h, 0x9e3779b1) >>> this.shift) & this.mask;
    const st = this.state6[s]!;
    if (st !== 0 && bytesEqual(this.key6, s * 16, bytes, off, 16)) {
      if (st === 1) return this.view6[s];
      if (now < this.retry6[s]!) return undefined;
    }
    let mac: Uint8Array | undefined;
    for (const k of this.known6) if (bytesEqual(k.bytes, 0, bytes, off, 16)) mac = k.mac;
    if (mac === undefined) {
      this.queries++;
      copyBytes(this.scratch6, 0, bytes, off, 16);
      const text = this.query(formatIp(this.scratch6, 6));
      if (text !== undefined) mac = parseMac(text);
    }
    copyBytes(this.key6, s * 16, bytes, off, 16);
    if (mac === undefined) {
      this.state6[s] = 2;
      this.retry6[s] = now + this.retryMs;
      return undefined;
    }
    this.state6[s] = 1;
    copyBytes(this.mac6, s * 6, mac, 0, 6);
    return this.view6[s];
  }
}

/** `count` addresses (from `make`) sharing one slot of a 1024-slot direct-mapped cache, hence one set of any. */
function colliding(make: (i: number) => Uint8Array, count: number): Uint8Array[] {
  const groups = new Map<number, Uint8Array[]>();
  for (let i = 2; ; i++) {
    const b = make(i);
    const slot = neighbourSetOf(b, 0, b.length, 1024);
    const g = groups.get(slot) ?? [];
    g.push(b);
    groups.set(slot, g);
    if (g.length === count) return g;
  }
}
const ip4 = (i: number) => Uint8Array.of(198, 18 + ((i >> 16) & 1), (i >> 8) & 0xff, i & 0xff);
const ip6 = (i: number) => Uint8Array.of(0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i >> 8, i);
// Resolved through the kernel (permanent entries set below); the unresolved pair is never in its table.
const pair4 = colliding(ip4, 2);
const pair6 = colliding(ip6, 2);
const four4 = colliding((i) => ip4(i + 0x8000), 4);
const pairUnresolved = colliding((i) => ip4(i + 0x10000), 2);

const COLUMNS = ['macOf', 'direct', '2-way', '4-way'] as const;
type Column = (typeof COLUMNS)[number];

const lab = requireLab() ? await createLab() : undefined;
try {
  let query: NeighbourQuery = () => undefined;
  if (lab !== undefined) {
    const host = await lab.addHost('nb');
    await lab.addSegment('lan');
    await lab.connect(host, 'lan', { ifname: 'eth0', addresses: ['198.18.0.1/15', '2001:db8::1/64'] });
    for (const b of [...pair4, ...pair6, ...four4]) {
      setNeighbour({ ifname: 'eth0', netns: host.ns, address: formatIp(b, b.length === 4 ? 4 : 6), mac: MAC });
    }
    query = (a) => getNeighbour({ ifname: 'eth0', netns: host.ns, address: a })?.mac;
  }
  const known = { [formatIp(v4, 4)]: MAC, [formatIp(v6, 6)]: MAC };
  // A fresh lookup of each kind per case, so that cases do not share cache contents; its query count is read
  // after the run. The clock advances 1 µs a packet (an unresolved address is asked once per 100,000).
  const queries = new Map<string, () => number>();
  let t = 0;
  const make = (column: Column, name: string): Lookup => {
    if (column === 'macOf') {
      let n = 0;
      const old = oldMacOf((a) => {
        n++;
        return query(a);
      });
      queries.set(`${name}|${column}`, () => n);
      return old;
    }
    const cache =
      column === 'direct'
        ? new DirectMappedCache(known, query)
        : new NeighbourCache({ known, query, ways: column === '2-way' ? 2 : 4 });
    queries.set(`${name}|${column}`, () => cache.queries);
    return (b, off, len, now) => cache.lookup(b, off, len, now);
  };
  const rows: [name: string, addresses: Uint8Array[], needsLab: boolean][] = [
    ['IPv4 hit', [v4], false],
    ['IPv6 hit', [v6], false],
    ['IPv4 unresolved', [unresolved], true],
    ['IPv4 colliding pair alternating', pair4, true],
    ['IPv6 colliding pair alternating', pair6, true],
    ['IPv4 colliding pair alternating, unresolved', pairUnresolved, true],
    ['IPv4 four colliding, round robin', four4, true],
  ];
  // At least 10 samples (not tinybench's 64): a case that queries the kernel per packet takes ~0.1 s a batch.
  const bench = new Bench({ time: 400, warmupTime: 100, iterations: 10, warmupIterations: 2 });
  const lookups = new Map<string, number>();
  for (const [name, addresses, needsLab] of rows) {
    if (needsLab && lab === undefined) continue;
    for (const column of COLUMNS) {
      const lookup = make(column, name);
      const key = `${name}|${column}`;
      let i = 0;
      bench.add(key, () => {
        for (let k = 0; k < BATCH; k++) {
          const b = addresses[i]!;
          i = i + 1 === addresses.length ? 0 : i + 1;
          t += 0.001;
          const mac = lookup(b, 0, b.length, t);
          sink ^= mac === undefined ? 1 : mac[5]!;
        }
        lookups.set(key, (lookups.get(key) ?? 0) + BATCH);
      });
    }
  }
  if (lab === undefined) console.log('(no lab: the cases that query a namespace are left out)');
  await bench.run();
  const ns: Record<string, number> = {};
  for (const k of bench.tasks) {
    if (k.result.state !== 'completed') throw new Error(`${k.name}: ${k.result.state}`);
    ns[k.name] = (k.result.latency.p50 * 1e6) / BATCH;
  }
  const ratio = (r: number) => (r >= 0.01 ? r.toFixed(3) : r.toPrecision(2));
  const names = [...new Set(bench.tasks.map((k) => k.name.split('|')[0]!))];
  const lines = [
    '| lookup | former macOf, ns | direct-mapped cache, ns | 2-way, ns | 4-way (default), ns | 4-way / direct-mapped | 4-way / macOf |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const name of names) {
    const [m, d, w2, w4] = COLUMNS.map((c) => ns[`${name}|${c}`]!);
    const cells = [m, d, w2, w4].map((x) => x!.toFixed(1));
    lines.push(`| ${name} | ${cells.join(' | ')} | ${ratio(w4! / d!)} | ${ratio(w4! / m!)} |`);
  }
  lines.push('', '| kernel queries per 1,000 lookups | former macOf | direct-mapped cache | 2-way | 4-way |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const name of names) {
    const per = COLUMNS.map((c) => (queries.get(`${name}|${c}`)!() * 1000) / lookups.get(`${name}|${c}`)!);
    lines.push(`| ${name} | ${per.map((x) => (x >= 1 || x === 0 ? x.toFixed(0) : x.toPrecision(2))).join(' | ')} |`);
  }
  console.log(lines.join('\n'));
  console.log(`node ${process.version}, ${process.arch}, BATCH ${BATCH}, p50 of tinybench samples`);
  if (sink === -1) console.log(sink);
} finally {
  await lab?.destroy();
}
