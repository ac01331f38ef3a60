/**
 * The scale-out lab shared by the announce lab test and its benchmark: a router namespace running BIRD 2
 * (Debian `bird2`) with one eBGP session per director, its kernel protocol merging equal paths into one
 * multipath route (`merge paths`) and a 5-tuple hash (`fib_multipath_hash_policy=3` with
 * `fib_multipath_hash_fields=0x0037`: source and destination address, protocol, source and destination
 * port). Not policy 1: for forwarded packets that carry a socket's L4 hash (`skb->l4_hash`, set by the
 * client's own kernel, and a veth keeps it) policy 1 uses that hash instead of the 5-tuple, which a router
 * fed from a wire never sees; measured here, 60 of 200 connections went where `ip route get` for their
 * 5-tuple said, against 300 of 300 with policy 3. N director
 * namespaces on one segment with the router, each with a {@link GobgpAnnouncer} (its `gobgpd` runs inside
 * the director's namespace); a client namespace behind the router on a link of its own.
 * Addresses: segment 198.18.1.0/24 (router .1, directors .2…), client link 198.18.3.0/30 (router .1,
 * client .2), VIP 198.18.0.100.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab, type LabHost, type LabProcess } from '@lvskit/netlab';
import { GobgpAnnouncer } from '../../src/index.js';

/** The VIP every director announces. */
export const VIP = '198.18.0.100';
/** The router's AS; the directors share {@link DIRECTOR_AS}. */
export const ROUTER_AS = 65000;
/** The directors' AS. */
export const DIRECTOR_AS = 65001;
/** BGP hold time the sessions negotiate, seconds (keepalive 1 s). */
export const HOLD_TIME_SEC = 3;

/** The router as every director's BGP peer (short timers, so the lab reacts in seconds). */
export const ROUTER_PEER = {
  address: '198.18.1.1',
  as: ROUTER_AS,
  holdTimeSec: HOLD_TIME_SEC,
  keepaliveSec: 1,
  connectRetrySec: 1,
  idleHoldSec: 1,
} as const;

/** The lab, built. */
export interface EcmpLab {
  readonly lab: Lab;
  readonly router: LabHost;
  readonly client: LabHost;
  readonly directors: readonly LabHost[];
  /** The directors' segment addresses, in order. */
  readonly addresses: readonly string[];
  readonly announcers: readonly GobgpAnnouncer[];
  readonly bird: LabProcess;
  /** Runs `birdc` against the router's BIRD. */
  birdc(...args: string[]): Promise<string>;
  /** The router's next hops for the VIP, from its kernel FIB (`ip route show`). */
  nextHops(): Promise<string[]>;
  /** Polls {@link EcmpLab.nextHops} every `everyMs` until `ok` holds; resolves with the last list, or throws. */
  waitNextHops(ok: (hops: string[]) => boolean, timeoutMs: number, everyMs?: number): Promise<string[]>;
  destroy(): Promise<void>;
}

/**
 * How the router spreads flows: `ecmp`, BIRD's multipath route in the main table (hash-threshold: removing one
 * of N next hops moves its flows and some of the others'); `resilient`, a resilient next-hop group that
 * resilient-nhg.mjs keeps equal to BIRD's route, which BIRD then exports into table 100 (removing one of N moves
 * only its own flows).
 */
export type RouterMode = 'ecmp' | 'resilient';

/**
 * Builds the lab with `n` directors and starts BIRD and (unless `startAnnouncers` is false) every announcer;
 * nothing is announced yet.
 */
export async function buildEcmpLab(n: number, startAnnouncers = true, mode: RouterMode = 'ecmp'): Promise<EcmpLab> {
  const lab = await createLab();
  const dir = mkdtempSync(join(tmpdir(), 'lvskit-ecmp-'));
  const announcers: GobgpAnnouncer[] = [];
  try {
    const router = await lab.addHost('router', {
      forwarding: true,
      sysctls: { 'net.ipv4.fib_multipath_hash_policy': '3', 'net.ipv4.fib_multipath_hash_fields': '0x0037' },
    });
    const seg = await lab.addSegment('edge');
    await lab.connect(router, seg, { ifname: 'eth0', addresses: ['198.18.1.1/24'] });
    const client = await lab.addHost('client');
    await lab.link(router, client, {
      a: { ifname: 'eth1', addresses: ['198.18.3.1/30'] },
      b: { ifname: 'eth0', addresses: ['198.18.3.2/30'] },
    });
    await lab.addRoute(client, 'default', '198.18.3.1');
    const directors: LabHost[] = [];
    const addresses: string[] = [];
    for (let i = 0; i < n; i++) {
      const d = await lab.addHost(`d${i + 1}`);
      const a = `198.18.1.${i + 2}`;
      await lab.connect(d, seg, { ifname: 'eth0', addresses: [`${a}/24`] });
      await lab.addRoute(d, '198.18.3.0/30', '198.18.1.1');
      directors.push(d);
      addresses.push(a);
    }
    const conf = [
      'router id 198.18.1.1;',
      'protocol device {}',
      // One kernel route with a next hop per director: BIRD merges the equal BGP paths (RFC 4271 §9.1.2.2
      // up to the router-id tie-break) into one multipath route.
      `protocol kernel { ${mode === 'resilient' ? 'kernel table 100; ' : ''}ipv4 { import none; export all; }; merge paths on limit 16; }`,
      ...addresses.map(
        (a, i) =>
          `protocol bgp d${i + 1} { local 198.18.1.1 as ${ROUTER_AS}; neighbor ${a} as ${DIRECTOR_AS}; ` +
          `hold time ${HOLD_TIME_SEC}; keepalive time 1; connect retry time 1; error wait time 1, 2; passive on; ` +
          'ipv4 { import all; export none; }; }',
      ),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'bird.conf'), conf);
    const ctl = join(dir, 'bird.ctl');
    const bird = lab.spawn(router, ['bird', '-f', '-c', join(dir, 'bird.conf'), '-s', ctl]);
    if (mode === 'resilient')
      lab.spawn(router, [
        process.execPath,
        fileURLToPath(new URL('./resilient-nhg.mjs', import.meta.url)),
        `${VIP}/32`,
        '96',
      ]);
    for (let i = 0; i < n; i++) {
      const a = new GobgpAnnouncer({
        localAs: DIRECTOR_AS,
        routerId: addresses[i]!,
        localAddress: addresses[i]!,
        peers: [ROUTER_PEER],
        netns: directors[i]!.ns,
        pollIntervalMs: 200,
      });
      announcers.push(a);
      if (startAnnouncers) await a.start();
    }
    const nextHops = async (): Promise<string[]> => {
      const r = await lab.exec(router, ['ip', '-4', 'route', 'show', `${VIP}/32`], { check: false });
      return [...r.stdout.matchAll(/via (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!).sort();
    };
    return {
      lab,
      router,
      client,
      directors,
      addresses,
      announcers,
      bird,
      birdc: async (...args) => (await lab.exec(router, ['birdc', '-s', ctl, ...args], { check: false })).stdout,
      nextHops,
      async waitNextHops(ok, timeoutMs, everyMs = 20) {
        const end = Date.now() + timeoutMs;
        for (;;) {
          const hops = await nextHops();
          if (ok(hops)) return hops;
          if (Date.now() > end) throw new Error(`router next hops for ${VIP} still ${JSON.stringify(hops)}`);
          await new Promise((r) => setTimeout(r, everyMs));
        }
      },
      async destroy() {
        for (const a of announcers) await a.stop();
        await lab.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const a of announcers) await a.stop();
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
