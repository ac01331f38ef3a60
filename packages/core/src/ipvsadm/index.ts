/**
 * Public surface of the ipvsadm compatibility layer (re-exported by the core package entry). Owns nothing
 * but the export list; must never add behaviour here.
 */
export { type IpvsadmErrorKind, ipvsadmError, ipvsadmErrorCodes, ipvsadmMessages } from './errors.js';
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
