/**
 * Every cell of ipvsadm.c `commands_v_options` (14 commands × 34 options): each option is added to a
 * minimal valid command; an 'x' cell must give "Illegal '<option>' option with the '<command>' command",
 * any other cell must not; each '+' option left out must give "You need to supply …"; two '1' options
 * conflict. The table below is transcribed from ipvsadm.c (rows in CMD_* order, columns in OPTC_* order).
 */
import { LvsError } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { parseIpvsadm } from '../../src/ipvsadm/index.js';

//            -n -c svc -s -p -M -r fwd -w -x -y mc tot dmn st rt thr pc srt sid ex ops pe -b grp port ttl size tinf type tprt nocs csum remc
const TABLE: [string, string, string][] = [
  ['add-service', '-A -t 10.0.0.1:80', 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx'],
  ['edit-service', '-E -t 10.0.0.1:80', 'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx'],
  ['delete-service', '-D -t 10.0.0.1:80', 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
  ['flush', '-C', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
  ['list', '-L', ' 11xxxxxxxxx11       xxxxxxx xxxxx'],
  ['add-server', '-a -t 10.0.0.1:80 -r 10.0.0.2', 'xx+xxx+    xxxxxxxxxxxxxxxxxx     '],
  ['delete-server', '-d -t 10.0.0.1:80 -r 10.0.0.2', 'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx'],
  ['edit-server', '-e -t 10.0.0.1:80 -r 10.0.0.2', 'xx+xxx+    xxxxxxxxxxxxxxxxxx     '],
  ['set', '--set 1 2 3', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
  ['start-daemon', '--start-daemon master', 'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx'],
  ['stop-daemon', '--stop-daemon master', 'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx'],
  ['restore', '-R', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
  ['save', '-S', ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
  ['zero', '-Z', 'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
];

/** `optnames[]` and a word sequence that sets that option with a valid value. */
const OPTIONS: [string, string][] = [
  ['numeric', '-n'],
  ['connection', '-c'],
  ['service-address', '-t 10.0.0.1:80'],
  ['scheduler', '-s rr'],
  ['persistent', '-p 60'],
  ['netmask', '-M 255.255.255.0'],
  ['real-server', '-r 10.0.0.2'],
  ['forwarding-method', '-m'],
  ['weight', '-w 2'],
  ['u-threshold', '-x 5'],
  ['l-threshold', '-y 1'],
  ['mcast-interface', '--mcast-interface eth1'],
  ['timeout', '--timeout'],
  ['daemon', '--daemon'],
  ['stats', '--stats'],
  ['rate', '--rate'],
  ['thresholds', '--thresholds'],
  ['persistent-conn', '--persistent-conn'],
  ['nosort', '--nosort'],
  ['syncid', '--syncid 1'],
  ['exact', '--exact'],
  ['ops', '-o'],
  ['pe', '--pe sip'],
  ['sched-flags', '-b flag-1'],
  ['mcast-group', '--mcast-group 224.0.0.81'],
  ['mcast-port', '--mcast-port 8848'],
  ['mcast-ttl', '--mcast-ttl 1'],
  ['sync-maxlen', '--sync-maxlen 1000'],
  ['tun-info', '--tun-info'],
  ['tun-type', '--tun-type ipip'],
  ['tun-port', '--tun-port 1'],
  ['tun-nocsum', '--tun-nocsum'],
  ['tun-csum', '--tun-csum'],
  ['tun-remcsum', '--tun-remcsum'],
];

function message(line: string): string | undefined {
  try {
    parseIpvsadm(line);
    return undefined;
  } catch (err) {
    if (LvsError.is(err)) return err.message;
    throw err;
  }
}

const cells = TABLE.flatMap(([cmd, base, row]) =>
  OPTIONS.map(([name, words], j) => ({ cmd, base, name, words, cell: row[j]! })),
);

describe('commands_v_options', () => {
  it('has 14 rows of 34 cells', () => {
    expect(TABLE).toHaveLength(14);
    for (const [, , row] of TABLE) expect(row).toHaveLength(34);
  });

  it.each(cells.filter((c) => !c.base.split(' ').includes(c.words.split(' ')[0]!)))(
    '$cmd with $name is "$cell"',
    ({ cmd, base, name, words, cell }) => {
      const illegal = `Illegal '${name}' option with the '${cmd}' command`;
      const got = message(`${base} ${words}`);
      if (cell === 'x') expect(got).toBe(illegal);
      else expect(got).not.toBe(illegal);
    },
  );

  it.each(cells.filter((c) => c.cell === '+'))('$cmd without $name needs it', ({ cmd, base, name, words }) => {
    const without = base.replace(` ${words}`, '');
    expect(message(without)).toBe(`You need to supply the '${name}' option for the '${cmd}' command`);
  });

  it('the exclusive list options conflict pairwise, reported against the first in table order', () => {
    const exclusive = OPTIONS.filter((_, j) => TABLE[4]![2][j] === '1');
    expect(exclusive.map(([n]) => n)).toEqual(['connection', 'service-address', 'timeout', 'daemon']);
    for (let a = 0; a < exclusive.length; a++) {
      for (let b = a + 1; b < exclusive.length; b++) {
        const [na, wa] = exclusive[a]!;
        const [nb, wb] = exclusive[b]!;
        expect(message(`-L ${wb} ${wa}`)).toBe(
          `The option '${nb}' conflicts with the '${na}' option in the 'list' command`,
        );
      }
    }
  });
});
