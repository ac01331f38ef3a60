/**
 * Packet sockets across a real lab: a batch of frames sent from one namespace's packet socket arrives, in
 * order and byte for byte, at another namespace's socket (both driven from this process in the root
 * namespace through the `netns` option), both through the uv_poll batch handler and through receive().
 */
import { buildSegmentLab, type Lab, requireLab, requireTools } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  interfaceInfo,
  nativeUnavailableReason,
  PacketSocket,
  PacketType,
  RxFlag,
  type RxRingOptions,
} from '../../src/index.js';

const canRun = requireLab();
const hasEthtool = canRun && requireTools('the CSUM_NOT_READY test that turns tx checksumming off', 'ethtool');
if (canRun && nativeUnavailableReason() !== undefined) {
  // The lab exists but the addon does not: that is a build failure, never a reason to skip.
  throw new Error(`native addon unavailable: ${nativeUnavailableReason()}`);
}

// IEEE 802 "local experimental" EtherType (IEEE Std 802, 0x88B5): no stack on the hosts reacts to it.
const ETHERTYPE = 0x88b5;
const MAGIC = 0x4c56534b; // 'LVSK'

/** Writes a test frame: dst, src, EtherType, magic, sequence number, then `pad` filler bytes. */
function writeFrame(buf: Buffer, off: number, dst: Uint8Array, src: Uint8Array, seq: number, pad: number): number {
  buf.set(dst, off);
  buf.set(src, off + 6);
  buf.writeUInt16BE(ETHERTYPE, off + 12);
  buf.writeUInt32BE(MAGIC, off + 14);
  buf.writeUInt32BE(seq, off + 18);
  for (let i = 0; i < pad; i++) buf[off + 22 + i] = (seq + i) & 0xff;
  return 22 + pad;
}

// Every receive-side test runs twice: recvmmsg into slots, and a small TPACKET_V3 ring (4 × 64 KiB).
const modes: [string, RxRingOptions | undefined][] = [
  ['recvmmsg', undefined],
  ['TPACKET_V3 ring', { blockSize: 65536, blockCount: 4 }],
];

describe.runIf(canRun).each(modes)('native: AF_PACKET batches between lab namespaces (%s)', (_mode, rxRing) => {
  let lab: Lab;
  let nsA: string;
  let nsB: string;
  let ipB: string;
  const sockets: PacketSocket[] = [];

  beforeAll(async () => {
    const built = await buildSegmentLab({ hosts: ['a', 'b'], ipv6: false });
    lab = built.lab;
    nsA = built.hosts.a.ns;
    nsB = built.hosts.b.ns;
    ipB = built.ip.b;
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await lab?.destroy();
  });

  /** A sender (`rx: false`) or a receiver in this describe's receive mode. */
  function open(netns: string, batchSize: number, rx = netns === nsB): PacketSocket {
    const s = PacketSocket.open({ ifname: 'eth0', netns, batchSize, protocol: ETHERTYPE, ...(rx ? { rxRing } : {}) });
    sockets.push(s);
    return s;
  }

  /** Receives with receive() until `want` frames came or 2 s passed; returns their sequence numbers. */
  async function drain(
    rx: PacketSocket,
    want: number,
    check?: (off: number, len: number, i: number) => void,
  ): Promise<number[]> {
    const seen: number[] = [];
    const until = Date.now() + 2000;
    while (seen.length < want && Date.now() < until) {
      const n = rx.receive();
      for (let i = 0; i < n; i++) {
        check?.(rx.rx.offsets[i]!, rx.rx.lengths[i]!, i);
        seen.push(rx.rx.buffer.readUInt32BE(rx.rx.offsets[i]! + 18));
      }
      if (n === 0) await new Promise((r) => setTimeout(r, 2));
    }
    return seen;
  }

  it('sends one sendmmsg batch from a and receives every frame in b through the batch handler', async () => {
    const macA = interfaceInfo('eth0', { netns: nsA }).macBytes;
    const macB = interfaceInfo('eth0', { netns: nsB }).macBytes;
    const tx = open(nsA, 32);
    const rx = open(nsB, 16);
    expect(tx.ifindex).toBe(interfaceInfo('eth0', { netns: nsA }).index);

    const got: { seq: number; len: number; type: number; ok: boolean }[] = [];
    let batches = 0;
    const done = new Promise<void>((resolve) => {
      rx.onBatch((count) => {
        batches++;
        for (let i = 0; i < count; i++) {
          const off = rx.rx.offsets[i]!;
          const len = rx.rx.lengths[i]!;
          const seq = rx.rx.buffer.readUInt32BE(off + 18);
          // Recompute the expected bytes independently of the sender's buffer.
          const expected = Buffer.alloc(len);
          writeFrame(expected, 0, macB, macA, seq, len - 22);
          got.push({
            seq,
            len,
            type: rx.rx.packetTypes[i]!,
            ok: expected.equals(rx.rx.buffer.subarray(off, off + len)),
          });
        }
        if (got.length >= 32) resolve();
      });
    });

    for (let i = 0; i < 32; i++) {
      tx.tx.lengths[i] = writeFrame(tx.tx.buffer, tx.tx.offsets[i]!, macB, macA, i, 38 + i * 10);
    }
    expect(tx.send(32)).toBe(32);
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`got ${got.length}/32`)), 5000))]);

    expect(got.map((g) => g.seq)).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect(got.map((g) => g.len)).toEqual(Array.from({ length: 32 }, (_, i) => 22 + 38 + i * 10));
    expect(got.every((g) => g.ok)).toBe(true);
    expect(got.every((g) => g.type === PacketType.HOST)).toBe(true);
    // 32 frames into a 16-frame batch take at least two handler calls.
    expect(batches).toBeGreaterThanOrEqual(2);
    expect(rx.stats().received).toBe(32);
    expect(tx.stats().sent).toBe(32);
    rx.pause();
  });

  it('receive() drains without waiting; broadcasts are typed BROADCAST; own frames are not looped back', async () => {
    const macA = interfaceInfo('eth0', { netns: nsA }).macBytes;
    const tx = open(nsA, 8);
    const rx = open(nsB, 8);
    expect(rx.receive()).toBe(0);
    const bcast = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    for (let i = 0; i < 3; i++)
      tx.tx.lengths[i] = writeFrame(tx.tx.buffer, tx.tx.offsets[i]!, bcast, macA, 100 + i, 40);
    expect(tx.send(3)).toBe(3);
    const types: number[] = [];
    const seen = await drain(rx, 3, (_off, _len, i) => types.push(rx.rx.packetTypes[i]!));
    expect(seen).toEqual([100, 101, 102]);
    expect(types).toEqual([PacketType.BROADCAST, PacketType.BROADCAST, PacketType.BROADCAST]);
    // PACKET_IGNORE_OUTGOING (default): the sender never sees its own broadcasts.
    expect(tx.receive()).toBe(0);
  });

  it('flags a frame longer than its receive slot as TRUNCATED (recvmmsg); the ring has room for it', async () => {
    const macA = interfaceInfo('eth0', { netns: nsA }).macBytes;
    const macB = interfaceInfo('eth0', { netns: nsB }).macBytes;
    const tx = open(nsA, 2);
    // 256-byte receive slots. recvmmsg cuts the 1000-byte frame to its slot and reports MSG_TRUNC in that
    // message's msg_flags (net/socket.c ___sys_recvmsg copies them per mmsghdr). A TPACKET_V3 ring packs
    // frames into 64 KiB blocks whatever frameSize says, so there the frame arrives whole and unflagged
    // (af_packet.c tpacket_rcv truncates only past the block's max_frame_len).
    const rx = PacketSocket.open({
      ifname: 'eth0',
      netns: nsB,
      batchSize: 4,
      frameSize: 256,
      protocol: ETHERTYPE,
      ...(rxRing ? { rxRing } : {}),
    });
    sockets.push(rx);
    tx.tx.lengths[0] = writeFrame(tx.tx.buffer, tx.tx.offsets[0]!, macB, macA, 300, 100 - 22);
    tx.tx.lengths[1] = writeFrame(tx.tx.buffer, tx.tx.offsets[1]!, macB, macA, 301, 1000 - 22);
    expect(tx.send(2)).toBe(2);
    const got: [number, number, number][] = [];
    await drain(rx, 2, (off, len, i) => {
      got.push([rx.rx.buffer.readUInt32BE(off + 18), len, rx.rx.flags[i]! & RxFlag.TRUNCATED]);
    });
    if (rxRing === undefined) {
      expect(got).toEqual([
        [300, 100, 0],
        [301, 256, RxFlag.TRUNCATED],
      ]);
      expect(rx.stats().truncated).toBe(1);
    } else {
      expect(got).toEqual([
        [300, 100, 0],
        [301, 1000, 0],
      ]);
      expect(rx.stats().truncated).toBe(0);
    }
  });

  it('drops a frame too big for the MTU without losing the rest of the batch', async () => {
    const macA = interfaceInfo('eth0', { netns: nsA }).macBytes;
    const macB = interfaceInfo('eth0', { netns: nsB }).macBytes;
    const tx = open(nsA, 5);
    const rx = open(nsB, 8);
    // MTU 1500 allows 1514-byte frames; frame 2 is 1600 bytes (fits the 2048-byte slot, not the wire).
    const pads = [40, 40, 1600 - 22, 40, 40];
    for (let i = 0; i < 5; i++)
      tx.tx.lengths[i] = writeFrame(tx.tx.buffer, tx.tx.offsets[i]!, macB, macA, 200 + i, pads[i]!);
    expect(tx.send(5)).toBe(5);
    expect(tx.stats()).toMatchObject({ sent: 4, txDropped: 1 });
    expect(await drain(rx, 4)).toEqual([200, 201, 203, 204]);
  });

  it('a handler may close its own socket: polling stops and nothing more is delivered', async () => {
    const macA = interfaceInfo('eth0', { netns: nsA }).macBytes;
    const macB = interfaceInfo('eth0', { netns: nsB }).macBytes;
    const tx = open(nsA, 8);
    const rx = open(nsB, 2);
    let calls = 0;
    const first = new Promise<void>((resolve) => {
      rx.onBatch(() => {
        calls++;
        rx.close();
        resolve();
      });
    });
    // Eight frames at two per batch would need four calls if polling went on after close().
    for (let i = 0; i < 8; i++) tx.tx.lengths[i] = writeFrame(tx.tx.buffer, tx.tx.offsets[i]!, macB, macA, i, 40);
    expect(tx.send(8)).toBe(8);
    await first;
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(1);
    expect(rx.closed).toBe(true);
  });

  it('keeps 2,000 frames in order while the receive memory is reused many times over', async () => {
    const macA = interfaceInfo('eth0', { netns: nsA }).macBytes;
    const macB = interfaceInfo('eth0', { netns: nsB }).macBytes;
    const tx = open(nsA, 32);
    const rx = open(nsB, 32);
    // 2,000 frames of 1,000 bytes = 2 MB: eight times the 256 KiB ring, so every block is handed back and
    // refilled repeatedly; each frame's filler is checked against its sequence number.
    const got: number[] = [];
    let bad = 0;
    for (let base = 0; base < 2000; base += 32) {
      for (let i = 0; i < 32; i++)
        tx.tx.lengths[i] = writeFrame(tx.tx.buffer, tx.tx.offsets[i]!, macB, macA, base + i, 978);
      expect(tx.send(32)).toBe(32);
      const seen = await drain(rx, 32, (off, len) => {
        const seq = rx.rx.buffer.readUInt32BE(off + 18);
        if (len !== 1000 || rx.rx.buffer[off + 22 + 500] !== ((seq + 500) & 0xff)) bad++;
      });
      got.push(...seen);
    }
    expect(bad).toBe(0);
    expect(got).toEqual(Array.from({ length: 2016 }, (_, i) => i));
    expect(rx.stats().kernelDrops).toBe(0);
  });

  it('forwards received frames rewritten in place without a copy (sendReceived)', async () => {
    const macA = interfaceInfo('eth0', { netns: nsA }).macBytes;
    const macB = interfaceInfo('eth0', { netns: nsB }).macBytes;
    const tx = open(nsA, 8, false);
    const bSock = open(nsB, 8);
    const back = open(nsA, 8, false);
    for (let i = 0; i < 4; i++) tx.tx.lengths[i] = writeFrame(tx.tx.buffer, tx.tx.offsets[i]!, macB, macA, 300 + i, 40);
    expect(tx.send(4)).toBe(4);
    // b turns every frame around in its receive memory (swap MACs, like a DR rewrite) and sends it back.
    let returned = 0;
    const until = Date.now() + 2000;
    while (returned < 4 && Date.now() < until) {
      const n = bSock.receive();
      for (let i = 0; i < n; i++) {
        const off = bSock.rx.offsets[i]!;
        bSock.rx.buffer.set(macA, off);
        bSock.rx.buffer.set(macB, off + 6);
        bSock.tx.offsets[i] = off;
        bSock.tx.lengths[i] = bSock.rx.lengths[i]!;
      }
      if (n > 0) returned += bSock.sendReceived(n);
      else await new Promise((r) => setTimeout(r, 2));
    }
    expect(returned).toBe(4);
    const seen = await drain(back, 4, (off) => {
      expect([...back.rx.buffer.subarray(off, off + 6)]).toEqual([...macA]);
    });
    expect(seen).toEqual([300, 301, 302, 303]);
  });

  it.runIf(hasEthtool)(
    'flags a locally sent UDP datagram as CSUM_NOT_READY while a veth offloads checksums, not after tx off',
    async () => {
      // A veth advertises tx checksum offload, so a's UDP socket hands the datagram over CHECKSUM_PARTIAL
      // and b's packet socket must see TP_STATUS_CSUMNOTREADY (af_packet.c packet_rcv / tpacket_rcv); with
      // `ethtool -K eth0 tx off` the kernel computes the checksum before the veth and the flag is clear.
      const rx = PacketSocket.open({
        ifname: 'eth0',
        netns: nsB,
        batchSize: 16,
        protocol: 0x0800,
        ...(rxRing ? { rxRing } : {}),
      });
      sockets.push(rx);
      const sendUdp = (port: number) =>
        lab.exec('a', [
          process.execPath,
          '-e',
          `const s=require('node:dgram').createSocket('udp4');s.send('lvskit-csum',${port},'${ipB}',()=>s.close())`,
        ]);
      /** Flags of the first UDP frame to `port` seen within 2 s, or -1. */
      const flagsOf = async (port: number): Promise<number> => {
        const until = Date.now() + 2000;
        while (Date.now() < until) {
          const n = rx.receive();
          for (let i = 0; i < n; i++) {
            const off = rx.rx.offsets[i]!;
            const ihl = (rx.rx.buffer[off + 14]! & 0x0f) * 4;
            if (rx.rx.buffer[off + 23] === 17 && rx.rx.buffer.readUInt16BE(off + 14 + ihl + 2) === port) {
              return rx.rx.flags[i]!;
            }
          }
          if (n === 0) await new Promise((r) => setTimeout(r, 5));
        }
        return -1;
      };
      await lab.exec('a', ['ethtool', '-K', 'eth0', 'tx', 'on']);
      await sendUdp(40001);
      expect((await flagsOf(40001)) & RxFlag.CSUM_NOT_READY).toBe(RxFlag.CSUM_NOT_READY);
      await lab.exec('a', ['ethtool', '-K', 'eth0', 'tx', 'off']);
      await sendUdp(40002);
      const off = await flagsOf(40002);
      expect(off).toBeGreaterThanOrEqual(0);
      expect(off & RxFlag.CSUM_NOT_READY).toBe(0);
    },
  );

  it('keeps its buffers when a caller tries to transfer them to a worker (they are copied, never detached)', async () => {
    const { MessageChannel } = await import('node:worker_threads');
    const s = open(nsB, 4);
    const { port1, port2 } = new MessageChannel();
    const got = new Promise<Buffer>((resolve) => port2.once('message', resolve));
    s.rx.buffer[0] = 0x5a;
    port1.postMessage(s.rx.buffer, [s.rx.buffer.buffer as ArrayBuffer, s.tx.buffer.buffer as ArrayBuffer]);
    expect((await got)[0]).toBe(0x5a); // the receiver got a copy
    expect(s.rx.buffer.buffer.byteLength).toBeGreaterThan(0); // not detached
    expect(s.tx.buffer.buffer.byteLength).toBeGreaterThan(0);
    expect(s.receive()).toBeGreaterThanOrEqual(0); // the addon's memory is still ours
    port1.close();
    port2.close();
  });

  it('rejects out-of-bounds tx descriptors and use after close with coded errors', () => {
    const tx = open(nsA, 4, false);
    tx.tx.offsets[0] = tx.tx.buffer.length - 10;
    tx.tx.lengths[0] = 60;
    expect(() => tx.send(1)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => tx.send(5)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    tx.close();
    expect(() => tx.send(1)).toThrow(expect.objectContaining({ code: 'NATIVE_CLOSED' }));
    expect(() => tx.receive()).toThrow(expect.objectContaining({ code: 'NATIVE_CLOSED' }));
  });

  it('names the missing interface or namespace', () => {
    expect(() => PacketSocket.open({ ifname: 'nope0', netns: nsA })).toThrow(
      expect.objectContaining({ code: 'NATIVE_NO_INTERFACE' }),
    );
    expect(() => PacketSocket.open({ ifname: 'eth0', netns: `${lab.prefix}missing` })).toThrow(
      expect.objectContaining({ code: 'NATIVE_NO_NETNS' }),
    );
  });
});
