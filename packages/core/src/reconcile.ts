/**
 * Reload as a pure function: `reconcile(current, next, overrides)` says what must change to go from the
 * table in force to a new configuration, given what health (or an operator) holds over the configuration —
 * a real server taken out, or held at a weight (quiesced to 0, or a dynamic weight). A real server health
 * took out therefore stays out across a reload, and a quiesced one keeps weight 0 whatever weight the new
 * configuration gives it, until health lets go. Services and real servers are matched by name and by
 * address:port, as keepalived matches them on reload (`ipwrapper.c` `clear_diff_services`); what matches keeps
 * its connections, counters and templates. This file computes; it must never change a table.
 */
import { canonicalIp, describe, LvsError } from '@lvskit/base';
import type { CompiledIpvsConfig } from './director.js';
import { type NormalizedRealServer, type NormalizedService, realServerKey } from './model.js';

/** What health holds over the configuration for one real server. */
export type RealServerOverride =
  /** Not in the table, though configured (keepalived: a failed real server is removed). */
  | { readonly kind: 'absent' }
  /** In the table with this weight (keepalived `inhibit_on_failure`: 0; MISC_CHECK dynamic weights). */
  | { readonly kind: 'weight'; readonly weight: number };

/** Overrides by {@link overrideKey}. */
export type RealServerOverrides = ReadonlyMap<string, RealServerOverride>;

/**
 * The key of an override: the service's name and the real server's address (any spelling: it is made
 * canonical) and port.
 * @throws LvsError `INVALID_ARGUMENT` for an address that is not one
 */
export function overrideKey(service: string, address: string, port: number): string {
  return `${service}|${canonicalIp(address)}|${port}`;
}

/** A real server as a change names it. */
export interface ChangedRealServer {
  /** Address text. */
  readonly address: string;
  /** Port. */
  readonly port: number;
  /** Weight it ends with (for removals, the weight it had). */
  readonly weight: number;
}

/** One change a reload makes, as `lvskit reload --dry-run` would print it. */
export type IpvsChange =
  | { readonly op: 'addService'; readonly service: string; readonly key: string }
  | { readonly op: 'removeService'; readonly service: string; readonly key: string }
  | { readonly op: 'editService'; readonly service: string; readonly fields: readonly string[] }
  | { readonly op: 'addRealServer'; readonly service: string; readonly server: ChangedRealServer }
  | { readonly op: 'removeRealServer'; readonly service: string; readonly server: ChangedRealServer }
  | {
      readonly op: 'editRealServer';
      readonly service: string;
      readonly server: ChangedRealServer;
      readonly fields: readonly string[];
    }
  | { readonly op: 'setTimeouts'; readonly tcp: number; readonly tcpfin: number; readonly udp: number };

/** The configuration with `overrides` applied: what the table should hold. Pure. */
export function effectiveConfig(
  next: CompiledIpvsConfig,
  overrides: RealServerOverrides = new Map(),
): CompiledIpvsConfig {
  if (overrides.size === 0) return next;
  const services = next.services.map((s) => {
    let changed = false;
    const realServers: NormalizedRealServer[] = [];
    for (const r of s.realServers) {
      const o = overrides.get(`${s.name}|${canonicalIp(r.address)}|${r.port}`);
      if (o === undefined) realServers.push(r);
      else if (o.kind === 'absent') changed = true;
      else if (o.weight !== r.weight) {
        realServers.push({ ...r, weight: o.weight });
        changed = true;
      } else realServers.push(r);
    }
    return changed ? { ...s, realServers } : s;
  });
  return Object.freeze({ ...next, services });
}

const SERVICE_FIELDS = ['scheduler', 'flags', 'persistent', 'timeout', 'netmask', 'onePacket'] as const;
const REAL_SERVER_FIELDS = ['method', 'weight', 'upperThreshold', 'lowerThreshold'] as const;

function serviceFields(a: NormalizedService, b: NormalizedService): string[] {
  const out: string[] = [];
  for (const f of SERVICE_FIELDS) {
    const x = a[f];
    const y = b[f];
    if (Array.isArray(x) ? x.join(',') !== (y as readonly string[]).join(',') : x !== y) out.push(f);
  }
  const sorry = (r: NormalizedRealServer | undefined) =>
    r ? `${realServerKey(r.family, r.bytes, r.port)}|${r.method}|${r.weight}` : '';
  if (sorry(a.sorryServer) !== sorry(b.sorryServer)) out.push('sorryServer');
  return out;
}

/**
 * What must change to go from `current` (the table in force) to `next` with `overrides` applied. Pure: it
 * reads its arguments only. Order: service removals, then per service its edits, real-server removals,
 * additions and edits, then new services, then timeouts.
 * @param current - the configuration the table holds now (with the overrides that were in force)
 * @param next - the new configuration (from `compileConfig` or a builder's `build()`)
 * @param overrides - what health holds now
 */
export function reconcile(
  current: CompiledIpvsConfig,
  next: CompiledIpvsConfig,
  overrides: RealServerOverrides = new Map(),
): readonly IpvsChange[] {
  const target = effectiveConfig(next, overrides);
  const changes: IpvsChange[] = [];
  const byName = new Map(current.services.map((s) => [s.name, s]));
  const wanted = new Map(target.services.map((s) => [s.name, s]));
  for (const s of current.services) {
    const w = wanted.get(s.name);
    if (!w || w.key !== s.key) changes.push({ op: 'removeService', service: s.name, key: s.key });
  }
  for (const s of target.services) {
    const c = byName.get(s.name);
    if (!c || c.key !== s.key) {
      changes.push({ op: 'addService', service: s.name, key: s.key });
      for (const r of s.realServers)
        changes.push({
          op: 'addRealServer',
          service: s.name,
          server: { address: r.address, port: r.port, weight: r.weight },
        });
      continue;
    }
    const fields = serviceFields(c, s);
    if (fields.length > 0) changes.push({ op: 'editService', service: s.name, fields });
    const key = (r: NormalizedRealServer) => realServerKey(r.family, r.bytes, r.port);
    const keep = new Map(s.realServers.map((r) => [key(r), r]));
    const had = new Map(c.realServers.map((r) => [key(r), r]));
    for (const r of c.realServers)
      if (!keep.has(key(r)))
        changes.push({
          op: 'removeRealServer',
          service: s.name,
          server: { address: r.address, port: r.port, weight: r.weight },
        });
    for (const r of s.realServers) {
      const old = had.get(key(r));
      const server = { address: r.address, port: r.port, weight: r.weight };
      if (!old) changes.push({ op: 'addRealServer', service: s.name, server });
      else {
        const f = REAL_SERVER_FIELDS.filter((x) => old[x] !== r[x]);
        if (f.length > 0) changes.push({ op: 'editRealServer', service: s.name, server, fields: f });
      }
    }
  }
  const t = current.timeouts;
  const u = target.timeouts;
  if (t.tcp !== u.tcp || t.tcpfin !== u.tcpfin || t.udp !== u.udp)
    changes.push({ op: 'setTimeouts', tcp: u.tcp, tcpfin: u.tcpfin, udp: u.udp });
  return changes;
}

const compiledConfigs = new WeakSet<object>();

/**
 * A compiled configuration with each service's real servers replaced by `pick(service)` — real servers
 * taken from compiled configurations (this one or another), possibly with another weight. The director
 * uses it to keep a real server a reload removes in the table at weight 0 while it drains, and to take it
 * out afterwards. Pure.
 * @throws LvsError `CORE_INVALID_CONFIG` when `config` was not returned by `compileConfig`
 */
export function withRealServers(
  config: CompiledIpvsConfig,
  pick: (service: NormalizedService) => readonly NormalizedRealServer[],
): CompiledIpvsConfig {
  assertCompiled(config);
  const services = config.services.map((s) => {
    const realServers = pick(s);
    return realServers === s.realServers ? s : Object.freeze({ ...s, realServers: Object.freeze([...realServers]) });
  });
  const out = Object.freeze({ ...config, services });
  compiledConfigs.add(out);
  return out;
}

/**
 * Records that `compileConfig` returned `config` (called by `compileConfig` only), so {@link assertCompiled}
 * can tell it from a look-alike.
 */
export function markCompiled(config: CompiledIpvsConfig): void {
  compiledConfigs.add(config);
}

/**
 * Checks that `config` is one `compileConfig` (or a builder's `build()`) returned, before a reload touches
 * anything: a hand-made, copied or foreign object is refused whole, however complete its shape — a look-alike
 * with one field missing would otherwise fail halfway through a reload (issue 11 item 5).
 * @throws LvsError `CORE_INVALID_CONFIG`
 */
export function assertCompiled(config: unknown): asserts config is CompiledIpvsConfig {
  if (typeof config === 'object' && config !== null && compiledConfigs.has(config)) return;
  const what =
    typeof config !== 'object' || config === null
      ? `got ${describe(config)}`
      : 'this object was not returned by compileConfig (a copy or a hand-made object is not accepted)';
  throw new LvsError('CORE_INVALID_CONFIG', `not a compiled configuration (use compileConfig or build()): ${what}`);
}
