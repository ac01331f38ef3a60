import { describe, expectTypeOf, it } from 'vitest';
import { createScheduler } from '../src/create.js';
import type { GenericSchedulerFlag, Scheduler, SchedulerFlag, SchedulerOptions } from '../src/types.js';

describe('createScheduler: flags and options are typed per scheduler', () => {
  it('returns a scheduler typed by its name', () => {
    expectTypeOf(createScheduler('wrr')).toEqualTypeOf<Scheduler<'wrr'>>();
    expectTypeOf(createScheduler('wrr').name).toEqualTypeOf<'wrr'>();
    expectTypeOf(createScheduler('sh').flags).toEqualTypeOf<
      readonly (GenericSchedulerFlag | 'sh-fallback' | 'sh-port')[]
    >();
  });

  it('accepts each scheduler its own flags and the generic ones', () => {
    createScheduler('sh', { flags: ['sh-port', 'sh-fallback', 'flag-3'] });
    createScheduler('mh', { flags: ['mh-port', 'mh-fallback'] });
    createScheduler('rr', { flags: ['flag-1'] });
    expectTypeOf<SchedulerFlag<'rr'>>().toEqualTypeOf<GenericSchedulerFlag>();
    expectTypeOf<'sh-port'>().not.toExtend<SchedulerFlag<'rr'>>();
    expectTypeOf<'mh-port'>().not.toExtend<SchedulerFlag<'sh'>>();
  });

  it('rejects foreign flags at compile time', () => {
    // @ts-expect-error 'sh-port' is not a flag of rr
    createScheduler('rr', { flags: ['sh-port'] });
    // @ts-expect-error 'mh-fallback' is not a flag of sh
    createScheduler('sh', { flags: ['mh-fallback'] });
    // @ts-expect-error unknown flag
    createScheduler('wlc', { flags: ['bogus'] });
  });

  it('scheduler-specific options exist only where the kernel has them', () => {
    createScheduler('mh', { tableSize: 251 });
    createScheduler('twos', { random: (bound) => bound - 1 });
    createScheduler('lblc', { expirationSeconds: 60 });
    expectTypeOf<SchedulerOptions<'mh'>>().toHaveProperty('tableSize');
    // @ts-expect-error tableSize is for mh only
    createScheduler('sh', { tableSize: 251 });
    // @ts-expect-error 4096 is not one of the kernel's Maglev primes
    createScheduler('mh', { tableSize: 4096 });
    // @ts-expect-error random is for twos only
    createScheduler('wrr', { random: () => 0 });
    // @ts-expect-error expirationSeconds is for lblc/lblcr only
    createScheduler('rr', { expirationSeconds: 60 });
  });
});
