/**
 * Cost of software GSO and of IPv4 fragmentation per super-frame: `writeSegment` over every segment of a
 * 64,000-byte TCP/IPv4 super-frame at MSS 1448 (45 segments), and `writeFragment` over every fragment of a
 * 64,000-byte UDP datagram at MTU 1500 (44 fragments), each reported as a ratio to baselines measured in the
 * same run: the same bytes moved by `Uint8Array.set` (memcpy, the floor; it allocates a view per piece), and
 * for segmentation the unfused way — a byte-loop copy followed by a separate RFC 1071 pass per segment.
 * Benchmark only: it asserts nothing and is never run by tests.
 *
 * Run: `node --conditions=@lvskit/source --import tsx packages/forwarders/bench/segment.bench.ts`
 */

import { copyBytes, internetChecksum } from '@lvskit/base';
import { GsoType } from '@lvskit/native';
import { Bench } from 'tinybench';
import { fragmentCount, writeFragment } from '../src/fragment.js';
import { PacketInfo, parsePacket } from '../src/parse.js';
import { gsoSegmentCount, writeSegment } from '../src/segment.js';
import { eth4, ipv4, tcp, udp } from '../test/golden/builder.js';

const PAYLOAD = 64000;
const MSS = 1448;
const MTU = 1500;
const payload = Array.from({ length: PAYLOAD }, (_, i) => (i * 131 + (i >> 9)) & 0xff);

const superFrame = eth4(
  '02:00:00:00:00:fe',
  '02:00:00:00:00:0a',
  ipv4(
    { src: '198.18.0.10', dst: '198.18.0.100', df: true },
    tcp({ sport: 40000, dport: 80, flags: 0x18, data: payload }),
  ),
);
const datagram = eth4(
  '02:00:00:00:00:fe',
  '02:00:00:00:00:0a',
  ipv4({ src: '198.18.0.10', dst: '198.18.0.100' }, udp({ sport: 40000, dport: 53, data: payload })),
);

const segInfo = new PacketInfo();
parsePacket(superFrame, superFrame.length, segInfo);
const fragInfo = new PacketInfo();
parsePacket(datagram, datagram.length, fragInfo);
const segments = gsoSegmentCount(superFrame, segInfo, GsoType.TCPV4, MSS);
const fragments = fragmentCount(fragInfo, MTU);
const dst = new Uint8Array(2048);
const HEADERS = 14 + 20 + 20;
let sink = 0;

/** memcpy floor for segmentation: headers + each segment's payload with `set`, no header fix-up, no checksum. */
function segmentMemcpy(): void {
  for (let k = 0; k < segments; k++) {
    const start = HEADERS + k * MSS;
    const len = Math.min(MSS, PAYLOAD - k * MSS);
    dst.set(superFrame.subarray(0, HEADERS), 0);
    dst.set(superFrame.subarray(start, start + len), HEADERS);
    sink ^= dst[HEADERS]!;
  }
}

/** Unfused: byte-loop copy of the same bytes, then a separate RFC 1071 pass over each segment's TCP part. */
function segmentCopyThenChecksum(): void {
  for (let k = 0; k < segments; k++) {
    const start = HEADERS + k * MSS;
    const len = Math.min(MSS, PAYLOAD - k * MSS);
    copyBytes(dst, 0, superFrame, 0, HEADERS);
    copyBytes(dst, HEADERS, superFrame, start, len);
    sink ^= internetChecksum(dst, 34, 20 + len);
  }
}

function segmentAll(): void {
  for (let k = 0; k < segments; k++) sink ^= writeSegment(superFrame, segInfo, GsoType.TCPV4, MSS, k, dst, 0);
}

/** memcpy floor for fragmentation: header + each fragment's data with `set`. */
function fragmentMemcpy(): void {
  const per = (MTU - 20) & ~7;
  const data = 8 + PAYLOAD;
  for (let k = 0; k < fragments; k++) {
    const start = 34 + k * per;
    const len = Math.min(per, data - k * per);
    dst.set(datagram.subarray(0, 34), 0);
    dst.set(datagram.subarray(start, start + len), 34);
    sink ^= dst[34]!;
  }
}

function fragmentAll(): void {
  for (let k = 0; k < fragments; k++) sink ^= writeFragment(datagram, fragInfo, MTU, k, dst, 0);
}

const bench = new Bench({ time: 600, warmupTime: 200 });
bench.add('segment: memcpy floor', segmentMemcpy);
bench.add('segment: byte copy, then checksum', segmentCopyThenChecksum);
bench.add('segment: writeSegment', segmentAll);
bench.add('fragment: memcpy floor', fragmentMemcpy);
bench.add('fragment: writeFragment', fragmentAll);
await bench.run();
if (sink === 0.5) console.log(sink);

const us: Record<string, number> = {};
for (const t of bench.tasks) {
  const res = t.result;
  if (res.state !== 'completed') throw new Error(`${t.name}: ${res.state}`);
  us[t.name] = res.latency.p50 * 1e3;
}
const pieces = (name: string) => (name.startsWith('segment') ? segments : fragments);
const floor = (name: string) => us[name.startsWith('segment') ? 'segment: memcpy floor' : 'fragment: memcpy floor']!;
console.log(`64,000-byte payload: ${segments} TCP segments at MSS ${MSS}, ${fragments} fragments at MTU ${MTU}`);
console.log('| operation | µs per super-frame (p50) | ns per piece | payload Gbit/s | × memcpy floor |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, t] of Object.entries(us)) {
  const gbps = (PAYLOAD * 8) / (t * 1e3);
  console.log(
    `| ${name} | ${t.toFixed(1)} | ${((t * 1e3) / pieces(name)).toFixed(0)} | ${gbps.toFixed(2)} | ${(t / floor(name)).toFixed(2)} |`,
  );
}
