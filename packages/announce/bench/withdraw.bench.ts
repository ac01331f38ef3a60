/**
 * How fast a graceful withdraw reaches the router's FIB (issue 15: "within 50 ms"), in the announce lab
 * (test/lab/ecmp-lab.ts: BIRD 2 router, three GoBGP directors). `npm run bench -w @lvskit/announce` (root,
 * gobgpd and bird2; otherwise one line, exit 0).
 *
 * Per round, two withdraws of director 1's route, each timed from the call to the first route change
 * `ip monitor route` prints in the router's namespace (the kernel FIB dropping that next hop), each followed
 * by an announce and a wait for the three next hops (not timed): `withdraw()` (one gRPC `DeletePath` on the
 * channel the announcer keeps open), and the baseline, the same withdraw through GoBGP's own CLI
 * (`gobgp --target … global rib del`, a client process per change, as the first version of the announcer
 * did). Printed: per-round figures, medians, min/max and the ratio. Environment: ROUNDS (default 15).
 */
import { labUnavailableReason, onPath } from '@lvskit/netlab';
import { buildEcmpLab, VIP } from '../test/lab/ecmp-lab.js';

const ROUNDS = Number(process.env.ROUNDS ?? 15);

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const why =
  labUnavailableReason() ??
  (['gobgpd', 'gobgp', 'bird'].every(onPath) ? undefined : 'gobgpd, gobgp and bird (Debian gobgpd, bird2) are needed');
if (why !== undefined) {
  console.log(`withdraw bench: skipped (${why})`);
  process.exit(0);
}

const e = await buildEcmpLab(3);
try {
  for (const a of e.announcers) await a.announce(VIP);
  await e.waitNextHops((h) => h.length === 3, 30_000);
  const monitor = e.lab.spawn(e.router, ['ip', 'monitor', 'route']);
  await new Promise((r) => setTimeout(r, 300));
  const a = e.announcers[0]!;
  const viaApi: number[] = [];
  const viaCli: number[] = [];
  const timed = async (withdraw: () => Promise<unknown>): Promise<number> => {
    const before = monitor.output().length;
    const t0 = performance.now();
    const done = withdraw();
    while (monitor.output().length === before) await new Promise((r) => setTimeout(r, 1));
    const ms = performance.now() - t0;
    await done;
    await a.announce(VIP);
    await e.waitNextHops((h) => h.length === 3, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    return ms;
  };
  const cli = ['gobgp', '--target', a.apiTarget!, 'global', 'rib', 'del', `${VIP}/32`, '-a', 'ipv4'];
  for (let i = 0; i < ROUNDS; i++) {
    viaApi.push(await timed(() => a.withdraw(VIP)));
    viaCli.push(await timed(() => e.lab.exec(e.directors[0]!, cli)));
  }
  const f = (x: number) => x.toFixed(1);
  const line = (what: string, xs: number[]) =>
    console.log(
      `${what}: median ${f(median(xs))} ms, min ${f(Math.min(...xs))}, max ${f(Math.max(...xs))}  [${xs.map(f).join(' ')}]`,
    );
  console.log(`withdraw → router FIB, ${ROUNDS} rounds each, interleaved:`);
  line('  withdraw() (gRPC DeletePath)', viaApi);
  line('  baseline: gobgp CLI rib del', viaCli);
  console.log(`  ratio baseline / withdraw(): ${(median(viaCli) / median(viaApi)).toFixed(1)}`);
} finally {
  await e.destroy();
}
