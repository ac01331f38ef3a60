/**
 * Shared checks for netlab's own tests: what `ip netns list` and /proc say is left of a lab.
 */
import { spawn, spawnSync } from 'node:child_process';
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
}

/** Starts the orphan fixture (a child that builds a lab and waits) and resolves with its pid and report. */
export function startOrphan(watchdog: boolean, exit = false): Promise<{ pid: number; info: OrphanInfo }> {
  const root = join(import.meta.dirname, '..', '..', '..');
  const args = [
    '--conditions=@lvskit/source',
    '--import',
    'tsx',
    join(import.meta.dirname, 'fixtures', 'orphan-lab.ts'),
  ];
  if (!watchdog) args.push('--no-watchdog');
  if (exit) args.push('--exit');
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
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
