/**
 * Notify scripts run with keepalived's arguments (keepalived.conf(5) `notify`: "INSTANCE"|"GROUP", name,
 * MASTER|BACKUP|FAULT|STOP, priority appended; `notify_master` etc. without arguments). The scripts are real
 * temporary shell scripts; the network is the fake segment.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@lvskit/base/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { VrrpRouter } from '../src/index.js';
import { FakeLinkMonitor, FakeOwnership, FakeSegment } from '../src/testing.js';

const dir = mkdtempSync(join(tmpdir(), 'lvskit-vrrp-notify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string): { path: string; out: string } {
  const out = join(dir, `${name}.out`);
  const path = join(dir, `${name}.sh`);
  writeFileSync(path, `#!/bin/sh\necho "${name} $*" >> "${out}"\n`);
  chmodSync(path, 0o755);
  return { path, out };
}

async function waitForLines(file: string, n: number): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    try {
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      if (lines.length >= n) return lines;
    } catch {
      /* not written yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no ${n} lines in ${file}`);
}

describe('notify scripts', () => {
  it('runs notify_backup / notify_master / notify_stop and notify with INSTANCE name state priority', async () => {
    const any = script('any');
    const master = script('master');
    const backup = script('backup');
    const stop = script('stop');
    const clock = new FakeClock(0);
    const seg = new FakeSegment(clock);
    const r = new VrrpRouter(
      {
        name: 'VI_9',
        interface: 'eth0',
        virtualRouterId: 9,
        priority: 120,
        virtualIpAddresses: ['198.18.0.9/24'],
        sourceIp: '198.18.0.1',
      },
      {
        transport: seg.transport('198.18.0.1'),
        ownership: new FakeOwnership(),
        linkMonitor: new FakeLinkMonitor(),
        clock,
        notify: { any: any.path, master: master.path, backup: backup.path, stop: `${stop.path} "quoted arg"` },
      },
    );
    // Scripts run concurrently, as keepalived forks them: let each transition's scripts finish before the next.
    await r.start();
    await r.notifiesSettled();
    clock.advance(5000);
    await r.notifiesSettled();
    await r.stop();
    await r.notifiesSettled();
    expect(await waitForLines(any.out, 3)).toEqual([
      'any INSTANCE VI_9 BACKUP 120',
      'any INSTANCE VI_9 MASTER 120',
      'any INSTANCE VI_9 STOP 120',
    ]);
    expect(await waitForLines(master.out, 1)).toEqual(['master']);
    expect(await waitForLines(backup.out, 1)).toEqual(['backup']);
    expect(await waitForLines(stop.out, 1)).toEqual(['stop quoted arg']);
  });
  it('a missing script is reported as an error event, never thrown', async () => {
    const clock = new FakeClock(0);
    const seg = new FakeSegment(clock);
    const r = new VrrpRouter(
      {
        name: 'VI_9',
        interface: 'eth0',
        virtualRouterId: 9,
        virtualIpAddresses: ['198.18.0.9/24'],
        sourceIp: '198.18.0.1',
      },
      {
        transport: seg.transport('198.18.0.1'),
        ownership: new FakeOwnership(),
        linkMonitor: new FakeLinkMonitor(),
        clock,
        notify: { backup: join(dir, 'nope') },
      },
    );
    const errors: string[] = [];
    r.on('error', (e) => errors.push(e.code));
    await r.start();
    for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
    expect(errors).toEqual(['VRRP_NOTIFY_FAILED']);
  });
});
