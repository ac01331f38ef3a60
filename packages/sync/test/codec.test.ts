/**
 * The sync codec against the kernel's structs (net/netfilter/ipvs/ip_vs_sync.c: `struct ip_vs_sync_mesg`,
 * `struct ip_vs_sync_v4`, `struct ip_vs_sync_v6`, `struct ip_vs_sync_mesg_v0`, `struct ip_vs_sync_conn_v0`):
 * literal bytes written out by hand from the field order and sizes, and the receiver's drop rules of
 * `ip_vs_process_message`, `ip_vs_process_message_v0` and `ip_vs_proc_sync_conn`.
 */
import { LvsError } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import {
  decodeSyncMessage,
  encodeSyncMessages,
  encodeSyncRecordV0,
  encodeSyncRecordV1,
  type SyncConn,
  SyncPacker,
  syncMaxLen,
  syncRecordLengthV1,
} from '../src/index.js';
import { tcp4 } from './fixtures.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// header: reserved 0, syncid 7, size 44, nr_conns 1, version 1, spare 0
// record: type 0, proto 6, ver_size 36, flags 0x103, state 1, cport 12345, vport 80, dport 8080, fwmark 42,
// timeout 900, caddr, vaddr, daddr
const TCP4_MSG =
  '00 07 002c 01 01 0000  00 06 0024 00000103 0001 3039 0050 1f90 0000002a 00000384 c6120001 c6120064 c612010a';

describe('version 1 layout', () => {
  it('writes the header and an IPv4 record exactly as the structs lay them out', () => {
    const [msg] = encodeSyncMessages([tcp4], { syncid: 7 });
    expect(toHex(msg!)).toBe(toHex(hex(TCP4_MSG)));
  });

  it('reads the hand-built message back', () => {
    const r = decodeSyncMessage(hex(TCP4_MSG));
    expect(r).toEqual({ version: 1, syncid: 7, count: 1, conns: [tcp4], dropped: {} });
  });

  it('clears IP_VS_CONN_F_HASHED on the wire as ip_vs_sync_conn does', () => {
    const [msg] = encodeSyncMessages([{ ...tcp4, flags: 0x0143 }], { syncid: 7 });
    expect(toHex(msg!)).toBe(toHex(hex(TCP4_MSG)));
  });

  it('writes an IPv6 record of 72 bytes with type bit 0 set and 16-byte addresses', () => {
    const c: SyncConn = { ...tcp4, family: 6, caddr: '2001:2::1', vaddr: '2001:2::100', daddr: '2001:2:0:1::a' };
    const [msg] = encodeSyncMessages([c]);
    expect(toHex(msg!)).toBe(
      toHex(
        hex(
          '00 00 0050 01 01 0000  01 06 0048 00000103 0001 3039 0050 1f90 0000002a 00000384' +
            '20010002000000000000000000000001 20010002000000000000000000000100 2001000200000001000000000000000a',
        ),
      ),
    );
    expect(decodeSyncMessage(msg!).conns).toEqual([c]);
  });

  it('writes options SEQ_DATA (24 bytes), PE_DATA, PE_NAME in that order, pads the next record to 4 bytes', () => {
    const c: SyncConn = {
      ...tcp4,
      inSeq: { initSeq: 1, delta: 2, previousDelta: 3 },
      outSeq: { initSeq: 4, delta: 5, previousDelta: 6 },
      peData: Uint8Array.of(0xaa, 0xbb, 0xcc),
      peName: 'sip',
    };
    expect(syncRecordLengthV1(c)).toBe(36 + 26 + 5 + 5);
    const [msg] = encodeSyncMessages([c, tcp4]);
    const rec =
      '00 06 0048 00000103 0001 3039 0050 1f90 0000002a 00000384 c6120001 c6120064 c612010a' +
      '01 18 00000001 00000002 00000003 00000004 00000005 00000006' +
      '02 03 aabbcc  03 03 736970';
    const second = '00 06 0024 00000103 0001 3039 0050 1f90 0000002a 00000384 c6120001 c6120064 c612010a';
    // 8 + 72 = 80, already aligned: no pad
    expect(toHex(msg!)).toBe(toHex(hex(`00 00 0074 02 01 0000 ${rec} ${second}`)));
    const r = decodeSyncMessage(msg!);
    expect(r.conns).toEqual([c, tcp4]);
  });

  it('pads with zeros before a record that follows an unaligned one; size excludes the last record pad', () => {
    const a: SyncConn = { ...tcp4, peName: 'sip' }; // 41 bytes
    const [msg] = encodeSyncMessages([a, tcp4]);
    expect(msg!.length).toBe(8 + 41 + 3 + 36);
    expect(toHex(msg!.subarray(49, 52))).toBe('000000');
    expect(decodeSyncMessage(msg!).conns).toEqual([a, tcp4]);
    const [one] = encodeSyncMessages([a]);
    expect(one!.length).toBe(49);
  });
});

describe('version 0 layout', () => {
  const v0: SyncConn = { ...tcp4, flags: 0x0103, fwmark: 0, timeout: 0 };
  it('writes nr_conns | syncid | size and the 24-byte record', () => {
    const [msg] = encodeSyncMessages([v0], { version: 0, syncid: 9 });
    // nr_conns 1, syncid 9, size 28; reserved 0, proto 6, cport, vport, dport, caddr, vaddr, daddr, flags, state
    expect(toHex(msg!)).toBe(toHex(hex('01 09 001c  00 06 3039 0050 1f90 c6120001 c6120064 c612010a 0103 0001')));
    expect(decodeSyncMessage(msg!)).toEqual({ version: 0, syncid: 9, count: 1, conns: [v0], dropped: {} });
  });
  it('carries in/out seq blocks when flags has IP_VS_CONN_F_SEQ_MASK bits', () => {
    const c: SyncConn = {
      ...v0,
      flags: 0x0400,
      inSeq: { initSeq: 10, delta: 20, previousDelta: 30 },
      outSeq: { initSeq: 40, delta: 50, previousDelta: 60 },
    };
    const [msg] = encodeSyncMessages([c], { version: 0 });
    expect(msg!.length).toBe(4 + 48);
    expect(toHex(msg!.subarray(28))).toBe(toHex(hex('0000000a 00000014 0000001e 00000028 00000032 0000003c')));
    expect(decodeSyncMessage(msg!).conns).toEqual([c]);
  });
  it('refuses what version 0 cannot carry', () => {
    const buf = new Uint8Array(64);
    for (const bad of [
      { ...v0, family: 6 as const },
      { ...v0, fwmark: 1 },
      { ...v0, flags: 0x10000 },
      { ...v0, flags: 0x200 },
    ])
      expect(() => encodeSyncRecordV0(buf, 0, bad)).toThrow(expect.objectContaining({ code: 'SYNC_INVALID_RECORD' }));
    expect(buf.every((x) => x === 0)).toBe(true);
  });
});

describe('receiver drops (ip_vs_process_message, ip_vs_proc_sync_conn)', () => {
  const msg = hex(TCP4_MSG);
  const patch = (b: Uint8Array, at: number, ...v: number[]): Uint8Array => {
    const c = b.slice();
    c.set(v, at);
    return c;
  };
  it('drops the datagram: short header, size mismatch, other syncid', () => {
    expect(decodeSyncMessage(msg.subarray(0, 3)).messageDropped).toBe('header-too-short');
    expect(decodeSyncMessage(msg.subarray(0, 40)).messageDropped).toBe('bad-size');
    expect(decodeSyncMessage(msg, { syncid: 8 }).messageDropped).toBe('syncid-mismatch');
    expect(decodeSyncMessage(msg, { syncid: 7 }).conns).toHaveLength(1);
  });
  it('treats a version byte other than 1, or a non-zero spare, as version 0', () => {
    const r = decodeSyncMessage(patch(msg, 5, 2));
    expect(r.version).toBe(0);
  });
  it('drops the rest of the datagram on a bad record version, type, size or option', () => {
    expect(decodeSyncMessage(patch(msg, 10, 0x10, 0x24)).messageDropped).toBe('record-version');
    expect(decodeSyncMessage(patch(msg, 8, 2)).messageDropped).toBe('record-type');
    expect(decodeSyncMessage(patch(msg, 10, 0, 0x20)).messageDropped).toBe('record-truncated');
    expect(decodeSyncMessage(patch(msg, 10, 0, 0x30)).messageDropped).toBe('record-past-end');
    expect(decodeSyncMessage(patch(msg, 4, 2)).messageDropped).toBe('record-too-short');
    const [withName] = encodeSyncMessages([{ ...tcp4, peName: 'sip' }, tcp4]);
    expect(decodeSyncMessage(patch(withName!, 8 + 37, 0)).messageDropped).toBe('option-length');
    expect(decodeSyncMessage(patch(withName!, 8 + 36, 1)).messageDropped).toBe('option-seq');
    const r = decodeSyncMessage(patch(withName!, 8 + 36, 0x05)); // unknown mandatory option: one record only
    expect(r.dropped).toEqual({ 'unknown-mandatory-option': 1 });
    expect(r.conns).toEqual([tcp4]);
    const opt = decodeSyncMessage(patch(withName!, 8 + 36, 0x45)); // IPVS_OPT_F_PARAM: ignored
    expect(opt.conns).toHaveLength(2);
  });
  it('skips one record: unknown protocol, state out of range, IPv6 without IPv6, unknown PE', () => {
    const [m] = encodeSyncMessages([{ ...tcp4, protocol: 99 }, { ...tcp4, state: 11 }, tcp4, { ...tcp4, peName: 'x' }]);
    const r = decodeSyncMessage(m!);
    expect(r.dropped).toEqual({ 'unsupported-protocol': 1, 'invalid-state': 1, 'unknown-pe': 1 });
    expect(r.conns).toEqual([tcp4]);
    const [t] = encodeSyncMessages([{ ...tcp4, protocol: 99, state: 99, flags: 0x1000 }]);
    expect(decodeSyncMessage(t!).conns).toHaveLength(1); // templates skip the protocol check
    const [six] = encodeSyncMessages([
      { ...tcp4, family: 6, caddr: '2001:2::1', vaddr: '2001:2::2', daddr: '2001:2::3' },
    ]);
    expect(decodeSyncMessage(six!, { ipv6: false }).dropped).toEqual({ 'ipv6-unsupported': 1 });
  });
  it('v0: skips a bad protocol/state, drops the rest on a short record or short seq options', () => {
    const v0 = { ...tcp4, fwmark: 0, timeout: 0 };
    const [m] = encodeSyncMessages([{ ...v0, protocol: 99 }, v0], { version: 0 });
    const r = decodeSyncMessage(m!);
    expect(r.dropped).toEqual({ 'unsupported-protocol': 1 });
    expect(r.conns).toEqual([v0]);
    const more = patch(m!, 0, 3);
    expect(decodeSyncMessage(more).messageDropped).toBe('v0-record-too-short');
    const seq = patch(m!, 4 + 24 + 20, 0x06); // second record claims seq options that are not there
    expect(decodeSyncMessage(seq).messageDropped).toBe('v0-options-too-short');
  });
});

describe('packer and sync_maxlen', () => {
  it('computes sync_maxlen as start_sync_thread does', () => {
    expect(syncMaxLen({ role: 'master' })).toBe(1472);
    expect(syncMaxLen({ role: 'master', mtu: 9000 })).toBe(1472);
    expect(syncMaxLen({ role: 'backup', mtu: 9000 })).toBe(8972);
    expect(syncMaxLen({ role: 'backup', mtu: 1280 })).toBe(1472);
    expect(syncMaxLen({ role: 'master', family: 6 })).toBe(1452);
    expect(syncMaxLen({ role: 'master', syncMaxlen: 100000 })).toBe(65535 - 28);
    expect(syncMaxLen({ role: 'backup', syncMaxlen: 10 })).toBe(1024);
  });
  it('starts a new message when the next record would pass maxLen, and at 255 records', () => {
    const msgs = encodeSyncMessages(Array(50).fill(tcp4), { maxLen: 8 + 36 * 10 });
    expect(msgs.map((m) => m[4])).toEqual([10, 10, 10, 10, 10]);
    expect(msgs.every((m) => m.length === 368 && decodeSyncMessage(m).conns.length === 10)).toBe(true);
    const many = encodeSyncMessages(Array(300).fill(tcp4), { maxLen: 65000 });
    expect(many.map((m) => m[4])).toEqual([255, 45]);
  });
  it('writes into one preallocated buffer: every emitted message is a view of the same memory', () => {
    const p = new SyncPacker({ maxLen: 8 + 36 * 2 });
    const seen: ArrayBufferLike[] = [];
    for (let i = 0; i < 6; i++) p.add(tcp4, (m) => void seen.push(m.buffer));
    p.flush((m) => void seen.push(m.buffer));
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(1);
  });
  it('refuses a bad record with a typed error and writes nothing', () => {
    const buf = new Uint8Array(80);
    for (const bad of [
      { ...tcp4, cport: 70000 },
      { ...tcp4, caddr: 'nope' },
      { ...tcp4, caddr: '2001:2::1' },
      { ...tcp4, peName: 'x'.repeat(17) },
      { ...tcp4, inSeq: { initSeq: 1, delta: 1, previousDelta: 1 } },
    ]) {
      expect(() => encodeSyncRecordV1(buf, 0, bad as SyncConn)).toThrow(LvsError);
      expect(() => encodeSyncRecordV1(buf, 0, bad as SyncConn)).toThrow(
        expect.objectContaining({ code: 'SYNC_INVALID_RECORD' }),
      );
    }
    expect(buf.every((x) => x === 0)).toBe(true);
    expect(() => encodeSyncRecordV1(new Uint8Array(20), 0, tcp4)).toThrow(
      expect.objectContaining({ code: 'SYNC_BUFFER_TOO_SMALL' }),
    );
  });
});
