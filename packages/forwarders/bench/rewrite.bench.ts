/**
 * Cost of the packet layer: ns per DR, NAT and TUN rewrite (each including the frame copy and the parse the
 * datapath does anyway, reported as a ratio to that copy + parse baseline measured in the same run), and
 * the RFC 1624 incremental checksum update of a NAT translation (address + port) against a full
 * recomputation of the same TCP checksum. Benchmark only: it asserts nothing and is never run by tests.
 *
 * Run: `npm run bench -w @lvskit/forwarders`
 */

import { checksumUpdate16, checksumUpdateBytes, internetChecksum, pseudoSum4 } from '@lvskit/base';
import { progress } from '@lvskit/netlab';
import { Bench } from 'tinybench';
import {
  createForwardParams,
  PacketInfo,
  parsePacket,
  RewriteResult,
  rewriteMasqIn,
  rewriteMasqOut,
  rewriteRoute,
  rewriteTunnel,
} from '../src/index.js';
import { bytes, eth4, ipv4, tcp } from '../test/golden/builder.js';

/** Operations per measured call, so that the timer's own cost disappears from the per-operation figure. */
const BATCH = 256;

const client = '198.18.0.10';
const vip = '198.18.0.100';
const frames = {
  '74 B (TCP SYN)': eth4(
    '02:00:00:00:00:fe',
    '02:00:00:00:00:0a',
    ipv4(
      { src: client, dst: vip, df: true },
      tcp({ sport: 40000, dport: 80, options: [2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 1, 1, 0, 1, 3, 3, 7, 0, 0, 0, 0] }),
    ),
  ),
  '1514 B (full MSS)': eth4(
    '02:00:00:00:00:fe',
    '02:00:00:00:00:0a',
    ipv4({ src: client, dst: vip, df: true }, tcp({ sport: 40000, dport: 80, flags: 0x10, data: bytes(1460) })),
  ),
} as const;

const params = createForwardParams({
  ourMac: '02:00:00:00:00:fe',
  nextHopMac: '02:00:00:00:01:0b',
  address: '198.18.1.11',
  port: 8080,
  ourAddress: '198.18.1.1',
  mtu: 9000,
});
const info = new PacketInfo();
const result = new RewriteResult();

type Rewrite = typeof rewriteRoute;

/** copy + parse + rewrite, BATCH times (the copy restores the input each time, as a fresh rx slot would). */
function task(frame: Uint8Array, rewrite: Rewrite | null): () => void {
  const buf = new Uint8Array(frame.length + 64);
  const len = frame.length;
  return () => {
    for (let k = 0; k < BATCH; k++) {
      buf.set(frame);
      parsePacket(buf, len, info);
      if (rewrite !== null) rewrite(buf, len, info, params, result);
    }
  };
}

/** The NAT checksum work only: incremental (address + port) vs full recomputation over the segment. */
function checksumTask(frame: Uint8Array, incremental: boolean): () => void {
  const buf = Uint8Array.from(frame);
  parsePacket(buf, buf.length, info);
  const l4 = info.l4Offset;
  const l4len = info.l4Length;
  const dst = info.dstAddrOffset;
  const rip = params.address;
  let sink = 0;
  return () => {
    for (let k = 0; k < BATCH; k++) {
      if (incremental) {
        const ck = checksumUpdateBytes((buf[l4 + 16]! << 8) | buf[l4 + 17]!, buf, dst, rip, 0, 4);
        sink ^= checksumUpdate16(ck, 80, 8080);
      } else {
        sink ^= internetChecksum(buf, l4, l4len, pseudoSum4(buf, info.srcAddrOffset, dst, 6, l4len));
      }
    }
    if (sink === -1) console.log(sink);
  };
}

const bench = new Bench({ time: 400, warmupTime: 100 });
for (const [size, frame] of Object.entries(frames)) {
  bench.add(`copy + parse (baseline)|${size}`, task(frame, null));
  bench.add(`DR (rewriteRoute)|${size}`, task(frame, rewriteRoute));
  bench.add(`NAT request (rewriteMasqIn)|${size}`, task(frame, rewriteMasqIn));
  bench.add(`NAT reply (rewriteMasqOut)|${size}`, task(frame, rewriteMasqOut));
  bench.add(`TUN (rewriteTunnel)|${size}`, task(frame, rewriteTunnel));
  bench.add(`checksum: full recomputation|${size}`, checksumTask(frame, false));
  bench.add(`checksum: RFC 1624 incremental|${size}`, checksumTask(frame, true));
}
// On a terminal, the tasks measured so far (one line on stderr, erased before the table; nothing when piped).
const p = progress('rewrite bench', { total: bench.tasks.length });
bench.addEventListener('cycle', (e) => p.step(`measured ${e.task.name.replace('|', ', ')}`));
await bench.run();
p.done();

const ns: Record<string, number> = {};
for (const t of bench.tasks) {
  const res = t.result;
  if (res.state !== 'completed') throw new Error(`${t.name}: ${res.state}`);
  ns[t.name] = (res.latency.p50 * 1e6) / BATCH;
}

const sizes = Object.keys(frames);
const lines = [
  `| operation | ${sizes.map((s) => `ns, ${s}`).join(' | ')} | ${sizes.map((s) => `ratio, ${s}`).join(' | ')} |`,
  `|---|${sizes.map(() => '---:').join('|')}|${sizes.map(() => '---:').join('|')}|`,
];
const baselineOf = (name: string) =>
  name.startsWith('checksum: RFC')
    ? 'checksum: full recomputation'
    : name.startsWith('checksum')
      ? name
      : 'copy + parse (baseline)';
const names = [...new Set(bench.tasks.map((t) => t.name.split('|')[0]!))];
for (const name of names) {
  const cells = sizes.map((s) => ns[`${name}|${s}`]!.toFixed(1));
  const ratios = sizes.map((s) => (ns[`${name}|${s}`]! / ns[`${baselineOf(name)}|${s}`]!).toFixed(2));
  lines.push(`| ${name} | ${cells.join(' | ')} | ${ratios.join(' | ')} |`);
}
console.log(lines.join('\n'));
console.log(
  '\nRatios: rewrites against copy + parse; the incremental checksum against the full recomputation (same run).',
);
console.log(`node ${process.version}, ${process.arch}, BATCH ${BATCH}, p50 of tinybench samples`);
