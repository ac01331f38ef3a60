/**
 * PACKET_VNET_HDR between lab namespaces. Receive: a real TCP upload from host a, whose veth offloads
 * segmentation (TSO), reaches b's packet socket as GSO super-frames larger than the MTU, received whole with
 * their GSO type, segment size and partial-checksum offsets. Send: one hand-built super-frame with a partial
 * checksum, sent from a with its virtio_net_hdr while a's veth has TSO and checksum offload off, arrives at b
 * as the segments the kernel cut (consecutive sequence numbers and IP IDs, PSH on the last only, every
 * checksum valid).
 */
import { buildSegmentLab, type Lab, offloadsOn, requireLab, requireTools } from '@lvskit/netlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GsoType, interfaceInfo, nativeUnavailableReason, PacketSocket, RxFlag } from '../../src/index.js';

const canRun = requireLab();
const hasEthtool = canRun && requireTools('the PACKET_VNET_HDR test that turns TSO and tx checksumming off', 'ethtool');
if (canRun && nativeUnavailableReason() !== undefined) {
  throw new Error(`native addon unavailable: ${nativeUnavailableReason()}`);
}

/** RFC 1071 sum of `len` bytes at `off`, plus `initial`, folded and complemented. */
function checksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < len; i += 2) sum += (buf[off + i]! << 8) | buf[off + i + 1]!;
  if (len & 1) sum += buf[off + len - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Unfolded IPv4 pseudo-header sum (RFC 9293 §3.1) of the packet at `l3`. */
function pseudo(buf: Uint8Array, l3: number, proto: number, l4len: number): number {
  let s = 0;
  for (let i = 12; i < 20; i += 2) s += (buf[l3 + i]! << 8) | buf[l3 + i + 1]!;
  return s + proto + l4len;
}

describe.runIf(canRun)('native: PACKET_VNET_HDR (GSO super-frames and partial checksums)', () => {
  let lab: Lab;
  let nsA: string;
  let nsB: string;
  let ipA: string;
  let ipB: string;
  const sockets: PacketSocket[] = [];

  beforeAll(async () => {
    const built = await buildSegmentLab({ hosts: ['a', 'b'], ipv6: false });
    lab = built.lab;
    nsA = built.hosts.a.ns;
    nsB = built.hosts.b.ns;
    ipA = built.ip.a;
    ipB = built.ip.b;
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await lab?.destroy();
  });

  it('receives a TSO upload as whole super-frames with their GSO type, segment size and checksum offsets', async () => {
    await offloadsOn(lab, 'a');
    const rx = PacketSocket.open({
      ifname: 'eth0',
      netns: nsB,
      protocol: 0x0800,
      batchSize: 16,
      frameSize: 65_600,
      vnetHdr: true,
    });
    sockets.push(rx);
    expect(rx.vnetHdr).toBe(true);
    const sink = lab.spawn('b', [
      process.execPath,
      '-e',
      "require('node:net').createServer((s)=>{let n=0;s.on('data',(d)=>{n+=d.length});s.on('end',()=>s.end(String(n)))})" +
        ".listen(9000,()=>console.log('listening'))",
    ]);
    await sink.waitForOutput(/listening/);
    const upload = lab.exec('a', [
      process.execPath,
      '-e',
      `const s=require('node:net').connect(9000,'${ipB}',()=>s.end(Buffer.alloc(2<<20,7)));` +
        "s.on('data',(d)=>process.stdout.write(d))",
    ]);
    let biggest = 0;
    let superFrames = 0;
    // Sequence space covered by the data seen (retransmissions may repeat some of it): relative to the first
    // data segment's sequence number, signed so that a segment seen out of order still counts.
    let base = -1;
    let lowest = 0;
    let highest = 0;
    const until = Date.now() + 10_000;
    let done = false;
    void upload.then(() => {
      done = true;
    });
    while (!done || rx.receive() > 0) {
      const n = rx.receive();
      for (let i = 0; i < n; i++) {
        const off = rx.rx.offsets[i]!;
        const len = rx.rx.lengths[i]!;
        const b = rx.rx.buffer;
        if (b[off + 23] !== 6 || b.readUInt16BE(off + 36) !== 9000) continue;
        const ipLen = b.readUInt16BE(off + 16);
        expect(ipLen).toBe(len - 14); // received whole, not cut to a slot
        const plen = ipLen - 20 - (b[off + 46]! >> 4) * 4;
        if (plen > 0) {
          const seq = b.readUInt32BE(off + 38);
          if (base < 0) base = seq;
          const rel = (seq - base) | 0;
          lowest = Math.min(lowest, rel);
          highest = Math.max(highest, rel + plen);
        }
        if ((rx.rx.flags[i]! & RxFlag.GSO) === 0) continue;
        superFrames++;
        biggest = Math.max(biggest, len);
        expect(rx.rx.gsoTypes[i]! & ~GsoType.ECN).toBe(GsoType.TCPV4);
        expect(rx.rx.gsoSizes[i]).toBeGreaterThanOrEqual(536);
        expect(rx.rx.gsoSizes[i]).toBeLessThanOrEqual(1460);
        expect(rx.rx.flags[i]! & RxFlag.CSUM_NOT_READY).toBe(RxFlag.CSUM_NOT_READY);
        expect(rx.rx.csumStarts[i]).toBe(34);
        expect(rx.rx.csumOffsets[i]).toBe(16);
        expect(rx.rx.flags[i]! & RxFlag.TRUNCATED).toBe(0);
      }
      if (n === 0) {
        if (Date.now() > until) break;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    const result = await upload;
    await sink.stop();
    expect(result.stdout.trim()).toBe(String(2 << 20));
    expect(superFrames).toBeGreaterThan(0);
    expect(biggest).toBeGreaterThan(1514);
    expect(highest - lowest).toBe(2 << 20); // every byte of the upload was seen, in whole frames
    expect(rx.stats().truncated).toBe(0);
  });

  it.runIf(hasEthtool)(
    'sends a super-frame with a partial checksum that the kernel segments and checksums',
    async () => {
      // No TSO and no checksum offload on a: the kernel must cut the frame and compute every checksum itself.
      await lab.exec('a', ['ethtool', '-K', 'eth0', 'tso', 'off', 'tx', 'off']);
      const macA = interfaceInfo('eth0', { netns: nsA }).macBytes;
      const macB = interfaceInfo('eth0', { netns: nsB }).macBytes;
      const tx = PacketSocket.open({ ifname: 'eth0', netns: nsA, batchSize: 4, frameSize: 65_600, vnetHdr: true });
      const rx = PacketSocket.open({ ifname: 'eth0', netns: nsB, protocol: 0x0800, batchSize: 64 });
      sockets.push(tx, rx);
      const mss = 1000;
      const payload = 3 * mss + 123;
      const f = tx.tx.buffer;
      const build = (off: number, dport: number, gso: boolean): number => {
        f.set(macB, off);
        f.set(macA, off + 6);
        f.writeUInt16BE(0x0800, off + 12);
        const l3 = off + 14;
        f[l3] = 0x45;
        f[l3 + 1] = 0;
        f.writeUInt16BE(20 + 20 + payload, l3 + 2);
        f.writeUInt16BE(0x1200, l3 + 4); // IP ID
        f.writeUInt16BE(0x4000, l3 + 6); // DF
        f[l3 + 8] = 64;
        f[l3 + 9] = 6;
        f.writeUInt16BE(0, l3 + 10);
        f.set(ipA.split('.').map(Number), l3 + 12);
        f.set(ipB.split('.').map(Number), l3 + 16);
        f.writeUInt16BE(checksum(f, l3, 20), l3 + 10);
        const l4 = l3 + 20;
        f.writeUInt16BE(40_000, l4);
        f.writeUInt16BE(dport, l4 + 2);
        f.writeUInt32BE(1_000_000, l4 + 4);
        f.writeUInt32BE(1, l4 + 8);
        f[l4 + 12] = 5 << 4;
        f[l4 + 13] = 0x18; // PSH | ACK
        f.writeUInt16BE(65535, l4 + 14);
        f.writeUInt16BE(0, l4 + 18);
        for (let i = 0; i < payload; i++) f[l4 + 20 + i] = (i * 7) & 0xff;
        // Partial checksum: the field holds the folded, uncomplemented pseudo-header sum.
        f.writeUInt16BE(~checksum(f, 0, 0, pseudo(f, l3, 6, 20 + payload)) & 0xffff, l4 + 16);
        const i = off === 0 ? 0 : 1;
        tx.tx.offsets[i] = off;
        tx.tx.lengths[i] = 14 + 40 + payload;
        tx.tx.gsoTypes[i] = gso ? GsoType.TCPV4 : GsoType.NONE;
        tx.tx.gsoSizes[i] = gso ? mss : 0;
        tx.tx.csumStarts[i] = 34;
        tx.tx.csumOffsets[i] = 16;
        return i;
      };
      build(0, 9101, true);
      expect(tx.send(1)).toBe(1);
      const segs: { seq: number; id: number; len: number; psh: boolean; ipOk: boolean; tcpOk: boolean }[] = [];
      const until = Date.now() + 3000;
      while (segs.length < 4 && Date.now() < until) {
        const n = rx.receive();
        for (let i = 0; i < n; i++) {
          const off = rx.rx.offsets[i]!;
          const b = rx.rx.buffer;
          const l3 = off + 14;
          if (b[l3 + 9] !== 6 || b.readUInt16BE(l3 + 22) !== 9101) continue;
          const ipLen = b.readUInt16BE(l3 + 2);
          segs.push({
            seq: b.readUInt32BE(l3 + 24),
            id: b.readUInt16BE(l3 + 4),
            len: ipLen - 40,
            psh: (b[l3 + 33]! & 0x08) !== 0,
            ipOk: checksum(b, l3, 20) === 0,
            tcpOk: checksum(b, l3 + 20, ipLen - 20, pseudo(b, l3, 6, ipLen - 20)) === 0,
          });
        }
        if (n === 0) await new Promise((r) => setTimeout(r, 5));
      }
      expect(segs.map((s) => s.len)).toEqual([mss, mss, mss, 123]);
      expect(segs.map((s) => s.seq)).toEqual([1_000_000, 1_001_000, 1_002_000, 1_003_000]);
      expect(segs.map((s) => s.id)).toEqual([0x1200, 0x1201, 0x1202, 0x1203]);
      expect(segs.map((s) => s.psh)).toEqual([false, false, false, true]);
      expect(segs.every((s) => s.ipOk && s.tcpOk)).toBe(true);
      expect(rx.rx.flags.every((x) => (x & RxFlag.CSUM_NOT_READY) === 0)).toBe(true);
    },
  );

  it('drops a frame whose header the kernel refuses without losing the rest of the batch', async () => {
    const tx = PacketSocket.open({ ifname: 'eth0', netns: nsA, batchSize: 4, frameSize: 65_600, vnetHdr: true });
    sockets.push(tx);
    const f = tx.tx.buffer;
    // Frame 0: TCPv4 GSO whose checksum field is said to sit at the UDP offset (6): virtio_net_hdr_to_skb
    // refuses it (EINVAL). Frame 1: an ordinary 60-byte frame.
    f.fill(0, 0, 200);
    f.writeUInt16BE(0x0800, 12);
    f[14] = 0x45;
    f.writeUInt16BE(46 + 1400 * 2 - 14, 16);
    f[23] = 6;
    f[46] = 0x50;
    tx.tx.offsets[0] = 0;
    tx.tx.lengths[0] = 46 + 1400 * 2;
    tx.tx.gsoTypes[0] = GsoType.TCPV4;
    tx.tx.gsoSizes[0] = 1400;
    tx.tx.csumStarts[0] = 34;
    tx.tx.csumOffsets[0] = 6;
    tx.tx.offsets[1] = 4096;
    tx.tx.lengths[1] = 60;
    f.writeUInt16BE(0x88b5, 4096 + 12);
    tx.tx.gsoTypes[1] = 0;
    tx.tx.gsoSizes[1] = 0;
    tx.tx.csumStarts[1] = 0;
    expect(tx.send(2)).toBe(2);
    expect(tx.stats().txDropped).toBe(1);
    expect(tx.stats().sent).toBe(1);
    // Offsets that point past the frame are refused before any syscall.
    tx.tx.csumStarts[1] = 59;
    expect(() => tx.send(2)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses vnetHdr together with a receive ring', () => {
    expect(() =>
      PacketSocket.open({ ifname: 'eth0', netns: nsB, vnetHdr: true, rxRing: { blockSize: 65536, blockCount: 2 } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
