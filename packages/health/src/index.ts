/**
 * @lvskit/health — keepalived and ldirectord health checking. Checkers speak protocols and return
 * `{ ok, message, durationMs }`; the runner owns timing, retries, timeouts and transitions; the director
 * binding turns transitions into real-server table changes, quorum, sorry server / fallback, scripts and
 * alerts.
 * @packageDocumentation
 */

export { LvsError, type LvsErrorCode, type LvsIssue } from '@lvskit/base';
export {
  type ActionFailed,
  HealthDirector,
  type HealthDirectorEvents,
  type HealthDirectorOptions,
  type ServiceCheckerEvent,
  type ServiceRealServerEvent,
} from './binding.js';
export type { CheckVerdict } from './checkers/common.js';
export {
  DNS_TYPES,
  type DnsCheckOptions,
  type DnsMessage,
  type DnsRecord,
  type DnsType,
  decodeDnsMessage,
  dnsCheck,
  dnsQuery,
  encodeDnsQuery,
  type LdDnsOptions,
  ldDnsCheck,
} from './checkers/dns.js';
export {
  checkUrl,
  dechunk,
  type HttpGetOptions,
  type HttpUrl,
  httpGetCheck,
  keepalivedRequest,
  type LdHttpOptions,
  ldHttpCheck,
  parseHttpResponse,
  type RawHttpResponse,
  type StatusCodes,
  statusMatches,
} from './checkers/http.js';
export {
  type FtpCheckOptions,
  ftpCheck,
  imapCheck,
  type MailboxCheckOptions,
  nntpCheck,
  popCheck,
  type SimpleTcpOptions,
  simpleTcpCheck,
  type TextCheckOptions,
} from './checkers/mail.js';
export { type ExternalCheckOptions, externalCheck, type MiscCheckOptions, miscCheck } from './checkers/misc.js';
export { type PingCheckOptions, pingCheck } from './checkers/ping.js';
export {
  berRead,
  type LdapCheckOptions,
  ldapBindRequest,
  ldapCheck,
  ldapSearchRequest,
  type RadiusCheckOptions,
  radiusAccessRequest,
  radiusCheck,
  radiusHidePassword,
  type SipCheckOptions,
  sipCheck,
} from './checkers/radius-sip-ldap.js';
export { type LdSmtpOptions, ldSmtpCheck, type SmtpCheckOptions, smtpCheck } from './checkers/smtp.js';
export { mysqlCheck, pgsqlCheck, type SqlCheckOptions } from './checkers/sql.js';
export { type TcpCheckOptions, tcpCheck } from './checkers/tcp.js';
export { type UdpCheckOptions, udpCheck } from './checkers/udp.js';
export {
  type DamperConfig,
  type DamperOptions,
  type DamperOutput,
  type DamperState,
  damperConfig,
  damperInit,
  dampStep,
  dampTick,
} from './damper.js';
export {
  type ControllerOutput,
  type DirectorAction,
  type DirectorPort,
  type HealthRealServer,
  type HealthServerRef,
  type QuorumChange,
  type QuorumFigures,
  quorumFigures,
  ServiceController,
  type SorryServer,
  type VirtualServiceHealth,
  validateServices,
} from './director.js';
export { healthErrorCodes } from './errors.js';
export {
  type KeepalivedCheckerConfig,
  type KeepalivedConnectOptions,
  type KeepalivedScope,
  type KeepalivedTiming,
  type KeepalivedUrl,
  keepalivedChecker,
  validateKeepalivedTiming,
} from './keepalived.js';
export {
  combinedCheck,
  LDIRECTORD_SERVICES,
  type LdirectordCheckType,
  type LdirectordGlobals,
  type LdirectordReal,
  type LdirectordService,
  type LdirectordVirtual,
  ldirectordChecker,
  ldirectordTimeouts,
  portForService,
  serviceForPort,
} from './ldirectord.js';
export {
  type HealthAlert,
  type MailNotifierOptions,
  mailNotifier,
  type Notifier,
  type RunScriptOptions,
  runScript,
  splitCommandLine,
} from './notify.js';
export {
  type CheckerState,
  type CheckPolicy,
  firstDelay,
  initialState,
  intervalOf,
  type KeepalivedPolicy,
  keepalivedPolicy,
  type LdirectordPolicy,
  ldirectordPolicy,
  migrateState,
  type RiseFallPolicy,
  type StepOutcome,
  step,
  validatePolicy,
} from './policy.js';
export {
  type CheckCompleted,
  type CheckerSpec,
  type CheckerTransition,
  HealthRunner,
  type HealthRunnerEvents,
  type HealthRunnerOptions,
  type RealServerHealthSpec,
  type RealServerStatus,
  type RealServerTransition,
  type WeightChange,
} from './runner.js';
export { type DirectorOp, FakeDirector, ScriptedChecker } from './testing.js';
export { type Checker, type CheckResult, errorMessage } from './types.js';
