/**
 * Prometheus metrics of whole directors on fakes: packets through the engine show in the node_exporter-named
 * IPVS figures with node_exporter's labels, a failed real server in the health metrics and its weight, a VRRP
 * failover in the state gauges and transition counters, a BACKUP's frames in the datapath's drops; the
 * dashboard queries only metrics the registry has; `serveMetrics` answers over real HTTP.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createPacketSummary, DIR_IN, runIpvsadm, TCP_ACK, TCP_RST, TCP_SYN } from '@lvskit/core';
import { describe, expect, it } from 'vitest';
import { eth4, ipv4, tcp } from '../../forwarders/test/golden/builder.js';
import { defineConfig, directorMetrics, serveMetrics } from '../src/index.js';
import { TestNetwork } from '../src/testing/index.js';

const VIP = '198.18.0.100';
const RS1 = '198.18.1.1';
const RS2 = '198.18.1.2';
const RS_MAC = '02:00:00:00:01:01';
const CLIENT = '198.18.2.1';
const CLIENT_MAC = '02:00:00:00:02:01';

const config = (priority: number, options: { vrrp?: boolean } = {}) =>
  defineConfig({
    interfaces: [{ name: 'eth0' }],
    vips: { web: VIP },
    neighbours: { [RS1]: RS_MAC, [RS2]: RS_MAC, [CLIENT]: CLIENT_MAC },
    services: [
      {
        name: 'http',
        vip: 'web',
        port: 80,
        scheduler: 'rr',
        realServers: [RS1, RS2].map((address) => ({
          address,
          weight: 2,
          checks: [{ type: 'TCP_CHECK' as const, delay_loop: 1, retry: 0, connect_timeout: 1 }],
        })),
        health: { inhibitOnFailure: true },
      },
    ],
    ...(options.vrrp === false
      ? {}
      : {
          vrrp: {
            instances: [
              { name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority, advertInt: 1, vips: ['web'] },
            ],
          },
        }),
  });

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the text exposition format (what Prometheus scrapes). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The one sample of `name` whose labels include `labels`. */
function value(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1)
    throw new Error(
      `${found.length} samples of ${name} ${JSON.stringify(labels)}:\n${samples
        .filter((s) => s.name === name)
        .map((s) => JSON.stringify(s))
        .join('\n')}`,
    );
  return found[0]!.value;
}

const summary = createPacketSummary();
/** A packet (default a SYN) from each of `n` clients: client i is 198.18.2.(1 + i):(40000 + i). */
function syns(process: (s: typeof summary, now: number) => unknown, n: number, now: number, flags = TCP_SYN): void {
  for (let i = 0; i < n; i++) {
    summary.family = 4;
    summary.protocol = 6;
    summary.saddr.set([198, 18, 2, 1 + i]);
    summary.daddr.set([198, 18, 0, 100]);
    summary.sport = 40_000 + i;
    summary.dport = 80;
    summary.tcpFlags = flags;
    summary.length = 60;
    summary.direction = DIR_IN;
    summary.mark = 0;
    process(summary, now);
  }
}

const backend = (remote: string) => ({
  local_address: VIP,
  local_port: '80',
  remote_address: remote,
  remote_port: '80',
  proto: 'TCP',
  local_mark: '',
});

describe('directorMetrics', () => {
  it('counts connections, packets and bytes under node_exporter names, per backend with its labels', async () => {
    const net = new TestNetwork();
    const d = net.director(config(150, { vrrp: false }), { address: '198.18.0.1' });
    const registry = directorMetrics(d);
    await d.start();
    await net.advance(3_000);
    const processor = net.datapaths.get('198.18.0.1')!.processor!;
    syns((s, now) => processor.process(s, now), 5, net.clock.now());

    const text = await registry.metrics();
    // node_exporter's help strings and types.
    expect(text).toContain('# HELP lvskit_ipvs_connections_total The total number of connections made.\n');
    expect(text).toContain('# TYPE lvskit_ipvs_connections_total counter\n');
    expect(text).toContain(
      '# HELP lvskit_ipvs_backend_weight The current backend weight by local and remote address.\n',
    );
    expect(text).toContain('# TYPE lvskit_ipvs_backend_weight gauge\n');
    // Label order and values as node_exporter writes them.
    expect(text).toContain(
      `lvskit_ipvs_backend_weight{local_address="${VIP}",local_port="80",remote_address="${RS1}",remote_port="80",proto="TCP",local_mark=""} 2\n`,
    );
    const s = parse(text);
    expect(value(s, 'lvskit_ipvs_connections_total')).toBe(5);
    expect(value(s, 'lvskit_ipvs_incoming_packets_total')).toBe(5);
    expect(value(s, 'lvskit_ipvs_incoming_bytes_total')).toBe(300);
    expect(value(s, 'lvskit_ipvs_outgoing_packets_total')).toBe(0);
    // rr over two real servers: 3 and 2 connections, each in SYN_RECV, which IPVS counts as active
    // (the kernel's tcp_state_active: SYN_SENT, SYN_RECV, ESTABLISHED).
    const active = [RS1, RS2].map((r) => value(s, 'lvskit_ipvs_backend_connections_active', backend(r)));
    expect(active.sort()).toEqual([2, 3]);
    expect(value(s, 'lvskit_ipvs_backend_connections_inactive', backend(RS1))).toBe(0);
    // The first client's handshake completes, then it resets: its connection goes to CLOSE, counted inactive.
    syns((x, now) => processor.process(x, now), 1, net.clock.now(), TCP_ACK);
    syns((x, now) => processor.process(x, now), 1, net.clock.now(), TCP_RST);
    const after = parse(await registry.metrics());
    const sum = (name: string) => [RS1, RS2].reduce((n, r) => n + value(after, name, backend(r)), 0);
    expect(sum('lvskit_ipvs_backend_connections_active')).toBe(4);
    expect(sum('lvskit_ipvs_backend_connections_inactive')).toBe(1);
    expect(value(after, 'lvskit_ipvs_incoming_packets_total')).toBe(7);
    expect(value(after, 'lvskit_ipvs_connections_total')).toBe(5);
    expect(value(s, 'lvskit_vip_serving', { vip: VIP })).toBe(1);
    expect(value(s, 'lvskit_director_running')).toBe(1);

    // Every scrape reads the table again, not a stale snapshot.
    summary.sport = 50_000;
    summary.tcpFlags = TCP_SYN;
    processor.process(summary, net.clock.now());
    expect(value(parse(await registry.metrics()), 'lvskit_ipvs_connections_total')).toBe(5 + 1);
    await d.stop();
    expect(value(parse(await registry.metrics()), 'lvskit_director_running')).toBe(0);
  });

  it('shows a failed real server in the health metrics and its weight, and its return', async () => {
    const net = new TestNetwork();
    const d = net.director(config(150, { vrrp: false }));
    const registry = directorMetrics(d);
    await d.start();
    await net.advance(3_000);
    const rs2 = { service: 'http', remote_address: RS2, remote_port: '80' };
    let s = parse(await registry.metrics());
    expect(value(s, 'lvskit_realserver_up', rs2)).toBe(1);
    expect(value(s, 'lvskit_check_up', { ...rs2, check: '0', type: 'TCP_CHECK' })).toBe(1);
    expect(value(s, 'lvskit_service_quorum_up', { service: 'http' })).toBe(1);

    net.checks.set('http', RS2, 80, false);
    await net.advance(5_000);
    s = parse(await registry.metrics());
    expect(value(s, 'lvskit_realserver_up', rs2)).toBe(0);
    expect(value(s, 'lvskit_realserver_up', { ...rs2, remote_address: RS1 })).toBe(1);
    expect(value(s, 'lvskit_realserver_transitions_total', { ...rs2, state: 'down' })).toBe(1);
    expect(value(s, 'lvskit_check_up', { ...rs2, check: '0' })).toBe(0);
    expect(value(s, 'lvskit_check_transitions_total', { ...rs2, check: '0', type: 'TCP_CHECK', state: 'down' })).toBe(
      1,
    );
    // inhibit_on_failure: the real server stays in the table at weight 0.
    expect(value(s, 'lvskit_ipvs_backend_weight', backend(RS2))).toBe(0);
    expect(value(s, 'lvskit_ipvs_backend_weight', backend(RS1))).toBe(2);

    net.checks.set('http', RS2, 80, true);
    await net.advance(5_000);
    s = parse(await registry.metrics());
    expect(value(s, 'lvskit_realserver_up', rs2)).toBe(1);
    expect(value(s, 'lvskit_realserver_transitions_total', { ...rs2, state: 'up' })).toBe(1);
    expect(value(s, 'lvskit_ipvs_backend_weight', backend(RS2))).toBe(2);
    await d.stop();
  });

  it('labels a firewall-mark service as node_exporter does: proto FWM, the mark in %08X, no local address', async () => {
    const net = new TestNetwork();
    const d = net.director(config(150, { vrrp: false }));
    const registry = directorMetrics(d);
    await d.start();
    expect(runIpvsadm(d.ipvs.ipvsadm, '-A -f 26 -s rr').exitCode).toBe(0);
    expect(runIpvsadm(d.ipvs.ipvsadm, '-a -f 26 -r 198.18.1.7 -g -w 4').exitCode).toBe(0);
    const s = parse(await registry.metrics());
    expect(
      value(s, 'lvskit_ipvs_backend_weight', {
        local_address: '',
        local_port: '0',
        remote_address: '198.18.1.7',
        remote_port: '0',
        proto: 'FWM',
        local_mark: '0000001A',
      }),
    ).toBe(4);
    await d.stop();
  });

  it('follows a VRRP failover: state gauges, transitions and adverts per instance', async () => {
    const net = new TestNetwork();
    const a = net.director(config(150), { address: '198.18.0.1' });
    const b = net.director(config(100), { address: '198.18.0.2' });
    const ra = directorMetrics(a);
    const rb = directorMetrics(b);
    await a.start();
    await b.start();
    await net.advance(5_000);
    let sa = parse(await ra.metrics());
    let sb = parse(await rb.metrics());
    const vi = { vrrp_instance: 'VI_1' };
    expect(value(sa, 'lvskit_vrrp_state', { ...vi, state: 'MASTER' })).toBe(1);
    expect(value(sa, 'lvskit_vrrp_state', { ...vi, state: 'BACKUP' })).toBe(0);
    expect(value(sb, 'lvskit_vrrp_state', { ...vi, state: 'BACKUP' })).toBe(1);
    expect(value(sa, 'lvskit_vrrp_priority', vi)).toBe(150);
    expect(value(sa, 'lvskit_vrrp_adverts_sent_total', vi)).toBeGreaterThan(0);
    expect(value(sb, 'lvskit_vrrp_adverts_received_total', vi)).toBeGreaterThan(0);
    expect(value(sb, 'lvskit_vip_serving', { vip: VIP })).toBe(0);

    net.partition('198.18.0.1', true);
    await net.advance(5_000);
    sb = parse(await rb.metrics());
    expect(value(sb, 'lvskit_vrrp_state', { ...vi, state: 'MASTER' })).toBe(1);
    expect(value(sb, 'lvskit_vrrp_state', { ...vi, state: 'BACKUP' })).toBe(0);
    expect(value(sb, 'lvskit_vrrp_transitions_total', { ...vi, from: 'BACKUP', to: 'MASTER' })).toBe(1);
    expect(value(sb, 'lvskit_vip_serving', { vip: VIP })).toBe(1);

    net.partition('198.18.0.1', false);
    await net.advance(5_000);
    sb = parse(await rb.metrics());
    expect(value(sb, 'lvskit_vrrp_state', { ...vi, state: 'BACKUP' })).toBe(1);
    expect(value(sb, 'lvskit_vrrp_transitions_total', { ...vi, from: 'MASTER', to: 'BACKUP' })).toBe(1);
    sa = parse(await ra.metrics());
    expect(value(sa, 'lvskit_vrrp_state', { ...vi, state: 'MASTER' })).toBe(1);
    await a.stop();
    await b.stop();
  });

  it("counts the BACKUP's frames for the VIP as datapath drops (NOT_SERVING)", async () => {
    const net = new TestNetwork();
    const a = net.director(config(150), { address: '198.18.0.1', frames: true });
    const b = net.director(config(100), { address: '198.18.0.2', frames: true });
    const rb = directorMetrics(b);
    await a.start();
    await b.start();
    await net.advance(5_000);
    const lanB = net.frames.get('198.18.0.2')!.get('eth0')!;
    const macB = Array.from(lanB.mac, (x) => x.toString(16).padStart(2, '0')).join(':');
    for (let i = 0; i < 3; i++)
      lanB.receive(
        eth4(
          macB,
          CLIENT_MAC,
          ipv4({ src: CLIENT, dst: VIP, ttl: 64 }, tcp({ sport: 41_000 + i, dport: 80, flags: 0x02 })),
        ),
      );
    const s = parse(await rb.metrics());
    expect(value(s, 'lvskit_datapath_drops_total', { reason: 'NOT_SERVING' })).toBe(3);
    expect(value(s, 'lvskit_datapath_drops_total', { reason: 'NO_SERVER' })).toBe(0);
    expect(value(s, 'lvskit_datapath_events_total', { event: 'received' })).toBeGreaterThanOrEqual(3);
    expect(value(s, 'lvskit_ipvs_connections_total')).toBe(0);
    await a.stop();
    await b.stop();
  });

  it('puts two directors on one registry with different prefixes, and refuses the same prefix twice', () => {
    const net = new TestNetwork();
    const registry = directorMetrics(net.director(config(150)));
    directorMetrics(net.director(config(100)), { registry, prefix: 'lvskit_b_' });
    expect(() => directorMetrics(net.director(config(100)), { registry })).toThrow(/already been registered/);
  });
});

describe('the Grafana dashboard', () => {
  it('is valid JSON and queries only metrics the registry exposes', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../dashboards/lvskit.json', import.meta.url), 'utf8')) as {
      title: string;
      panels: { title: string; type: string; targets?: { expr: string }[] }[];
      templating: { list: { query?: string | { query: string } }[] };
    };
    expect(dashboard.title).toBeTruthy();
    const net = new TestNetwork();
    const registry = directorMetrics(net.director(config(150)));
    const exposed = new Set([...(await registry.metrics()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dashboard.templating.list.map((v) => (typeof v.query === 'object' ? v.query.query : (v.query ?? ''))),
    ];
    for (const p of dashboard.panels) if (p.type !== 'row') expect(p.targets?.length, p.title).toBeGreaterThan(0);
    const queried = new Set(exprs.flatMap((e) => [...e.matchAll(/\blvskit_[a-z_]+/g)].map((m) => m[0])));
    expect(queried.size).toBeGreaterThan(10);
    expect([...queried].filter((m) => !exposed.has(m))).toEqual([]);
  });
});

describe('serveMetrics', () => {
  it('serves GET /metrics over real HTTP on 127.0.0.1 and closes cleanly', async () => {
    const net = new TestNetwork();
    const d = net.director(config(150, { vrrp: false }), { address: '198.18.0.1' });
    const registry = directorMetrics(d);
    await d.start();
    syns((s, now) => net.datapaths.get('198.18.0.1')!.processor!.process(s, now), 2, net.clock.now());
    const server = await serveMetrics(registry, { port: 0, host: '127.0.0.1' });
    try {
      const { port } = server.address() as AddressInfo;
      expect(port).toBeGreaterThan(0);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(registry.contentType);
      const s = parse(await res.text());
      expect(value(s, 'lvskit_ipvs_connections_total')).toBe(2);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    }
    expect(server.listening).toBe(false);
    await expect(serveMetrics(registry, { port: 70_000 })).rejects.toThrow(/port/);
    await d.stop();
  });
});
