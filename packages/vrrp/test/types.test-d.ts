/**
 * Type tests: event payloads are typed from the event map, actions are a discriminated union, and the
 * configuration refuses what keepalived does not accept at the type level (state, version, auth type).
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { AdvertDropReason, VrrpAction, VrrpInstanceConfig, VrrpRouter, VrrpState } from '../src/index.js';

describe('types', () => {
  it('router events carry typed payloads', () => {
    const r = {} as VrrpRouter;
    r.on('stateChanged', (e) => {
      expectTypeOf(e.to).toEqualTypeOf<VrrpState>();
      expectTypeOf(e.priority).toEqualTypeOf<number>();
    });
    r.on('dropped', (e) => expectTypeOf(e.reason).toEqualTypeOf<AdvertDropReason>());
    r.on('error', (e) => expectTypeOf(e.code).toBeString());
    // @ts-expect-error no such event
    r.on('nope', () => {});
  });
  it('actions narrow on type', () => {
    const f = (a: VrrpAction): number =>
      a.type === 'send-advert' ? a.priority : a.type === 'gratuitous-arp' ? a.repeat : 0;
    expectTypeOf(f).returns.toEqualTypeOf<number>();
    expectTypeOf<Extract<VrrpAction, { type: 'transition' }>['reason']>().toEqualTypeOf<
      'start' | 'master-down' | 'higher-priority' | 'fault' | 'fault-cleared' | 'shutdown' | 'sync'
    >();
  });
  it('configuration literals', () => {
    expectTypeOf<VrrpInstanceConfig['state']>().toEqualTypeOf<'MASTER' | 'BACKUP' | undefined>();
    expectTypeOf<VrrpInstanceConfig['version']>().toEqualTypeOf<2 | 3 | undefined>();
    // @ts-expect-error only PASS authentication exists
    const bad: NonNullable<VrrpInstanceConfig['authentication']> = { type: 'AH', password: 'x' };
    void bad;
  });
});
