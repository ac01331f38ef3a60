/**
 * @lvskit/netlab — private test tool: builds labs of Linux network namespaces (per-run `lvsk<6 hex>-`
 * prefix, addresses only from 198.18.0.0/15 and 2001:2::/48, bridges in their own namespaces, nothing in the root
 * namespace) with guaranteed teardown: `destroy()`, exit/signal hooks, a watchdog for SIGKILLed owners,
 * and a sweeper for anything left by a crash.
 * @packageDocumentation
 */
export { checkLabCidr, hostAddress, isLabAddress } from './address.js';
export { type ArpingOptions, type ArpingResult, arpingUnavailableReason } from './arp.js';
export { netlabErrorCodes } from './errors.js';
export { echoRequests, ICMP_ECHO_SCRIPT, type PingOptions, type PingResult, pingUnavailableReason } from './icmp.js';
export {
  createLab,
  type HostOptions,
  HTTP_SERVER_SCRIPT,
  type InterfaceOptions,
  Lab,
  type LabHost,
  type LabInterface,
  type LabOptions,
  type LabProcess,
  type LabSegment,
  newPrefix,
  type SpawnOptions,
} from './lab.js';
export { offloadsOn } from './offload.js';
export type { CommandResult, RunOptions } from './proc.js';
export { Progress, type ProgressOptions, type ProgressStream, progress } from './progress.js';
export { labUnavailableReason, noteSkip, onPath, requireLab, requireOwnTools, requireTools } from './require.js';
export { PREFIX_PATTERN, STATE_DIR } from './state.js';
export {
  isLabAlive,
  listNamespacesSync,
  namespacePidsSync,
  type SweepReport,
  sweepStaleLabs,
  sweepStaleLabsSync,
} from './sweep.js';
export {
  buildSegmentLab,
  buildTwoSegmentLab,
  type SegmentLab,
  type SegmentLabOptions,
  type TwoSegmentLab,
  type TwoSegmentLabOptions,
} from './topology.js';
