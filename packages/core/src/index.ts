/**
 * @lvskit/core — the director's brain: virtual services and real servers, the connection and persistence
 * table, the engine that decides each packet, the typed builder and runtime, ipvsadm formats, events and
 * the ports other packages plug into. This file only re-exports; it must never hold behaviour.
 * @packageDocumentation
 */
export { LvsError, type LvsErrorCode, type LvsErrorCodes, type LvsIssue } from '@lvskit/base';
export { IpvsBuilder, ipvs, type PortRule, type ServiceCommonInput, type ServiceInput } from './builder.js';
export {
  ConnTable,
  CTPL_ASSURED,
  type ExpireCallback,
  F_AF6,
  F_DAF6,
  F_FWD_MASK,
  F_HASHED,
  F_INACTIVE,
  F_NOOUTPUT,
  F_ONE_PACKET,
  F_TEMPLATE,
  MAX_CONNECTIONS,
  WHEEL_TICK_MS,
} from './conn-table.js';
export {
  type CompiledIpvsConfig,
  compileConfig,
  DEFAULT_MAX_CONNECTIONS,
  Ipvs,
  type IpvsConfigInput,
  type IpvsPorts,
  type RealServerSelector,
  type RealServerView,
  type ServiceEdit,
  type ServiceIdentity,
  type ServiceView,
  type StatsView,
} from './director.js';
export {
  Engine,
  type EngineCounters,
  type EngineSettings,
  RealServerState,
  ServiceState,
} from './engine.js';
export { type CoreErrorCode, coreErrorCodes } from './errors.js';
export type { IpvsEvents, RealServerRef } from './events.js';
export * from './ipvsadm/index.js';
export * from './model.js';
export * from './packet.js';
export type * from './ports.js';
export {
  assertCompiled,
  type ChangedRealServer,
  effectiveConfig,
  type IpvsChange,
  overrideKey,
  type RealServerOverride,
  type RealServerOverrides,
  reconcile,
  withRealServers,
} from './reconcile.js';
export { Stats } from './stats.js';
export {
  DEFAULT_SYNC_RULES,
  F_SYNC,
  normalizeSyncRules,
  type SyncApplyResult,
  type SyncedEntry,
  type SyncRules,
  type SyncSink,
} from './sync.js';
export {
  TCP_DEFAULT_TIMEOUTS,
  TCP_STATE_ACTIVE,
  TCP_STATE_NAMES,
  TCP_STATES,
  TCP_STATES_DOS,
  TcpState,
  UDP_DEFAULT_TIMEOUT,
} from './tcp-states.js';
