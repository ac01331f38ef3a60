/**
 * Part 3 of `npm start`: the README's HA director (`examples/ha-director`), twice. As root with the lab it runs
 * for real: two director processes in two namespaces, two DR real servers, a client requesting the VIP every
 * 20 ms; the master is killed, then a real server fails. Otherwise the same two directors run on fakes in
 * simulated time. Either way it prints the timeline. It must never leave namespaces or processes behind.
 */
import { fileURLToPath } from 'node:url';
import type { Director } from '@lvskit/director';
import { TestNetwork } from '@lvskit/director/testing';
import { applyDrRealServer } from '@lvskit/forwarders';
import { buildSegmentLab, type LabProcess, progress } from '@lvskit/netlab';
import { haDirector } from '../ha-director/director.js';

const VIP = '198.18.0.100';

function line(t: number, who: string, what: string): void {
  console.log(`  ${(t / 1000).toFixed(3).padStart(7)} s  ${who.padEnd(9)} ${what}`);
}

/** The HA pair on fakes: one FakeClock, one VRRP segment, scripted checks. Instant; needs no privileges. */
export async function runHaDemoSimulated(): Promise<void> {
  console.log('\n== Part 3: an HA pair of directors (simulated time, fakes) ==');
  const net = new TestNetwork();
  const log = (name: string, d: Director) => {
    d.on('vrrpTransition', (e) => line(net.clock.now(), name, `VRRP ${e.from} -> ${e.to} (${e.reason})`));
    d.on('serving', (e) => line(net.clock.now(), name, `${e.vip} ${e.serving ? 'SERVING' : 'not serving'}`));
    d.on('realServerDown', (e) => line(net.clock.now(), name, `real server ${e.address}:${e.port} DOWN (${e.reason})`));
    d.on('realServerUp', (e) => line(net.clock.now(), name, `real server ${e.address}:${e.port} up`));
  };
  const a = haDirector(150, net.ports({ address: '198.18.0.1' }));
  const b = haDirector(100, net.ports({ address: '198.18.0.2' }));
  log('director1', a);
  log('director2', b);
  // The example writes its own lines too; keep the demo's timeline only.
  const quiet = console.log;
  console.log = () => {};
  try {
    await a.start();
    await b.start();
    console.log = quiet;
    await net.advance(5_000);
    line(net.clock.now(), 'operator', 'director1 freezes (its adverts stop)');
    net.partition('198.18.0.1', true);
    await net.advance(5_000);
    line(net.clock.now(), 'operator', 'real server 198.18.0.4 fails its HTTP check');
    net.checks.set('http', '198.18.0.4', 80, false);
    await net.advance(5_000);
    const view = b.ipvs.list()[0]!;
    line(
      net.clock.now(),
      'director2',
      `table: ${view.realServers.map((r) => `${r.address}:${r.port}/${r.weight}`).join(', ')}`,
    );
    line(net.clock.now(), 'operator', 'director1 back: it preempts (priority 150 > 100)');
    net.partition('198.18.0.1', false);
    await net.advance(5_000);
    console.log = () => {};
    await a.stop();
    await b.stop();
  } finally {
    console.log = quiet;
  }
}

/** The HA pair for real, in a lab (root). Throws when the lab cannot run; the lab is removed either way. */
export async function runHaDemoLab(): Promise<void> {
  console.log('\n== Part 3: an HA pair of REAL directors (network lab, DR, live HTTP) ==');
  const main = fileURLToPath(new URL('../ha-director/main.ts', import.meta.url));
  const client = fileURLToPath(new URL('../../packages/director/test/lab/client.mjs', import.meta.url));
  const { lab, hosts } = await buildSegmentLab({ hosts: ['dir1', 'dir2', 'rs1', 'rs2', 'client'] });
  const t0 = Date.now();
  const procs: LabProcess[] = [];
  const follow = (name: string, p: LabProcess) => {
    let seen = 0;
    const timer = setInterval(() => {
      const out = p.output();
      for (const l of out
        .slice(seen)
        .split('\n')
        .filter((x) => x.trim() && x !== 'ready'))
        line(Date.now() - t0, name, l);
      seen = out.length;
    }, 20);
    return () => clearInterval(timer);
  };
  const stops: (() => void)[] = [];
  // On a terminal, one line on stderr while the real servers are set up (netlab's progress; nothing when piped).
  const setup = progress('demo: setting up', { total: 2 });
  try {
    for (const rs of [hosts.rs1, hosts.rs2]) {
      setup.step(`real server ${rs.name}: VIP on lo, ARP quiet, HTTP server`);
      await applyDrRealServer({ vips: [VIP], netns: rs.ns });
      procs.push(await lab.httpServer(rs, 80, rs.name));
    }
    setup.done();
    const start = (host: typeof hosts.dir1, priority: number) =>
      lab.spawn(host, [process.execPath, '--conditions=@lvskit/source', '--import', 'tsx', main, String(priority)]);
    const a = start(hosts.dir1, 150);
    stops.push(follow('director1', a));
    await a.waitForOutput(/serving/, 20_000);
    const b = start(hosts.dir2, 100);
    stops.push(follow('director2', b));
    await b.waitForOutput(/BACKUP/, 20_000);
    const c = lab.spawn(hosts.client, [process.execPath, client, `http://${VIP}/`, '20']);
    const count = () => {
      const rows = c
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { ok: boolean; body: string | null });
      return `${rows.filter((r) => r.ok).length} answered, ${rows.filter((r) => !r.ok).length} failed`;
    };
    await new Promise((r) => setTimeout(r, 2_000));
    line(Date.now() - t0, 'client', count());
    line(Date.now() - t0, 'operator', 'kill -9 director1');
    process.kill(a.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 5_000));
    line(Date.now() - t0, 'client', count());
    line(Date.now() - t0, 'operator', 'stop the HTTP server on rs2 (198.18.0.4)');
    await procs[1]!.stop();
    await new Promise((r) => setTimeout(r, 4_000));
    line(Date.now() - t0, 'client', count());
    await c.stop();
    await b.stop();
  } finally {
    setup.done();
    for (const s of stops) s();
    await lab.destroy();
  }
}
