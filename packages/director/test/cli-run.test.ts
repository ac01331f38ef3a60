/**
 * `lvskit run` as a real process (the bin launcher, from source): pid file, control socket answered by the
 * real `lvsadm` bin, `lvskit reload --dry-run` printing the change set without applying it, SIGHUP applying a
 * changed file, a bad file changing nothing and logged, a second daemon on the same pid file refused, SIGTERM
 * stopping cleanly (pid file and socket removed, exit 0). An ipvsadm rule file needs no interfaces, so no
 * privileges. A keepalived.conf's lvs_sync_daemon with no VRRP instance runs both sync daemons, multicast on lo
 * (no privileges either). And Director.planReload: the changes reload then makes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importIpvsadmRules } from '../src/index.js';
import { TestNetwork } from '../src/testing/index.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const NODE = [process.execPath, '--conditions=@lvskit/source', '--import', 'tsx'];
const tmp = mkdtempSync(join(tmpdir(), 'lvskit-run-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function bin(name: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(NODE[0]!, [...NODE.slice(1), join(ROOT, 'packages/director/bin', name), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
}

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `lvskit run ARGS` as a child process: its log so far (stdout and stderr) and its exit. */
function runChild(args: string[]): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
  let text = '';
  const child = spawn(NODE[0]!, [...NODE.slice(1), join(ROOT, 'packages/director/bin/lvskit.mjs'), 'run', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, log: () => text, exited };
}

const RULES_1 = '-A -t 198.18.2.240:80 -s wlc\n-a -t 198.18.2.240:80 -r 198.18.2.212:80 -g -w 1\n';
const RULES_2 = '-A -t 198.18.2.240:80 -s rr\n-a -t 198.18.2.240:80 -r 198.18.2.213:80 -g -w 2\n';

describe('lvskit run', () => {
  it('runs, answers lvsadm, plans and applies reloads, refuses a bad file and a second daemon, stops on SIGTERM', async () => {
    const rules = join(tmp, 'ipvsadm.rules');
    const sock = join(tmp, 'run', 'lvskit.sock');
    const pid = join(tmp, 'lvskit.pid');
    writeFileSync(rules, RULES_1);
    const { child, log, exited } = runChild([rules, '--control-socket', sock, '--pid-file', pid]);
    await until('the control socket', () => existsSync(sock) && log().includes('Director started'));
    expect(readFileSync(pid, 'utf8').trim()).toBe(String(child.pid));
    const env = { LVSKIT_SOCKET: sock };

    const listed = bin('lvsadm.mjs', ['-Ln'], env);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain('TCP  198.18.2.240:80 wlc\n  -> 198.18.2.212:80              Route   1');

    // A second daemon on the same pid file is refused while the first lives.
    const second = bin('lvskit.mjs', ['run', rules, '--no-control', '--pid-file', pid]);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`names live process ${child.pid}`);

    writeFileSync(rules, RULES_2);
    const plan = bin('lvskit.mjs', ['reload', '--dry-run', '--control-socket', sock]);
    expect(plan.status).toBe(0);
    expect(plan.stdout).toBe(
      [
        'Updating service 198.18.2.240:80/tcp: scheduler',
        'Adding service [198.18.2.213]:80 to VS 198.18.2.240:80/tcp',
        // A removed real server drains (weight 0 until it has no connections or drain.timeoutMs passes).
        'Updating service [198.18.2.212]:80 of VS 198.18.2.240:80/tcp: weight',
        '3 table change(s) planned (dry run: nothing applied)',
        '',
      ].join('\n'),
    );
    expect(bin('lvsadm.mjs', ['-Ln'], env).stdout).toBe(listed.stdout); // nothing applied

    process.kill(child.pid!, 'SIGHUP');
    await until('the reload', () => log().includes('Reloaded: 3 table change(s)'));
    // 198.18.2.212 has no connections: it drains at once, at the director's next drain check.
    await until('the drain', () => log().includes('Removed service [198.18.2.212]:80 from '));
    const reloaded = bin('lvsadm.mjs', ['-Ln'], env).stdout;
    expect(reloaded).toMatch(/TCP {2}198\.18\.2\.240:80 rr\n(?: {2}->.*\n)*? {2}-> 198\.18\.2\.213:80 +Route +2 /);
    expect(reloaded).not.toContain('198.18.2.212');

    // A bad file changes nothing, and every issue is logged at its line.
    writeFileSync(
      rules,
      '-A -t 198.18.2.240:80 -s rr\n-a -t 198.18.2.240:80 -r 198.18.2.213:80 -g -w 2\n-A -t 198.18.2.241:80 -s nope\n',
    );
    process.kill(child.pid!, 'SIGHUP');
    await until('the refusal', () => log().includes('reload refused, nothing changed'));
    expect(log()).toContain(`${rules}:3:1: Scheduler or persistence engine not found`);
    expect(bin('lvsadm.mjs', ['-Ln'], env).stdout).toBe(reloaded);

    process.kill(child.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(pid)).toBe(false);
    expect(existsSync(sock)).toBe(false);
    const lines = log().trim().split('\n');
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow(); // one JSON line per event
    expect(lines.at(-1)).toContain('"msg":"Stopped"');
  }, 120_000);

  it("runs a keepalived.conf's lvs_sync_daemon: both daemons (no instance), -L --daemon, stopped on SIGTERM", async () => {
    // keepalived's lvs_sync_daemon without an instance starts master and backup (check_daemon.c); multicast on
    // lo needs no privileges, and a virtual_server without VRRP or interfaces runs no datapath.
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const conf = join(tmp, 'keepalived.conf');
    writeFileSync(
      conf,
      `global_defs {\n  lvs_sync_daemon lo id 9 port ${port} ttl 2\n}\n` +
        'virtual_server 198.18.2.240 80 {\n  lb_algo wlc\n  lb_kind DR\n  protocol TCP\n' +
        '  real_server 198.18.2.212 80 {\n    weight 1\n  }\n}\n',
    );
    const sock = join(tmp, 'sync', 'lvskit.sock');
    const { child, log, exited } = runChild([conf, '--control-socket', sock, '--pid-file', join(tmp, 'sync.pid')]);
    await until('the daemons', () => existsSync(sock) && log().includes('Director started'));
    expect(log()).toContain('sync thread started: state = MASTER, mcast_ifn = lo, syncid = 9');
    expect(log()).toContain('sync thread started: state = BACKUP, mcast_ifn = lo, syncid = 9');
    const daemons = bin('lvsadm.mjs', ['-L', '--daemon'], { LVSKIT_SOCKET: sock });
    expect(daemons.status).toBe(0);
    expect(daemons.stdout).toMatch(
      new RegExp(
        `^master sync daemon \\(mcast=lo, syncid=9, maxlen=\\d+, group=224\\.0\\.0\\.81, port=${port}, ttl=2\\)\n` +
          `backup sync daemon \\(mcast=lo, syncid=9, maxlen=\\d+, group=224\\.0\\.0\\.81, port=${port}, ttl=2\\)\n$`,
      ),
    );
    process.kill(child.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(log()).toContain('stopping master sync thread');
    expect(log()).toContain('stopping backup sync thread');
  }, 120_000);

  it('a file that cannot run is not started: every issue, exit 1, nothing left', () => {
    const rules = join(tmp, 'bad.rules');
    const pid = join(tmp, 'bad.pid');
    writeFileSync(rules, '-A -t 198.18.2.240:80 -s nope\n-a -t 198.18.2.9:80 -r 198.18.2.1:80\n');
    const r = bin('lvskit.mjs', ['run', rules, '--no-control', '--pid-file', pid]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${rules}:1:1: Scheduler or persistence engine not found`);
    expect(r.stderr).toContain(`${rules}:2:1: Service not defined`);
    expect(existsSync(pid)).toBe(false);
  }, 60_000);
});

describe('Director.planReload', () => {
  it('returns exactly the changes reload then makes, and changes nothing itself', async () => {
    const net = new TestNetwork();
    const d = net.director(importIpvsadmRules(RULES_1).config);
    await d.start();
    const next = importIpvsadmRules(RULES_2).config;
    const saved = () => JSON.stringify(d.status()) + JSON.stringify(d.ipvs.list());
    const was = saved();
    const planned = await d.planReload(next);
    expect(saved()).toBe(was);
    expect(planned.length).toBe(3);
    expect(await d.reload(next)).toEqual(planned);
    await d.stop();
    await expect(d.planReload(next)).rejects.toMatchObject({ code: 'DIRECTOR_STATE' });
  });
});
