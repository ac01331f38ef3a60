/**
 * Type tests for the ipvsadm layer: the parsed-command union narrows on `command`, service keys narrow on
 * `kind`, IpvsTable is an IpvsadmTarget, and the snapshot is read-only plain data.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  type IpvsadmCommand,
  type IpvsadmResult,
  type IpvsadmTarget,
  type IpvsServiceConfig,
  type IpvsServiceKey,
  type IpvsSnapshot,
  IpvsTable,
  parseIpvsadm,
  runIpvsadm,
} from '../../src/ipvsadm/index.js';

describe('ipvsadm types', () => {
  it('narrows commands and keys', () => {
    const c = parseIpvsadm('-A -t 192.0.2.1:80');
    expectTypeOf(c).toEqualTypeOf<IpvsadmCommand>();
    if (c.command === 'add-service') {
      expectTypeOf(c.service).toEqualTypeOf<IpvsServiceConfig>();
      const k: IpvsServiceKey = c.service.key;
      if (k.kind === 'fwmark') expectTypeOf(k.fwmark).toBeNumber();
      else expectTypeOf(k.protocol).toEqualTypeOf<'tcp' | 'udp' | 'sctp'>();
      // @ts-expect-error add-service carries no real server
      void c.server;
    }
  });

  it('IpvsTable implements IpvsadmTarget; runIpvsadm returns a result', () => {
    expectTypeOf<IpvsTable>().toMatchTypeOf<IpvsadmTarget>();
    expectTypeOf(runIpvsadm(new IpvsTable(), [])).toEqualTypeOf<IpvsadmResult>();
    expectTypeOf(runIpvsadm).parameter(1).toEqualTypeOf<readonly string[] | string>();
  });

  it('snapshots are read-only', () => {
    const s = new IpvsTable().snapshot();
    expectTypeOf(s).toEqualTypeOf<IpvsSnapshot>();
    // @ts-expect-error services is readonly
    s.services.push(s.services[0]!);
    // @ts-expect-error timeouts are readonly
    s.timeouts.tcp = 1;
  });
});
