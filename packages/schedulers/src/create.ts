/**
 * The factory: a scheduler by name. Owns the name → class table and nothing else.
 */
import { describe, LvsError } from '@lvskit/base';
import { DestinationHashingScheduler } from './schedulers/dh.js';
import { WeightedFailoverScheduler } from './schedulers/fo.js';
import { LocalityBasedLeastConnectionScheduler } from './schedulers/lblc.js';
import { LocalityBasedLeastConnectionReplicationScheduler } from './schedulers/lblcr.js';
import { LeastConnectionScheduler } from './schedulers/lc.js';
import { MaglevHashingScheduler } from './schedulers/mh.js';
import { NeverQueueScheduler } from './schedulers/nq.js';
import { WeightedOverflowScheduler } from './schedulers/ovf.js';
import { RoundRobinScheduler } from './schedulers/rr.js';
import { ShortestExpectedDelayScheduler } from './schedulers/sed.js';
import { SourceHashingScheduler } from './schedulers/sh.js';
import { PowerOfTwoChoicesScheduler } from './schedulers/twos.js';
import { WeightedLeastConnectionScheduler } from './schedulers/wlc.js';
import { WeightedRoundRobinScheduler } from './schedulers/wrr.js';
import type { Scheduler, SchedulerName, SchedulerOptions } from './types.js';

type Ctor<N extends SchedulerName> = new (options?: SchedulerOptions<N>) => Scheduler<N>;

const CLASSES: { readonly [N in SchedulerName]: Ctor<N> } = {
  rr: RoundRobinScheduler,
  wrr: WeightedRoundRobinScheduler,
  lc: LeastConnectionScheduler,
  wlc: WeightedLeastConnectionScheduler,
  sed: ShortestExpectedDelayScheduler,
  nq: NeverQueueScheduler,
  lblc: LocalityBasedLeastConnectionScheduler,
  lblcr: LocalityBasedLeastConnectionReplicationScheduler,
  dh: DestinationHashingScheduler,
  sh: SourceHashingScheduler,
  fo: WeightedFailoverScheduler,
  ovf: WeightedOverflowScheduler,
  mh: MaglevHashingScheduler,
  twos: PowerOfTwoChoicesScheduler,
};

/**
 * Creates a scheduler by its kernel name.
 *
 * @example
 * ```ts
 * const s = createScheduler('wrr');
 * const a = s.add({ address: '198.18.1.1', port: 80, weight: 3 });
 * s.pick({ source: '198.19.0.7', sourcePort: 40000, destination: '198.18.0.10', destinationPort: 80 });
 * ```
 * @param name - one of {@link SCHEDULER_NAMES}
 * @param options - scheduler flags, servers already present (kernel order), and the scheduler's own options
 * @throws LvsError `SCHED_UNKNOWN_SCHEDULER`, `SCHED_INCOMPATIBLE_FLAG`, `INVALID_ARGUMENT`
 */
export function createScheduler<N extends SchedulerName>(name: N, options?: SchedulerOptions<N>): Scheduler<N> {
  // typeof first: Object.hasOwn converts any other key with its toString, which may throw.
  const C = typeof name === 'string' && Object.hasOwn(CLASSES, name) ? (CLASSES[name] as Ctor<N>) : undefined;
  if (!C)
    throw new LvsError(
      'SCHED_UNKNOWN_SCHEDULER',
      `unknown scheduler: ${typeof name === 'string' ? name : describe(name)}`,
    );
  return new C(options);
}

/** True when `name` is a scheduler lvskit knows. */
export function isSchedulerName(name: unknown): name is SchedulerName {
  return typeof name === 'string' && Object.hasOwn(CLASSES, name);
}
