/**
 * Part 2 of `npm start` when the machine allows it: a REAL director. Builds a netlab lab (a client, a
 * director and four real servers on one segment, each real server running netlab's HTTP server that answers
 * its own name, set up for direct routing with `applyDrRealServer`), starts `@lvskit/core`'s director on the
 * `@lvskit/forwarders` datapath (AF_PACKET in the director's namespace), sends real HTTP requests to the VIP
 * from the client namespace, and shows the live `ipvsadm -Ln` / `--stats` / `--rate` view and which real
 * server answered, while the operator timeline of the simulated demo quiesces, adds and removes real servers.
 * It must never touch the root namespace (netlab's rules) and must always tear the lab down: `lab.destroy()`
 * in `finally`, netlab's exit/signal hooks, watchdog and sweeper for crashes.
 */
import { fileURLToPath } from 'node:url';
import { ipvs, runIpvsadm } from '@lvskit/core';
import { applyDrRealServer, createDatapath } from '@lvskit/forwarders';
import { nativeUnavailableReason } from '@lvskit/native';
import { buildSegmentLab, type LabHost, labUnavailableReason, progress } from '@lvskit/netlab';

const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: number, s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = (s: string) => paint(1, s);
const dim = (s: string) => paint(2, s);

const VIP = '198.18.0.100';
const CLIENT_SCRIPT = fileURLToPath(new URL('./lab-client.mjs', import.meta.url));
/** Requests per second the client sends (each on a new connection; one in ten held open idle first). */
const RATE = 25;

/**
 * Why the real-director demo cannot run here, or undefined when it can. Never throws and never fails the
 * run: the caller falls back to the simulated director (the same checks as netlab's `requireLab()`, without
 * its CI failure, plus the native addon).
 */
export function labDemoUnavailableReason(): string | undefined {
  const lab = labUnavailableReason();
  if (lab !== undefined) return lab;
  const native = nativeUnavailableReason();
  if (native !== undefined) return `the native packet-socket addon is unavailable (${native})`;
  return undefined;
}

/** Runs the real-director demo; resolves when the timeline is over (or soon after Ctrl-C), the lab gone. */
export async function runLabDirectorDemo(): Promise<void> {
  // On a terminal: 40 s live at one refresh per second. Otherwise a compressed timeline and four snapshots.
  const seconds = tty ? 40 : 12;
  const at = tty ? [10, 20, 30] : [3, 6, 9];
  const snapshots = new Set(tty ? [] : [2, 5, 8, 12]);

  let stopped = false;
  const onSigint = () => {
    stopped = true;
  };
  // Ctrl-C while the lab is being built ends the loop below at once (then `finally` destroys the lab). Once the
  // lab exists, netlab's SIGINT hook runs after this one-shot listener has removed itself: it tears the lab
  // down synchronously and re-raises, so the demo ends at once with nothing left (checked: exit 130, no
  // namespace remains).
  process.once('SIGINT', onSigint);

  console.log(dim('building the lab (6 network namespaces, 4 HTTP servers)…'));
  const { lab, hosts, ip } = await buildSegmentLab({ hosts: ['client', 'director', 'rs1', 'rs2', 'rs3', 'rs4'] });
  // On a terminal, one line on stderr says which set-up step runs (netlab's progress; nothing when piped).
  const setup = progress('demo: setting up', { total: 2 });
  try {
    const names = ['rs1', 'rs2', 'rs3', 'rs4'] as const;
    const servers = names.map((n) => hosts[n]);
    // Each real server: VIP on lo, ARP quiet (lvs_server.sh); no undo needed, its namespace is deleted.
    setup.step('real servers rs1–rs4: VIP on lo, ARP quiet, HTTP servers');
    await Promise.all(
      servers.map(async (rs) => {
        await applyDrRealServer({ vips: [VIP], netns: rs.ns });
        await lab.httpServer(rs, 80, rs.name);
      }),
    );
    // The client's veth leaves TCP checksums to offload; the datapath completes them (no ethtool needed).
    setup.step('the director: datapath on eth0, IPVS service and real servers');
    const mac = (h: LabHost) => h.interfaces.get('eth0')?.mac ?? '';
    const datapath = createDatapath({
      ifname: 'eth0',
      netns: hosts.director.ns,
      vips: [VIP],
      address: ip.director,
      neighbours: Object.fromEntries(names.map((n) => [ip[n], mac(hosts[n])])),
    });
    const lvs = await ipvs()
      .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'wlc' })
      .realServer('web', { address: ip.rs1, method: 'route', weight: 3 })
      .realServer('web', { address: ip.rs2, method: 'route', weight: 2 })
      .realServer('web', { address: ip.rs3, method: 'route', weight: 1 })
      .start({ packets: datapath });
    setup.done();
    const started = Date.now();
    const elapsed = () => Math.round((Date.now() - started) / 1000);
    const log: string[] = [];
    const note = (text: string) => log.push(`${String(elapsed()).padStart(3)} s  ${text}`);
    lvs.on('realServerQuiesced', (e) => note(`  event realServerQuiesced ${e.address}`));
    lvs.on('realServerAdded', (e) => note(`  event realServerAdded ${e.address}`));
    lvs.on('realServerRemoved', (e) => note(`  event realServerRemoved ${e.address}`));

    const timeline = new Map<number, [string, string]>([
      [at[0] ?? 10, [`-e -t ${VIP}:80 -r ${ip.rs3}:80 -g -w 0`, 'quiesce rs3 (weight 0): no new connections']],
      [at[1] ?? 20, [`-a -t ${VIP}:80 -r ${ip.rs4}:80 -g -w 2`, 'add rs4 with weight 2']],
      [at[2] ?? 30, [`-d -t ${VIP}:80 -r ${ip.rs2}:80`, 'remove rs2']],
    ]);

    const client = lab.spawn(hosts.client, [
      process.execPath,
      CLIENT_SCRIPT,
      '--vip',
      VIP,
      '--rate',
      String(RATE),
      '--seconds',
      String(seconds + 1),
      '--count',
      String(RATE * (seconds + 1)),
    ]);
    try {
      await client.waitForOutput(/ready/, 10_000);
      // Who answered: the HTTP bodies (each real server's name), total and in the last second.
      const total = new Map<string, number>(names.map((n) => [n, 0]));
      let lastSecond = new Map<string, number>();
      let recent: string[] = [];
      let errors = 0;
      let lastError = '';
      let read = 0;
      const drain = () => {
        const out = client.output();
        const end = out.lastIndexOf('\n') + 1;
        const lines = out.slice(read, end).split('\n');
        read = end;
        lastSecond = new Map();
        for (const line of lines) {
          if (line.startsWith('ok ')) {
            const who = line.slice(3);
            total.set(who, (total.get(who) ?? 0) + 1);
            lastSecond.set(who, (lastSecond.get(who) ?? 0) + 1);
            recent.push(who);
          } else if (line.startsWith('err ')) {
            errors++;
            lastError = line.slice(4);
          }
        }
        recent = recent.slice(-24);
      };

      const screen = (t: number): string => {
        const list = runIpvsadm(lvs.ipvsadm, '-Ln').stdout;
        const stats = runIpvsadm(lvs.ipvsadm, '-Ln --stats').stdout.split('\n').slice(1).join('\n');
        const rate = runIpvsadm(lvs.ipvsadm, '-Ln --rate').stdout.split('\n').slice(1).join('\n');
        const answered = names.map((n) => {
          const last = lastSecond.get(n) ?? 0;
          return `  ${n} ${ip[n]}  last second ${String(last).padStart(3)}  total ${String(total.get(n) ?? 0).padStart(5)}  ${'█'.repeat(last)}`;
        });
        const c = datapath.counters;
        return [
          bold(`lvskit — a real director in a network lab, t = ${t} s of ${seconds}`) +
            dim(`   (DR, wlc; ${RATE} HTTP requests/s from ${ip.client}, one in ten held open 3–12 s)`),
          '',
          bold('$ ipvsadm -Ln'),
          list,
          bold('$ ipvsadm -Ln --stats') + dim('   (the director sees requests only: DR replies bypass it)'),
          stats,
          bold('$ ipvsadm -Ln --rate') + dim('   (the kernel estimator: 2 s samples, EWMA ¼)'),
          rate,
          bold('who answered') + dim('   (the HTTP bodies: each real server answers its own name)'),
          ...answered,
          `  last answers: ${recent.join(' ') || dim('(none yet)')}`,
          `  client errors: ${errors}${lastError ? dim(` (last: ${lastError})`) : ''}` +
            dim(`   datapath: ${c[0]} frames in, ${c[1]} forwarded, ${c[3]} ARP answered`),
          bold('operator timeline'),
          ...(log.length ? log.slice(-6) : [dim(`  (nothing yet: at ${at.join(' s, ')} s the operator acts)`)]),
        ].join('\n');
      };

      for (let t = 1; t <= seconds && !stopped; t++) {
        // One refresh per second of real time, whatever the rendering cost.
        await new Promise((r) => setTimeout(r, Math.max(0, started + t * 1000 - Date.now())));
        drain();
        const step = timeline.get(t);
        if (step) {
          note(`ipvsadm ${step[0]}   # ${step[1]}`);
          const r = runIpvsadm(lvs.ipvsadm, step[0]);
          if (r.exitCode !== 0) note(`  ipvsadm: ${r.stderr.trim()}`);
        }
        if (tty) process.stdout.write(`\x1b[H\x1b[2J${screen(t)}\n${dim('Ctrl-C to stop')}\n`);
        else if (snapshots.has(t)) console.log(`\n${screen(t)}`);
      }
    } finally {
      await client.stop(500).catch(() => {});
      await lvs.stop().catch(() => {});
    }
  } finally {
    setup.done();
    process.off('SIGINT', onSigint);
    await lab.destroy();
  }
}
