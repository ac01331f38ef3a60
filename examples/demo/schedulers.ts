/**
 * Part 1 of `npm start`: the scheduler demo. Shows how rr, wrr, wlc, sh and mh spread 10,000 simulated connections from
 * 2,000 clients over four real servers with different weights, then what quiescing a server (weight 0) and
 * removing one does to each. Everything is simulated in-process with a seeded random source, so every run
 * prints the same figures; no privileges and no network are needed.
 */
import {
  createScheduler,
  emptyFlow,
  makeFlow,
  NO_SERVER,
  type Scheduler,
  type SchedulerName,
} from '@lvskit/schedulers';

const CONNECTIONS = 10_000;
const CLIENTS = 2_000;
const SERVERS = [
  { name: 'rs1', address: '198.18.1.1', port: 80, weight: 5 },
  { name: 'rs2', address: '198.18.1.2', port: 80, weight: 3 },
  { name: 'rs3', address: '198.18.1.3', port: 80, weight: 1 },
  { name: 'rs4', address: '198.18.1.4', port: 80, weight: 1 },
] as const;
const SCHEDULERS: readonly SchedulerName[] = ['rr', 'wrr', 'wlc', 'sh', 'mh'];
const NOTES: Record<string, string> = {
  rr: 'ignores weights; skips weight 0',
  wrr: 'follows weights over every cycle',
  wlc: 'fewest active connections per weight',
  sh: 'client address hash; a quiesced bucket drops',
  mh: 'Maglev hash; removal moves few clients',
};

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const COLORS = [36, 33, 35, 32];
const dim = (s: string) => paint(2, s);
const bold = (s: string) => paint(1, s);

/** Mulberry32: a small seeded PRNG so the demo prints the same figures every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Phase = 'all up' | 'rs4 quiesced (weight 0)' | 'rs2 removed';
interface Result {
  counts: number[]; // per server index, plus one slot for "no server"
  clientServer: Int32Array; // last server each client was sent to (-1 none)
}

/** Runs one phase: 10,000 connections from 2,000 clients, each lasting a random time, at 1 ms spacing. */
function runPhase(s: Scheduler, handles: number[], seed: number): Result {
  const rnd = prng(seed);
  const counts = new Array<number>(SERVERS.length + 1).fill(0);
  const clientServer = new Int32Array(CLIENTS).fill(-1);
  const active = new Array<number>(SERVERS.length).fill(0);
  const ends: { at: number; idx: number }[] = [];
  const flow = emptyFlow();
  const tmpl = makeFlow({ source: '198.19.0.0', destination: '198.18.0.10', destinationPort: 80 });
  flow.family = tmpl.family;
  flow.protocol = tmpl.protocol;
  flow.daddr.set(tmpl.daddr);
  flow.dport = 80;
  for (let i = 0; i < CONNECTIONS; i++) {
    const now = i; // one new connection per millisecond
    // End the connections whose time is up, and tell the scheduler (wlc needs live counts).
    for (let k = ends.length - 1; k >= 0; k--) {
      const e = ends[k]!;
      if (e.at <= now) {
        active[e.idx]!--;
        const h = handles[e.idx]!;
        if (h !== NO_SERVER) s.setConnections(h, active[e.idx]!, 0);
        ends.splice(k, 1);
      }
    }
    const client = Math.floor(rnd() * CLIENTS);
    flow.saddr[0] = 198;
    flow.saddr[1] = 19;
    flow.saddr[2] = client >> 8;
    flow.saddr[3] = client & 0xff;
    flow.sport = 1024 + Math.floor(rnd() * 60000);
    const lifetime = 20 + Math.floor(rnd() * 400); // drawn for every connection so all runs see the same clients
    const h = s.schedule(flow, now);
    const idx = h === NO_SERVER ? -1 : handles.indexOf(h);
    clientServer[client] = idx;
    if (idx < 0) {
      counts[SERVERS.length]!++;
      continue;
    }
    counts[idx]!++;
    active[idx]!++;
    s.setConnections(h, active[idx]!, 0);
    ends.push({ at: now + lifetime, idx });
  }
  return { counts, clientServer };
}

function bar(fraction: number, width: number, color: number): string {
  const cells = fraction * width;
  const full = Math.floor(cells);
  const part = ' ▏▎▍▌▋▊▉'[Math.floor((cells - full) * 8)] ?? '';
  const s = '█'.repeat(full) + (full < width ? part : '');
  return paint(color, s.padEnd(width));
}

function row(name: string, r: Result, removed: Set<number>, moved?: string): string {
  const cells = SERVERS.map((_, i) => {
    if (removed.has(i)) return dim('   (removed)    ');
    const f = r.counts[i]! / CONNECTIONS;
    return `${bar(f, 9, COLORS[i]!)}${(f * 100).toFixed(1).padStart(5)}%`;
  });
  const none = r.counts[SERVERS.length]!;
  const noneText = none > 0 ? paint(31, `${String(none).padStart(5)}`) : dim('    0');
  return `  ${bold(name.padEnd(4))} ${cells.join('  ')}  ${noneText}  ${moved ?? dim('     -')}`;
}

function header(): string {
  const cols = SERVERS.map((s, i) => paint(COLORS[i]!, `${s.name} w=${s.weight}`.padEnd(16))).join('  ');
  return `  ${''.padEnd(4)} ${cols}  ${dim('none')}  ${dim('moved')}`;
}

/** Prints how rr, wrr, wlc, sh and mh spread connections, then quiesce and removal. */
export function runSchedulerDemo(): void {
  const weights = SERVERS.map((s) => s.weight);
  const total = weights.reduce((a, b) => a + b, 0);
  console.log(bold('lvskit — how the kernel IPVS schedulers spread connections'));
  console.log(
    dim(
      `${CONNECTIONS.toLocaleString('en')} new connections from ${CLIENTS.toLocaleString('en')} clients to VIP 198.18.0.10:80, ` +
        `one per ms, each open 20–420 ms. Weights ${weights.join(':')} (ideal ${weights.map((w) => `${((100 * w) / total).toFixed(0)}%`).join(' / ')}).`,
    ),
  );
  console.log(dim('"none": connections no real server could take (the kernel answers ICMP port unreachable)'));
  console.log(dim('"moved": clients of surviving servers that a hash scheduler now sends elsewhere'));

  const phases: Phase[] = ['all up', 'rs4 quiesced (weight 0)', 'rs2 removed'];
  const baseline = new Map<string, Int32Array>();
  for (const [p, phase] of phases.entries()) {
    console.log(`\n${bold(`${p + 1}. ${phase}`)}`);
    console.log(header());
    for (const name of SCHEDULERS) {
      const s = createScheduler(name);
      // ipvsadm -a order rs1..rs4; the kernel puts each new server at the head of the list.
      const handles: number[] = SERVERS.map((sv) => s.add({ address: sv.address, port: sv.port, weight: sv.weight }));
      const removed = new Set<number>();
      if (phase === 'rs4 quiesced (weight 0)') s.update(handles[3]!, { weight: 0 });
      if (phase === 'rs2 removed') {
        s.remove(handles[1]!);
        handles[1] = NO_SERVER;
        removed.add(1);
      }
      const r = runPhase(s, handles, 7);
      let moved: string | undefined;
      if (name === 'sh' || name === 'mh') {
        const before = baseline.get(name);
        if (!before) baseline.set(name, r.clientServer);
        else {
          // Clients whose first-phase server is still taking connections: did they keep it?
          const gone = phase === 'rs2 removed' ? 1 : 3;
          let survivors = 0;
          let changed = 0;
          for (let c = 0; c < CLIENTS; c++) {
            const was = before[c]!;
            if (was < 0 || was === gone) continue;
            survivors++;
            if (r.clientServer[c] !== was) changed++;
          }
          moved = `${((100 * changed) / Math.max(1, survivors)).toFixed(1).padStart(5)}%`;
        }
      }
      console.log(`${row(name, r, removed, moved)}  ${dim(NOTES[name] ?? '')}`);
    }
  }
  console.log(`\n${dim('Same figures every run (seeded). Library: packages/schedulers (README there).')}`);
}
