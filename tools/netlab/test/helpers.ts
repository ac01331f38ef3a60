/**
 * Shared checks for netlab's own tests: what `ip netns list` and /proc say is left of a lab.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listNamespacesSync } from '../src/index.js';
import { processStartTime } from '../src/proc.js';

/** Namespaces that still exist with this prefix. */
export function namespacesWithPrefix(prefix: string): string[] {
  return listNamespacesSync().filter((n) => n.startsWith(prefix));
}

/** True when `pid` is a live (non-zombie) process. */
export function alive(pid: number): boolean {
  return processStartTime(pid) !== undefined;
}

/** Polls `cond` every 50 ms until true or `ms` elapse; returns its last value. */
export async function eventually(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** What the orphan fixture reports about the lab it built. */
export interface OrphanInfo {
  readonly prefix: string;
  readonly namespaces: string[];
  readonly serverPid: number;
  readonly sleeperPid: number;
  /** A `sleep` that left the fixture's process tree (own session), still inside namespace `a`. */
  readonly daemonPid: number;
  /** The lab's watchdog, 0 without one. */
  readonly watchdogPid: number;
}

/** How {@link startOrphan} runs the fixture. */
export interface OrphanOptions {
  /** Start the lab's watchdog. */
  readonly watchdog: boolean;
  /** Call `process.exit()` right after building. */
  readonly exit?: boolean;
  /** Start the fixture as the leader of a process group (and session) of its own, to be killed as a group. */
  readonly group?: boolean;
}

/** Starts the orphan fixture (a child that builds a lab and waits) and resolves with its pid and report. */
export function startOrphan(options: OrphanOptions): Promise<{ pid: number; info: OrphanInfo }> {
  const { watchdog, exit = false, group = false } = options;
  const root = join(import.meta.dirname, '..', '..', '..');
  const args = [
    '--conditions=@lvskit/source',
    '--import',
    'tsx',
    join(import.meta.dirname, 'fixtures', 'orphan-lab.ts'),
  ];
  if (!watchdog) args.push('--no-watchdog');
  if (exit) args.push('--exit');
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined && child.pid !== undefined) {
        resolve({ pid: child.pid, info: JSON.parse(line) as OrphanInfo });
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('exit', (code) => {
      if (!out.includes('\n')) reject(new Error(`orphan fixture exited ${code}: ${err}`));
    });
  });
}

/** PIDs among `pids` that `ps` still lists (zombies excluded). */
export function psAlive(pids: readonly number[]): number[] {
  const out = spawnSync('ps', ['-o', 'pid=,stat=', '-p', pids.join(',')], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([pid, stat]) => pid !== undefined && pid !== '' && !stat?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

/** Parent PID of `pid` (field 4 of /proc/<pid>/stat), or undefined when it is gone. */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** `pid` and every process below it (children, their children, ...), read from /proc. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentPid(Number(name));
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    tree.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return tree;
}

/**
 * A hard stop from outside, as a harness ends a run at its time limit: SIGKILL to the process group led by
 * `leader` and to every process of its tree (what a tree-walking killer reaches beyond the group). Returns the
 * PIDs signalled.
 */
export function hardStop(leader: number): number[] {
  const tree = processTree(leader);
  try {
    process.kill(-leader, 'SIGKILL');
  } catch {
    // The group may be gone already.
  }
  for (const p of tree) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
  return tree;
}
