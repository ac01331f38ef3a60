/**
 * `npm run example:seed-003`: the seed 003 keepalived.conf (DR, wlc, persistence 60, TCP_CHECK, VRRP VI_1) run
 * unchanged by `lvskit run` in a network lab. Two director namespaces (dir1 198.18.2.210 with the seed's file, dir2
 * 198.18.2.211 with the BACKUP file derived as keepalived's docs do: `state BACKUP`, `priority 50`), two DR real
 * servers (198.18.2.212/.213, VIP on lo, arp_ignore 1 / arp_announce 2 as the seed's lvs_server.sh does, each an
 * HTTP server answering its name) and a client (198.18.2.100), all on one segment with interfaces named `eth0` as
 * the conf names it. It prints every command as a user could type it, checks each with Node (fetch inside the
 * namespace; curl too when it is installed), fails the master with SIGTERM and shows the backup serving.
 * `--keep` leaves the lab up until Ctrl-C. Not root (or no namespaces): one line why, exit 1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyDrRealServer } from '@lvskit/forwarders';
import { createLab, type Lab, type LabHost, type LabProcess, labUnavailableReason, onPath } from '@lvskit/netlab';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The seed's config with lab addresses. */
export const CONF = fileURLToPath(new URL('./keepalived.conf', import.meta.url));
const LVSKIT = join(ROOT, 'packages/director/bin/lvskit.mjs');
const LVSADM = join(ROOT, 'packages/director/bin/lvsadm.mjs');
const NODE = [process.execPath, '--conditions=@lvskit/source', '--import', 'tsx'];
/** The seed's VIP, directors and real servers (192.168.2.x → 198.18.2.x) and the lab's client. */
export const ADDR = {
  vip: '198.18.2.240',
  dir1: '198.18.2.210',
  dir2: '198.18.2.211',
  rs1: '198.18.2.212',
  rs2: '198.18.2.213',
  client: '198.18.2.100',
} as const;
/** Metrics port of both daemons (inside each director's namespace, on 127.0.0.1). */
export const METRICS_PORT = 9100;

/** The running lab. */
export interface Seed003Lab {
  readonly lab: Lab;
  readonly hosts: Record<'dir1' | 'dir2' | 'rs1' | 'rs2' | 'client', LabHost>;
  readonly directors: Record<'dir1' | 'dir2', LabProcess>;
  /** The real servers' HTTP servers (stop one to fail its TCP_CHECK). */
  readonly servers: Record<'rs1' | 'rs2', LabProcess>;
  /** Control socket of each daemon (for `LVSKIT_SOCKET=… lvsadm -Ln`). */
  readonly sockets: Record<'dir1' | 'dir2', string>;
  readonly tmp: string;
  /** Tears everything down (idempotent). */
  destroy(): Promise<void>;
}

/** The BACKUP node's file, derived from the seed's as keepalived's docs do: `state BACKUP`, lower priority. */
export function backupConf(text: string): string {
  return text.replace(/state MASTER/, 'state BACKUP').replace(/priority 100/, 'priority 50');
}

/** Builds the lab and starts `lvskit run` in both director namespaces (dir1 first). */
export async function startSeed003Lab(print: (line: string) => void = () => {}): Promise<Seed003Lab> {
  const lab = await createLab();
  const tmp = mkdtempSync(join(tmpdir(), 'lvskit-seed003-'));
  const destroy = async () => {
    await lab.destroy();
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    const lan = await lab.addSegment('lan');
    const names = ['dir1', 'dir2', 'rs1', 'rs2', 'client'] as const;
    const hosts = {} as Record<(typeof names)[number], LabHost>;
    for (const n of names) {
      hosts[n] = await lab.addHost(n);
      await lab.connect(hosts[n], lan, { ifname: 'eth0', addresses: [`${ADDR[n]}/24`] });
    }
    for (const rs of [hosts.rs1, hosts.rs2]) await applyDrRealServer({ vips: [ADDR.vip], netns: rs.ns });
    const servers = {
      rs1: await lab.httpServer(hosts.rs1, 80, 'rs1'),
      rs2: await lab.httpServer(hosts.rs2, 80, 'rs2'),
    };
    const backup = join(tmp, 'keepalived-backup.conf');
    writeFileSync(backup, backupConf(readFileSync(CONF, 'utf8')));
    const sockets = { dir1: join(tmp, 'dir1.sock'), dir2: join(tmp, 'dir2.sock') };
    const run = (h: LabHost, file: string, sock: string) => {
      const args = ['run', file, '--control-socket', sock, '--metrics-port', String(METRICS_PORT)];
      print(`ip netns exec ${h.ns} node packages/director/bin/lvskit.mjs ${args.join(' ')}`);
      return lab.spawn(h, [...NODE, LVSKIT, ...args]);
    };
    const dir1 = run(hosts.dir1, CONF, sockets.dir1);
    await dir1.waitForOutput(/Entering MASTER STATE/, 30_000);
    const dir2 = run(hosts.dir2, backup, sockets.dir2);
    await dir2.waitForOutput(/Entering BACKUP STATE/, 30_000);
    return { lab, hosts, directors: { dir1, dir2 }, servers, sockets, tmp, destroy };
  } catch (e) {
    await destroy();
    throw e;
  }
}

/** `lvsadm ARGS` against a daemon's control socket (run in the root namespace: the socket is a file). */
export function lvsadm(sock: string, args: readonly string[]): { status: number | null; stdout: string } {
  const r = spawnSync(NODE[0]!, [...NODE.slice(1), LVSADM, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LVSKIT_SOCKET: sock },
  });
  return { status: r.status, stdout: r.stdout + r.stderr };
}

/** GET `url` with Node's fetch inside `host`'s namespace: the body, or `err <reason>`. */
export async function fetchIn(lab: Lab, host: LabHost, url: string): Promise<string> {
  const script = `fetch(${JSON.stringify(url)},{signal:AbortSignal.timeout(3000)}).then(r=>r.text()).then(t=>process.stdout.write(t),e=>process.stdout.write('err '+e.message))`;
  const r = await lab.exec(host, [process.execPath, '-e', script], { check: false });
  return r.stdout;
}

/** Whether a daemon has logged that it serves the VIP (lvskit's datapath answers ARP for it; no kernel address). */
export function servesVip(p: LabProcess): boolean {
  const out = p.output();
  return out.lastIndexOf(`Serving VIP ${ADDR.vip}`) > out.lastIndexOf(`No longer serving VIP ${ADDR.vip}`);
}

async function main(): Promise<number> {
  const keep = process.argv.includes('--keep');
  const why = labUnavailableReason();
  if (why !== undefined) {
    console.log(`example:seed-003 needs the network lab: ${why}`);
    return 1;
  }
  const say = (l: string) => console.log(l);
  const cmd = (l: string) => console.log(`\n$ ${l}`);
  const curl = onPath('curl');
  say(`building the lab and starting lvskit run ${CONF} in two director namespaces…`);
  const s = await startSeed003Lab(cmd);
  try {
    const { lab, hosts } = s;
    const show = async (host: LabHost, url: string, times: number) => {
      for (let i = 0; i < times; i++) {
        cmd(`ip netns exec ${host.ns} curl -s ${url}`);
        say((await fetchIn(lab, host, url)).trimEnd());
      }
    };
    say(`\n${hosts.dir1.ns} is MASTER (serves the VIP: ${servesVip(s.directors.dir1)}), ${hosts.dir2.ns} BACKUP`);
    cmd(`LVSKIT_SOCKET=${s.sockets.dir1} node packages/director/bin/lvsadm.mjs -Ln`);
    say(lvsadm(s.sockets.dir1, ['-Ln']).stdout.trimEnd());
    await show(hosts.client, `http://${ADDR.vip}/`, 3);
    say('(persistence_timeout 60: one client stays on one real server)');
    const metricsUrl = `http://127.0.0.1:${METRICS_PORT}/metrics`;
    cmd(`ip netns exec ${hosts.dir1.ns} curl -s ${metricsUrl} | grep lvskit_ipvs_`);
    const metrics = await fetchIn(lab, hosts.dir1, metricsUrl);
    say(
      metrics
        .split('\n')
        .filter((l) => l.startsWith('lvskit_ipvs_'))
        .join('\n'),
    );
    if (curl) {
      const r = await lab.exec(hosts.client, ['curl', '-s', `http://${ADDR.vip}/`], { check: false });
      say(`(curl is installed; it answered: ${r.stdout.trim()})`);
    }
    cmd(`kill -TERM ${s.directors.dir1.pid}   # fail the master`);
    const seen = s.directors.dir2.output().length;
    process.kill(s.directors.dir1.pid, 'SIGTERM');
    await s.directors.dir1.exited;
    const start = Date.now();
    while (!/Entering MASTER STATE/.test(s.directors.dir2.output().slice(seen))) {
      if (Date.now() - start > 30_000) throw new Error('the backup did not become MASTER in 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    say(
      `${hosts.dir2.ns} entered MASTER after ${Date.now() - start} ms; serves the VIP: ${servesVip(s.directors.dir2)}`,
    );
    await show(hosts.client, `http://${ADDR.vip}/`, 2);
    cmd(`LVSKIT_SOCKET=${s.sockets.dir2} node packages/director/bin/lvsadm.mjs -Ln`);
    say(lvsadm(s.sockets.dir2, ['-Ln']).stdout.trimEnd());
    if (keep) {
      say(
        `\nlab up: namespaces ${Object.values(hosts)
          .map((h) => h.ns)
          .join(' ')}`,
      );
      say(`try: ip netns exec ${hosts.client.ns} curl -s http://${ADDR.vip}/`);
      say(`     LVSKIT_SOCKET=${s.sockets.dir2} node packages/director/bin/lvsadm.mjs -Ln`);
      say('Ctrl-C to tear it down');
      await new Promise<void>((r) => process.once('SIGINT', () => r()));
    }
    return 0;
  } finally {
    await s.destroy();
    say('lab torn down');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`example:seed-003 failed: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
