/**
 * Soak: two HA directors with health checks and VRRP on one FakeClock, 90 simulated days of churn — real
 * servers added and removed by reload, failing and recovering, reloads, failovers (a frozen master), an
 * interface going down, client connections through the master's IPVS. Once a simulated day it prints heap
 * used (after a full GC), timer and handle counts and table sizes, and it exits 1 if any of them grows
 * without bound: the largest value of the last 30 days must not exceed the largest of days 2–31 (counts) or
 * that plus 10 % and 4 MiB (heap). A benchmark, not a test: `npm run soak -w @lvskit/director`.
 *
 * Timer cadences are stretched so that 90 days run in minutes — `advert_int` 60 s, `delay_loop` 600 s, links read every 5 s —
 * what is soaked is the churn, not the tick rate. `SOAK_DAYS` shortens the run. What the fakes record for
 * tests (every advert on the segment, every announcement) is cleared each hour: that is the test rig's
 * memory, not the director's.
 */
import { createPacketSummary, DIR_IN, TCP_SYN } from '@lvskit/core';
import { createDirector, type Director, type DirectorConfig, defineConfig } from '@lvskit/director';
import { TestNetwork } from '@lvskit/director/testing';

const days = Number(process.env.SOAK_DAYS ?? 90);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** Deterministic pseudo-random numbers (mulberry32), so that every run soaks the same churn. */
let seed = 0x5eed;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}

const pool = Array.from({ length: 24 }, (_, i) => `198.18.1.${10 + i}`);
const check = { type: 'TCP_CHECK', delay_loop: 600, retry: 1 } as const;

function config(priority: number, members: readonly string[]): DirectorConfig {
  return defineConfig({
    interfaces: [{ name: 'eth0' }],
    vips: { web: '198.18.0.100', mail: '198.18.0.101' },
    services: [
      {
        name: 'http',
        vip: 'web',
        port: 80,
        scheduler: 'wlc',
        realServers: members.map((address) => ({ address, checks: [check] })),
        health: { quorum: 2, hysteresis: 1, sorryServer: { address: '198.18.1.200' } },
      },
      {
        name: 'smtp',
        vip: 'mail',
        port: 25,
        scheduler: 'rr',
        persistence: { timeout: 300 },
        realServers: members.slice(0, 3).map((address) => ({ address, checks: [check] })),
      },
    ],
    vrrp: {
      instances: [
        { name: 'VI_1', interface: 'eth0', virtualRouterId: 51, priority, advertInt: 60, vips: ['web'] },
        { name: 'VI_2', interface: 'eth0', virtualRouterId: 52, priority, advertInt: 60, vips: ['mail'] },
      ],
      syncGroups: [{ name: 'G1', instances: ['VI_1', 'VI_2'] }],
    },
  });
}

const net = new TestNetwork(1_000_000);
let members = pool.slice(0, 6);
const counts = { transitions: 0, down: 0, up: 0, reloads: 0, failovers: 0, connections: 0, errors: 0 };
const nodes: { address: string; priority: number; director: Director }[] = [
  { address: '198.18.0.1', priority: 150 },
  { address: '198.18.0.2', priority: 100 },
].map((n) => ({
  ...n,
  director: createDirector(config(n.priority, members), { ...net.ports({ address: n.address }), linkPollMs: 5_000 }),
}));
const master = nodes[0] as (typeof nodes)[number];
for (const node of nodes) {
  node.director.on('vrrpTransition', () => counts.transitions++);
  node.director.on('realServerDown', () => counts.down++);
  node.director.on('realServerUp', () => counts.up++);
  node.director.on('error', () => counts.errors++);
  await node.director.start();
}

const summary = createPacketSummary();
/** Opens `n` client connections (a SYN each) through whichever director serves the VIP now. */
function clients(n: number): void {
  for (const node of nodes) {
    const processor = net.datapaths.get(node.address)?.processor;
    if (!processor || !node.director.serving.includes('198.18.0.100')) continue;
    for (let i = 0; i < n; i++) {
      summary.family = 4;
      summary.protocol = 6;
      summary.saddr.set([198, 18, 2 + Math.floor(random() * 200), Math.floor(random() * 256)]);
      summary.daddr.set([198, 18, 0, random() < 0.8 ? 100 : 101]);
      summary.sport = 1024 + Math.floor(random() * 60_000);
      summary.dport = summary.daddr[3] === 100 ? 80 : 25;
      summary.tcpFlags = TCP_SYN;
      summary.length = 60;
      summary.direction = DIR_IN;
      summary.mark = 0;
      processor.process(summary, net.clock.now());
      counts.connections++;
    }
  }
}

/** One simulated hour of churn, in steps of five minutes. */
async function hour(h: number): Promise<void> {
  // A real server fails or recovers now and then.
  if (random() < 0.3) {
    const address = members[Math.floor(random() * members.length)] as string;
    net.checks.set('*', address, 80, random() < 0.5);
    net.checks.set('*', address, 25, random() < 0.5);
  }
  // Every 6 hours a reload adds or removes a real server (3 to 12 in the pool), on both directors.
  if (h % 6 === 0) {
    if (members.length > 3 && (members.length >= 12 || random() < 0.5)) {
      members = members.filter((_, i) => i !== Math.floor(random() * members.length));
    } else {
      const fresh = pool.filter((a) => !members.includes(a));
      members = [...members, fresh[Math.floor(random() * fresh.length)] as string];
    }
    for (const node of nodes) await node.director.reload(config(node.priority, members));
    counts.reloads++;
  }
  // Every 12 hours the master freezes for 5 minutes (the backup takes over, then the master preempts back).
  const freeze = h % 12 === 3;
  if (freeze) {
    net.partition(master.address, true);
    counts.failovers++;
  }
  // Once a day the master's interface goes down for 10 minutes (FAULT).
  const linkDown = h % 24 === 9;
  if (linkDown) net.links.get(master.address)?.up.set('eth0', false);
  net.segment.frames.length = 0;
  for (const d of net.datapaths.values()) d.announced.length = 0;
  for (let step = 0; step < 12; step++) {
    clients(20);
    await net.advance(5 * 60_000);
    if (freeze && step === 0) net.partition(master.address, false);
    if (linkDown && step === 1) net.links.get(master.address)?.up.set('eth0', true);
  }
}

interface Sample {
  readonly day: number;
  readonly heapMiB: number;
  readonly clockTimers: number;
  readonly ipvsTimers: number;
  readonly connections: number;
  readonly services: number;
  readonly realServers: number;
}

function sample(day: number): Sample {
  gc?.();
  let ipvsTimers = 0;
  let connections = 0;
  let services = 0;
  let realServers = 0;
  for (const node of nodes) {
    ipvsTimers += node.director.ipvs.timerCount;
    connections += node.director.ipvs.connections().length;
    const table = node.director.ipvs.configuration.services;
    services += table.length;
    for (const s of table) realServers += s.realServers.length;
  }
  return {
    day,
    heapMiB: process.memoryUsage().heapUsed / 1_048_576,
    clockTimers: net.clock.pending,
    ipvsTimers,
    connections,
    services,
    realServers,
  };
}

const started = performance.now();
const samples: Sample[] = [];
console.log('day  heap MiB  clock timers  ipvs timers  connections  services  real servers');
for (let day = 1; day <= days; day++) {
  for (let h = 0; h < 24; h++) await hour((day - 1) * 24 + h);
  clients(20);
  const s = sample(day);
  samples.push(s);
  console.log(
    `${String(day).padStart(3)}  ${s.heapMiB.toFixed(2).padStart(8)}  ${String(s.clockTimers).padStart(12)}  ${String(
      s.ipvsTimers,
    ).padStart(
      11,
    )}  ${String(s.connections).padStart(11)}  ${String(s.services).padStart(8)}  ${String(s.realServers).padStart(12)}`,
  );
}
for (const node of nodes) await node.director.stop();
const elapsed = (performance.now() - started) / 1000;
console.log(
  `${days} simulated days in ${elapsed.toFixed(1)} s: ${counts.connections} connections, ${counts.reloads} reloads, ` +
    `${counts.failovers} freezes, ${counts.transitions} VRRP transitions, ${counts.down} real servers down, ` +
    `${counts.up} up, ${counts.errors} errors; clock timers after stop: ${net.clock.pending}`,
);

// Bounded: the mean of the last 30 days stays within what days 2–31 averaged — counts within 25 % (they
// follow the random churn), heap within 10 % plus 2 MiB (GC noise). Anything that leaks per tick, per check,
// per reload or per failover grows linearly over 90 days and fails this.
let failed = false;
if (samples.length >= 60) {
  const mean = (list: readonly Sample[], key: keyof Sample) => list.reduce((a, s) => a + s[key], 0) / list.length;
  const early = samples.slice(1, 31);
  const late = samples.slice(-30);
  for (const key of ['heapMiB', 'clockTimers', 'ipvsTimers', 'connections', 'services', 'realServers'] as const) {
    const [a, b] = [mean(early, key), mean(late, key)];
    const limit = key === 'heapMiB' ? a * 1.1 + 2 : a * 1.25 + 2;
    const verdict = b > limit ? 'GROWS' : 'flat';
    if (b > limit) failed = true;
    console.log(
      `${key.padEnd(12)} days 2-31 mean ${a.toFixed(2).padStart(10)}  last 30 mean ${b.toFixed(2).padStart(10)}  ${verdict}`,
    );
  }
  console.log(failed ? 'soak: FAILED' : 'soak: flat — nothing grows without bound');
} else {
  console.log('soak: fewer than 60 days, no verdict');
}
if (net.clock.pending !== 0) {
  console.log(`soak: ${net.clock.pending} timers left after stop`);
  failed = true;
}
process.exit(failed ? 1 : 0);
