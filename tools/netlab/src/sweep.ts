/**
 * Removal of leftover labs. A lab is stale when its owner process (PID + start time from its state file)
 * is gone, or when a namespace with our name pattern has no state file at all. Removing it means ending
 * every process inside its namespaces by PID (`ip netns pids`, plus the PIDs its state recorded when their
 * start time still matches), deleting the namespaces, then the state file. It must never touch a lab whose
 * owner is alive, nor any namespace without the `lvsk<6 hex>-` prefix.
 */
import { isSameProcess, type PidRecord, runCommandSync, terminate } from './proc.js';
import { listStatePrefixes, PREFIX_PATTERN, readState, removeState } from './state.js';

/** What a sweep removed. */
export interface SweepReport {
  /** Prefixes of the labs removed. */
  readonly prefixes: readonly string[];
  /** Namespaces deleted. */
  readonly namespaces: readonly string[];
  /** Processes ended. */
  readonly pids: readonly number[];
}

/** Names of all network namespaces (`ip netns list`), first word of each line. */
export function listNamespacesSync(): string[] {
  const out = runCommandSync(['ip', 'netns', 'list'], { check: false }).stdout;
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.length > 0);
}

/** PIDs of the processes in namespace `ns` (`ip netns pids`). */
export function namespacePidsSync(ns: string): number[] {
  const out = runCommandSync(['ip', 'netns', 'pids', ns], { check: false }).stdout;
  return out
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((p) => p !== process.pid);
}

function prefixOf(ns: string): string | undefined {
  return PREFIX_PATTERN.exec(ns)?.[0];
}

/** True when the lab `prefix` has a state file whose owner is still alive. */
export function isLabAlive(prefix: string): boolean {
  const state = readState(prefix);
  return state !== undefined && isSameProcess(state.ownerPid, state.ownerStart);
}

function staleGroups(only?: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const ns of listNamespacesSync()) {
    const p = prefixOf(ns);
    if (p === undefined || (only !== undefined && p !== only)) continue;
    const list = groups.get(p) ?? [];
    list.push(ns);
    groups.set(p, list);
  }
  for (const p of listStatePrefixes()) if ((only === undefined || p === only) && !groups.has(p)) groups.set(p, []);
  for (const p of [...groups.keys()]) if (isLabAlive(p)) groups.delete(p);
  return groups;
}

function victims(prefix: string, namespaces: readonly string[]): PidRecord[] {
  const recs: PidRecord[] = [...(readState(prefix)?.pids ?? [])];
  for (const ns of namespaces) for (const pid of namespacePidsSync(ns)) recs.push({ pid });
  return recs;
}

/**
 * Removes every lab whose owner process is dead (or whose namespaces have no owner record). Labs of live
 * processes — this one's included — are left alone. Synchronous, so exit hooks can use it too.
 * @param only - restrict the sweep to this one prefix
 */
export function sweepStaleLabsSync(only?: string): SweepReport {
  const prefixes: string[] = [];
  const namespaces: string[] = [];
  const pids: number[] = [];
  for (const [prefix, nss] of staleGroups(only)) {
    const recs = victims(prefix, nss);
    terminate(recs, 1000);
    pids.push(...recs.map((r) => r.pid));
    for (const ns of nss) {
      runCommandSync(['ip', 'netns', 'del', ns], { check: false });
      namespaces.push(ns);
    }
    removeState(prefix);
    prefixes.push(prefix);
  }
  return { prefixes, namespaces, pids };
}

/** {@link sweepStaleLabsSync} for async callers (same work; returns a promise). */
export async function sweepStaleLabs(only?: string): Promise<SweepReport> {
  return sweepStaleLabsSync(only);
}
