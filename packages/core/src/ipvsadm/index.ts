/**
 * Public surface of the ipvsadm compatibility layer (re-exported by the core package entry). Owns nothing
 * but the export list; must never add behaviour here.
 */
export { type IpvsadmErrorKind, ipvsadmError, ipvsadmErrorCodes, ipvsadmMessages } from './errors.js';
export {
  compareServers,
  compareServices,
  DEFAULT_LIST_FORMAT,
  formatAddrPort,
  formatBanner,
  formatConnections,
  formatDaemons,
  formatHelp,
  formatLargeNum,
  formatList,
  formatSave,
  formatServiceList,
  formatTimeouts,
  formatVersion,
  glibcSort,
} from './format.js';
export { inetAton, inetNtop, inetPton4, inetPton6, SERVICE_PORTS } from './inet.js';
export { ipvsadmTarget } from './ipvs-target.js';
export { serverKeyEquals, serviceKeyEquals } from './keys.js';
export { type ParseIpvsadmOptions, parseIpvsadm, splitIpvsadmLine } from './parse.js';
export { type RestoreOptions, type RunIpvsadmOptions, restore, runIpvsadm } from './run.js';
export { type IpvsServerCounters, IpvsTable, type IpvsTableOptions } from './table.js';
export {
  IPVSADM_DEFAULTS,
  type IpvsAddressServiceKey,
  type IpvsadmCommand,
  type IpvsadmResult,
  type IpvsadmTarget,
  type IpvsConnectionEntry,
  type IpvsCounter,
  type IpvsDaemonConfig,
  type IpvsDaemonState,
  type IpvsForwarding,
  type IpvsFwmarkServiceKey,
  type IpvsInfo,
  type IpvsListFormat,
  type IpvsListWhat,
  type IpvsProtocol,
  type IpvsSchedFlag,
  type IpvsServerConfig,
  type IpvsServerEntry,
  type IpvsServerKey,
  type IpvsServiceConfig,
  type IpvsServiceEntry,
  type IpvsServiceKey,
  type IpvsSnapshot,
  type IpvsStats,
  type IpvsTimeouts,
  type IpvsTunnelInfo,
} from './types.js';
