/**
 * @lvskit/schedulers — every Linux IPVS scheduler with the kernel's exact semantics. Pure: no timers,
 * clocks or I/O; addresses, protocol numbers and errors are `@lvskit/base`'s.
 * @packageDocumentation
 */
export { emptyFlow, type Flow, type FlowInit, GOLDEN_RATIO_32, hash32, makeFlow } from './address.js';
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
