/**
 * The datapath's own cost per frame, without a kernel: `createDatapath` over a minimal `FramePort` defined
 * here (receive memory refilled with the same 64 frames before every batch, sends counted and dropped), core's
 * engine deciding, one UDP flow per source port (8 ports, connections hit after the first batch). The refill
 * is timed on its own and subtracted. Reports ns per frame for DR, NAT and TUN, median of ROUNDS runs (5).
 * Needs no root; not run by tests. (The `MemoryFramePort` of `@lvskit/forwarders/testing` copies every frame
 * in and out for a test to read, so it is the wrong port to time.)
 *
 * Run: `npm run bench:memory -w @lvskit/forwarders` (BATCHES=n per run, default 20000; ROUNDS=n, default 5)
 */
import { ipvs } from '@lvskit/core';
import type { RxBatch, TxBatch } from '@lvskit/native';
import { createDatapath, type FramePort, type FramePortRequest } from '../src/index.js';
import { eth4, ipv4, udp } from '../test/golden/builder.js';

const BATCHES = Number(process.env.BATCHES ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const VIP = '198.18.0.100';
const RS = '198.18.1.11';
const MAC = '02:00:00:00:00:fe';

/** A frame port whose link is a counter: `deliver()` hands the batch to the datapath. */
class CountingPort implements FramePort {
  readonly ifname: string;
  readonly ifindex = 2;
  readonly mac = Uint8Array.of(2, 0, 0, 0, 0, 0xfe);
  readonly mtu = 1500;
  readonly addresses = [{ family: 4 as const, address: '198.18.0.1', prefixLength: 15, scope: 0 }];
  readonly batchSize: number;
  readonly frameSize: number;
  readonly rx: RxBatch;
  readonly tx: TxBatch;
  sent = 0;
  #handler: ((count: number) => void) | undefined;

  constructor(request: FramePortRequest) {
    this.ifname = request.ifname;
    this.batchSize = request.batchSize;
    this.frameSize = request.frameSize;
    const n = request.batchSize;
    const arrays = () => ({
      buffer: Buffer.alloc(n * request.frameSize),
      offsets: Uint32Array.from({ length: n }, (_, i) => i * request.frameSize),
      lengths: new Uint32Array(n),
      gsoTypes: new Uint8Array(n),
      gsoSizes: new Uint16Array(n),
      csumStarts: new Uint16Array(n),
      csumOffsets: new Uint16Array(n),
    });
    this.rx = { ...arrays(), packetTypes: new Uint8Array(n), flags: new Uint8Array(n) };
    this.tx = arrays();
  }
  send(count: number): number {
    this.sent += count;
    return count;
  }
  sendReceived(count: number): number {
    this.sent += count;
    return count;
  }
  onBatch(handler: (count: number) => void): void {
    this.#handler = handler;
  }
  neighbour(): string | undefined {
    return undefined;
  }
  close(): void {
    this.#handler = undefined;
  }
  deliver(count: number): void {
    this.#handler?.(count);
  }
}

const frames = Array.from({ length: 64 }, (_, i) =>
  eth4(
    MAC,
    '02:00:00:00:00:0a',
    ipv4({ src: '198.18.0.10', dst: VIP }, udp({ sport: 1000 + (i % 8), dport: 9, data: new Array(18).fill(7) })),
  ),
);

async function run(method: 'route' | 'masq' | 'tunnel'): Promise<number> {
  let port: CountingPort | undefined;
  const dp = createDatapath({
    ifname: 'eth0',
    vips: [VIP],
    address: '198.18.0.1',
    neighbours: { [RS]: '02:00:00:00:01:0b' },
    framePort: (request) => {
      port = new CountingPort(request);
      return port;
    },
  });
  const lvs = await ipvs()
    .service('s', { protocol: 'udp', address: VIP, port: 9, scheduler: 'rr' })
    .realServer('s', { address: RS, method })
    .start({ packets: dp });
  const p = port!;
  const { buffer, lengths } = p.rx;
  const refill = () => {
    for (let i = 0; i < 64; i++) {
      buffer.set(frames[i]!, i * p.frameSize);
      lengths[i] = frames[i]!.length;
    }
  };
  const time = (batches: number, deliver: boolean) => {
    const t0 = performance.now();
    for (let k = 0; k < batches; k++) {
      refill();
      if (deliver) p.deliver(64);
    }
    return performance.now() - t0;
  };
  time(2000, true);
  time(2000, false);
  const refillMs = time(BATCHES, false);
  const ms = time(BATCHES, true);
  await lvs.stop();
  if (dp.counterValues().FORWARDED !== (BATCHES + 2000) * 64) throw new Error(`${method}: not every frame forwarded`);
  return ((ms - refillMs) * 1e6) / (BATCHES * 64);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log('| method | ns per frame (median) | runs |');
console.log('|---|---:|---|');
for (const m of ['route', 'masq', 'tunnel'] as const) {
  const xs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) xs.push(await run(m));
  console.log(`| ${m} | ${median(xs).toFixed(1)} | ${xs.map((x) => x.toFixed(1)).join(' / ')} |`);
}
console.log(`\n64 frames per batch, ${BATCHES} batches per run; node ${process.version}`);
