/**
 * The status page's server over real HTTP on 127.0.0.1:0, with directors on a TestNetwork: the JSON snapshot
 * (services, real servers, VRRP, VIPs, events), the sampled rate history, the SSE stream (a snapshot per
 * second, director events as they happen, replay after Last-Event-ID), and the HTTP edges (404, 405, HEAD,
 * bad options, close()).
 */
import { createPacketSummary, DIR_IN, TCP_SYN } from '@lvskit/core';
import { describe, expect, it } from 'vitest';
import {
  defineConfig,
  type HistoryJson,
  LvsError,
  type StatusEvent,
  type StatusSnapshot,
  serveStatus,
} from '../src/index.js';
import { describeEvent } from '../src/status/snapshot.js';
import { TestNetwork } from '../src/testing/index.js';

const VIP = '198.18.0.100';
const RS1 = '198.18.1.1';
const RS2 = '198.18.1.2';

const statusConfig = (priority: number) =>
  defineConfig({
    interfaces: [{ name: 'eth0' }],
    vips: { web: VIP },
    services: [
      {
        name: 'http',
        vip: 'web',
        port: 80,
        scheduler: 'wrr',
        realServers: [RS1, RS2].map((address) => ({
          address,
          weight: 2,
          checks: [{ type: 'TCP_CHECK' as const, delay_loop: 1, retry: 0, connect_timeout: 1 }],
        })),
        health: { inhibitOnFailure: true, quorum: 2 },
      },
      {
        name: 'dns',
        vip: 'web',
        port: 53,
        protocol: 'udp',
        scheduler: 'rr',
        persistence: { timeout: 120 },
        realServers: [{ address: '198.18.1.3', checks: [] }],
      },
    ],
    vrrp: {
      instances: [{ name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority, advertInt: 1, vips: ['web'] }],
    },
  });

const summary = createPacketSummary();
/** `n` TCP SYNs to the VIP's port 80 from distinct clients (198.18.2.x), as the datapath hands them over. */
function syns(net: TestNetwork, n: number, first = 0): void {
  const processor = net.datapaths.get('198.18.0.1')!.processor!;
  for (let i = first; i < first + n; i++) {
    summary.family = 4;
    summary.protocol = 6;
    summary.saddr.set([198, 18, 2 + ((i >> 8) & 0x7f), i & 0xff]);
    summary.daddr.set([198, 18, 0, 100]);
    summary.sport = 40_000 + (i % 20_000);
    summary.dport = 80;
    summary.tcpFlags = TCP_SYN;
    summary.length = 60;
    summary.direction = DIR_IN;
    summary.mark = 0;
    processor.process(summary, net.clock.now());
  }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return (await res.json()) as T;
}

/** A Server-Sent Events reader over fetch: `next(pred)` reads until an event matches. */
function sse(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const started = fetch(url, { signal: abort.signal, headers });
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let buffer = '';
  const decoder = new TextDecoder();
  const queue: { event: string; id: string | undefined; data: unknown }[] = [];
  const pull = async (): Promise<boolean> => {
    if (!reader) {
      const res = await started;
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      reader = res.body!.getReader();
    }
    const { value, done } = await reader.read();
    if (done) return false;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        const i = line.indexOf(': ');
        if (i > 0) fields.set(line.slice(0, i), line.slice(i + 2));
      }
      if (fields.has('data'))
        queue.push({
          event: fields.get('event') ?? 'message',
          id: fields.get('id'),
          data: JSON.parse(fields.get('data')!),
        });
      end = buffer.indexOf('\n\n');
    }
    return true;
  };
  return {
    /** Resolves with the first queued-or-arriving event that matches; rejects when the stream ends first. */
    async next<T>(pred: (e: { event: string; id: string | undefined; data: unknown }) => boolean): Promise<T> {
      for (;;) {
        const i = queue.findIndex(pred);
        if (i >= 0) return queue.splice(i, 1)[0]!.data as T;
        if (!(await pull())) throw new Error('event stream ended');
      }
    },
    /** Reads until the server ends the stream; true when it did. */
    async ended(): Promise<boolean> {
      while (await pull());
      return true;
    },
    close: () => abort.abort(),
  };
}

async function running() {
  const net = new TestNetwork();
  const d = net.director(statusConfig(150), { address: '198.18.0.1' });
  const server = await serveStatus(d, { port: 0 });
  await d.start();
  await net.advance(5_000);
  return { net, d, server };
}

describe('serveStatus: GET /api/status', () => {
  it('shows services, real servers, VRRP, VIPs and the events so far', async () => {
    const { net, d, server } = await running();
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
      syns(net, 5);
      const s = await getJson<StatusSnapshot>(`${server.url}api/status`);
      expect(s.lifecycle).toBe('running');
      expect(s.now).toBe(net.clock.now());
      expect(s.vips).toEqual([{ name: 'web', address: VIP, serving: true, instance: 'VI_1' }]);
      expect(s.services.map((x) => x.name)).toEqual(['http', 'dns']);
      const [http, dns] = s.services;
      expect(http).toMatchObject({
        endpoint: `${VIP}:80`,
        protocol: 'tcp',
        scheduler: 'wrr',
        persistence: null,
        quorum: { up: true, liveWeight: 4, quorum: 2 },
        configured: true,
        inTable: true,
        sorryServer: null,
      });
      expect(http!.stats!.conns).toBe(5);
      expect(http!.realServers.map((r) => [r.endpoint, r.health, r.configuredWeight, r.weight, r.method])).toEqual([
        [`${RS1}:80`, 'up', 2, 2, 'route'],
        [`${RS2}:80`, 'up', 2, 2, 'route'],
      ]);
      expect(http!.realServers.map((r) => r.activeConns).sort()).toEqual([2, 3]);
      expect(http!.realServers[0]!.checks).toEqual([{ type: 'TCP_CHECK', up: true }]);
      expect(dns).toMatchObject({
        endpoint: `${VIP}:53`,
        protocol: 'udp',
        scheduler: 'rr',
        persistence: { timeout: 120, netmask: '255.255.255.255' },
      });
      // A real server without checks is up (keepalived: alive from the start), with its default weight 1.
      expect(dns!.realServers.map((r) => [r.endpoint, r.health, r.weight, r.checks])).toEqual([
        ['198.18.1.3:53', 'up', 1, []],
      ]);
      expect(s.vrrp).toHaveLength(1);
      expect(s.vrrp[0]).toMatchObject({
        instance: 'VI_1',
        state: 'MASTER',
        priority: 150,
        effectivePriority: 150,
        interface: 'eth0',
        virtualRouterId: 51,
        vips: [VIP],
        lastTransition: { from: 'BACKUP', to: 'MASTER' },
      });
      expect(s.vrrp[0]!.lastTransition!.reason).toBeTruthy();
      expect(s.vrrp[0]!.adverts.sent).toBeGreaterThan(0);
      expect(s.totals.conns).toBe(5);
      const types = s.events.map((e) => e.type);
      expect(types).toContain('started');
      expect(types).toContain('vrrpTransition');
      expect(s.events.find((e) => e.type === 'serving')!.text).toBe(`${VIP}: serving (VI_1)`);
      expect(s.events.map((e) => e.seq)).toEqual([...s.events.map((e) => e.seq)].sort((a, b) => a - b));
    } finally {
      await server.close();
      await d.stop();
    }
  });

  it('shows a failed real server down at weight 0 with its reason, the lost quorum, and the events', async () => {
    const { net, d, server } = await running();
    try {
      net.checks.set('http', RS2, 80, false);
      await net.advance(5_000);
      const s = await getJson<StatusSnapshot>(`${server.url}api/status`);
      const http = s.services[0]!;
      const rs2 = http.realServers.find((r) => r.address === RS2)!;
      expect(rs2).toMatchObject({ health: 'down', weight: 0, configuredWeight: 2, checks: [{ up: false }] });
      expect(rs2.reason).toBeTruthy();
      expect(http.realServers.find((r) => r.address === RS1)!.health).toBe('up');
      // quorum 2 of live weight 2: still up (keepalived: up while live weight >= quorum).
      expect(http.quorum).toEqual({ up: true, liveWeight: 2, quorum: 2 });
      const lines = s.events.map((e) => [e.type, e.level, e.text] as const);
      expect(lines).toContainEqual(['realServerDown', 'warn', expect.stringMatching(/^http: 198\.18\.1\.2:80 down/)]);
      expect(lines).toContainEqual(['checkerDown', 'warn', expect.stringMatching(/check 0 \(TCP_CHECK\) fails/)]);
      expect(lines).toContainEqual(['tableChanged', 'info', `table (health): http: ${RS2}:80 weight 0`]);

      net.checks.set('http', RS1, 80, false);
      await net.advance(5_000);
      const t = await getJson<StatusSnapshot>(`${server.url}api/status`);
      expect(t.services[0]!.quorum).toEqual({ up: false, liveWeight: 0, quorum: 2 });
      expect(t.events.find((e) => e.type === 'quorumDown')).toMatchObject({
        level: 'error',
        text: 'http: quorum lost (live weight 0, quorum 2)',
      });
    } finally {
      await server.close();
      await d.stop();
    }
  });

  it('follows a failover on the BACKUP: its VRRP state, the reason, the VIP it now serves', async () => {
    const net = new TestNetwork();
    const a = net.director(statusConfig(150), { address: '198.18.0.1' });
    const b = net.director(statusConfig(100), { address: '198.18.0.2' });
    const server = await serveStatus(b, { port: 0 });
    try {
      await a.start();
      await b.start();
      await net.advance(5_000);
      let s = await getJson<StatusSnapshot>(`${server.url}api/status`);
      expect(s.vrrp[0]!.state).toBe('BACKUP');
      expect(s.vips[0]!.serving).toBe(false);
      net.partition('198.18.0.1', true);
      await net.advance(5_000);
      s = await getJson<StatusSnapshot>(`${server.url}api/status`);
      expect(s.vrrp[0]).toMatchObject({
        state: 'MASTER',
        lastTransition: { from: 'BACKUP', to: 'MASTER', reason: 'master-down' },
      });
      expect(s.vrrp[0]!.lastTransition!.at).toBeGreaterThan(5_000);
      expect(s.vips[0]!.serving).toBe(true);
      expect(s.events.map((e) => e.text)).toContain('VI_1: BACKUP -> MASTER (master-down), priority 100');
    } finally {
      await server.close();
      await a.stop();
      await b.stop();
    }
  });
});

describe('serveStatus: the timeline', () => {
  it('shows every kind of director event: recovery, quorum, reload, warnings, stop', async () => {
    const { net, d, server } = await running();
    try {
      const base = statusConfig(150);
      const [http, dns] = [base.services[0]!, base.services[1]!];
      // A failing notify_down script makes health warn.
      net.commands.answer(() => ({ code: 1, stderr: 'nope' }));
      const withScript = defineConfig({
        ...base,
        services: [
          { ...http, realServers: http.realServers.map((r) => ({ ...r, notifyDown: '/usr/local/bin/rs-down' })) },
          dns,
        ],
      });
      await d.reload(withScript);
      net.checks.set('http', RS1, 80, false);
      net.checks.set('http', RS2, 80, false);
      await net.advance(3_000);
      net.checks.set('http', RS1, 80, true);
      net.checks.set('http', RS2, 80, true);
      await net.advance(3_000);
      // A service dropped by a reload.
      await d.reload(defineConfig({ ...withScript, services: [withScript.services[0]!] }));
      await d.stop();
      const s = await getJson<StatusSnapshot>(`${server.url}api/status`);
      const text = (type: string) => s.events.filter((e) => e.type === type).map((e) => e.text);
      expect(text('reloaded')).toEqual(['reloaded: 0 changes', 'reloaded: 1 change']);
      expect(text('tableChanged')).toContain('table (reload): remove service dns');
      expect(text('warning')).toContainEqual(expect.stringMatching(/^health: script .*rs-down.*/));
      expect(text('realServerUp').sort()).toEqual([`http: ${RS1}:80 up (ok)`, `http: ${RS2}:80 up (ok)`]);
      expect(text('checkerUp')).toHaveLength(2);
      expect(text('quorumDown')).toEqual(['http: quorum lost (live weight 0, quorum 2)']);
      expect(text('quorumUp')).toEqual(['http: quorum up (live weight 2, quorum 2)']);
      expect(s.events.at(-1)).toMatchObject({ type: 'stopped', text: 'director stopped', level: 'warn' });
      expect(text('vrrpTransition').at(-1)).toBe('VI_1: MASTER -> INIT (shutdown), priority 150');
      expect(s.lifecycle).toBe('stopped');
      expect(s.services.map((x) => x.name)).toEqual(['http']);
      expect(s.lastEventSeq).toBe(s.events.at(-1)!.seq);
    } finally {
      await server.close();
    }
  });

  it('words an error with its code', () => {
    const error = new LvsError('VRRP_TRANSPORT_FAILED', 'send failed');
    expect(describeEvent('error', { source: 'vrrp', error })).toEqual({
      level: 'error',
      text: 'vrrp: VRRP_TRANSPORT_FAILED: send failed',
    });
  });
});

describe('serveStatus: GET /api/history', () => {
  it('samples connections, packets and bytes per second, per service and in total, in a ring', async () => {
    const net = new TestNetwork();
    const d = net.director(statusConfig(150), { address: '198.18.0.1' });
    const server = await serveStatus(d, { port: 0, historySeconds: 5 });
    try {
      await d.start();
      await net.advance(2_000);
      syns(net, 7);
      await net.advance(1_000);
      let h = await getJson<HistoryJson>(`${server.url}api/history`);
      expect(h.intervalMs).toBe(1000);
      expect(h.capacity).toBe(5);
      expect(h.times).toEqual([1000, 2000, 3000]);
      // 7 SYNs of 60 bytes in the last second.
      expect(h.total.cps.at(-1)).toBe(7);
      expect(h.total.pps.at(-1)).toBe(7);
      expect(h.total.bps.at(-1)).toBe(420);
      expect(h.total.cps.slice(0, -1)).toEqual([0, 0]);
      expect(h.services.http!.cps.at(-1)).toBe(7);
      expect(h.services.dns!.cps.at(-1)).toBe(0);
      // The snapshot carries the same newest sample.
      const s = await getJson<StatusSnapshot>(`${server.url}api/status`);
      expect(s.sampledAt).toBe(3000);
      expect(s.rate).toEqual({ cps: 7, pps: 7, bps: 420 });
      expect(s.services[0]!.rate).toEqual({ cps: 7, pps: 7, bps: 420 });

      // The ring keeps the last 5 samples, oldest first.
      syns(net, 3, 100);
      await net.advance(1_000);
      await net.advance(4_000);
      h = await getJson<HistoryJson>(`${server.url}api/history`);
      expect(h.times).toEqual([4000, 5000, 6000, 7000, 8000]);
      expect(h.total.cps).toEqual([3, 0, 0, 0, 0]);

      // ipvsadm -Z makes the counters go back: that second counts 0, not a negative rate.
      d.ipvs.zeroCounters();
      await net.advance(1_000);
      h = await getJson<HistoryJson>(`${server.url}api/history`);
      expect(h.total.cps.at(-1)).toBe(0);
      expect(h.total.bps.at(-1)).toBe(0);
    } finally {
      await server.close();
      await d.stop();
    }
  });
});

describe('serveStatus: GET /api/events', () => {
  it('pushes a snapshot on connect and every second, and each director event as it happens', async () => {
    const { net, d, server } = await running();
    const stream = sse(`${server.url}api/events`);
    try {
      const first = await stream.next<StatusSnapshot>((e) => e.event === 'snapshot');
      expect(first.now).toBe(5_000);
      expect(first.vrrp[0]!.state).toBe('MASTER');
      await net.advance(1_000);
      const second = await stream.next<StatusSnapshot>((e) => e.event === 'snapshot');
      expect(second.now).toBe(6_000);
      expect(second.sampledAt).toBe(6_000);
      // The first snapshot carries the timeline; the later ones only its newest seq (events come one by one).
      expect(first.events.length).toBeGreaterThan(0);
      expect(second.events).toEqual([]);
      expect(second.lastEventSeq).toBe(first.events.at(-1)!.seq);

      net.checks.set('http', RS2, 80, false);
      await net.advance(2_000);
      const down = await stream.next<StatusEvent>(
        (e) => e.event === 'director' && (e.data as StatusEvent).type === 'realServerDown',
      );
      expect(down.text).toMatch(/^http: 198\.18\.1\.2:80 down/);
      expect(down.level).toBe('warn');
      const after = await stream.next<StatusSnapshot>(
        (e) => e.event === 'snapshot' && (e.data as StatusSnapshot).now >= down.at,
      );
      expect(after.services[0]!.realServers[1]).toMatchObject({ health: 'down', weight: 0 });

      // A reconnecting page sends Last-Event-ID and gets what it missed, then a snapshot.
      const replay = sse(`${server.url}api/events`, { 'last-event-id': String(down.seq - 1) });
      try {
        const missed = await replay.next<StatusEvent>((e) => e.event === 'director');
        expect(missed.seq).toBe(down.seq);
        await replay.next<StatusSnapshot>((e) => e.event === 'snapshot');
      } finally {
        replay.close();
      }
    } finally {
      stream.close();
      await server.close();
      await d.stop();
    }
  });

  it('ends open streams, removes its listeners and its timer on close()', async () => {
    const net = new TestNetwork();
    const d = net.director(statusConfig(150), { address: '198.18.0.1' });
    const before = { pending: net.clock.pending, listens: d.listens('realServerDown') };
    const server = await serveStatus(d, { port: 0 });
    expect(d.listens('realServerDown')).toBe(true);
    expect(d.health.listens('checkerDown')).toBe(true);
    expect(net.clock.pending).toBe(before.pending + 1);
    const stream = sse(`${server.url}api/events`);
    await stream.next((e) => e.event === 'snapshot');
    await server.close();
    expect(await stream.ended()).toBe(true);
    expect(d.listens('realServerDown')).toBe(before.listens);
    expect(d.health.listens('checkerDown')).toBe(false);
    expect(d.listens('vrrpTransition')).toBe(false);
    expect(net.clock.pending).toBe(before.pending);
    await expect(fetch(`${server.url}api/status`)).rejects.toThrow();
    await server.close(); // twice is harmless
  });
});

describe('serveStatus: HTTP', () => {
  it('serves the page, answers HEAD, 404 for other paths and 405 for other methods', async () => {
    const net = new TestNetwork();
    const d = net.director(statusConfig(150));
    const server = await serveStatus(d, { port: 0, host: '127.0.0.1' });
    try {
      const page = await fetch(server.url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await page.text();
      expect(html.startsWith('<!doctype html>')).toBe(true);
      // Self-contained: no URL to anywhere but itself.
      expect(html).not.toMatch(/(?:src|href)="(?!data:)/);
      expect(html).not.toMatch(/https?:\/\//);
      const head = await fetch(`${server.url}api/status`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
      expect((await fetch(`${server.url}nope`)).status).toBe(404);
      expect((await fetch(`${server.url}api/status/x`)).status).toBe(404);
      const post = await fetch(`${server.url}api/status`, { method: 'POST', body: '{}' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
      expect((await fetch(`${server.url}api/events`, { method: 'HEAD' })).status).toBe(405);
      expect((await fetch(server.url, { method: 'DELETE' })).status).toBe(405);
      // A created director: nothing served, no VRRP state yet, no samples.
      const s = await getJson<StatusSnapshot>(`${server.url}api/status`);
      expect(s.lifecycle).toBe('created');
      expect(s.vrrp[0]!.state).toBe('INIT');
      expect(s.rate).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('refuses a bad port or history length with INVALID_ARGUMENT, listening on nothing', async () => {
    const net = new TestNetwork();
    const d = net.director(statusConfig(150));
    await expect(serveStatus(d, { port: 70_000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(serveStatus(d, { port: 0, historySeconds: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(serveStatus(d, { port: 0, historySeconds: 1.5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(d.listens('realServerDown')).toBe(false);
    // A port in use rejects with the listen error and leaves no listener or timer behind.
    const first = await serveStatus(d, { port: 0 });
    const pending = net.clock.pending;
    await expect(serveStatus(d, { port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(net.clock.pending).toBe(pending);
    await first.close();
    expect(d.listens('realServerDown')).toBe(false);
  });
});
