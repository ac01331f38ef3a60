/**
 * Scripts go through @lvskit/base's CommandRunner port as argv, never a shell (issue 10 item 1):
 * keepalived splits `misc_path` and `notify_*` lines into words (`alloc_strvec_quoted_escaped`, quotes and
 * backslashes) and `execve`s them; ldirectord `exec`s `(checkcommand, vip, vport, rip, rport)`. Driven by
 * FakeCommandRunner; the real execution is in test/lab/checkers.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock, FakeCommandRunner } from '@lvskit/base/testing';
import { describe, expect, it } from 'vitest';
import {
  externalCheck,
  FakeDirector,
  HealthDirector,
  HealthRunner,
  keepalivedChecker,
  keepalivedPolicy,
  ldirectordChecker,
  miscCheck,
  runScript,
  ScriptedChecker,
  splitCommandLine,
} from '../src/index.js';

const signal = () => new AbortController().signal;

describe('splitCommandLine (keepalived alloc_strvec_quoted_escaped)', () => {
  it('splits on blanks, honours quotes and backslashes, runs no shell syntax', () => {
    expect(splitCommandLine('/usr/local/bin/check  "two words" \'x y\' a\\ b')).toEqual([
      '/usr/local/bin/check',
      'two words',
      'x y',
      'a b',
    ]);
    expect(splitCommandLine('/bin/test -f /tmp/x && exit 0')).toEqual(['/bin/test', '-f', '/tmp/x', '&&', 'exit', '0']);
    expect(splitCommandLine('"/opt/my scripts/up" $HOME')).toEqual(['/opt/my scripts/up', '$HOME']);
  });

  it('refuses an empty line, an unterminated quote and a NUL byte', () => {
    for (const bad of ['', '   ', '"/bin/true', "/bin/x 'y", '/bin/true\u0000x']) {
      expect(() => splitCommandLine(bad)).toThrow(expect.objectContaining({ code: 'HEALTH_INVALID_CONFIG' }));
    }
  });
});

describe('MISC_CHECK through the CommandRunner', () => {
  it('runs misc_path as argv and maps the exit status (misc_dynamic: weight = status − 2)', async () => {
    const fake = new FakeCommandRunner((argv) => ({ code: argv.includes('ten') ? 10 : argv.includes('bad') ? 1 : 0 }));
    const ok = await miscCheck({ path: '/usr/local/bin/check "a b"', runner: fake.runner }).check(signal());
    expect(ok).toMatchObject({ ok: true });
    expect(fake.calls[0]?.argv).toEqual(['/usr/local/bin/check', 'a b']);
    expect((await miscCheck({ path: '/c bad', runner: fake.runner }).check(signal())).ok).toBe(false);
    expect((await miscCheck({ path: '/c ten', runner: fake.runner }).check(signal())).ok).toBe(false);
    const dyn = await miscCheck({ path: '/c ten', dynamic: true, runner: fake.runner }).check(signal());
    expect(dyn).toMatchObject({ ok: true, weight: 8 });
  });

  it('user runs it through runuser, misc_timeout is passed, the abort reaches the runner', async () => {
    const fake = new FakeCommandRunner(() => ({ code: -1, timedOut: true }));
    const r = await miscCheck({ path: '/c x', user: 'nobody', timeoutMs: 300, runner: fake.runner }).check(signal());
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/timed out/);
    expect(fake.calls[0]?.argv).toEqual(['runuser', '-u', 'nobody', '--', '/c', 'x']);
    expect(fake.calls[0]?.options.timeoutMs).toBe(300);
    expect(fake.calls[0]?.options.signal).toBeInstanceOf(AbortSignal);
  });

  it('keepalivedChecker hands the scope runner to MISC_CHECK', async () => {
    const fake = new FakeCommandRunner();
    const spec = keepalivedChecker(
      { type: 'MISC_CHECK', misc_path: "/etc/keepalived/check.sh 'arg one'" },
      { address: '10.0.0.1', port: 80, runner: fake.runner },
    );
    expect((await spec.checker.check(signal())).ok).toBe(true);
    expect(fake.calls.map((c) => c.argv)).toEqual([['/etc/keepalived/check.sh', 'arg one']]);
  });
});

describe('ldirectord external through the CommandRunner', () => {
  it('checkcommand vip vport rip rport, the command not split (ldirectord execs a list)', async () => {
    const fake = new FakeCommandRunner((argv) => ({ code: argv[3] === '10.0.0.5' ? 0 : 1 }));
    const c = externalCheck({
      command: '/opt/my check',
      virtual: '10.0.0.100',
      virtualPort: 80,
      realServer: '10.0.0.5',
      realPort: 8080,
      runner: fake.runner,
    });
    expect((await c.check(signal())).ok).toBe(true);
    expect(fake.calls[0]?.argv).toEqual(['/opt/my check', '10.0.0.100', '80', '10.0.0.5', '8080']);
    const spec = ldirectordChecker(
      { address: '10.0.0.100', port: 80, checktype: 'external', checkcommand: '/bin/chk', checktimeout: 3 },
      { address: '10.0.0.6', port: 80 },
      {},
      { runner: fake.runner },
    );
    expect((await spec?.checker.check(signal()))?.ok).toBe(false);
    expect(fake.calls[1]?.argv).toEqual(['/bin/chk', '10.0.0.100', '80', '10.0.0.6', '80']);
    expect(fake.calls[1]?.options.timeoutMs).toBe(3000);
  });
});

describe('notify and quorum scripts through the CommandRunner', () => {
  it('notify_down / quorum_down run as argv on the transition; a failing script is a warning', async () => {
    const clock = new FakeClock();
    const fake = new FakeCommandRunner((argv) => ({ code: argv[0] === '/bin/page' ? 3 : 0 }));
    const hd = new HealthDirector({
      director: new FakeDirector(),
      runner: new HealthRunner({ clock, random: () => 0 }),
      commandRunner: fake.runner,
    });
    const warnings: string[] = [];
    hd.on('warning', (w) => warnings.push(w.message));
    const a = new ScriptedChecker('a');
    const policy = keepalivedPolicy('TCP_CHECK', { delayLoopMs: 1000, retry: 0, warmupMs: 0 });
    hd.apply([
      {
        id: 'svc',
        mode: 'keepalived',
        quorumDown: '/bin/page "quorum lost"',
        realServers: [
          {
            server: { id: '10.0.0.1:80', address: '10.0.0.1', port: 80 },
            weight: 1,
            notifyDown: "/usr/local/bin/rs-down '10.0.0.1 80'",
            checkers: [{ checker: a, policy, timeoutMs: 100 }],
          },
        ],
      },
    ]);
    hd.start();
    a.set(false);
    await clock.advanceAsync(1000);
    await hd.idle();
    expect(fake.calls.map((c) => c.argv)).toEqual([
      ['/usr/local/bin/rs-down', '10.0.0.1 80'],
      ['/bin/page', 'quorum lost'],
    ]);
    expect(fake.calls[0]?.options.timeoutMs).toBe(30_000);
    expect(warnings).toEqual(['script "/bin/page \\"quorum lost\\"": exited with status 3']);
    hd.stop();
  });

  it('a notify line that cannot be split is refused at apply, before anything runs', () => {
    const fake = new FakeCommandRunner();
    const director = new FakeDirector();
    const hd = new HealthDirector({
      director,
      runner: new HealthRunner({ clock: new FakeClock() }),
      commandRunner: fake.runner,
    });
    expect(() =>
      hd.apply([
        {
          id: 'svc',
          mode: 'keepalived',
          realServers: [
            { server: { id: 'a', address: '10.0.0.1', port: 80 }, weight: 1, notifyUp: '"/bin/x', checkers: [] },
          ],
        },
      ]),
    ).toThrow(expect.objectContaining({ code: 'HEALTH_INVALID_CONFIG' }));
    expect(director.log).toEqual([]);
  });

  it('runScript appends args and passes the timeout', async () => {
    const fake = new FakeCommandRunner();
    await runScript('/bin/notify "a b"', { runner: fake.runner, args: ['INSTANCE', 'VI_1'], timeoutMs: 5 });
    expect(fake.calls[0]).toEqual({ argv: ['/bin/notify', 'a b', 'INSTANCE', 'VI_1'], options: { timeoutMs: 5 } });
  });

  it('nothing in @lvskit/health spawns a process except through the CommandRunner port', () => {
    const src = join(import.meta.dirname, '..', 'src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const spawning = files.filter((f) => /child_process/.test(readFileSync(join(src, f), 'utf8')));
    expect(spawning).toEqual([]);
  });
});
