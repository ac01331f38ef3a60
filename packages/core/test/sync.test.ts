/**
 * The engine's side of connection sync (issue 14): the master's rules (ip_vs_sync.c `ip_vs_sync_conn_needed`,
 * `ip_vs_sync_conn` and its `cp->control` walk, called by ip_vs_core.c `ip_vs_in` after the state transition
 * with the incremented `in_pkts`), the backup's apply (`ip_vs_proc_conn`, `ip_vs_conn_new`, `ip_vs_bind_dest`,
 * `ip_vs_find_dest`) and the table walk. End to end: a master director decides real packets, the entries its
 * sink receives are copied field by field into `SyncedEntry` records (as the wire carries them) and applied to
 * a second director with the same configuration, whose own packet path must then carry the connection on.
 */
import { describe, expect, it } from 'vitest';
import { ConnTable, F_AF6, F_DAF6, F_HASHED, F_INACTIVE, F_NOOUTPUT, F_TEMPLATE } from '../src/conn-table.js';
import type { IpvsConfigInput } from '../src/director.js';
import { LvsError } from '../src/index.js';
import type { ServiceConfig } from '../src/model.js';
import { DEFAULT_SYNC_RULES, F_SYNC, type SyncedEntry, type SyncRules, type SyncSink } from '../src/sync.js';
import { TcpState } from '../src/tcp-states.js';
import { type Rig, rig } from './helpers.js';

const VIP = '198.18.0.1';
const CLIENT = '198.19.0.1';
const RS1 = '198.18.1.1';
const RS2 = '198.18.1.2';

function web(extra: Partial<Record<string, unknown>> = {}): { name: string; config: ServiceConfig } {
  return {
    name: 'web',
    config: {
      protocol: 'tcp',
      address: VIP,
      port: 80,
      scheduler: 'rr',
      realServers: [{ address: RS1 }, { address: RS2 }],
      ...extra,
    } as ServiceConfig,
  };
}

/** A table entry as the wire carries it (the fields of `struct ip_vs_sync_v4/v6`), copied out of the table. */
function snapshot(t: ConnTable, i: number): SyncedEntry {
  const f = t.getFlags(i);
  const bytes = (col: Int32Array): Uint8Array => new Uint8Array(col.buffer, col.byteOffset + i * 16, 16).slice();
  return {
    family: f & F_AF6 ? 6 : 4,
    protocol: t.getProto(i),
    flags: f & ~(F_HASHED | F_AF6 | F_DAF6),
    state: t.state[i] ?? 0,
    caddr: bytes(t.caddr),
    cport: t.getCport(i),
    vaddr: bytes(t.vaddr),
    vport: t.getVport(i),
    daddr: bytes(t.daddr),
    dport: t.getDport(i),
    fwmark: t.getFwmark(i),
    timeoutSec: Math.floor((t.timeout[i] ?? 0) / 1000),
  };
}

interface Seen {
  /** The test's packet number when the sink was called. */
  readonly pkt: number;
  readonly template: boolean;
  readonly state: number;
  readonly entry: SyncedEntry;
}

class RecordingSink implements SyncSink {
  readonly seen: Seen[] = [];
  pkt = 0;
  syncEntry(table: ConnTable, index: number): void {
    this.seen.push({
      pkt: this.pkt,
      template: (table.getFlags(index) & F_TEMPLATE) !== 0,
      state: table.state[index] ?? 0,
      entry: snapshot(table, index),
    });
  }
  conns(): Seen[] {
    return this.seen.filter((s) => !s.template);
  }
  templates(): Seen[] {
    return this.seen.filter((s) => s.template);
  }
}

async function master(input: IpvsConfigInput, rules?: SyncRules): Promise<Rig & { sink: RecordingSink }> {
  const r = await rig(input);
  const sink = new RecordingSink();
  r.director.setSyncMaster(sink, rules);
  return { ...r, sink };
}

/** Sends client → VIP packets numbered through the sink. */
function client(
  r: Rig & { sink: RecordingSink },
  flags: string,
  sport = 1000,
  opts: { dport?: number; protocol?: 'tcp' | 'udp'; source?: string } = {},
) {
  r.sink.pkt++;
  return r.port.send({
    protocol: opts.protocol ?? 'tcp',
    source: opts.source ?? CLIENT,
    sourcePort: sport,
    destination: VIP,
    destinationPort: opts.dport ?? 80,
    flags,
  });
}

function dests(r: Rig, name = 'web'): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  for (const d of r.director.get(name).realServers)
    out[d.address] = [d.activeConns, d.inactiveConns, d.persistentConns];
  return out;
}

function bytes4(a: string): Uint8Array {
  const b = new Uint8Array(16);
  a.split('.').forEach((x, k) => {
    b[k] = Number(x);
  });
  return b;
}

function entry(over: Partial<SyncedEntry> = {}): SyncedEntry {
  return {
    family: 4,
    protocol: 6,
    flags: 0x0003, // DR, active
    state: TcpState.ESTABLISHED,
    caddr: bytes4(CLIENT),
    cport: 1000,
    vaddr: bytes4(VIP),
    vport: 80,
    daddr: bytes4(RS1),
    dport: 80,
    fwmark: 0,
    timeoutSec: 0,
    ...over,
  };
}

describe('sync master rules (ip_vs_sync_conn_needed)', () => {
  it('TCP, threshold 3 / period 50: sent at packets 3, 53, 103 of an established connection, never in SYN_RECV', async () => {
    const m = await master({ services: [web()] });
    client(m, 'S'); // SYN_RECV: not a sync state
    client(m, 'A'); // ESTABLISHED: a change, but into ES does not force; in_pkts 2
    for (let k = 3; k <= 110; k++) client(m, 'A');
    expect(m.sink.conns().map((s) => s.pkt)).toEqual([3, 53, 103]);
    expect(m.sink.conns().every((s) => s.state === TcpState.ESTABLISHED)).toBe(true);
    expect(m.sink.templates()).toEqual([]);
  });

  it('a change into FIN_WAIT, CLOSE forces a send at that packet; an unchanged state waits for the count', async () => {
    const m = await master({ services: [web()] });
    client(m, 'S');
    client(m, 'A');
    client(m, 'A'); // 3: sent by count
    client(m, 'FA'); // 4: ES → FIN_WAIT (DR input-only rows): forced
    client(m, 'A'); // 5: FIN_WAIT unchanged: 5 % 50 ≠ 3
    client(m, 'R'); // 6: → CLOSE: forced
    client(m, 'R'); // 7: CLOSE unchanged
    expect(m.sink.conns().map((s) => [s.pkt, s.state])).toEqual([
      [3, TcpState.ESTABLISHED],
      [4, TcpState.FIN_WAIT],
      [6, TcpState.CLOSE],
    ]);
  });

  it('NAT: a state change made by a reply is sent with the next inbound packet; then TIME_WAIT is forced (ip_vs_out never sends)', async () => {
    const m = await master({ services: [web({ realServers: [{ address: RS1, method: 'masq' }] })] });
    const out = (flags: string) =>
      m.port.send({ source: RS1, sourcePort: 80, destination: CLIENT, destinationPort: 1000, flags, direction: 'out' });
    client(m, 'S');
    out('SA');
    client(m, 'A'); // ES (not forced), in_pkts 2
    client(m, 'A'); // 3: count
    out('FA'); // the server closes: ES → FIN_WAIT on a reply (not sent)
    expect(m.sink.conns().map((s) => s.pkt)).toEqual([3]);
    client(m, 'A'); // 4: FIN_WAIT ≠ old_state ESTABLISHED: forced
    client(m, 'FA'); // 5: FIN_WAIT → TIME_WAIT: forced
    client(m, 'A'); // 6: unchanged
    expect(m.sink.conns().map((s) => [s.pkt, s.state])).toEqual([
      [3, TcpState.ESTABLISHED],
      [4, TcpState.FIN_WAIT],
      [5, TcpState.TIME_WAIT],
    ]);
  });

  it('period 0, no refresh: an entry is sent once, when in_pkts equals the threshold (and on forcing changes)', async () => {
    const m = await master({ services: [web()] }, { ...DEFAULT_SYNC_RULES, threshold: 4, period: 0 });
    client(m, 'S');
    for (let k = 2; k <= 200; k++) client(m, 'A');
    expect(m.sink.conns().map((s) => s.pkt)).toEqual([4]);
    client(m, 'FA');
    expect(m.sink.conns().map((s) => s.pkt)).toEqual([4, 201]);
  });

  it('UDP: the count rule only (packets 3, 53)', async () => {
    const m = await master({
      services: [{ name: 'dns', config: { protocol: 'udp', address: VIP, port: 53, realServers: [{ address: RS1 }] } }],
    });
    for (let k = 1; k <= 60; k++) client(m, '', 5353, { dport: 53, protocol: 'udp' });
    expect(m.sink.conns().map((s) => s.pkt)).toEqual([3, 53]);
  });

  it('a persistence template is considered on every inbound packet of a connection it controls, and sent each time (templates skip the count rule)', async () => {
    const m = await master({ services: [web({ persistence: true })] });
    for (let k = 1; k <= 5; k++) client(m, k === 1 ? 'S' : 'A');
    expect(m.sink.templates().map((s) => s.pkt)).toEqual([1, 2, 3, 4, 5]);
    expect(m.sink.conns().map((s) => s.pkt)).toEqual([3]);
    // The controlled connection is sent first, then its template (ip_vs_sync_conn's order).
    const at3 = m.sink.seen.filter((s) => s.pkt === 3).map((s) => s.template);
    expect(at3).toEqual([false, true]);
    // The template counts the packets of its connections (atomic_inc_return(&cp->in_pkts)) on a master.
    const t = m.director.engine.table;
    let tpl = -1;
    m.director.forEachEntry((tb, i) => {
      if (tb.getFlags(i) & F_TEMPLATE) tpl = i;
    });
    expect(t.inPkts[tpl]).toBe(5);
  });

  it('persistMode: connections under a template are never sent, their template still is', async () => {
    const m = await master({ services: [web({ persistence: true })] }, { ...DEFAULT_SYNC_RULES, persistMode: true });
    for (let k = 1; k <= 60; k++) client(m, k === 1 ? 'S' : 'A');
    client(m, 'FA');
    expect(m.sink.conns()).toEqual([]);
    expect(m.sink.templates()).toHaveLength(61);
  });

  it('refreshPeriodMs: not again before the entry expiry moved by min(refresh, max(timeout/2, 10 s)); retries after refresh/8', async () => {
    const rules = { ...DEFAULT_SYNC_RULES, period: 0, refreshPeriodMs: 20_000, retries: 2 };
    const m = await master({ services: [web()] }, rules);
    const at = (ms: number) => {
      m.clock.advance(ms);
      client(m, 'A');
    };
    client(m, 'S');
    client(m, 'A'); // 2: ES; with refresh set and period 0 every packet passes the count rule: sent
    expect(m.sink.conns().map((s) => s.pkt)).toEqual([2]);
    at(1000); // 3: +1 s: within the refresh, a retry only after 20/8 = 2.5 s
    at(2000); // 4: +3 s: retry 1
    at(1000); // 5: +4 s: 1 s after the retry: too soon
    at(2000); // 6: +6 s: retry 2
    at(3000); // 7: +9 s: retries spent
    at(16_000); // 8: +25 s: 19 s after the last send: still within 20 s
    at(2000); // 9: +27 s: 21 s after: sent, retries reset
    at(3000); // 10: +30 s: retry 1
    expect(m.sink.conns().map((s) => s.pkt)).toEqual([2, 4, 6, 9, 10]);
  });

  it('refreshPeriodMs with retries 0: exactly one send per refresh period of steady traffic', async () => {
    const m = await master({ services: [web()] }, { ...DEFAULT_SYNC_RULES, period: 0, refreshPeriodMs: 10_000 });
    client(m, 'S');
    for (let k = 0; k < 60; k++) {
      m.clock.advance(1000);
      client(m, 'A');
    }
    // Sent at packet 2 (t = 1 s) and then every 10 s of expiry movement.
    expect(m.sink.conns().map((s) => s.pkt)).toEqual([2, 12, 22, 32, 42, 52]);
  });

  it('one-packet UDP connections are never sent; their persistence template is, counting their packets', async () => {
    const ops = await master({
      services: [
        {
          name: 'u',
          config: { protocol: 'udp', address: VIP, port: 53, onePacket: true, realServers: [{ address: RS1 }] },
        },
      ],
    });
    for (let k = 1; k <= 10; k++) client(ops, '', 5353, { dport: 53, protocol: 'udp' });
    expect(ops.sink.seen).toEqual([]);
    const tpl = await master({
      services: [
        {
          name: 'u',
          config: {
            protocol: 'udp',
            address: VIP,
            port: 53,
            onePacket: true,
            persistence: true,
            realServers: [{ address: RS1 }],
          },
        },
      ],
    });
    for (let k = 1; k <= 4; k++) client(tpl, '', 5353 + k, { dport: 53, protocol: 'udp' });
    expect(tpl.sink.seen.map((s) => [s.pkt, s.template])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, true],
    ]);
    let t = -1;
    tpl.director.forEachEntry((tb, i) => {
      t = i;
      expect(tb.getFlags(i) & F_TEMPLATE).toBe(F_TEMPLATE);
    });
    expect(tpl.director.engine.table.inPkts[t]).toBe(4);
  });

  it('no sink: nothing is sent, templates do not count controlled packets (as a kernel that is not a master)', async () => {
    const r = await rig({ services: [web({ persistence: true })] });
    const sink = new RecordingSink();
    r.director.setSyncMaster(sink);
    r.director.setSyncMaster(undefined);
    for (let k = 1; k <= 5; k++)
      r.port.send({
        source: CLIENT,
        sourcePort: 1000,
        destination: VIP,
        destinationPort: 80,
        flags: k === 1 ? 'S' : 'A',
      });
    expect(sink.seen).toEqual([]);
    const t = r.director.engine.table;
    r.director.forEachEntry((tb, i) => {
      if (tb.getFlags(i) & F_TEMPLATE) expect(t.inPkts[i]).toBe(0);
      else expect(t.inPkts[i]).toBe(5);
    });
    expect(r.director.engine.syncMaster).toBe(false);
  });

  it('a sink that throws is counted and the packet still forwarded', async () => {
    const r = await rig({ services: [web()] });
    r.director.setSyncMaster({
      syncEntry() {
        throw new Error('boom');
      },
    });
    let last = r.port.send({ source: CLIENT, sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'S' });
    for (let k = 0; k < 2; k++)
      last = r.port.send({ source: CLIENT, sourcePort: 1, destination: VIP, destinationPort: 80, flags: 'A' });
    expect(last.verdict).toBe('forward');
    expect(r.director.engine.counters.syncSinkFailures).toBe(1);
  });

  it('rules out of range throw CORE_INVALID_OPTION and change nothing', async () => {
    const m = await master({ services: [web()] }, { ...DEFAULT_SYNC_RULES, threshold: 2, period: 10 });
    const bad: unknown[] = [
      { ...DEFAULT_SYNC_RULES, threshold: 50, period: 50 },
      { ...DEFAULT_SYNC_RULES, threshold: 60 },
      { ...DEFAULT_SYNC_RULES, threshold: -1 },
      { ...DEFAULT_SYNC_RULES, period: 1.5 },
      { ...DEFAULT_SYNC_RULES, retries: 4 },
      { ...DEFAULT_SYNC_RULES, refreshPeriodMs: -1 },
      { ...DEFAULT_SYNC_RULES, refreshPeriodMs: Number.NaN },
      { ...DEFAULT_SYNC_RULES, persistMode: 1 },
      { ...DEFAULT_SYNC_RULES, syncPeriod: 3 },
      null,
      'fast',
    ];
    for (const rules of bad) {
      let err: unknown;
      try {
        m.director.setSyncMaster(undefined, rules as SyncRules);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(rules)).toBeInstanceOf(LvsError);
      expect((err as LvsError).code).toBe('CORE_INVALID_OPTION');
    }
    expect(() => m.director.setSyncMaster({} as SyncSink)).toThrow(LvsError);
    // Still the master, still threshold 2 / period 10.
    expect(m.director.engine.syncRules).toMatchObject({ threshold: 2, period: 10 });
    client(m, 'S');
    for (let k = 2; k <= 12; k++) client(m, 'A');
    expect(m.sink.conns().map((s) => s.pkt)).toEqual([2, 12]);
    // Period 0 allows any threshold; a missing field takes its default.
    m.director.setSyncMaster(m.sink, { threshold: 7, period: 0 } as SyncRules);
    expect(m.director.engine.syncRules).toEqual({ ...DEFAULT_SYNC_RULES, threshold: 7, period: 0 });
  });
});

describe('end to end: master → SyncedEntry → backup, then failover', () => {
  async function pair(input: IpvsConfigInput) {
    const m = await master(input);
    const b = await rig(input);
    return { m, b };
  }

  /**
   * Another client first (rr gives it the first server), then CLIENT:1000 through SYN / ACK / data: its
   * result, and the last template and the connection record the master's sink saw for CLIENT.
   */
  function persistentExchange(m: Rig & { sink: RecordingSink }) {
    client(m, 'S', 2000, { source: '198.19.0.9' });
    const r = client(m, 'S');
    client(m, 'A');
    client(m, 'A');
    const tpl = m.sink
      .templates()
      .filter((s) => s.entry.caddr[3] === 1)
      .at(-1)?.entry as SyncedEntry;
    const conn = m.sink.conns().find((s) => s.entry.cport === 1000)?.entry as SyncedEntry;
    return { r, tpl, conn };
  }

  it('DR: the backup carries an established connection on to the same real server, counted in ActiveConn', async () => {
    const { m, b } = await pair({ services: [web()] });
    client(m, 'S', 2000, { source: '198.19.0.9' }); // another client first: rr moves on
    client(m, 'S');
    client(m, 'A');
    const r = client(m, 'A'); // packet 3 of this connection: sent
    const sent = m.sink.conns().filter((s) => s.entry.cport === 1000);
    expect(sent).toHaveLength(1);
    const e = sent[0]?.entry as SyncedEntry;
    expect(e.flags & F_SYNC).toBe(0); // the master's own entry
    expect(b.director.applySynced(e)).toBe('created');
    // Failover: a data packet (no SYN) reaches the backup.
    const d = b.port.send({ source: CLIENT, sourcePort: 1000, destination: VIP, destinationPort: 80, flags: 'A' });
    expect(d.verdict).toBe('forward');
    expect(d.method).toBe('route');
    expect(d.realServer).toBe(r.realServer);
    const server = (r.realServer ?? '').split(':')[0] ?? '';
    expect(dests(b)[server]).toEqual([1, 0, 0]);
    expect(b.director.connections()).toHaveLength(1);
    expect(b.director.connections()[0]).toMatchObject({ state: 'ESTABLISHED', clientPort: 1000, destAddress: server });
    // Without the synced entry the same packet is not a connection the backup knows (ACK without SYN).
    const cold = await rig({ services: [web()] });
    expect(
      cold.port.send({ source: CLIENT, sourcePort: 1000, destination: VIP, destinationPort: 80, flags: 'A' }).verdict,
    ).toBe('local');
  });

  it('NAT: both directions on the backup, and a later state change updates the backup (ActiveConn → InActConn)', async () => {
    const nat = { services: [web({ realServers: [{ address: RS1, method: 'masq' }] })] };
    const { m, b } = await pair(nat);
    const out = (p: Rig, flags: string) =>
      p.port.send({ source: RS1, sourcePort: 80, destination: CLIENT, destinationPort: 1000, flags, direction: 'out' });
    client(m, 'S');
    out(m, 'SA');
    client(m, 'A');
    client(m, 'A');
    const first = m.sink.conns()[0]?.entry as SyncedEntry;
    expect(b.director.applySynced(first)).toBe('created');
    expect(dests(b)[RS1]).toEqual([1, 0, 0]);
    const fwd = b.port.send({ source: CLIENT, sourcePort: 1000, destination: VIP, destinationPort: 80, flags: 'A' });
    expect(fwd).toMatchObject({ verdict: 'forward', method: 'masq', realServer: `${RS1}:80` });
    const rep = out(b, 'A');
    expect(rep).toMatchObject({ verdict: 'forward', reply: true });
    // The master sees the client close (NAT INPUT fin: ESTABLISHED → CLOSE_WAIT), forced to the backup,
    // which moves the count.
    client(m, 'FA');
    const fin = m.sink.conns().at(-1)?.entry as SyncedEntry;
    expect(fin.state).toBe(TcpState.CLOSE_WAIT);
    expect(fin.flags & F_INACTIVE).toBe(F_INACTIVE);
    expect(b.director.applySynced(fin)).toBe('updated');
    expect(dests(b)[RS1]).toEqual([0, 1, 0]);
    expect(b.director.connections()).toHaveLength(1);
    expect(b.director.connections()[0]?.state).toBe('CLOSE_WAIT');
  });

  it('a persistence template synced the same way sends a new connection of that client to the same server', async () => {
    const input = { services: [web({ persistence: true })] };
    const { m, b } = await pair(input);
    const { r, tpl, conn } = persistentExchange(m);
    expect(tpl.cport).toBe(0);
    expect(b.director.applySynced(tpl)).toBe('created');
    expect(b.director.applySynced(conn)).toBe('created');
    const server = (r.realServer ?? '').split(':')[0] ?? '';
    expect(dests(b)[server]).toEqual([1, 0, 1]);
    // A new connection (SYN, another source port) from the same client on the backup: the template decides.
    const n = b.port.send({ source: CLIENT, sourcePort: 3000, destination: VIP, destinationPort: 80, flags: 'S' });
    expect(n.realServer).toBe(r.realServer);
    // The synced connection is not linked to the template (ip_vs_proc_conn never sets cp->control); the
    // backup's new one is.
    const t = b.director.engine.table;
    const links: number[] = [];
    b.director.forEachEntry((tb, i) => {
      if ((tb.getFlags(i) & F_TEMPLATE) === 0) links.push(tb.control[i] ?? -1);
    });
    expect(links[0]).toBe(-1);
    expect(links[1]).toBeGreaterThanOrEqual(0);
    expect(t.nControl[links[1] ?? 0]).toBe(1);
    // Control: the backup without the template sends that client elsewhere (rr's first pick).
    const cold = await rig(input);
    expect(
      cold.port.send({ source: CLIENT, sourcePort: 3000, destination: VIP, destinationPort: 80, flags: 'S' })
        .realServer,
    ).not.toBe(r.realServer);
  });

  it('firewall-mark persistence: the template (<IP, client, 0, mark, 0>) and the mark travel; the backup follows it', async () => {
    const input: IpvsConfigInput = {
      services: [
        {
          name: 'fw',
          config: { fwmark: 7, scheduler: 'rr', persistence: true, realServers: [{ address: RS1 }, { address: RS2 }] },
        },
      ],
      classifier: (p) => (p.dport === 80 || p.dport === 443 ? 7 : 0),
    };
    const { m, b } = await pair(input);
    const { r, tpl, conn } = persistentExchange(m);
    expect(tpl).toMatchObject({ protocol: 0, vport: 0, fwmark: 7 });
    expect([...tpl.vaddr.slice(0, 4)]).toEqual([0, 0, 0, 7]);
    expect(conn.fwmark).toBe(7);
    expect(b.director.applySynced(tpl)).toBe('created');
    expect(b.director.applySynced(conn)).toBe('created');
    expect(dests(b, 'fw')[(r.realServer ?? '').split(':')[0] ?? '']).toEqual([1, 0, 1]);
    const d = b.port.send({ source: CLIENT, sourcePort: 1000, destination: VIP, destinationPort: 80, flags: 'A' });
    expect(d.realServer).toBe(r.realServer);
    const n = b.port.send({ source: CLIENT, sourcePort: 3000, destination: VIP, destinationPort: 443, flags: 'S' });
    expect((n.realServer ?? '').split(':')[0]).toBe((r.realServer ?? '').split(':')[0]);
    // Without the mark (a version 0 record) the template finds no service, as the kernel's.
    expect(b.director.applySynced({ ...tpl, fwmark: 0, caddr: bytes4('198.19.0.77') })).toBe('no-service');
  });

  it('IPv6', async () => {
    const input = {
      services: [
        {
          name: 'v6',
          config: {
            protocol: 'tcp',
            address: '2001:2::1',
            port: 443,
            realServers: [{ address: '2001:2::a' }, { address: '2001:2::b' }],
          } as ServiceConfig,
        },
      ],
    };
    const { m, b } = await pair(input);
    const send = (p: Rig, flags: string) =>
      p.port.send({ source: '2001:2:9::1', sourcePort: 1000, destination: '2001:2::1', destinationPort: 443, flags });
    m.sink.pkt = 0;
    const r = send(m, 'S');
    send(m, 'A');
    send(m, 'A');
    const e = m.sink.conns()[0]?.entry as SyncedEntry;
    expect(e.family).toBe(6);
    expect(b.director.applySynced(e)).toBe('created');
    expect(send(b, 'A').realServer).toBe(r.realServer);
  });
});

describe('applySynced (ip_vs_proc_conn)', () => {
  it('creates with the wire flags masked (BACKUP_MASK) | SYNC, the method and NOOUTPUT of the backup real server, in_pkts = threshold, old_state = state', async () => {
    const b = await rig({ services: [web()] });
    b.director.setSyncMaster(undefined, { ...DEFAULT_SYNC_RULES, threshold: 5, period: 60 });
    // Wire: MASQ (0), HASHED, ONE_PACKET, lvskit's AF6/DAF6 bits and an unknown bit 16 — all not kept.
    expect(b.director.applySynced(entry({ flags: 0x0000 | F_HASHED | 0x2000 | F_AF6 | F_DAF6 | 0x10000 }))).toBe(
      'created',
    );
    const t = b.director.engine.table;
    let i = -1;
    b.director.forEachEntry((_tb, k) => {
      i = k;
    });
    expect(t.getFlags(i)).toBe(F_HASHED | F_SYNC | 0x0003 | F_NOOUTPUT);
    expect(t.inPkts[i]).toBe(5);
    expect(t.state[i]).toBe(TcpState.ESTABLISHED);
    expect(t.getOldState(i)).toBe(TcpState.ESTABLISHED);
    expect(t.control[i]).toBe(-1);
    expect(dests(b)[RS1]).toEqual([1, 0, 0]);
    // The backup's own ESTABLISHED timeout (900 s) without one in the record.
    expect(b.director.connections()[0]?.expires).toBe(900);
  });

  it('INACTIVE as the record says; timeout from the record; templates 3 min without one; UDP the backup udp timeout', async () => {
    const b = await rig({
      services: [
        web({ persistence: true }),
        { name: 'dns', config: { protocol: 'udp', address: VIP, port: 53, realServers: [{ address: RS1 }] } },
      ],
    });
    expect(
      b.director.applySynced(entry({ flags: 0x0003 | F_INACTIVE, state: TcpState.SYN_RECV, timeoutSec: 42 })),
    ).toBe('created');
    expect(b.director.applySynced(entry({ flags: F_TEMPLATE | 0x0003, state: 0, cport: 0 }))).toBe('created');
    expect(b.director.applySynced(entry({ protocol: 17, vport: 53, dport: 53, state: 0 }))).toBe('created');
    expect(dests(b)[RS1]).toEqual([0, 1, 1]);
    expect(dests(b, 'dns')[RS1]).toEqual([1, 0, 0]);
    const c = b.director.connections();
    expect(c.find((x) => x.protocol === 'TCP' && x.clientPort === 1000)).toMatchObject({
      state: 'SYN_RECV',
      expires: 42,
    });
    expect(c.find((x) => x.clientPort === 0)).toMatchObject({ expires: 180, state: 'NONE' });
    expect(c.find((x) => x.protocol === 'UDP')).toMatchObject({ expires: 300 });
  });

  it("SCTP (this engine's two states): the backup timeouts of ESTABLISHED (15 min) and CLOSED (10 s)", async () => {
    const b = await rig({
      services: [{ name: 's', config: { protocol: 'sctp', address: VIP, port: 80, realServers: [{ address: RS1 }] } }],
    });
    expect(b.director.applySynced(entry({ protocol: 132, state: 1 }))).toBe('created');
    expect(b.director.applySynced(entry({ protocol: 132, cport: 2, state: 0, flags: 0x0003 | F_INACTIVE }))).toBe(
      'created',
    );
    expect(b.director.connections().map((c) => [c.clientPort, c.state, c.expires])).toEqual([
      [1000, 'ESTABLISHED', 900],
      [2, 'CLOSED', 10],
    ]);
    expect(dests(b, 's')[RS1]).toEqual([1, 1, 0]);
  });

  it('updates an existing entry: state, INACTIVE accounting, flags (only INACTIVE and SEQ bits), timeout; method unchanged', async () => {
    const b = await rig({ services: [web()] });
    expect(b.director.applySynced(entry())).toBe('created');
    expect(
      b.director.applySynced(entry({ flags: 0x0000 | F_INACTIVE, state: TcpState.FIN_WAIT, timeoutSec: 77 })),
    ).toBe('updated');
    expect(dests(b)[RS1]).toEqual([0, 1, 0]);
    const t = b.director.engine.table;
    let i = -1;
    b.director.forEachEntry((_tb, k) => {
      i = k;
    });
    expect(t.getFlags(i)).toBe(F_HASHED | F_SYNC | 0x0003 | F_NOOUTPUT | F_INACTIVE); // still DR
    expect(b.director.connections()).toEqual([expect.objectContaining({ state: 'FIN_WAIT', expires: 77 })]);
    // The same again changes no count; back to active moves it back.
    expect(b.director.applySynced(entry({ flags: 0x0003 | F_INACTIVE, state: TcpState.FIN_WAIT }))).toBe('updated');
    expect(dests(b)[RS1]).toEqual([0, 1, 0]);
    expect(b.director.applySynced(entry())).toBe('updated');
    expect(dests(b)[RS1]).toEqual([1, 0, 0]);
    expect(b.director.connections()).toHaveLength(1);
  });

  it('another real server: an active record replaces the entry; an INACTIVE one is the stale expiry of a replaced connection', async () => {
    const b = await rig({ services: [web()] });
    expect(b.director.applySynced(entry())).toBe('created');
    expect(b.director.applySynced(entry({ daddr: bytes4(RS2) }))).toBe('created');
    expect(dests(b)).toEqual({ [RS1]: [0, 0, 0], [RS2]: [1, 0, 0] });
    expect(
      b.director.applySynced(entry({ daddr: bytes4(RS1), flags: 0x0003 | F_INACTIVE, state: TcpState.CLOSE })),
    ).toBe('stale');
    expect(dests(b)).toEqual({ [RS1]: [0, 0, 0], [RS2]: [1, 0, 0] });
    expect(b.director.connections()).toEqual([expect.objectContaining({ destAddress: RS2, state: 'ESTABLISHED' })]);
  });

  it('no service / no real server: nothing created (the kernel would keep an unbound entry; this table cannot)', async () => {
    const b = await rig({ services: [web()] });
    expect(b.director.applySynced(entry({ vport: 81 }))).toBe('no-service');
    expect(b.director.applySynced(entry({ vaddr: bytes4('198.18.0.2') }))).toBe('no-service');
    expect(b.director.applySynced(entry({ protocol: 17, state: 0 }))).toBe('no-service');
    expect(b.director.applySynced(entry({ daddr: bytes4('198.18.1.9') }))).toBe('no-dest');
    expect(b.director.applySynced(entry({ dport: 8080 }))).toBe('no-dest');
    expect(b.director.connections()).toEqual([]);
    expect(dests(b)).toEqual({ [RS1]: [0, 0, 0], [RS2]: [0, 0, 0] });
  });

  it('finds a real server configured with a port by its port, and one without a port by port ^ dport (0)', async () => {
    const b = await rig({
      services: [
        web({
          port: 0,
          persistence: true,
          realServers: [{ address: RS1 }, { address: RS2, port: 8080, method: 'masq' }],
        }),
      ],
    });
    expect(b.director.applySynced(entry({ vport: 22, dport: 22 }))).toBe('created'); // RS1 has port 0
    expect(b.director.applySynced(entry({ cport: 1001, flags: 0, daddr: bytes4(RS2), dport: 8080 }))).toBe('created');
    expect(b.director.applySynced(entry({ cport: 1002, flags: 0, daddr: bytes4(RS2), dport: 80 }))).toBe('no-dest');
    expect(dests(b)).toEqual({ [RS1]: [1, 0, 0], [RS2]: [1, 0, 0] });
  });

  it('binds to the sorry server when the record names it', async () => {
    const b = await rig({ services: [web({ sorryServer: { address: '198.18.2.1' } })] });
    expect(b.director.applySynced(entry({ daddr: bytes4('198.18.2.1') }))).toBe('created');
    expect(b.director.get('web').sorryServer?.activeConns).toBe(1);
  });

  it("a persistent FTP service's template (virtual port 0) is found in the port-21 service", async () => {
    const b = await rig({ services: [web({ port: 21, persistence: true })] });
    expect(b.director.applySynced(entry({ flags: F_TEMPLATE | 0x0003, state: 0, cport: 0, vport: 0, dport: 0 }))).toBe(
      'created',
    );
    const n = b.port.send({ source: CLIENT, sourcePort: 3000, destination: VIP, destinationPort: 21, flags: 'S' });
    expect(n.realServer).toBe(`${RS1}:21`);
    expect(dests(b)[RS1]).toEqual([1, 0, 1]);
  });

  it('a full table: the reclaim runs once, then table-full (nothing counted)', async () => {
    const b = await rig({ services: [web()], maxConnections: 2 });
    expect(b.director.applySynced(entry({ cport: 1 }))).toBe('created');
    expect(b.director.applySynced(entry({ cport: 2 }))).toBe('created');
    expect(b.director.applySynced(entry({ cport: 3 }))).toBe('table-full');
    // A SYN_RECV entry is what the drop_entry reclaim frees.
    expect(b.director.applySynced(entry({ cport: 2, state: TcpState.SYN_RECV, flags: 0x0003 | F_INACTIVE }))).toBe(
      'updated',
    );
    expect(b.director.applySynced(entry({ cport: 3 }))).toBe('created');
    expect(dests(b)[RS1]).toEqual([2, 0, 0]);
  });

  it('runs on the clock: Ipvs.applySynced first expires what is due, and arms the new entry at the clock time', async () => {
    const b = await rig({ services: [web()] });
    expect(b.director.applySynced(entry({ timeoutSec: 10 }))).toBe('created');
    b.clock.advance(11_000);
    expect(b.director.applySynced(entry({ cport: 5, timeoutSec: 30 }))).toBe('created');
    expect(b.director.connections()).toEqual([expect.objectContaining({ clientPort: 5, expires: 30 })]);
    expect(dests(b)[RS1]).toEqual([1, 0, 0]);
  });

  it('out-of-range input is invalid and never throws; nothing changes', async () => {
    const b = await rig({ services: [web()] });
    const bad: unknown[] = [
      null,
      undefined,
      42,
      entry({ family: 5 as 4 }),
      entry({ protocol: 256 }),
      entry({ protocol: 1 }), // ICMP: not an IPVS protocol (ip_vs_proto_get)
      entry({ protocol: -6 }),
      entry({ state: TcpState.SYNACK + 1 }),
      entry({ protocol: 17, vport: 53, state: 1 }),
      entry({ protocol: 132, state: 2 }),
      entry({ cport: 65536 }),
      entry({ vport: 1.5 }),
      entry({ dport: Number.NaN }),
      entry({ flags: -1 }),
      entry({ fwmark: 2 ** 32 }),
      entry({ timeoutSec: -1 }),
      entry({ caddr: new Uint8Array(3) }),
      entry({ family: 6 }), // 16-byte arrays hold a v6 address; no service: but well formed
      entry({ vaddr: [198, 18, 0, 1] as unknown as Uint8Array }),
      entry({ flags: F_TEMPLATE, cport: 5 }),
      entry({ flags: F_TEMPLATE, state: 256 }),
    ];
    const results = bad.map((e) => b.director.applySynced(e as SyncedEntry));
    expect(results).toEqual([...Array(17).fill('invalid'), 'no-service', 'invalid', 'invalid', 'invalid']);
    expect(b.director.connections()).toEqual([]);
  });
});

describe('forEachEntry', () => {
  it('visits every live entry once, templates before the connections', async () => {
    const r = await rig({ services: [web({ persistence: true })] });
    for (let c = 1; c <= 3; c++) r.port.connect(`198.19.0.${c}`, 1000 + c, VIP, 80);
    const order: boolean[] = [];
    const seen = new Set<number>();
    r.director.forEachEntry((t, i) => {
      order.push((t.getFlags(i) & F_TEMPLATE) !== 0);
      seen.add(i);
    });
    expect(order).toEqual([true, true, true, false, false, false]);
    expect(seen.size).toBe(6);
    expect(r.director.connections()).toHaveLength(6);
  });

  it('skips what has expired on the clock, even before the wheel reaped it', async () => {
    const r = await rig({ services: [web()] });
    r.port.connect(CLIENT, 1000, VIP, 80); // ESTABLISHED: 900 s
    r.port.send({ source: CLIENT, sourcePort: 1001, destination: VIP, destinationPort: 80, flags: 'S' }); // SYN_RECV: 60 s
    r.clock.advance(61_000);
    const ports: number[] = [];
    r.director.forEachEntry((t, i) => ports.push(t.getCport(i)));
    expect(ports).toEqual([1000]);
  });
});

describe('ConnTable sync columns', () => {
  it('old_state lives in the spare top byte of the flags word: flags and lookups are unaffected', () => {
    const t = new ConnTable(8, 1000);
    const w = new Int32Array(12);
    w[0] = 0x0a000001;
    w[4] = 0x0a000063;
    w[8] = 0x0a000102;
    const i = t.insert(6, F_INACTIVE | F_NOOUTPUT | 3, w, 0, 1234, 4, 80, w, 8, 80, 0, 1000, 5000);
    expect(t.getOldState(i)).toBe(0);
    expect(t.syncEndtime[i]).toBe(0); // (now - epoch) & ~3
    t.setOldState(i, 0xab);
    expect(t.getFlags(i)).toBe(F_HASHED | F_INACTIVE | F_NOOUTPUT | 3);
    t.setFlags(i, F_HASHED | 3);
    expect(t.getOldState(i)).toBe(0xab);
    expect(t.getFlags(i)).toBe(F_HASHED | 3);
    expect(t.getProto(i)).toBe(6);
    expect(t.lookupIn(6, false, w, 0, 1234, 4, 80)).toBe(i);
    t.remove(i);
    const j = t.insert(6, 3, w, 0, 1234, 4, 80, w, 8, 80, 0, 1007, 5000);
    expect(t.getOldState(j)).toBe(0);
    expect(t.syncEndtime[j]).toBe(4);
    expect(t.clock32(1000 + 2 ** 32 + 5)).toBe(5);
    expect(t.getFwmark(j)).toBe(0);
    t.setDestFwmark(0, 0xfffffffe);
    expect(t.getFwmark(j)).toBe(0xfffffffe);
  });
});
