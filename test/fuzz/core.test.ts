/**
 * Fuzz: ipvsadm (one command, and -R restore) on a live Ipvs, and createScheduler. ipvsadm never throws: it
 * answers with an exit code and, when a single command fails, the table is unchanged. (compileConfig, the
 * builder, the run-time changes and engine.process are fuzzed in packages/core/test/fuzz.test.ts.)
 */
import { compileConfig, Ipvs, type IpvsConfigInput, runIpvsadm } from '@lvskit/core';
import { FakeClock } from '@lvskit/core/testing';
import { createScheduler } from '@lvskit/schedulers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyValue, hostileNumber, hostileString, RUNS, refusedOrOk } from './harness.js';

const valid: IpvsConfigInput = {
  services: [
    {
      name: 'web',
      config: {
        protocol: 'tcp',
        address: '198.18.0.100',
        port: 80,
        scheduler: 'wlc',
        persistence: { timeout: 300 },
        realServers: [
          { address: '198.18.1.1', weight: 2, method: 'route' },
          { address: '198.18.1.2', port: 8080, method: 'masq', upperThreshold: 100, lowerThreshold: 50 },
        ],
      },
    },
    {
      name: 'dns',
      config: {
        protocol: 'udp',
        address: '2001:2::53',
        port: 53,
        scheduler: 'sh',
        realServers: [{ address: '2001:2::1:1' }],
      },
    },
  ],
  timeouts: { tcp: 900, tcpfin: 120, udp: 300 },
  maxConnections: 4096,
};

function live(): Ipvs {
  return new Ipvs(compileConfig(valid), { clock: new FakeClock(1_000_000) });
}

const snapshot = (d: Ipvs) => JSON.stringify([d.list(), d.timeouts]);

/** ipvsadm words: real options and values, hostile ones mixed in. */
const ipvsadmWord = fc.oneof(
  fc.constantFrom(
    '-A',
    '-E',
    '-D',
    '-C',
    '-a',
    '-e',
    '-d',
    '-L',
    '-l',
    '-n',
    '-Z',
    '-R',
    '-S',
    '--set',
    '-t',
    '-u',
    '--sctp-service',
    '-f',
    '-s',
    '-p',
    '-M',
    '-r',
    '-g',
    '-i',
    '-m',
    '-w',
    '-x',
    '-y',
    '-b',
    '--stats',
    '--rate',
    '--exact',
    '-c',
    '--pe',
    'sip',
    'rr',
    'wlc',
    'mh',
    'toString',
    'sh-fallback',
    'flag-1',
    '198.18.0.100:80',
    '198.18.1.1:80',
    '[2001:2::53]:53',
    '[2001:2::1:1]',
    '198.18.0.100',
    '0',
    '1',
    '65535',
    '-1',
  ),
  hostileString,
  hostileNumber.map(String),
);

describe('fuzz: ipvsadm on a live Ipvs', () => {
  it('ipvsadm: any words → an exit code, never an exception; a failed command changes nothing', () => {
    fc.assert(
      fc.property(fc.array(ipvsadmWord, { maxLength: 12 }), (words) => {
        const d = live();
        const before = snapshot(d);
        let r: ReturnType<typeof runIpvsadm> | undefined;
        refusedOrOk(() => {
          r = runIpvsadm(d.ipvsadm, words);
        });
        expect(r).toBeDefined();
        expect(Number.isInteger(r?.exitCode)).toBe(true);
        if (r?.exitCode !== 0 && !words.includes('-R')) expect(snapshot(d)).toBe(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('ipvsadm -R: any lines → an exit code, never an exception', () => {
    fc.assert(
      fc.property(fc.array(fc.array(ipvsadmWord, { maxLength: 8 }), { maxLength: 8 }), (lines) => {
        const d = live();
        let r: ReturnType<typeof runIpvsadm> | undefined;
        refusedOrOk(() => {
          r = runIpvsadm(d.ipvsadm, ['-R'], { stdin: lines.map((l) => l.join(' ')).join('\n') });
        });
        expect(Number.isInteger(r?.exitCode)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: @lvskit/schedulers', () => {
  it('createScheduler: any name and options → a scheduler or an LvsError', () => {
    fc.assert(
      fc.property(fc.oneof(anyValue, fc.constantFrom('rr', 'wlc', 'mh', 'sh', 'lblcr')), anyValue, (name, options) => {
        refusedOrOk(() => createScheduler(name as 'rr', options as never));
      }),
      { numRuns: RUNS },
    );
  });
});
