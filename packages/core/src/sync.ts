/**
 * The engine's side of IPVS connection synchronisation: the master's rules for which table entries to send
 * and when (`ip_vs_sync_conn_needed`, `ip_vs_sync_conn` in net/netfilter/ipvs/ip_vs_sync.c), the port the
 * packet path hands those entries to, and the shape of an entry a backup applies (`ip_vs_proc_conn`). The wire
 * format and the daemons live in `@lvskit/sync`; this file only defines what the engine and they share.
 * @see net/netfilter/ipvs/ip_vs_sync.c, Documentation/networking/ipvs-sysctl.rst
 */
import { describe } from '@lvskit/base';
import type { ConnTable } from './conn-table.js';
import { LvsError } from './errors.js';

/** `IP_VS_CONN_F_SYNC`: set on every entry a backup created from a sync message (include/uapi/linux/ip_vs.h). */
export const F_SYNC = 0x0020;

/**
 * The master's sync rules, the kernel's sysctls of the same names (ipvs-sysctl.rst). Defaults:
 * {@link DEFAULT_SYNC_RULES}.
 */
export interface SyncRules {
  /** `sync_threshold[0]`: an entry is sent when its `in_pkts` reaches this (default 3). */
  readonly threshold: number;
  /** `sync_threshold[1]` (sync_period): then again every this many packets (default 50; 0 = only once). */
  readonly period: number;
  /**
   * `sync_refresh_period`, milliseconds here (seconds in the kernel): when non-zero, an entry whose state did
   * not change is not sent again before this much time (or half its timeout) has passed (default 0: off).
   */
  readonly refreshPeriodMs: number;
  /** `sync_retries` (0..3): extra sends of an unchanged entry within a refresh period (default 0). */
  readonly retries: number;
  /** `sync_persist_mode`: do not send connections controlled by a persistence template (default false). */
  readonly persistMode: boolean;
}

/** The kernel's defaults: `sync_threshold "3 50"`, `sync_refresh_period 0`, `sync_retries 0`, `sync_persist_mode 0`. */
export const DEFAULT_SYNC_RULES: SyncRules = Object.freeze({
  threshold: 3,
  period: 50,
  refreshPeriodMs: 0,
  retries: 0,
  persistMode: false,
});

const RULE_KEYS: ReadonlySet<string> = new Set(['threshold', 'period', 'refreshPeriodMs', 'retries', 'persistMode']);
const INT_MAX = 0x7fffffff;

function ruleInt(rules: Record<string, unknown>, key: keyof SyncRules, max: number): number {
  const v = rules[key] ?? DEFAULT_SYNC_RULES[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    throw new LvsError('CORE_INVALID_OPTION', `sync rule ${key} must be an integer 0..${max}, got ${describe(v)}`);
  return v;
}

/**
 * Validates sync rules as the kernel's sysctl handlers do and returns a frozen copy; a missing field takes
 * its {@link DEFAULT_SYNC_RULES} value. `threshold` and `period` are integers ≥ 0 with `threshold < period`
 * unless `period` is 0 (`proc_do_sync_threshold`: -EINVAL otherwise), `retries` 0..3 (`sync_retries`
 * minmax), `refreshPeriodMs` an integer 0..2147483647, `persistMode` a boolean.
 * @param rules - the rules to check
 * @returns the normalized rules
 * @throws LvsError `CORE_INVALID_OPTION` on an unknown key or a value out of range
 */
export function normalizeSyncRules(rules: SyncRules): SyncRules {
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules))
    throw new LvsError('CORE_INVALID_OPTION', `sync rules must be an object, got ${describe(rules)}`);
  const r = rules as unknown as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!RULE_KEYS.has(k))
      throw new LvsError(
        'CORE_INVALID_OPTION',
        `unknown sync rule ${JSON.stringify(k)} (threshold, period, refreshPeriodMs, retries, persistMode)`,
      );
  const threshold = ruleInt(r, 'threshold', INT_MAX);
  const period = ruleInt(r, 'period', INT_MAX);
  if (period !== 0 && threshold >= period)
    throw new LvsError(
      'CORE_INVALID_OPTION',
      `sync rule threshold (${threshold}) must be below period (${period}) unless period is 0 (sync_threshold)`,
    );
  const refreshPeriodMs = ruleInt(r, 'refreshPeriodMs', INT_MAX);
  const retries = ruleInt(r, 'retries', 3);
  const persistMode = r.persistMode ?? DEFAULT_SYNC_RULES.persistMode;
  if (typeof persistMode !== 'boolean')
    throw new LvsError('CORE_INVALID_OPTION', `sync rule persistMode must be a boolean, got ${describe(persistMode)}`);
  return Object.freeze({ threshold, period, refreshPeriodMs, retries, persistMode });
}

/**
 * Receives, on the packet path, each table entry the master's rules say to send now: a connection, then its
 * controlling template when that is due too, as `ip_vs_sync_conn` walks `cp->control`. It runs inside
 * `Engine.process` and must not allocate, throw or keep `index` past the call (an entry index is reused once
 * the entry expires): it copies what it needs (`@lvskit/sync` encodes the record into its message buffer).
 */
export interface SyncSink {
  /**
   * @param table - the engine's connection table (read the entry's columns and getters)
   * @param index - the entry to send
   */
  syncEntry(table: ConnTable, index: number): void;
}

/**
 * One connection or persistence template as a backup received it (the fields of `struct ip_vs_sync_v4/v6`
 * the backup uses), addresses as 16 bytes with an IPv4 address in the first 4. The caller may reuse the object
 * and its arrays after `applySynced` returns.
 */
export interface SyncedEntry {
  /** Address family of the client and virtual addresses. */
  family: 4 | 6;
  /** IP protocol number (0 for a fwmark template). */
  protocol: number;
  /** Connection flags as on the wire (`IP_VS_CONN_F_*`). */
  flags: number;
  /** Protocol state (`IP_VS_TCP_S_*`; templates 0 NONE / 1 ASSURED). */
  state: number;
  /** Client address bytes. */
  caddr: Uint8Array;
  /** Client port (0 for a template). */
  cport: number;
  /** Virtual address bytes. */
  vaddr: Uint8Array;
  /** Virtual port. */
  vport: number;
  /** Real server address bytes (same family as `family`). */
  daddr: Uint8Array;
  /** Real server port. */
  dport: number;
  /** Firewall mark (0 when none). */
  fwmark: number;
  /** Timeout in seconds from the message (version 1); 0: the backup's own timeout for the state (version 0). */
  timeoutSec: number;
}

/**
 * What applying one synced entry did: `created` / `updated` an entry; or dropped it because no virtual
 * service matches (`no-service`), the service has no such real server (`no-dest`), the table is full
 * (`table-full`), a field is out of range (`invalid`), or it is the late expiry message of a connection the
 * backup already replaced with one to another real server (`stale`: an INACTIVE record whose real server
 * differs from the existing entry's, which `ip_vs_proc_conn` ignores).
 */
export type SyncApplyResult = 'created' | 'updated' | 'no-service' | 'no-dest' | 'table-full' | 'invalid' | 'stale';
