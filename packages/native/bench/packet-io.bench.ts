/**
 * Frames per second through one veth pair between two lab namespaces, 64-byte frames: the batched paths
 * (sendmmsg with recvmmsg or with a TPACKET_V3 receive ring, 64 frames per batch) against one frame per
 * system call on both sides, measured in the same run. Single-threaded and interleaved (send a batch, drain the receiver), so it measures the
 * per-frame system-call cost the batching removes, not the kernel's ceiling. Needs root.
 * Run: `npm run bench -w @lvskit/native`.
 */
import { createLab, progress, requireLab } from '@lvskit/netlab';
import { interfaceInfo, PacketSocket } from '../src/index.js';

if (!requireLab()) process.exit(0);

const FRAME = 64;
const DURATION_MS = 1500;
const ROUNDS = 3;

const lab = await createLab();
try {
  const a = await lab.addHost('a', { ipv6: false });
  const b = await lab.addHost('b', { ipv6: false });
  await lab.link(a, b, { a: { ifname: 'eth0' }, b: { ifname: 'eth0' } });
  const macA = interfaceInfo('eth0', { netns: a.ns }).macBytes;
  const macB = interfaceInfo('eth0', { netns: b.ns }).macBytes;

  function run(batch: number, ring: boolean): { fps: number; drops: number } {
    const tx = PacketSocket.open({ ifname: 'eth0', netns: a.ns, batchSize: batch, protocol: 0x88b5 });
    const rx = PacketSocket.open({
      ifname: 'eth0',
      netns: b.ns,
      batchSize: batch,
      protocol: 0x88b5,
      ...(ring ? { rxRing: {} } : {}),
    });
    try {
      for (let i = 0; i < batch; i++) {
        const off = tx.tx.offsets[i]!;
        tx.tx.buffer.fill(0, off, off + FRAME);
        tx.tx.buffer.set(macB, off);
        tx.tx.buffer.set(macA, off + 6);
        tx.tx.buffer.writeUInt16BE(0x88b5, off + 12);
        tx.tx.lengths[i] = FRAME;
      }
      let received = 0;
      const start = process.hrtime.bigint();
      const end = start + BigInt(DURATION_MS) * 1_000_000n;
      let now = start;
      while (now < end) {
        for (let k = 0; k < 16; k++) {
          tx.send(batch);
          let n = rx.receive();
          while (n > 0) {
            received += n;
            n = rx.receive();
          }
        }
        now = process.hrtime.bigint();
      }
      const secs = Number(now - start) / 1e9;
      return { fps: received / secs, drops: rx.stats().kernelDrops };
    } finally {
      tx.close();
      rx.close();
    }
  }

  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const results: [string, number, number][] = [];
  const modes: [string, number, boolean][] = [
    ['one frame per call (baseline)', 1, false],
    ['batches of 64 (sendmmsg/recvmmsg)', 64, false],
    ['batches of 64 (sendmmsg / TPACKET_V3 rx ring)', 64, true],
  ];
  // On a terminal, which run is measured (one line on stderr, erased before the table; nothing when piped).
  const p = progress('packet-io bench', { total: modes.length * ROUNDS });
  for (const [name, batch, ring] of modes) {
    const runs = Array.from({ length: ROUNDS }, (_, i) => {
      p.step(`${name}, run ${i + 1} of ${ROUNDS}`);
      return run(batch, ring);
    });
    results.push([name, median(runs.map((r) => r.fps)), runs.reduce((s, r) => s + r.drops, 0)]);
  }
  p.done();
  const base = results[0]![1];
  console.log(`\n${FRAME}-byte frames through one veth pair, median of ${ROUNDS} × ${DURATION_MS} ms\n`);
  console.log('| mode | frames/s | ratio | kernel drops |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, fps, drops] of results) {
    console.log(`| ${name} | ${Math.round(fps).toLocaleString('en-US')} | ${(fps / base).toFixed(2)}× | ${drops} |`);
  }
} finally {
  await lab.destroy();
}
