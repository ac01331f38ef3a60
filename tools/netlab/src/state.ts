/**
 * The crash-safety record of each lab: one JSON file per run under /run/lvskit-netlab/ naming the run's
 * prefix, its owner process (PID and start time) and the PIDs it started. It is written before any
 * namespace exists and removed only after every namespace is gone, so a namespace with our name pattern and
 * no live owner is always a leftover. This file must never delete namespaces or signal processes itself.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PidRecord } from './proc.js';

/** Directory holding one state file per live (or crashed) lab. */
export const STATE_DIR = '/run/lvskit-netlab';

/** Every lab prefix: `lvsk` + 6 lowercase hex digits + `-` (11 characters). */
export const PREFIX_PATTERN = /^lvsk[0-9a-f]{6}-/;

/** What a lab records about itself on disk. */
export interface LabState {
  /** The run's prefix, e.g. `lvsk1a2b3c-`. */
  readonly prefix: string;
  /** PID of the process that owns the lab. */
  readonly ownerPid: number;
  /** Start time of the owner (from /proc), so a reused PID does not look alive. */
  readonly ownerStart: string;
  /** Processes the lab started, to be ended if the owner dies. */
  readonly pids: readonly PidRecord[];
  /** The lab's watchdog (a process outside the run's process tree), when it has one. */
  readonly watchdog?: PidRecord | undefined;
}

/** Path of the state file for `prefix`. */
export function statePath(prefix: string): string {
  return join(STATE_DIR, `${prefix}.json`);
}

/** Writes the state atomically (temp file + rename), so a reader never sees half a file. */
export function writeState(state: LabState): void {
  mkdirSync(STATE_DIR, { recursive: true });
  const path = statePath(state.prefix);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, path);
}

/** Reads the state for `prefix`, or undefined when there is none (or it is unreadable). */
export function readState(prefix: string): LabState | undefined {
  try {
    const parsed = JSON.parse(readFileSync(statePath(prefix), 'utf8')) as Partial<LabState>;
    if (typeof parsed.ownerPid !== 'number' || typeof parsed.ownerStart !== 'string') return undefined;
    return {
      prefix,
      ownerPid: parsed.ownerPid,
      ownerStart: parsed.ownerStart,
      pids: Array.isArray(parsed.pids) ? parsed.pids : [],
      watchdog: typeof parsed.watchdog?.pid === 'number' ? parsed.watchdog : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Removes the state file for `prefix` (no error when absent). */
export function removeState(prefix: string): void {
  rmSync(statePath(prefix), { force: true });
}

/** Prefixes that have a state file. */
export function listStatePrefixes(): string[] {
  let names: string[];
  try {
    names = readdirSync(STATE_DIR);
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.json') && PREFIX_PATTERN.test(n)).map((n) => n.slice(0, -'.json'.length));
}
