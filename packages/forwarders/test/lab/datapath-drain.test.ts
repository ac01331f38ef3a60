/**
 * Issue #4's remaining connection-lifetime checks on the live datapath (DR through core's director):
 * a quiesced real server (weight 0) takes no new connections while a connection it already has keeps
 * exchanging data until it finishes, as IPVS does (ip_vs_wrr/rr skip weight-0 destinations in
 * `*_schedule`, while an existing `ip_vs_conn` keeps its `dest` — net/netfilter/ipvs/ip_vs_core.c
 * `ip_vs_in_hook` looks the connection up before any scheduling); and one client cycling through a few
 * source ports sees no one-second stall (the old-connection-reuse SYN drop that `conn_reuse_mode`
 * addresses in ip_vs_core.c would show as a ~1 s SYN retransmission).
 */
import { fileURLToPath } from 'node:url';
import { ipvs } from '@lvskit/core';
import { requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { drLab, VIP } from './dr-lab.js';

const canRun = requireLab();
const ECHO = fileURLToPath(new URL('./tcp-echo.mjs', import.meta.url));

describe.runIf(canRun)('lab: datapath connection lifetime (DR through core)', () => {
  it('a quiesced real server takes no new connections while its existing connection keeps working', async () => {
    const { lab, hosts, ip, datapath } = await drLab();
    try {
      for (const rs of [hosts.rs1, hosts.rs2]) {
        await lab.spawn(rs, [process.execPath, ECHO, 'server', rs.name, '7000']).waitForOutput(/listening/);
      }
      const lvs = await ipvs()
        .service('echo', { protocol: 'tcp', address: VIP, port: 7000, scheduler: 'rr' })
        .realServer('echo', { address: ip.rs1, method: 'route' })
        .realServer('echo', { address: ip.rs2, method: 'route' })
        .start({ packets: datapath });
      try {
        // 40 exchanges 100 ms apart on one connection: about 4 s, across the quiesce.
        const held = lab.spawn(hosts.client, [process.execPath, ECHO, 'client', VIP, '7000', '40', '100']);
        const first = await held.waitForOutput(/connected (rs\d)/, 10_000);
        const owner = /connected (rs\d)/.exec(first)![1]!;
        const other = owner === 'rs1' ? 'rs2' : 'rs1';
        const ownerIp = owner === 'rs1' ? ip.rs1 : ip.rs2;
        await held.waitForOutput(/reply \S+:3\n/, 10_000);
        lvs.editRealServer('echo', { address: ownerIp }, { weight: 0 });
        const repliesAtQuiesce = (held.output().match(/^reply /gm) ?? []).length;
        // New connections while the held one is still running: all to the other server.
        const fresh: string[] = [];
        for (let i = 0; i < 6; i++) {
          const r = await lab.exec(hosts.client, [process.execPath, ECHO, 'client', VIP, '7000', '0', '0'], {
            check: false,
            timeoutMs: 15_000,
          });
          fresh.push(/connected (rs\d)/.exec(r.stdout)?.[1] ?? `failed: ${r.stdout}`);
        }
        expect(fresh).toEqual(Array(6).fill(other));
        const stillRunning = !held.output().includes('done');
        await held.waitForOutput(/^done$/m, 20_000);
        const out = held.output();
        // Every one of the 40 answers came back, all from the quiesced server, many after the quiesce.
        const replies = out.match(/^reply (\S+):(\d+)$/gm) ?? [];
        expect(replies.length).toBe(40);
        expect(replies.every((l) => l.startsWith(`reply ${owner}:`))).toBe(true);
        expect(repliesAtQuiesce).toBeLessThan(10);
        expect(stillRunning).toBe(true);
        expect((await held.exited).code).toBe(0);
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  }, 90_000);

  it('a client cycling through 10 source ports for 300 connections sees no one-second stall', async () => {
    const { lab, hosts, ip, datapath } = await drLab();
    try {
      const lvs = await ipvs()
        .service('web', { protocol: 'tcp', address: VIP, port: 80, scheduler: 'rr' })
        .realServer('web', { address: ip.rs1, method: 'route' })
        .realServer('web', { address: ip.rs2, method: 'route' })
        .start({ packets: datapath });
      try {
        // Connection i binds port 41000 + i % 10: each 5-tuple comes back 30 times while the director
        // still holds its previous connection (closed, in a FIN/TIME_WAIT state in its table) and the real
        // server holds it in TIME_WAIT (`Connection: close`: the server closes first, so the client can
        // rebind the port at once).
        const argv = [process.execPath, ECHO, 'cycle', VIP, '80', '300', '41000', '10'];
        const r = await lab.exec(hosts.client, argv, { check: false, timeoutMs: 240_000 });
        const rows = r.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(' '));
        expect(rows.filter((row) => row[0] !== '200')).toEqual([]);
        expect(rows.length).toBe(300);
        expect(new Set(rows.map((row) => row[1]))).toEqual(
          new Set(Array.from({ length: 10 }, (_, k) => `${41000 + k}`)),
        );
        const worst = Math.max(...rows.map((row) => Number(row[2])));
        // A dropped SYN is retransmitted after 1 s (RFC 6298 initial RTO): any stall shows as >= 1000 ms.
        expect(worst).toBeLessThan(500);
      } finally {
        await lvs.stop();
      }
    } finally {
      await lab.destroy();
    }
  }, 300_000);
});
