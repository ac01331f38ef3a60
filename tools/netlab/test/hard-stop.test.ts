/**
 * A test run stopped from outside at a time limit: a child builds a lab (namespaces, tracked processes and a
 * daemon that left its process tree), then its process group and its whole process tree are SIGKILLed, as a
 * harness ends a run. The lab's watchdog must survive that and remove the lab within a few seconds; with the
 * watchdog killed as well, the next lab build must sweep the leftovers before it builds — and leave alone a
 * live run's lab and any namespace that is not ours.
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createLab, type Lab, requireLab, STATE_DIR, sweepStaleLabs } from '../src/index.js';
import { runCommandSync } from '../src/proc.js';
import { alive, eventually, hardStop, namespacesWithPrefix, processTree, psAlive, startOrphan } from './helpers.js';

const canRun = requireLab();
const owners: number[] = [];
const labs: Lab[] = [];
// Near miss of the lab pattern (7 hex digits): never ours, never swept.
const FOREIGN = `lvsk${Date.now().toString(16).slice(-7).padStart(7, '0')}-x`;

afterAll(async () => {
  for (const lab of labs) await lab.destroy();
  for (const pid of owners) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  await sweepStaleLabs();
  runCommandSync(['ip', 'netns', 'del', FOREIGN], { check: false });
});

describe.runIf(canRun)('netlab: hard stop of the test run', () => {
  it('the watchdog survives the killed process group and tree and removes the lab within seconds', async () => {
    const { pid, info } = await startOrphan({ watchdog: true, group: true });
    owners.push(pid);
    expect(namespacesWithPrefix(info.prefix).sort()).toEqual([...info.namespaces].sort());
    expect(alive(info.daemonPid)).toBe(true);
    expect(alive(info.watchdogPid)).toBe(true);
    // Outside the run's tree already: nothing that walks the run's processes can reach it.
    expect(processTree(pid)).not.toContain(info.watchdogPid);

    const killed = hardStop(pid);
    expect(killed).toContain(info.sleeperPid);
    expect(killed).not.toContain(info.daemonPid);
    expect(await eventually(() => !alive(pid), 2000)).toBe(true);

    expect(await eventually(() => namespacesWithPrefix(info.prefix).length === 0, 5000)).toBe(true);
    expect(await eventually(() => psAlive([info.serverPid, info.sleeperPid, info.daemonPid]).length === 0, 2000)).toBe(
      true,
    );
    expect(existsSync(`${STATE_DIR}/${info.prefix}.json`)).toBe(false);
    // Its work done, the watchdog leaves.
    expect(await eventually(() => !alive(info.watchdogPid), 2000)).toBe(true);
  });

  it('with the watchdog killed too, the next lab build sweeps the leftovers of the dead run first', async () => {
    const dead = await startOrphan({ watchdog: true, group: true });
    owners.push(dead.pid);
    // Another run in progress (its owner alive): its lab must survive the sweep.
    const live = await startOrphan({ watchdog: false });
    owners.push(live.pid);
    runCommandSync(['ip', 'netns', 'add', FOREIGN]);

    process.kill(dead.info.watchdogPid, 'SIGKILL');
    hardStop(dead.pid);
    expect(await eventually(() => !alive(dead.pid) && !alive(dead.info.watchdogPid), 2000)).toBe(true);
    // What a hard stop leaves behind (no wait here: another run's lab build on this machine may sweep it too).
    expect(alive(dead.info.daemonPid)).toBe(true);

    const lab = await createLab();
    labs.push(lab);
    expect(namespacesWithPrefix(dead.info.prefix)).toEqual([]);
    expect(psAlive([dead.info.serverPid, dead.info.sleeperPid, dead.info.daemonPid])).toEqual([]);
    expect(existsSync(`${STATE_DIR}/${dead.info.prefix}.json`)).toBe(false);
    // Not the live run's lab, and not a namespace outside our pattern.
    expect(namespacesWithPrefix(live.info.prefix).sort()).toEqual([...live.info.namespaces].sort());
    expect(alive(live.info.daemonPid)).toBe(true);
    expect(namespacesWithPrefix(FOREIGN)).toEqual([FOREIGN]);

    // The new lab builds normally after the sweep.
    const h = await lab.addHost('a');
    expect(namespacesWithPrefix(lab.prefix)).toEqual([h.ns]);
    await lab.destroy();
    expect(namespacesWithPrefix(lab.prefix)).toEqual([]);

    process.kill(live.pid, 'SIGKILL');
    expect(await eventually(() => !alive(live.pid), 2000)).toBe(true);
    await sweepStaleLabs();
    expect(namespacesWithPrefix(live.info.prefix)).toEqual([]);
    expect(psAlive([live.info.daemonPid])).toEqual([]);
  });
});
