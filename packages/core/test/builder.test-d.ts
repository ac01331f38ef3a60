/**
 * Type tests: the builder's generics accumulate declared service names, and misuse is a compile error
 * (each `@ts-expect-error` fails the type check if the line below it ever compiles).
 */
import { describe, expectTypeOf, it } from 'vitest';
import { type CompiledIpvsConfig, type Ipvs, ipvs } from '../src/index.js';

describe('director builder types', () => {
  it('accumulates service names', () => {
    const b = ipvs()
      .service('web', { protocol: 'tcp', address: '198.18.0.1', port: 80 })
      .service('dns', { protocol: 'udp', address: '198.18.0.1', port: 53, onePacket: true });
    expectTypeOf(b.build()).toEqualTypeOf<CompiledIpvsConfig<'web' | 'dns'>>();
    expectTypeOf(b.start()).resolves.toEqualTypeOf<Ipvs<'web' | 'dns'>>();
    b.realServer('web', { address: '198.18.1.1' });
    // @ts-expect-error 'mail' was never declared
    b.realServer('mail', { address: '198.18.1.1' });
  });

  it('rejects a duplicate service name', () => {
    const b = ipvs().service('web', { protocol: 'tcp', address: '198.18.0.1', port: 80 });
    // @ts-expect-error 'web' is already declared
    b.service('web', { protocol: 'tcp', address: '198.18.0.2', port: 80 });
  });

  it('types scheduler flags per scheduler', () => {
    ipvs().service('a', { protocol: 'tcp', address: '198.18.0.1', port: 80, scheduler: 'sh', flags: ['sh-port'] });
    ipvs().service('b', {
      protocol: 'tcp',
      address: '198.18.0.1',
      port: 80,
      scheduler: 'mh',
      flags: ['mh-fallback'],
    });
    // @ts-expect-error sh-port is an sh flag, not a wlc one
    ipvs().service('c', { protocol: 'tcp', address: '198.18.0.1', port: 80, scheduler: 'wlc', flags: ['sh-port'] });
    // @ts-expect-error no such scheduler
    ipvs().service('d', { protocol: 'tcp', address: '198.18.0.1', port: 80, scheduler: 'random' });
  });

  it('requires persistence for a port-0 service', () => {
    ipvs().service('pcc', { protocol: 'tcp', address: '198.18.0.1', port: 0, persistence: true });
    ipvs().service('pcc', { protocol: 'tcp', address: '198.18.0.1', port: 0, persistence: { timeout: 60 } });
    // @ts-expect-error port 0 without persistence
    ipvs().service('bad', { protocol: 'tcp', address: '198.18.0.1', port: 0 });
  });

  it('allows one-packet scheduling only for UDP and firewall marks', () => {
    ipvs().service('u', { protocol: 'udp', address: '198.18.0.1', port: 53, onePacket: true });
    ipvs().service('f', { fwmark: 3, onePacket: true });
    // @ts-expect-error TCP cannot use one-packet scheduling
    ipvs().service('t', { protocol: 'tcp', address: '198.18.0.1', port: 80, onePacket: true });
  });

  it('types forwarding methods and the running director', async () => {
    const b = ipvs().service('web', { protocol: 'tcp', address: '198.18.0.1', port: 80 });
    // @ts-expect-error 'nat' is not an LVS method name (masq, route, tunnel)
    b.realServer('web', { address: '198.18.1.1', method: 'nat' });
    const d = await b.start();
    d.addRealServer('web', { address: '198.18.1.2', method: 'masq' });
    // @ts-expect-error unknown service on the running director
    d.removeService('mail');
    const wider = d.addService('mail', { protocol: 'tcp', address: '198.18.0.2', port: 25 });
    wider.removeService('mail');
    d.on('realServerOverloaded', (e) => {
      expectTypeOf(e.overloaded).toEqualTypeOf<boolean>();
    });
    // @ts-expect-error no such event
    d.on('somethingElse', () => {});
  });
});
