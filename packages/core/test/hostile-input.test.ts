/**
 * Issue 11, core's part: every entry point refuses garbage with a coded LvsError (or, on the packet path, a
 * counted drop), and a refused call changes nothing. Each block names the issue item it pins.
 */
import { DropReason, LvsError } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { compileConfig, Ipvs } from '../src/director.js';
import {
  ConnTable,
  formatLargeNum,
  type IpvsBuilder,
  IpvsTable,
  ipvs,
  MAX_CONNECTIONS,
  runIpvsadm,
} from '../src/index.js';
import { fillPacketSummary, VERDICT_DROP } from '../src/packet.js';
import { FakeClock } from '../src/testing/index.js';

const web = {
  name: 'web',
  config: {
    protocol: 'tcp' as const,
    address: '198.18.0.1',
    port: 80,
    scheduler: 'rr' as const,
    realServers: [{ address: '198.18.1.1', method: 'masq' as const }],
  },
};

function table(extra: Partial<Parameters<typeof compileConfig>[0]> = {}) {
  return new Ipvs(compileConfig({ services: [web], maxConnections: 1024, ...extra }), { clock: new FakeClock() });
}

const syn = (length: number) =>
  fillPacketSummary({
    source: '198.19.0.1',
    sourcePort: 40000,
    destination: '198.18.0.1',
    destinationPort: 80,
    flags: 'S',
    length,
  });

describe('item 3: a packet length that is not a byte count', () => {
  for (const length of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 1.5, 2 ** 32])
    it(`drops length ${length} as malformed and keeps the counters listable`, () => {
      const d = table();
      const dec = d.engine.process(syn(length), 1);
      expect(dec.verdict).toBe(VERDICT_DROP);
      expect(dec.reason).toBe(DropReason.MALFORMED);
      expect(d.engine.counters.malformed).toBe(1);
      expect(d.totals().inbytes).toBe(0);
      expect(runIpvsadm(d.ipvsadm, '-Ln --stats').exitCode).toBe(0);
      expect(runIpvsadm(d.ipvsadm, '-Ln --rate').exitCode).toBe(0);
    });

  it('the ipvsadm number formatter never throws', () => {
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 1e300, 2 ** 64])
      for (const exact of [false, true]) expect(() => formatLargeNum(v, exact)).not.toThrow();
    expect(formatLargeNum(Number.NaN, false)).toBe('        0');
    expect(formatLargeNum(Number.POSITIVE_INFINITY, true)).toBe(' 18446744073709551615');
  });
});

describe('item 9: a user classifier that throws', () => {
  it('drops the packet with CLASSIFIER_FAILED instead of throwing out of engine.process', () => {
    const d = table({
      classifier: () => {
        throw new Error('boom');
      },
    });
    const dec = d.engine.process(syn(60), 1);
    expect(dec.verdict).toBe(VERDICT_DROP);
    expect(dec.reason).toBe(DropReason.CLASSIFIER_FAILED);
    expect(d.engine.counters.classifierFailures).toBe(1);
    const weird = table({
      classifier: () =>
        ({
          valueOf: () => {
            throw new Error('no');
          },
        }) as unknown as number,
    });
    expect(weird.engine.process(syn(60), 1).reason).toBe(DropReason.CLASSIFIER_FAILED);
  });
});

const codes = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    return err.issues.map((i) => i.code);
  }
  throw new Error('did not throw');
};
const messages = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    return err.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  }
  throw new Error('did not throw');
};
const service = (extra: Record<string, unknown>, rs: Record<string, unknown>[] = []) => ({
  services: [
    {
      name: 'web',
      config: { protocol: 'tcp', address: '198.18.0.1', port: 80, realServers: rs, ...extra } as never,
    },
  ],
});
const service6 = (rs: Record<string, unknown>[]) => ({
  services: [{ name: 'web6', config: { protocol: 'tcp', address: '2001:db8::1', port: 80, realServers: rs } as never }],
});

describe('item 4: non-unicast real servers', () => {
  const v4 = ['0.0.0.0', '224.0.0.1', '255.255.255.255'];
  const v6 = ['::', 'ff02::1'];
  it('are refused by compileConfig and the builder with CORE_INVALID_ADDRESS', () => {
    for (const a of v4)
      expect(
        codes(() => compileConfig(service({}, [{ address: a }]))),
        a,
      ).toEqual(['CORE_INVALID_ADDRESS']);
    for (const a of v6)
      expect(
        codes(() => compileConfig(service6([{ address: a }]))),
        a,
      ).toEqual(['CORE_INVALID_ADDRESS']);
    expect(() =>
      ipvs()
        .service('web', { protocol: 'tcp', address: '198.18.0.1', port: 80 })
        .realServer('web', { address: '224.0.0.1' })
        .build(),
    ).toThrow(expect.objectContaining({ code: 'CORE_INVALID_CONFIG' }));
  });
  it('are refused by addRealServer, setSorryServer and ipvsadm on the live table, which stays unchanged', () => {
    const d = table();
    for (const a of v4) {
      expect(
        codes(() => d.addRealServer('web', { address: a, method: 'masq' })),
        a,
      ).toEqual(['CORE_INVALID_ADDRESS']);
      expect(
        codes(() => d.setSorryServer('web', { address: a, method: 'masq' })),
        a,
      ).toEqual(['CORE_INVALID_ADDRESS']);
      const r = runIpvsadm(d.ipvsadm, `-a -t 198.18.0.1:80 -r ${a} -m`);
      expect(r.exitCode, a).toBe(255);
      expect(r.stderr).toContain('address not unicast');
    }
    expect(d.get('web').realServers.map((r) => r.address)).toEqual(['198.18.1.1']);
  });
});

describe('item 5: reload with a config that did not come from compileConfig', () => {
  it('is refused whole before anything changes, even a complete-looking copy', () => {
    const d = table();
    const good = compileConfig({ services: [], maxConnections: 1024 });
    const { scheduler: _, ...noScheduler } = compileConfig({ services: [web], maxConnections: 1024 }).services[0]!;
    for (const bad of [
      undefined,
      null,
      { ...good },
      { ...good, services: [noScheduler] },
      JSON.parse(JSON.stringify(good)),
    ])
      expect(
        codes(() => d.reload(bad as never)),
        String(bad),
      ).toEqual(['CORE_INVALID_CONFIG']);
    expect(d.list().map((s) => s.name)).toEqual(['web']);
    expect(() => new Ipvs({ ...good })).toThrow(expect.objectContaining({ code: 'CORE_INVALID_CONFIG' }));
    d.reload(good);
    expect(d.list()).toEqual([]);
  });
});

describe('item 6: unknown keys, null values and empty names', () => {
  it('reports an unknown key anywhere in the config, naming the key and its value', () => {
    expect(messages(() => compileConfig({ ...service({}), advert_int: 1 } as never))).toEqual([
      'advert_int: unknown key "advert_int" (value 1); expected one of services, timeouts, maxConnections, switches, classifier, localAddresses',
    ]);
    expect(codes(() => compileConfig(service({ schedular: 'rr' })))).toEqual(['CORE_UNKNOWN_KEY']);
    expect(codes(() => compileConfig(service({}, [{ address: '198.18.1.1', wieght: 2 }])))).toEqual([
      'CORE_UNKNOWN_KEY',
    ]);
    expect(codes(() => compileConfig(service({ persistence: { timout: 60 } })))).toEqual(['CORE_UNKNOWN_KEY']);
    expect(codes(() => compileConfig({ ...service({}), timeouts: { tcp: 1, tcpp: 2 } } as never))).toEqual([
      'CORE_UNKNOWN_KEY',
    ]);
    expect(codes(() => compileConfig({ ...service({}), switches: { sloppy_tcp: true } } as never))).toEqual([
      'CORE_UNKNOWN_KEY',
    ]);
    const d = table();
    expect(codes(() => d.editRealServer('web', { address: '198.18.1.1' }, { wieght: 3 } as never))).toEqual([
      'CORE_UNKNOWN_KEY',
    ]);
    expect(codes(() => d.editService('web', { sched: 'rr' } as never))).toEqual(['CORE_UNKNOWN_KEY']);
  });
  it('refuses null for weight, method and port instead of taking the default', () => {
    for (const k of ['weight', 'method', 'port', 'upperThreshold'])
      expect(messages(() => compileConfig(service({}, [{ address: '198.18.1.1', [k]: null }])))[0], k).toMatch(
        new RegExp(`realServers\\.0\\.${k}: .*got null$`),
      );
    expect(codes(() => compileConfig(service({ scheduler: null })))).toEqual(['CORE_INVALID_SCHEDULER']);
    expect(codes(() => compileConfig(service({ onePacket: null })))).toEqual(['CORE_INVALID_OPTION']);
    expect(codes(() => compileConfig({ ...service({}), maxConnections: null } as never))).toEqual([
      'CORE_INVALID_OPTION',
    ]);
    const d = table();
    expect(codes(() => d.editRealServer('web', { address: '198.18.1.1' }, { weight: null } as never))).toEqual([
      'CORE_INVALID_WEIGHT',
    ]);
  });
  it("addService('') is a coded issue naming the value", () => {
    const d = table();
    expect(messages(() => d.addService('', { protocol: 'tcp', address: '198.18.0.2', port: 80 }))).toEqual([
      'services: a service needs a non-empty name, got ""',
    ]);
    expect(codes(() => compileConfig({ services: [{ name: '', config: web.config }] }))).toEqual([
      'CORE_INVALID_OPTION',
    ]);
    expect(d.list().map((s) => s.name)).toEqual(['web']);
  });
});

describe('item 7: scheduler names that are object built-ins', () => {
  for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty'])
    it(`${name} is an unknown scheduler, never a TypeError`, () => {
      expect(codes(() => compileConfig(service({ scheduler: name, flags: ['sh-port'] })))).toEqual([
        'CORE_INVALID_SCHEDULER',
        'CORE_INVALID_SCHED_FLAG',
      ]);
      expect(codes(() => table().editService('web', { scheduler: name as never }))).toEqual(['CORE_INVALID_SCHEDULER']);
      expect(runIpvsadm(table().ipvsadm, `-A -t 198.18.0.9:80 -s ${name}`).stderr).toContain(
        'Scheduler or persistence engine not found',
      );
    });
});

describe('item 9: wrong shapes at the top of compileConfig', () => {
  it('refuses undefined, null, a non-array services list and non-object entries with coded issues', () => {
    for (const input of [undefined, null, 5, 'x', []])
      expect(
        codes(() => compileConfig(input as never)),
        String(input),
      ).toEqual(['CORE_INVALID_OPTION']);
    expect(codes(() => compileConfig({ services: 5 } as never))).toEqual(['CORE_INVALID_OPTION']);
    expect(codes(() => compileConfig({ services: [null, 'x'] } as never))).toEqual([
      'CORE_INVALID_OPTION',
      'CORE_INVALID_OPTION',
    ]);
    expect(codes(() => compileConfig({ services: [], timeouts: null } as never))).toEqual(['CORE_INVALID_TIMEOUT']);
    expect(codes(() => compileConfig({ services: [], switches: 5 } as never))).toEqual(['CORE_INVALID_OPTION']);
    expect(codes(() => compileConfig({ services: [], localAddresses: 5 } as never))).toEqual(['CORE_INVALID_OPTION']);
    expect(codes(() => table().setConnectionTimeouts(null as never))).toEqual(['CORE_INVALID_TIMEOUT']);
    expect(() =>
      (ipvs() as never as { service(n: string, c: unknown): IpvsBuilder }).service('a', null).build(),
    ).toThrow(expect.objectContaining({ code: 'CORE_INVALID_CONFIG' }));
  });
});

describe('item 10: messages', () => {
  it('print IPv6 address:port with brackets and the bad value', () => {
    expect(
      messages(() =>
        compileConfig(
          service6([
            { address: '2001:db8::2', method: 'masq' },
            { address: '2001:db8::2', method: 'masq' },
          ]),
        ),
      ),
    ).toEqual(['services.web6.realServers.1: real server [2001:db8::2]:80 is listed twice']);
    const d = new Ipvs(compileConfig(service6([{ address: '2001:db8::2', method: 'masq' }])));
    expect(messages(() => d.addRealServer('web6', { address: '2001:db8::2', method: 'masq' }))[0]).toContain(
      '[2001:db8::2]:80',
    );
    expect(() => d.removeRealServer('web6', { address: '2001:db8::9' })).toThrow('[2001:db8::9]:80');
    expect(messages(() => compileConfig(service({}, [{ address: '198.18.1.1', upperThreshold: -1 }])))[0]).toContain(
      'got -1',
    );
    expect(
      messages(() =>
        compileConfig(service({ family: 7, fwmark: 1, protocol: undefined, address: undefined, port: undefined })),
      ),
    ).toContain('services.web.family: family must be 4 or 6, got 7');
  });
});

describe('item 11: the connection table size', () => {
  it('is bounded by MAX_CONNECTIONS (2^24) with a clear error, never an 8 GB preallocation', () => {
    expect(MAX_CONNECTIONS).toBe(2 ** 24);
    expect(
      messages(() =>
        ipvs()
          .maxConnections(2 ** 26)
          .build(),
      ),
    ).toEqual([
      'maxConnections: maxConnections must be an integer 1..16777216 (MAX_CONNECTIONS: each entry is preallocated, about 128 bytes, so the limit is about 2 GB), got 67108864',
    ]);
    expect(() => new ConnTable(2 ** 26, 0)).toThrow(expect.objectContaining({ code: 'CORE_INVALID_OPTION' }));
  });
});

describe('item 12: tunnel real servers the datapath cannot encapsulate', () => {
  it('refuses IPv6 and cross-family tunnel real servers with CORE_UNSUPPORTED_TUNNEL, on every entry point', () => {
    expect(codes(() => compileConfig(service6([{ address: '2001:db8::2', method: 'tunnel' }])))).toEqual([
      'CORE_UNSUPPORTED_TUNNEL',
    ]);
    expect(codes(() => compileConfig(service6([{ address: '198.18.1.2', method: 'tunnel' }])))).toEqual([
      'CORE_UNSUPPORTED_TUNNEL',
    ]);
    expect(codes(() => compileConfig(service({}, [{ address: '2001:db8::2', method: 'tunnel' }])))).toEqual([
      'CORE_UNSUPPORTED_TUNNEL',
    ]);
    const d = table();
    expect(codes(() => d.addRealServer('web', { address: '2001:db8::2', method: 'tunnel' }))).toEqual([
      'CORE_UNSUPPORTED_TUNNEL',
    ]);
    expect(runIpvsadm(d.ipvsadm, '-a -t 198.18.0.1:80 -r [2001:db8::2]:80 -i').exitCode).toBe(255);
    // IPv4 in IPv4 stays, and the kernel-faithful IpvsTable (no datapath behind it) still takes the others.
    d.addRealServer('web', { address: '198.18.1.2', method: 'tunnel' });
    const t = new IpvsTable();
    runIpvsadm(t, '-A -t 198.18.0.1:80');
    expect(runIpvsadm(t, '-a -t 198.18.0.1:80 -r [2001:db8::2]:80 -i').exitCode).toBe(0);
  });
});

describe('engine time that is not a finite number (found by the fuzz suite)', () => {
  it('engine.process and advance with now = Infinity or 1e300 return at once instead of spinning the timer wheel', () => {
    const d = table();
    for (const now of [Number.POSITIVE_INFINITY, 1e300, Number.NaN, -1]) {
      const dec = d.engine.process(syn(60), now);
      expect(dec.verdict).not.toBe(VERDICT_DROP);
      d.engine.advance(now);
    }
    expect(d.engine.lastNow).toBe(0);
  });
});
