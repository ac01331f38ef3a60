/**
 * @lvskit/director — the box an operator runs: one typed configuration (VIPs written once, virtual services
 * with their real servers and checks, VRRP instances), and `createDirector()` wiring core's IPVS table, the
 * datapath, health checks and VRRP on one clock, serving gated by VRRP state. This file only re-exports.
 * Fakes for whole-director tests are in `@lvskit/director/testing`.
 * @packageDocumentation
 */
export { LvsError, type LvsErrorCode, type LvsIssue } from '@lvskit/base';
export {
  type AnnounceConfig,
  type CheckConfig,
  DEFAULT_DRAIN_TIMEOUT_MS,
  type DirectorConfig,
  defineConfig,
  type InterfaceConfig,
  isConfigError,
  type LdirectordCheckConfig,
  type NormalizedConfig,
  type NormalizedSync,
  type NormalizedVip,
  type ServiceHealthConfig,
  type ServiceRealServer,
  type SorryServerConfig,
  type SyncConfig,
  type SyncRoles,
  type VipConfig,
  type VirtualServiceConfig,
  type VrrpConfig,
  type VrrpInstance,
  type VrrpSyncGroupConfig,
} from './config.js';
export {
  type ControlCheck,
  type ControlCheckResult,
  type ControlConnectionsParams,
  type ControlConnectionsResult,
  type ControlIpvsadmResult,
  type ControlServeOptions,
  type ControlServer,
  type ControlServiceSummary,
  type ControlStatusResult,
  type ControlVrrpInstance,
  controlErrorCode,
  controlRequest,
  serveControl,
} from './control/index.js';
export { DEFAULT_CONTROL_SOCKET, type LvsadmIo, runLvsadm } from './control/lvsadm.js';
export {
  type CheckContext,
  createDirector,
  Director,
  type DirectorEvents,
  type DirectorPorts,
  type DirectorStatus,
  type RealServerEventRef,
  type SyncCause,
  type SyncRole,
  validateConfig,
} from './director.js';
export { directorErrorCodes } from './errors.js';
export { type ImportIpvsadmOptions, type IpvsadmImport, importIpvsadmRules } from './import/ipvsadm.js';
export type { ImportIssue } from './import/issues.js';
export {
  type ImportKeepalivedOptions,
  type ImportResult,
  importKeepalived,
  type KeepalivedKeyword,
  keepalivedKeywords,
} from './import/keepalived.js';
export {
  importLdirectord,
  type LdirectordDaemonSettings,
  type LdirectordImport,
  type LdirectordImportOptions,
  type LdirectordKeyword,
  ldirectordKeywords,
} from './import/ldirectord.js';
export type { ImportFileAccess } from './import/lexer.js';
export {
  type DirectorMetricsOptions,
  directorMetrics,
  IPVS_BACKEND_LABELS,
  type ServeMetricsOptions,
  serveMetrics,
} from './metrics.js';
export {
  ScaleOut,
  type ScaleOutEvents,
  type ScaleOutOptions,
  type ScaleOutVip,
  type WithdrawReason,
} from './scale-out.js';
export {
  type HistoryJson,
  type RatePoint,
  type RateSeries,
  type StatusAnnounce,
  type StatusCheck,
  type StatusEvent,
  type StatusRealServer,
  type StatusServer,
  type StatusServerOptions,
  type StatusService,
  type StatusSnapshot,
  type StatusSync,
  type StatusSyncDaemon,
  type StatusVrrp,
  serveStatus,
} from './status/index.js';
