/**
 * Golden packets: datagrams built by the encoder, wrapped in UDP/IPv4 to 224.0.0.81:8848 in a pcap file, read
 * back by Wireshark's `ipvs` dissector (`tshark -T json`); every field it decodes must match. The dissector
 * knows both versions: v0 (conncount, syncid, size, proto, ports, addresses, flags, state, in/out seq) and v1
 * (type, ver, size.v1, flags.v1, fwmark, timeout, IPv6 addresses) but not the v1 options (see below).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { internetChecksum } from '@lvskit/base';
import { requireTools } from '@lvskit/netlab';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSyncMessages, type SyncConn } from '../src/index.js';
import { tcp4 } from './fixtures.js';

const canRun = requireTools('the sync tshark golden test', 'tshark');

/** A pcap (LINKTYPE_IPV4 228) with one UDP/IPv4 packet per payload, 198.18.0.1:40000 → 224.0.0.81:8848. */
function pcap(payloads: Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0);
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeUInt32LE(65535, 16);
  g.writeUInt32LE(228, 20);
  parts.push(g);
  payloads.forEach((p, i) => {
    const pkt = Buffer.alloc(28 + p.length);
    pkt[0] = 0x45;
    pkt.writeUInt16BE(pkt.length, 2);
    pkt[8] = 1;
    pkt[9] = 17;
    pkt.set([198, 18, 0, 1], 12);
    pkt.set([224, 0, 0, 81], 16);
    pkt.writeUInt16BE(internetChecksum(pkt, 0, 20), 10);
    pkt.writeUInt16BE(40000, 20);
    pkt.writeUInt16BE(8848, 22);
    pkt.writeUInt16BE(8 + p.length, 24);
    pkt.set(p, 28);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_700_000_000 + i, 0);
    h.writeUInt32LE(pkt.length, 8);
    h.writeUInt32LE(pkt.length, 12);
    parts.push(h, pkt);
  });
  return Buffer.concat(parts);
}

type Layers = Record<string, unknown>;
/** Every ipvs.* field of one packet, flattened (repeated fields as arrays, in order). */
function ipvsFields(layers: Layers): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const walk = (v: unknown, k: string): void => {
    if (Array.isArray(v)) for (const x of v) walk(x, k);
    else if (v && typeof v === 'object') for (const [kk, vv] of Object.entries(v)) walk(vv, kk);
    else if (k.startsWith('ipvs.')) {
      const list = out[k] ?? [];
      list.push(String(v));
      out[k] = list;
    }
  };
  walk(layers.ipvs, 'ipvs');
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'lvskit-sync-golden-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dissect(payloads: Uint8Array[]): Record<string, string[]>[] {
  const file = join(dir, `p${Math.random().toString(36).slice(2)}.pcap`);
  writeFileSync(file, pcap(payloads));
  const json = execFileSync('tshark', ['-r', file, '-T', 'json', '-d', 'udp.port==8848,ipvs'], { encoding: 'utf8' });
  return (JSON.parse(json) as { _source: { layers: Layers } }[]).map((p) => ipvsFields(p._source.layers));
}

/** The numeric values of one field (tshark prints some in hex). */
const n = (f: Record<string, string[]> | undefined, k: string): number[] => (f?.[k] ?? []).map(Number);

describe.skipIf(!canRun)('Wireshark ipvs dissector reads what the encoder writes', () => {
  it('version 0 with sequence options', () => {
    const c: SyncConn = {
      ...tcp4,
      fwmark: 0,
      timeout: 0,
      flags: 0x0603,
      inSeq: { initSeq: 10, delta: 20, previousDelta: 30 },
      outSeq: { initSeq: 40, delta: 50, previousDelta: 60 },
    };
    const [f] = dissect(
      encodeSyncMessages([c, { ...c, flags: 3, inSeq: undefined, outSeq: undefined }] as SyncConn[], {
        version: 0,
        syncid: 9,
      }),
    );
    expect(n(f, 'ipvs.conncount')).toEqual([2]);
    expect(n(f, 'ipvs.syncid')).toEqual([9]);
    expect(n(f, 'ipvs.size')).toEqual([4 + 48 + 24]);
    expect(n(f, 'ipvs.proto')).toEqual([6, 6]);
    expect(n(f, 'ipvs.cport')).toEqual([12345, 12345]);
    expect(n(f, 'ipvs.vport')).toEqual([80, 80]);
    expect(n(f, 'ipvs.dport')).toEqual([8080, 8080]);
    expect(f!['ipvs.caddr']).toEqual(['198.18.0.1', '198.18.0.1']);
    expect(f!['ipvs.vaddr']).toEqual(['198.18.0.100', '198.18.0.100']);
    expect(f!['ipvs.daddr']).toEqual(['198.18.1.10', '198.18.1.10']);
    expect(n(f, 'ipvs.state')).toEqual([1, 1]);
    expect(n(f, 'ipvs.in_seq.initial')).toEqual([10]);
    expect(n(f, 'ipvs.in_seq.delta')).toEqual([20]);
    expect(n(f, 'ipvs.in_seq.pdelta')).toEqual([30]);
    expect(n(f, 'ipvs.out_seq.initial')).toEqual([40]);
    expect(n(f, 'ipvs.out_seq.delta')).toEqual([50]);
    expect(n(f, 'ipvs.out_seq.pdelta')).toEqual([60]);
    expect(n(f, 'ipvs.flags')).toEqual([0x0603, 0x0003]);
  });

  // The dissector does not decode v1 options and steps over each record by its fixed struct size, not by
  // ver_size: a record with options (and the padding after it) makes it misread the rest. Options and padding
  // are checked against hand-built hex from the kernel structs in codec.test.ts instead.
  it('version 1, IPv4 and IPv6 records', () => {
    const six: SyncConn = { ...tcp4, family: 6, caddr: '2001:2::1', vaddr: '2001:2::100', daddr: '2001:2:0:1::a' };
    const [msg] = encodeSyncMessages([tcp4, six, tcp4], { syncid: 3 });
    const [f] = dissect([msg!]);
    expect(n(f, 'ipvs.syncid')).toEqual([3]);
    expect(n(f, 'ipvs.size')).toEqual([msg!.length]);
    expect(n(f, 'ipvs.conncount')).toEqual([3]);
    expect(n(f, 'ipvs.version')).toEqual([1]);
    expect(n(f, 'ipvs.type')).toEqual([0, 1, 0]);
    expect(n(f, 'ipvs.ver')).toEqual([0, 0, 0]);
    expect(n(f, 'ipvs.proto')).toEqual([6, 6, 6]);
    expect(n(f, 'ipvs.size.v1')).toEqual([36, 72, 36]);
    expect(n(f, 'ipvs.flags.v1')).toEqual([0x103, 0x103, 0x103]);
    expect(n(f, 'ipvs.state')).toEqual([1, 1, 1]);
    expect(n(f, 'ipvs.cport')).toEqual([12345, 12345, 12345]);
    expect(n(f, 'ipvs.vport')).toEqual([80, 80, 80]);
    expect(n(f, 'ipvs.dport')).toEqual([8080, 8080, 8080]);
    expect(n(f, 'ipvs.fwmark')).toEqual([42, 42, 42]);
    expect(n(f, 'ipvs.timeout')).toEqual([900, 900, 900]);
    expect(f!['ipvs.caddr']).toEqual(['198.18.0.1', '198.18.0.1']);
    expect(f!['ipvs.vaddr']).toEqual(['198.18.0.100', '198.18.0.100']);
    expect(f!['ipvs.daddr']).toEqual(['198.18.1.10', '198.18.1.10']);
    expect(f!['ipvs.caddr6']).toEqual(['2001:2::1']);
    expect(f!['ipvs.vaddr6']).toEqual(['2001:2::100']);
    expect(f!['ipvs.daddr6']).toEqual(['2001:2:0:1::a']);
  });
});
