/**
 * Issue 11, core's part: every entry point refuses garbage with a coded LvsError (or, on the packet path, a
 * counted drop), and a refused call changes nothing. Each block names the issue item it pins.
 */
import { DropReason } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { compileConfig, Ipvs } from '../src/director.js';
import { formatLargeNum, runIpvsadm } from '../src/index.js';
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
