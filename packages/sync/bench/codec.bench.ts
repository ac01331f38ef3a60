/**
 * Sync codec throughput: records per second for packing (encode into the packer's one buffer) and decoding
 * full version 1 and version 0 messages of IPv4 TCP records. Benchmark only: it asserts nothing and is
 * never run by tests.
 *
 * Run: `npm run bench -w @lvskit/sync`
 */
import { Bench } from 'tinybench';
import { decodeSyncMessage, encodeSyncMessages, type SyncConn, SyncPacker } from '../src/index.js';

const conn: SyncConn = {
  family: 4,
  protocol: 6,
  flags: 0x0103,
  state: 1,
  cport: 40000,
  vport: 80,
  dport: 80,
  fwmark: 0,
  timeout: 900,
  caddr: '198.18.0.1',
  vaddr: '198.18.0.100',
  daddr: '198.18.1.10',
};
const v0conn: SyncConn = { ...conn, fwmark: 0, timeout: 0 };
const N = 1000;
const [v1msg] = encodeSyncMessages(Array(40).fill(conn));
const [v0msg] = encodeSyncMessages(Array(60).fill(v0conn), { version: 0 });
const v1n = v1msg![4]!;
const v0n = v0msg![0]!;
const p1 = new SyncPacker();
const p0 = new SyncPacker({ version: 0 });
const sink = (): void => {};

const bench = new Bench({ time: 1000 });
bench
  .add(`v1 encode ×${N} (packer)`, () => {
    for (let i = 0; i < N; i++) p1.add(conn, sink);
    p1.flush(sink);
  })
  .add(`v0 encode ×${N} (packer)`, () => {
    for (let i = 0; i < N; i++) p0.add(v0conn, sink);
    p0.flush(sink);
  })
  .add(`v1 decode message of ${v1n}`, () => void decodeSyncMessage(v1msg!))
  .add(`v0 decode message of ${v0n}`, () => void decodeSyncMessage(v0msg!));
await bench.run();
const per = [N, N, v1n, v0n];
console.table(
  bench.tasks.map((t, i) => {
    const r = t.result as { throughput?: { mean: number }; hz?: number } | undefined;
    const hz = r?.throughput?.mean ?? r?.hz ?? 0;
    return { task: t.name, 'records/s': Math.round(hz * per[i]!).toLocaleString('en') };
  }),
);
