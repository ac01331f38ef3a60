/**
 * Classic BPF filters on a packet socket (`setFilter`): with a program that accepts only frames whose byte
 * at offset 21 (the low byte of the test frames' sequence number) is even, a batch of 20 frames from another
 * namespace arrives as exactly the 10 even ones; detached, all arrive again. A program the kernel's verifier
 * refuses (a jump past the end) and one out of the encoder's ranges are refused with INVALID_ARGUMENT.
 */
import { buildSegmentLab, type Lab, requireLab } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfOp, encodeBpf, interfaceInfo, nativeUnavailableReason, PacketSocket } from '../../src/index.js';

const canRun = requireLab();
if (canRun && nativeUnavailableReason() !== undefined) {
  throw new Error(`native addon unavailable: ${nativeUnavailableReason()}`);
}
const ETHERTYPE = 0x88b5; // IEEE 802 local experimental

describe.runIf(canRun)('native: classic BPF filters on packet sockets', () => {
  let lab: Lab;
  let nsA: string;
  let nsB: string;
  beforeAll(async () => {
    const built = await buildSegmentLab({ hosts: ['a', 'b'], ipv6: false });
    lab = built.lab;
    nsA = built.hosts.a.ns;
    nsB = built.hosts.b.ns;
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('queues only what the program accepts, and everything again once detached', async () => {
    const tx = PacketSocket.open({ ifname: 'eth0', netns: nsA, batchSize: 32 });
    const rx = PacketSocket.open({ ifname: 'eth0', netns: nsB, batchSize: 64, protocol: ETHERTYPE });
    try {
      const dst = interfaceInfo('eth0', { netns: nsB }).macBytes;
      const src = interfaceInfo('eth0', { netns: nsA }).macBytes;
      const send = () => {
        for (let i = 0; i < 20; i++) {
          const o = i * tx.frameSize;
          tx.tx.buffer.set(dst, o);
          tx.tx.buffer.set(src, o + 6);
          tx.tx.buffer.writeUInt16BE(ETHERTYPE, o + 12);
          tx.tx.buffer.writeUInt32BE(0x4c56534b, o + 14);
          tx.tx.buffer.writeUInt32BE(i, o + 18);
          tx.tx.offsets[i] = o;
          tx.tx.lengths[i] = 60;
        }
        expect(tx.send(20)).toBe(20);
      };
      const seen = async (): Promise<number[]> => {
        const out: number[] = [];
        const until = Date.now() + 500;
        while (Date.now() < until) {
          const n = rx.receive();
          for (let i = 0; i < n; i++) out.push(rx.rx.buffer.readUInt32BE(rx.rx.offsets[i]! + 18));
          if (n === 0) await new Promise((r) => setTimeout(r, 5));
        }
        return out;
      };
      // ldb [21] (the sequence number's low byte); jset #1 would need BPF_JSET: compare the low bit by hand
      // instead — accept when the byte is one of the even values 0..18, else drop.
      const even = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18];
      rx.setFilter([
        { code: BpfOp.LD_B_ABS, jt: 0, jf: 0, k: 21 },
        ...even.map((v, i) => ({ code: BpfOp.JEQ_K, jt: even.length - i, jf: 0, k: v })),
        { code: BpfOp.RET_K, jt: 0, jf: 0, k: 0 },
        { code: BpfOp.RET_K, jt: 0, jf: 0, k: 0xffffffff },
      ]);
      send();
      expect(await seen()).toEqual(even);
      rx.setFilter(null);
      send();
      expect(await seen()).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      tx.close();
      rx.close();
    }
  });

  it('refuses programs the verifier or the encoder rejects, with INVALID_ARGUMENT', () => {
    const s = PacketSocket.open({ ifname: 'eth0', netns: nsB });
    try {
      // A conditional jump past the last instruction: sk_chk_filter refuses it (EINVAL).
      expect(() =>
        s.setFilter([
          { code: BpfOp.JEQ_K, jt: 5, jf: 0, k: 1 },
          { code: BpfOp.RET_K, jt: 0, jf: 0, k: 0 },
        ]),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(() => s.setFilter([{ code: BpfOp.RET_K, jt: 256, jf: 0, k: 0 }])).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
      expect(() => encodeBpf([])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    } finally {
      s.close();
    }
  });
});
