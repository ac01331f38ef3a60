/**
 * The seed 003 keepalived.conf (examples/seed-003, the README's `npm run example:seed-003`) in the lab, through the
 * example's own functions: `lvskit run` as real processes in two director namespaces (the seed's MASTER file and
 * the derived BACKUP), DR real servers with real HTTP servers. Checks one MASTER, HTTP through the VIP, `lvsadm -Ln`
 * byte for byte as ipvsadm 1.31 prints this config, the metrics, failover on SIGTERM, a real server
 * leaving the table when its HTTP server stops, and a clean teardown.
 */
import { listNamespacesSync, requireLab } from '@lvskit/netlab';
import { describe, expect, it } from 'vitest';
import { ADDR, fetchIn, lvsadm, METRICS_PORT, servesVip, startSeed003Lab } from '../../../../examples/seed-003/lab.js';

const canRun = requireLab();

/** ipvsadm 1.31 `-Ln` for the seed's virtual_server (list_service / print_service formats), built literally. */
function expectedList(counts: Record<string, [number, number]> = {}): string {
  const rs = (addr: string) => {
    const [active, inactive] = counts[addr] ?? [0, 0];
    // "  -> %-28s %-7s %-6d %-10u %-10u\n"
    return `  -> ${`${addr}:80`.padEnd(28)} ${'Route'.padEnd(7)} ${'3'.padEnd(6)} ${String(active).padEnd(10)} ${String(inactive).padEnd(10)}\n`;
  };
  return [
    'Prot LocalAddress:Port Scheduler Flags\n',
    '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n',
    `TCP  ${ADDR.vip}:80 wlc persistent 60\n`,
    rs(ADDR.rs1),
    rs(ADDR.rs2),
  ].join('');
}

describe.runIf(canRun)('lab: the seed 003 keepalived.conf under lvskit run', () => {
  it('one MASTER serves the VIP, lvsadm -Ln is ipvsadm text, metrics count, the backup takes over on SIGTERM, a failed real server leaves the table', async () => {
    const s = await startSeed003Lab();
    const prefix = s.lab.prefix;
    const pids = [s.directors.dir1.pid, s.directors.dir2.pid];
    try {
      const { lab, hosts, directors } = s;
      expect(servesVip(directors.dir1)).toBe(true);
      expect(servesVip(directors.dir2)).toBe(false);
      expect(directors.dir2.output()).toMatch(/\(VI_1\) Entering BACKUP STATE/);

      const listed = lvsadm(s.sockets.dir1, ['-Ln']);
      expect(listed.status).toBe(0);
      const [header, ...rest] = listed.stdout.split('\n');
      expect(header).toMatch(/^IP Virtual Server version 1\.2\.1 \(size=\d+\)$/);
      expect(rest.join('\n')).toBe(expectedList());

      // persistence_timeout 60: every request of one client goes to the real server its first one got.
      const bodies: string[] = [];
      for (let i = 0; i < 5; i++) bodies.push((await fetchIn(lab, hosts.client, `http://${ADDR.vip}/`)).trim());
      expect(bodies.every((b) => b === bodies[0])).toBe(true);
      expect(['rs1', 'rs2']).toContain(bodies[0]);
      const chosen = bodies[0] === 'rs1' ? ADDR.rs1 : ADDR.rs2;

      const metrics = await fetchIn(lab, hosts.dir1, `http://127.0.0.1:${METRICS_PORT}/metrics`);
      expect(metrics).toMatch(/^lvskit_ipvs_connections_total 5$/m);
      const labels = `local_address="${ADDR.vip}",local_port="80",remote_address="${chosen}",remote_port="80",proto="TCP"`;
      expect(metrics).toContain(`lvskit_ipvs_backend_weight{${labels}`);
      expect(metrics).toMatch(new RegExp(`lvskit_ipvs_backend_connections_inactive\\{${labels},local_mark=""\\} 5`));

      // Fail the master: the backup enters MASTER (priority 0 from the stopping master) and HTTP keeps answering.
      const seen = directors.dir2.output().length;
      process.kill(directors.dir1.pid, 'SIGTERM');
      expect((await directors.dir1.exited).code).toBe(0);
      await directors.dir2.waitForOutput(/Entering MASTER STATE[\s\S]*Serving VIP/, 30_000);
      expect(directors.dir2.output().slice(seen)).toMatch(/\(VI_1\) Entering MASTER STATE/);
      expect(servesVip(directors.dir2)).toBe(true);
      for (let i = 0; i < 3; i++)
        expect(['rs1', 'rs2']).toContain((await fetchIn(lab, hosts.client, `http://${ADDR.vip}/`)).trim());
      const after = lvsadm(s.sockets.dir2, ['-Ln']);
      expect(after.stdout).toContain(`TCP  ${ADDR.vip}:80 wlc persistent 60\n`);

      // A real server's HTTP server stops: its TCP_CHECK fails (delay_loop 6, retry 3 × delay_before_retry 3) and,
      // without inhibit_on_failure, keepalived removes it from the table; lvsadm shows the other alone.
      await s.servers.rs1.stop();
      await directors.dir2.waitForOutput(
        new RegExp(`Removing service \\[${ADDR.rs1.replaceAll('.', '\\.')}\\]:80`),
        40_000,
      );
      const down = lvsadm(s.sockets.dir2, ['-Ln']);
      expect(down.stdout).not.toContain(ADDR.rs1);
      expect(down.stdout).toContain(`  -> ${`${ADDR.rs2}:80`.padEnd(28)} Route   3 `);
      expect((await fetchIn(lab, hosts.client, `http://${ADDR.vip}/`)).trim()).toBe('rs2');
    } finally {
      await s.destroy();
    }
    expect(listNamespacesSync().filter((n) => n.startsWith(prefix))).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
