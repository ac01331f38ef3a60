/**
 * Crash safety: a child process builds a lab and is SIGKILLed, so none of its exit hooks run. Without its
 * watchdog the lab stays until `sweepStaleLabs()` removes it (namespaces and the HTTP server process);
 * with the watchdog it disappears by itself. A live owner's lab is never swept.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isLabAlive, requireLab, sweepStaleLabs } from '../src/index.js';
import { alive, eventually, namespacesWithPrefix, psAlive, startOrphan } from './helpers.js';

const canRun = requireLab();
const owners: number[] = [];

afterAll(async () => {
  for (const pid of owners) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  await sweepStaleLabs();
});

describe.runIf(canRun)('netlab: sweeper and watchdog', () => {
  it('leaves a live owner alone, then sweeps its lab once the owner is SIGKILLed', async () => {
    const { pid, info } = await startOrphan({ watchdog: false });
    owners.push(pid);
    expect(namespacesWithPrefix(info.prefix).sort()).toEqual([...info.namespaces].sort());
    expect(alive(info.serverPid)).toBe(true);
    expect(alive(info.sleeperPid)).toBe(true);

    await sweepStaleLabs();
    expect(isLabAlive(info.prefix)).toBe(true);
    expect(namespacesWithPrefix(info.prefix).length).toBe(3);

    process.kill(pid, 'SIGKILL');
    expect(await eventually(() => !alive(pid), 5000)).toBe(true);
    // Nobody cleaned up: the lab and its sleeper outlive their owner (the HTTP server may notice its
    // closed stdin and leave by itself; that is its own safety net, not the sweeper's work).
    expect(namespacesWithPrefix(info.prefix).length).toBe(3);
    expect(alive(info.sleeperPid)).toBe(true);

    const report = await sweepStaleLabs();
    expect(report.prefixes).toContain(info.prefix);
    expect(namespacesWithPrefix(info.prefix)).toEqual([]);
    expect(psAlive([info.serverPid, info.sleeperPid])).toEqual([]);
  });

  it('the watchdog removes a SIGKILLed owner lab without any sweep', async () => {
    const { pid, info } = await startOrphan({ watchdog: true });
    owners.push(pid);
    expect(namespacesWithPrefix(info.prefix).length).toBe(3);
    process.kill(pid, 'SIGKILL');
    expect(await eventually(() => namespacesWithPrefix(info.prefix).length === 0, 15_000)).toBe(true);
    expect(await eventually(() => psAlive([info.serverPid, info.sleeperPid]).length === 0, 5000)).toBe(true);
  });

  it('the exit hook tears the lab down when the owner calls process.exit() without destroy()', async () => {
    const { pid, info } = await startOrphan({ watchdog: false, exit: true });
    owners.push(pid);
    expect(await eventually(() => !alive(pid), 10_000)).toBe(true);
    expect(namespacesWithPrefix(info.prefix)).toEqual([]);
    expect(psAlive([info.serverPid, info.sleeperPid])).toEqual([]);
  });

  it('the signal hook tears the lab down on SIGTERM and the owner still dies of it', async () => {
    const { pid, info } = await startOrphan({ watchdog: false });
    owners.push(pid);
    process.kill(pid, 'SIGTERM');
    expect(await eventually(() => !alive(pid), 10_000)).toBe(true);
    expect(namespacesWithPrefix(info.prefix)).toEqual([]);
    expect(psAlive([info.serverPid, info.sleeperPid])).toEqual([]);
  });
});
