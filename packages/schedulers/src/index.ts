/**
 * @lvskit/schedulers — every Linux IPVS scheduler with the kernel's exact semantics. Pure and
 * dependency-free: no timers, clocks or I/O.
 * @packageDocumentation
 */
export {
  emptyFlow,
  type Family,
  type Flow,
  type FlowInit,
  fold,
  formatAddress,
  GOLDEN_RATIO_32,
  hash32,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  makeFlow,
  type ProtocolName,
  parseAddress,
  protocolNumber,
} from './address.js';
export { createScheduler, isSchedulerName } from './create.js';
export { schedulerErrorCodes } from './errors.js';
export {
  type GenericSchedulerFlag,
  type MhTableSize,
  NO_SERVER,
  type RealServerInfo,
  type RealServerSpec,
  SCHEDULER_NAMES,
  type Scheduler,
  type SchedulerFlag,
  type SchedulerFlagMap,
  type SchedulerName,
  type SchedulerOptions,
  type SchedulerOptionsMap,
  type ServerHandle,
} from './types.js';
