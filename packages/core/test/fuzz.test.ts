/**
 * Issue 11, "so that it stays fixed" (core's part): every public entry point that takes user input —
 * compileConfig, the builder, the run-time changes, reload and the ipvsadm target — is fed values of every
 * JSON shape and mutations of a valid configuration. The only outcomes allowed are success or an LvsError with
 * a code (and a path on each issue); a refused run-time change leaves the table as it was; engine.process
 * never throws on any summary.
 */
import { LvsError } from '@lvskit/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileConfig, Ipvs, type IpvsConfigInput } from '../src/director.js';
import { ipvs, runIpvsadm } from '../src/index.js';
import { createPacketSummary, type PacketSummary } from '../src/packet.js';
import { FakeClock } from '../src/testing/index.js';

const VALID: IpvsConfigInput = {
  services: [
    {
      name: 'web',
      config: {
        protocol: 'tcp',
        address: '198.18.0.1',
        port: 80,
        scheduler: 'wrr',
        persistence: { timeout: 60, netmask: '255.255.255.0' },
        realServers: [
          { address: '198.18.1.1', method: 'masq', weight: 2, upperThreshold: 10, lowerThreshold: 5 },
          { address: '198.18.1.2', method: 'route' },
        ],
        sorryServer: { address: '198.18.9.9', method: 'masq' },
      },
    },
    { name: 'mark', config: { fwmark: 7, family: 4, scheduler: 'sh', flags: ['sh-port'], persistence: true } },
  ],
  timeouts: { tcp: 900, udp: 300 },
  maxConnections: 4096,
  switches: { expireNodestConn: true, connReuseMode: 2 },
  localAddresses: ['198.18.0.1'],
};

const anyValue = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY, -1, 2 ** 32, '', 'toString', '__proto__'),
  fc.constantFrom('0.0.0.0', '224.0.0.1', '255.255.255.255', '::', 'ff02::1', '2001:db8::1', '198.18.0.1/', 'tunnel'),
);

/** Every path into a value (object keys and array indexes), for mutations. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v))
    v.forEach((x, i) => {
      out.push(...paths(x, [...prefix, i]));
    });
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function mutate(v: unknown, path: readonly (string | number)[], value: unknown, drop: boolean): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(v) ? [...v] : { ...(v as object) }) as Record<string | number, unknown>;
  if (drop && rest.length === 0) delete copy[head];
  else copy[head] = mutate(copy[head], rest, value, drop);
  return copy;
}

const ALL_PATHS = paths(VALID);
const mutation = fc.record({
  path: fc.constantFrom(...ALL_PATHS),
  extra: fc.option(fc.constantFrom('advert_int', 'wieght', 'tcpp', 'sloppy_tcp'), { nil: undefined }),
  value: anyValue,
  drop: fc.boolean(),
});

function outcome(fn: () => unknown): 'ok' | 'refused' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    expect(typeof err.code).toBe('string');
    for (const i of err.issues) expect(Array.isArray(i.path)).toBe(true);
    return 'refused';
  }
}

function mutated(m: { path: (string | number)[]; extra: string | undefined; value: unknown; drop: boolean }) {
  const p = m.extra === undefined ? m.path : [...m.path, m.extra];
  return mutate(VALID, p, m.value, m.drop) as IpvsConfigInput;
}

describe('fuzz: core entry points', () => {
  it('compileConfig takes any JSON shape and any mutation of a valid config: success or a coded LvsError', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        outcome(() => compileConfig(v as never));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(mutation, (m) => {
        outcome(() => compileConfig(mutated(m)));
      }),
      { numRuns: 600 },
    );
  });

  it('the builder, the run-time changes and reload refuse garbage and change nothing when they do', () => {
    const ops: ((d: Ipvs, v: unknown) => unknown)[] = [
      (d, v) => d.addService('x', v as never),
      (d, v) => d.addService(v as never, { protocol: 'tcp', address: '198.18.0.7', port: 80 }),
      (d, v) => d.editService('web', v as never),
      (d, v) => d.editService('web', { scheduler: v as never }),
      (d, v) => d.addRealServer('web', v as never),
      (d, v) => d.addRealServer('web', { address: v as never, method: 'masq' }),
      (d, v) => d.addRealServer('web', { address: '198.18.1.7', method: v as never }),
      (d, v) => d.editRealServer('web', { address: '198.18.1.1' }, v as never),
      (d, v) => d.editRealServer('web', { address: '198.18.1.1' }, { weight: v as never }),
      (d, v) => d.editRealServer('web', v as never, { weight: 1 }),
      (d, v) => d.removeRealServer('web', v as never),
      (d, v) => d.removeService(v as never),
      (d, v) => d.setSorryServer('web', v as never),
      (d, v) => d.setConnectionTimeouts(v as never),
      (d, v) => d.reload(v as never),
      (d, v) => d.findService(v as never),
      (d, v) => d.get(v as never),
      (_d, v) =>
        ipvs()
          .maxConnections(v as never)
          .build(),
      (_d, v) => (ipvs() as never as { service(n: unknown, c: unknown): { build(): unknown } }).service('a', v).build(),
    ];
    const d = new Ipvs(compileConfig(VALID), { clock: new FakeClock() });
    fc.assert(
      fc.property(fc.nat(ops.length - 1), anyValue, (k, v) => {
        const before = runIpvsadm(d.ipvsadm, '-S -n').stdout;
        const r = outcome(() => ops[k]!(d, v));
        if (r === 'refused') expect(runIpvsadm(d.ipvsadm, '-S -n').stdout).toBe(before);
        else d.reload(compileConfig(VALID));
      }),
      { numRuns: 1000 },
    );
  });

  it('engine.process never throws, whatever the summary holds', () => {
    const d = new Ipvs(compileConfig(VALID), { clock: new FakeClock() });
    const field = fc.constantFrom<keyof PacketSummary>(
      'family',
      'protocol',
      'sport',
      'dport',
      'tcpFlags',
      'length',
      'direction',
      'mark',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(field, anyValue), { maxLength: 4 }), fc.double(), (edits, now) => {
        const p = createPacketSummary();
        p.daddr.set([198, 18, 0, 1]);
        p.saddr.set([198, 19, 0, 1]);
        p.dport = 80;
        p.sport = 40000;
        for (const [f, v] of edits) (p as unknown as Record<string, unknown>)[f] = v;
        expect(() => d.engine.process(p, now)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});
