/** Type tests: events are typed from their maps, and policies are a discriminated union. */
import { describe, expectTypeOf, it } from 'vitest';
import {
  type CheckPolicy,
  type CheckResult,
  HealthDirector,
  HealthRunner,
  keepalivedPolicy,
  type QuorumChange,
  type RealServerTransition,
  tcpCheck,
} from '../src/index.js';
import { FakeDirector } from '../src/testing.js';

describe('types', () => {
  it('runner and director events carry their payload types', () => {
    const r = new HealthRunner();
    r.on('realServerDown', (e) => expectTypeOf(e).toEqualTypeOf<RealServerTransition>());
    // @ts-expect-error unknown event name
    r.on('noSuchEvent', () => {});
    const hd = new HealthDirector({ director: new FakeDirector(), runner: r });
    hd.on('quorumDown', (e) => expectTypeOf(e).toEqualTypeOf<QuorumChange>());
  });

  it('checkers resolve to CheckResult and policies narrow by kind', () => {
    expectTypeOf(tcpCheck({ host: '::1', port: 1 }).check).returns.toEqualTypeOf<Promise<CheckResult>>();
    const p: CheckPolicy = keepalivedPolicy('TCP_CHECK');
    if (p.kind === 'keepalived') expectTypeOf(p.retry).toEqualTypeOf<number>();
    // @ts-expect-error not a keepalived checker type
    keepalivedPolicy('FILE_CHECK');
  });
});
