/**
 * ldirectord configuration → checkers, and the small codecs of the ldirectord services: expectations come
 * from ldirectord.in (`ld_port_to_service`, `ld_checkport`, `ld_setup` timeouts, `_check_real` combined
 * sequencing) and from the RFCs' byte layouts written out by hand (RFC 4511 BER, RFC 2865 §5.2).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  berRead,
  combinedCheck,
  ldapBindRequest,
  ldirectordChecker,
  ldirectordTimeouts,
  radiusAccessRequest,
  radiusHidePassword,
  ScriptedChecker,
  serviceForPort,
} from '../src/index.js';

describe('ldirectord configuration', () => {
  it('defaults the service by virtual port', () => {
    expect([21, 25, 53, 80, 443, 3306, 5432, 5060, 8080].map(serviceForPort)).toEqual([
      'ftp',
      'smtp',
      'dns',
      'http',
      'https',
      'mysql',
      'pgsql',
      'sip',
      'none',
    ]);
  });

  it('timeouts fall back to each other, then to 5 s / 30 s', () => {
    expect(ldirectordTimeouts({ address: 'v', port: 80 })).toEqual({ check: 5, negotiate: 30 });
    expect(ldirectordTimeouts({ address: 'v', port: 80, negotiatetimeout: 12 })).toEqual({ check: 12, negotiate: 12 });
    expect(ldirectordTimeouts({ address: 'v', port: 80, checktimeout: 3 })).toEqual({ check: 3, negotiate: 3 });
    expect(ldirectordTimeouts({ address: 'v', port: 80 }, { checktimeout: 7 })).toEqual({ check: 7, negotiate: 7 });
  });

  it('builds the checker kind, policy and timeout ldirectord would use', () => {
    const http = ldirectordChecker({ address: 'v', port: 80 }, { address: '10.0.0.1', port: 8080 });
    expect(http?.checker.kind).toBe('ldirectord:http');
    expect(http?.timeoutMs).toBe(30_000);
    expect(http?.policy).toEqual({ kind: 'ldirectord', checkIntervalMs: 10_000, failureCount: 1 });
    const connect = ldirectordChecker(
      { address: 'v', port: 80, checktype: 'connect', checkinterval: 2, failurecount: 3 },
      { address: '10.0.0.1', port: 0 },
    );
    expect(connect?.checker.key).toBe('TCP_CHECK 10.0.0.1:80'); // real port 0 ⇒ the service's port (ld_checkport)
    expect(connect?.timeoutMs).toBe(5000);
    expect(connect?.policy).toEqual({ kind: 'ldirectord', checkIntervalMs: 2000, failureCount: 3 });
    expect(
      ldirectordChecker({ address: 'v', port: 53, checktype: 'connect' }, { address: '10.0.0.1', port: 53 })?.checker
        .kind,
    ).toBe('ldirectord:connect(ping)');
    expect(
      ldirectordChecker({ address: 'v', port: 80, checktype: 'off' }, { address: '10.0.0.1', port: 80 }),
    ).toBeNull();
    expect(
      ldirectordChecker({ address: 'v', port: 80, checkport: 81, checktype: 'connect' }, { address: 'r', port: 80 })
        ?.checker.key,
    ).toBe('TCP_CHECK r:81');
    expect(() => ldirectordChecker({ address: 'v', port: 3306 }, { address: 'r', port: 3306 })).toThrow(/database/);
    expect(() => ldirectordChecker({ address: 'v', port: 1521 }, { address: 'r', port: 1521 })).toThrow(/oracle/);
  });

  it('checktype on is always up', async () => {
    const on = ldirectordChecker({ address: 'v', port: 80, checktype: 'on' }, { address: 'r', port: 80 });
    expect((await on?.checker.check(AbortSignal.timeout(100)))?.ok).toBe(true);
  });

  it('combined: negotiate first, then N connects, negotiate again; a connect failure forces negotiate', async () => {
    const conn = new ScriptedChecker('c');
    const neg = new ScriptedChecker('n');
    const c = combinedCheck(conn, neg, 2);
    const s = AbortSignal.timeout(1000);
    const seq: string[] = [];
    for (let i = 0; i < 4; i++) {
      const before = [conn.calls, neg.calls];
      await c.check(s);
      seq.push(neg.calls > (before[1] as number) ? 'N' : 'C');
    }
    expect(seq).toEqual(['N', 'C', 'C', 'N']);
    conn.set(false);
    await c.check(s); // connect (fails)
    await c.check(s); // → negotiate
    expect(neg.calls).toBe(3);
  });
});

describe('LDAP BER', () => {
  it('encodes an anonymous simple bind as RFC 4511 lays it out', () => {
    // LDAPMessage SEQUENCE { messageID 1, [APPLICATION 0] { version 3, name "", [0] "" } }
    expect(ldapBindRequest(1, '', '').toString('hex')).toBe('300c020101600702010304008000');
  });

  it('reads long-form lengths and refuses truncation', () => {
    const b = Buffer.concat([Buffer.from([0x04, 0x81, 0x80]), Buffer.alloc(128, 0x41)]);
    expect(berRead(b, 0)).toEqual({ tag: 4, start: 3, end: 131 });
    expect(berRead(b.subarray(0, 50), 0)).toBeNull();
  });
});

describe('RADIUS', () => {
  it('hides User-Password as RFC 2865 §5.2 (b1 = MD5(S + RA), c1 = p1 ⊕ b1)', () => {
    const ra = Buffer.alloc(16, 7);
    const b1 = createHash('md5').update('s3cret').update(ra).digest();
    const p1 = Buffer.alloc(16);
    p1.write('pw');
    const c1 = Buffer.from(p1.map((x, i) => x ^ (b1[i] as number)));
    expect(radiusHidePassword('pw', 's3cret', ra)).toEqual(c1);
    // 17 octets ⇒ two blocks; the second is keyed with the first cipher block.
    const long = radiusHidePassword('a'.repeat(17), 's', ra);
    expect(long.length).toBe(32);
    const b2 = createHash('md5').update('s').update(long.subarray(0, 16)).digest();
    expect(long[16]).toBe(0x61 ^ (b2[0] as number));
  });

  it('lays out the Access-Request header and attributes', () => {
    const ra = Buffer.alloc(16, 1);
    const p = radiusAccessRequest(9, ra, 'bob', 'pw', 's');
    expect(p[0]).toBe(1);
    expect(p[1]).toBe(9);
    expect(p.readUInt16BE(2)).toBe(p.length);
    expect(p.subarray(4, 20)).toEqual(ra);
    expect(p.subarray(20, 25).toString('latin1')).toBe('\x01\x05bob');
    expect(p.subarray(25, 27)).toEqual(Buffer.from([2, 18]));
    expect(p.subarray(43)).toEqual(Buffer.from([4, 6, 127, 0, 0, 1]));
  });
});
