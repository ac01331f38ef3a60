/**
 * importIpvsadmRules: an `ipvsadm -S -n` rule file into the director's config. The rule files here are
 * written by core's ipvsadm layer itself (`-S -n` of a table built with ipvsadm commands), so the round trip
 * checks the importer against ipvsadm's own save format: rules → config → director → `-S -n` gives the same
 * rules back.
 */
import { LvsError } from '@lvskit/base';
import { IpvsTable, runIpvsadm } from '@lvskit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ImportIssue, importIpvsadmRules, validateConfig } from '../src/index.js';
import { TestNetwork } from '../src/testing/index.js';

/** The `-S -n` text of a table built by running `commands` through ipvsadm's grammar. */
function saved(commands: readonly string[]): string {
  const table = new IpvsTable();
  for (const c of commands) {
    const r = runIpvsadm(table, c);
    if (r.exitCode !== 0) throw new Error(`${c}: ${r.stderr}`);
  }
  return runIpvsadm(table, '-S -n').stdout;
}

function failure(text: string, file = 'rules'): readonly ImportIssue[] {
  try {
    importIpvsadmRules(text, { file });
  } catch (err) {
    expect(LvsError.is(err) && err.code).toBe('DIRECTOR_IMPORT_FAILED');
    return (err as LvsError).issues as readonly ImportIssue[];
  }
  throw new Error('the import did not fail');
}

const MIXED = [
  '-A -t 198.18.2.240:80 -s wlc',
  '-a -t 198.18.2.240:80 -r 198.18.2.212:80 -g -w 1',
  '-a -t 198.18.2.240:80 -r 198.18.2.213:80 -g -w 3',
  '-a -t 198.18.2.240:80 -r 198.18.2.214:80 -g -w 2',
  '-A -u 198.18.2.240:53 -s sh -b sh-fallback,sh-port -p 300 -M 255.255.255.0',
  '-a -u 198.18.2.240:53 -r 198.18.3.1:5353 -m',
  '-a -u 198.18.2.240:53 -r 198.18.3.2:5353 -m -w 0',
  '-A -t 198.18.2.241:0 -s rr -p 60',
  '-a -t 198.18.2.241:0 -r 198.18.4.1 -i -w 5',
  '-A -t [2001:2::1]:443 -s mh -p',
  '-a -t [2001:2::1]:443 -r [2001:2::10]:443 -g',
  '-a -t [2001:2::1]:443 -r [2001:2::11]:8443 -m -w 7',
];

describe('importIpvsadmRules', () => {
  it('round-trips ipvsadm -S -n: rules → config → director → the same rules', async () => {
    const rules = saved(MIXED);
    const { config, warnings } = importIpvsadmRules(rules);
    expect(warnings).toEqual([]);
    const net = new TestNetwork();
    const d = net.director(config);
    await d.start();
    expect(runIpvsadm(d.ipvs.ipvsadm, '-S -n').stdout).toBe(rules);
    await d.stop();
  });

  it('maps each service to a VIP written once, with ipvsadm’s defaults made explicit', () => {
    const { config } = importIpvsadmRules(saved(MIXED));
    expect(config.vips).toEqual({
      'vip-198.18.2.240': '198.18.2.240',
      'vip-198.18.2.241': '198.18.2.241',
      'vip-2001:2::1': '2001:2::1',
    });
    const byName = new Map(config.services.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual([
      '198.18.2.240:53/udp',
      '198.18.2.240:80/tcp',
      '198.18.2.241:0/tcp',
      '[2001:2::1]:443/tcp',
    ]);
    const http = byName.get('198.18.2.240:80/tcp');
    // In the order they were added (ipvsadm lists the newest first).
    expect(http?.realServers.map((r) => [r.address, r.weight, r.method])).toEqual([
      ['198.18.2.212', 1, 'route'],
      ['198.18.2.213', 3, 'route'],
      ['198.18.2.214', 2, 'route'],
    ]);
    expect(byName.get('198.18.2.240:53/udp')?.persistence).toEqual({ timeout: 300, netmask: '255.255.255.0' });
    // -p alone is ipvsadm's 360 s (ipvsadm.c: IPVS_SVC_PERSISTENT_TIMEOUT, 6 minutes).
    expect(byName.get('[2001:2::1]:443/tcp')?.persistence).toEqual({ timeout: 360 });
    expect(byName.get('198.18.2.241:0/tcp')?.realServers[0]).toMatchObject({ method: 'tunnel', weight: 5 });
    expect(validateConfig(config).services.length).toBe(4);
  });

  it('reads what ipvsadm -R reads: comments, blank lines, a leading ipvsadm word, edits, deletes and --set', () => {
    const text = [
      '# saved by ipvsadm-save',
      '',
      'ipvsadm -A -t 198.18.2.240:80 -s rr',
      '-a -t 198.18.2.240:80 -r 198.18.2.212:80 -g -w 1',
      '-a -t 198.18.2.240:80 -r 198.18.2.213:80 -g -w 1',
      '-e -t 198.18.2.240:80 -r 198.18.2.213:80 -g -w 9 -x 100 -y 10',
      '-d -t 198.18.2.240:80 -r 198.18.2.212:80',
      '-E -t 198.18.2.240:80 -s lc',
      '-A -t 198.18.2.250:80 -s rr',
      '-D -t 198.18.2.250:80',
      '--set 900 120 300',
      '--set 0 60 0',
    ].join('\n');
    const { config } = importIpvsadmRules(text);
    expect(config.services).toEqual([
      {
        name: '198.18.2.240:80/tcp',
        vip: 'vip-198.18.2.240',
        port: 80,
        protocol: 'tcp',
        scheduler: 'lc',
        // Thresholds are kept although -S never writes them (a hand-written rule file may hold them).
        realServers: [
          { address: '198.18.2.213', port: 80, weight: 9, method: 'route', upperThreshold: 100, lowerThreshold: 10 },
        ],
      },
    ]);
    expect(config.vips).toEqual({ 'vip-198.18.2.240': '198.18.2.240' });
    // --set 0 leaves a timeout as it was (ipvsadm(8): "a value of 0 means that the current value is kept").
    expect(config.timeouts).toEqual({ tcp: 900, tcpfin: 60, udp: 300 });
  });

  it('reports every failing line at once, at file:line:col, with ipvsadm’s own messages, sorted', () => {
    const issues = failure(
      [
        '-A -f 1 -s rr',
        '  -L -n',
        '-A -t 198.18.2.240:80 -s bogus',
        '-a -t 198.18.2.99:80 -r 198.18.2.212:80',
        '--start-daemon master --mcast-interface eth0',
        '--start-daemon master --mcast-interface eth1',
        '-A -u 198.18.2.240:81 -s rr -o',
        '-A -u 198.18.2.240:5060 -s rr -p 30 --pe sip',
        '-A -t 198.18.2.242:80 -s rr',
        '-a -t 198.18.2.242:80 -r 198.18.2.5:80 -i --tun-type gue --tun-port 6080',
      ].join('\n'),
    );
    expect(issues.map((i) => `${i.severity} ${i.message}`)).toEqual([
      'error rules:1:1: firewall-mark service 1: the director config cannot express it yet',
      'error rules:2:3: -L -n: not a rule (a rule file holds table edits only)',
      'error rules:3:1: Scheduler or persistence engine not found',
      'error rules:4:1: Service not defined',
      'error rules:6:1: Daemon has already run',
      'error rules:7:1: one-packet scheduling (-o): the director config cannot express it yet',
      'error rules:8:1: persistence engine sip: the director config cannot express it yet',
      'error rules:10:1: real server 198.18.2.5: --tun-type gue is not supported',
    ]);
  });

  it('--start-daemon becomes the sync block in that role; master and backup with the same options: both', () => {
    const rules = (...daemons: string[]) => ['-A -t 198.18.2.240:80 -s rr', ...daemons].join('\n');
    const one = importIpvsadmRules(rules('--start-daemon backup --mcast-interface eth1 --syncid 7 --mcast-port 8850'));
    expect(one.config.sync).toEqual({ interface: 'eth1', syncid: 7, port: 8850, roles: 'backup' });
    expect(one.warnings).toEqual([]);
    const both = importIpvsadmRules(
      rules(
        '--start-daemon master --syncid 3 --mcast-group 224.0.0.82 --mcast-ttl 2 --sync-maxlen 1400',
        '--start-daemon backup --syncid 3 --mcast-group 224.0.0.82 --mcast-ttl 2 --sync-maxlen 1400',
      ),
    );
    // ipvsadm's default interface is eth0 (DEF_MCAST_IFN).
    expect(both.config.sync).toEqual({
      interface: 'eth0',
      syncid: 3,
      group: '224.0.0.82',
      ttl: 2,
      maxLen: 1400,
      roles: 'both',
    });
    const issues = failure(rules('--start-daemon master --syncid 3', '--start-daemon backup --syncid 4'));
    expect(issues.map((i) => `${i.severity} ${i.message}`)).toEqual([
      'error rules:3:1: --start-daemon backup: the director runs its master and backup sync daemons with one set of options; line 2 gives others',
    ]);
  });

  it('refuses host and service names that ipvsadm would resolve, with the way out', () => {
    // Seed 001's `ipvsadm -S` (without -n) writes `-A -t cdh1:http -s wlc`.
    const [first] = failure('-A -t cdh1:http -s wlc\n-a -t cdh1:http -r cdh2:http -g -w 1\n');
    expect(first?.message).toBe(
      'rules:1:1: illegal virtual server address[:port] specified (host and service names are not resolved: save the rules with ipvsadm -S -n)',
    );
  });

  it('reports what the director refuses at the line that made it', () => {
    const issues = failure(
      [
        '-A -t [2001:2::1]:443 -s rr',
        '-a -t [2001:2::1]:443 -r [2001:2::10]:443 -g',
        '-a -t [2001:2::1]:443 -r [2001:2::11]:443 -i',
      ].join('\n'),
    );
    expect(issues.map((i) => i.line)).toEqual([3]);
    expect(issues[0]?.message).toMatch(/^rules:3:1: tunnel real server 2001:2::11 of an IPv6 service/);
  });

  it('never throws anything but DIRECTOR_IMPORT_FAILED, on word soup and on mutated rule files', () => {
    const base = saved(MIXED).split('\n');
    const words = [
      '-A',
      '-a',
      '-e',
      '-E',
      '-d',
      '-D',
      '-C',
      '-t',
      '-u',
      '-f',
      '-r',
      '-s',
      '-p',
      '-M',
      '-w',
      '-g',
      '-m',
      '-i',
      '-x',
      '-y',
      '-b',
      '--set',
      '198.18.2.240:80',
      '[2001:2::1]:443',
      'rr',
      'wlc',
      '7',
      '-1',
      '',
      '#',
      'ipvsadm',
      '\t',
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...base),
            fc.array(fc.constantFrom(...words), { maxLength: 8 }).map((w) => w.join(' ')),
          ),
          {
            maxLength: 12,
          },
        ),
        (lines) => {
          try {
            const { config } = importIpvsadmRules(lines.join('\n'));
            validateConfig(config);
          } catch (err) {
            if (!LvsError.is(err) || err.code !== 'DIRECTOR_IMPORT_FAILED') throw err;
            for (const i of err.issues as readonly ImportIssue[])
              expect(i.message).toMatch(/^ipvsadm\.rules:\d+:\d+: /);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
