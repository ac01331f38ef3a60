/**
 * The ldirectord.cf importer: the seed's configs, error positions (`file:line:col`), every keyword family
 * (negotiate services, checktype, quiescent, fallback, autoreload), LDIRECTORD checks validated through
 * health's ldirectordChecker, and whole directors built from an imported file on the fakes.
 */
import { readFileSync } from 'node:fs';
import { LvsError } from '@lvskit/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createDirector,
  importLdirectord,
  type LdirectordImportOptions,
  ldirectordKeywords,
  validateConfig,
} from '../src/index.js';
import { TestNetwork } from '../src/testing/index.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/ldirectord/${name}`, import.meta.url), 'utf8');

// The seed's host names, resolved as /etc/hosts would (the importer does no DNS itself).
const HOSTS: Record<string, string> = {
  'www.baidu.com': '198.51.100.80',
  sql01: '192.168.10.81',
  sql03: '192.168.10.83',
};
const resolve: LdirectordImportOptions['resolve'] = (host, family) => (family === 4 ? HOSTS[host] : undefined);

/** The error lines of a refused import, as `line:col: message`. */
function refused(text: string, options: LdirectordImportOptions = {}): string[] {
  try {
    importLdirectord(text, { file: 'ld.cf', ...options });
  } catch (err) {
    if (!LvsError.is(err)) throw err;
    expect(err.code).toBe('DIRECTOR_IMPORT_FAILED');
    return err.issues
      .filter((i) => (i as { severity?: string }).severity === 'error')
      .map((i) => i.message.replace(/^ld\.cf:/, ''));
  }
  throw new Error('the import was not refused');
}

function table(d: { ipvs: { list(): readonly { realServers: readonly { address: string; weight: number }[] }[] } }) {
  return d.ipvs
    .list()[0]!
    .realServers.map((r) => `${r.address}/${r.weight}`)
    .sort();
}

describe('the seed ldirectord configs', () => {
  it('seed 000, second config: the http virtual with its fallback, autoreload and timing', () => {
    const { config, warnings, daemon } = importLdirectord(fixture('seed-000-second.cf'), {
      file: 'seed-000-second.cf',
      resolve,
    });
    expect(() => validateConfig(config)).not.toThrow();
    expect(warnings).toEqual([]);
    expect(daemon).toEqual({
      autoreload: true,
      checkinterval: 1,
      logfile: '/var/log/ldirectord.log',
      supervised: false,
      fork: false,
      cleanstop: true,
    });
    expect(config.vips).toEqual({ '192.168.7.250': '192.168.7.250' });
    const check = {
      type: 'LDIRECTORD',
      service: 'http',
      checktype: 'negotiate',
      checkport: 80,
      request: 'index.html',
      receive: 'RS',
      globals: { checktimeout: 3, checkinterval: 1 },
    };
    expect(config.services).toEqual([
      {
        name: 'TCP 192.168.7.250:80',
        vip: '192.168.7.250',
        port: 80,
        protocol: 'tcp',
        scheduler: 'wrr',
        realServers: [
          { address: '192.168.7.201', port: 80, weight: 1, method: 'route', checks: [check] },
          { address: '192.168.7.203', port: 80, weight: 1, method: 'route', checks: [check] },
        ],
        // quiescent = no: a failed real server is removed; the global fallback is the sorry server.
        health: { sorryServer: { address: '198.51.100.80', port: 80, weight: 1, method: 'route' } },
      },
    ]);
  });

  it('seed 000, the MySQL sample: a real server range of host names, a negotiate SQL check', () => {
    const { config } = importLdirectord(fixture('seed-000-mysql.cf'), { resolve });
    expect(() => validateConfig(config)).not.toThrow();
    const s = config.services[0]!;
    expect(s.realServers.map((r) => `${r.address}:${r.port}/${r.weight}`)).toEqual([
      '192.168.10.81:3306/10',
      '192.168.10.82:3306/10',
      '192.168.10.83:3306/10',
    ]);
    expect(s.realServers[0]!.checks).toEqual([
      {
        type: 'LDIRECTORD',
        service: 'mysql',
        checktype: 'negotiate',
        login: 'readuser',
        passwd: 'genericpassword',
        database: 'portal',
        request: 'SELECT * FROM link',
      },
    ]);
    expect(s.health).toEqual({ sorryServer: { address: '127.0.0.1', port: 3306, weight: 1, method: 'route' } });
  });

  it('seed 000, first config as printed: refused where ldirectord refuses it, every line at once', () => {
    expect(refused(fixture('seed-000-first.cf'))).toEqual([
      '5:1: unknown command "autoreloa\\"d=yes"',
      '6:9: logfile must be a quoted path, got "“\\"/var/log/ldirectord.log\\" #日志文件"',
      `7:11: quiescent must be 'yes' or 'no', got "no #down时yes权重为0,no为删除"`,
      '8:9: fwmark virtual services (virtual = 5) are not supported by the director config',
      '9:1: unknown command "real"',
      '10:1: unknown command "real"',
      '11:10: invalid fallback server: "127.0.0.1:80 gate #sorry server,集群不可用时,指向一台备用服务器"',
      '12:1: unknown command "service"',
      '13:1: unknown command "scheduler"',
      '14:1: unknown command "checktype"',
      '15:1: unknown command "checkport"',
      '16:1: unknown command "request"',
      '17:1: unknown command "receive"',
    ]);
  });

  it('a host name without a resolver is an error at its position', () => {
    expect(refused(fixture('seed-000-second.cf'))).toEqual([
      '6:10: fallback server www.baidu.com is a host name: write an address or pass options.resolve',
    ]);
  });
});

describe('grammar and positions', () => {
  it('reports every error with its line and column, the whole file at once', () => {
    const text = [
      'checktimeout = 0', // 1
      'virtual = 198.18.0.100:80', // 2
      '\treal = 198.18.1.1:80 gate 1', // 3
      '\treal = 198.18.1.2:80 route 1', // 4
      '\treal = 198.18.1.3:80 gate 1 "/a", "b" junk', // 5
      '\tchecktype = sometimes', // 6
      '\trequest = index.html', // 7
      '    connecttimeout = 3', // 8
      '    tcpp = 1', // 9
      '    scheduler = wlx', // 10
      '    checkport = 70000', // 11
      '    netmask = 24', // 12
      '\tchecktype = external-perl', // 13
      'fork = maybe', // 14
      '  real = 198.18.1.4:80 gate', // 15
    ].join('\n');
    expect(refused(text)).toEqual([
      '1:16: invalid checktimeout: "0" (a number > 0)',
      '4:9: forward method must be gate, masq or ipip, got "route"',
      '5:9: invalid real server line, around "junk"',
      '6:14: checktype must be connect, negotiate, on, off, ping, external, external-perl or a number, got "sometimes"',
      '7:12: request must be quoted: request = "index.html"',
      '8:5: connecttimeout was removed from ldirectord in favour of negotiatetimeout',
      '9:5: unknown command "tcpp"',
      '10:17: scheduler wlx is not one lvskit implements',
      '11:17: checkport must be in 1..65535, got 70000',
      '12:15: invalid netmask: dotted quad notation is required',
      '13:14: checktype external-perl evaluates Perl in ldirectord; lvskit cannot: use external',
      `14:8: fork must be 'yes' or 'no', got "maybe"`,
      '15:3: indented line outside a virtual section (a blank or unindented line ended it): "real = 198.18.1.4:80 gate"',
    ]);
  });

  it('a blank line ends a virtual section, as in ldirectord', () => {
    expect(refused('virtual=198.18.0.100:80\n\n    real=198.18.1.1:80 gate\n')).toEqual([
      '3:5: indented line outside a virtual section (a blank or unindented line ended it): "real=198.18.1.1:80 gate"',
    ]);
  });

  it("maps health's refusals of a check back to the keyword's line (validateConfig through ldirectordChecker)", () => {
    const section = (line: string) => `virtual=198.18.0.100:3306\n    real=198.18.1.1 gate\n    service=mysql\n${line}`;
    expect(refused(section(''))).toEqual([
      '1:1: services[0].realServers[0].checks[0].database: service mysql needs database =',
    ]);
    const errors = refused(section('    receive="(x"\n'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^4:5: services\[0\]\.realServers\[0\]\.checks\[0\]\.receive: receive "\(x" is not a valid regular expression/,
    );
  });

  it('comments, tabs, service port names, IPv6 sections, trailing text and ignored directives', () => {
    const text = [
      '# ldirectord.cf',
      'checkcount = 2',
      'emailalert = "ops@example.org"',
      'supervised',
      'virtual = 198.18.0.100:http # the web',
      '\t# a comment inside the section',
      '\treal = 198.18.1.1:http masq 3 # weight 3',
      '\tcheckinterval = 5',
      '\tmonitorfile = "/var/log/ld.mon"',
      '\tnetmask = 255.255.255.0',
      'virtual6 = [2001:db8::100]:443 junk',
      '    real6 = [2001:db8::1]:443 gate',
      '    checktype = connect',
      '    persistent = 600',
      '    netmask = 64',
    ].join('\n');
    const { config, warnings, daemon } = importLdirectord(text, { file: 'x.cf' });
    expect(() => validateConfig(config)).not.toThrow();
    expect(daemon.supervised).toBe(true);
    expect(warnings.map((w) => w.message)).toEqual([
      "x.cf:2:1: checkcount is deprecated (ldirectord): use 'failurecount'",
      'x.cf:3:1: emailalert is not supported by lvskit; ignored',
      "x.cf:4:1: a bare 'supervised' is deprecated: write supervised = yes",
      'x.cf:8:2: checkinterval in a virtual section is ignored when fork = no (as ldirectord does)',
      'x.cf:9:2: monitorfile is not supported by lvskit; ignored',
      'x.cf:10:2: netmask without persistent is ignored (as ldirectord does)',
      'x.cf:11:32: ignored by ldirectord: "junk"',
    ]);
    expect(config.services.map((s) => [s.name, s.protocol, s.persistence])).toEqual([
      ['TCP 198.18.0.100:80', 'tcp', undefined],
      ['TCP [2001:db8::100]:443', 'tcp', { timeout: 600, netmask: 64 }],
    ]);
    expect(config.services[0]!.realServers[0]).toMatchObject({
      address: '198.18.1.1',
      port: 80,
      weight: 3,
      method: 'masq',
    });
    expect(config.services[1]!.realServers[0]).toMatchObject({ address: '2001:db8::1', method: 'route' });
  });

  it('reports what the director refuses at the line it came from (an IPv6 ipip real server)', () => {
    expect(refused('virtual6=[2001:db8::100]:443\n    real6=[2001:db8::1]:443 ipip\n')).toEqual([
      '2:11: services[0].realServers[0].method: tunnel real server 2001:db8::1 of an IPv6 service: the datapath tunnels IPv4 in IPv4 only',
    ]);
  });

  it('port 53 is udp by default; a real without a port takes the service port', () => {
    const { config } = importLdirectord(
      'virtual=198.18.0.53:53\n    real=198.18.1.1 gate\n    request="example.org"\n    receive="198"\n',
    );
    expect(() => validateConfig(config)).not.toThrow();
    expect(config.services[0]).toMatchObject({ protocol: 'udp', port: 53, realServers: [{ address: '198.18.1.1' }] });
    expect(config.services[0]!.realServers[0]!.port).toBeUndefined();
  });
});

describe('negotiate services and checktype', () => {
  const section = (lines: string[]) =>
    importLdirectord(
      [
        'virtual=198.18.0.100:80',
        '    real=198.18.1.1:80 gate 2 "/health", "ok"',
        ...lines.map((l) => `    ${l}`),
      ].join('\n'),
    );

  it.each([
    [
      ['service=http', 'virtualhost="www.example.org"', 'httpmethod=head'],
      { service: 'http', virtualhost: 'www.example.org', httpmethod: 'HEAD' },
    ],
    [['service=https', 'checkport=443'], { service: 'https', checkport: 443 }],
    [['service=smtp', 'checkport=25'], { service: 'smtp' }],
    [['service=ftp', 'login="anonymous"', 'passwd="me@example.org"'], { service: 'ftp', login: 'anonymous' }],
    [['service=pgsql', 'database="app"', 'login="u"'], { service: 'pgsql', database: 'app' }],
    [['service=simpletcp'], { service: 'simpletcp' }],
    [['service=ldap', 'checkport=389'], { service: 'ldap' }],
    [['service=radius', 'secret="s"', 'checkport=1812'], { service: 'radius', secret: 's' }],
    [['checktype=3', 'service=http'], { checktype: 3 }],
    [['checktype=connect'], { checktype: 'connect' }],
    [['checktype=ping'], { checktype: 'ping' }],
    [
      ['checktype=external', 'checkcommand="/usr/local/bin/check web"'],
      { checktype: 'external', checkcommand: '/usr/local/bin/check web' },
    ],
    [['checktype=on'], { checktype: 'on' }],
  ])('%j', (lines, expected) => {
    const { config } = section(lines);
    expect(() => validateConfig(config)).not.toThrow();
    // The real's "request", "receive" pair replaces the section's.
    expect(config.services[0]!.realServers[0]!.checks![0]).toMatchObject({
      type: 'LDIRECTORD',
      request: '/health',
      receive: 'ok',
      ...expected,
    });
  });

  it('checktype off: the section loads, its fallback is dropped with a warning', () => {
    const { config, warnings } = section(['checktype=off', 'fallback=198.18.1.9:80']);
    expect(() => validateConfig(config)).not.toThrow();
    expect(config.services[0]!.health).toBeUndefined();
    expect(warnings.map((w) => w.message)).toEqual([
      'ldirectord.cf:4:14: checktype off: ldirectord activates neither the real servers nor the fallback',
    ]);
  });

  it('refuses oracle and service names ldirectord does not know', () => {
    expect(refused('virtual=198.18.0.100:1521\n    real=198.18.1.1 gate\n    service=oracle\n')).toEqual([
      '3:5: services[0].realServers[0].checks[0].service: service "oracle" is not supported (no Oracle driver); use checktype external',
    ]);
    expect(refused('virtual=198.18.0.100:80\n    real=198.18.1.1 gate\n    service=htp\n')[0]).toMatch(
      /^3:13: service must be one of dns, /,
    );
  });
});

describe('the LDIRECTORD check kind in the director config', () => {
  const base = (check: Record<string, unknown>) => ({
    vips: { web: '198.18.0.100' },
    services: [
      {
        name: 'web',
        vip: 'web',
        port: 80,
        realServers: [{ address: '198.18.1.1', checks: [{ type: 'LDIRECTORD', ...check }] }],
      },
    ],
  });

  const paths = (config: unknown) => {
    try {
      validateConfig(config as never);
    } catch (e) {
      if (!LvsError.is(e)) throw e;
      expect(e.code).toBe('DIRECTOR_INVALID_CONFIG');
      return e.issues.map((i) => i.path.join('.'));
    }
    throw new Error('accepted');
  };

  it('takes the virtual address, port and protocol from its service', () => {
    expect(paths(base({ service: 'http', port: 81 }))).toEqual(['services.0.realServers.0.checks.0.port']);
  });

  it("is validated by health's ldirectordChecker, with the check's own paths", () => {
    expect(paths(base({ service: 'htp', globals: { failurecount: 0 } }))).toEqual([
      'services.0.realServers.0.checks.0.service',
      'services.0.realServers.0.checks.0.globals.failurecount',
    ]);
  });

  it('accepts a plain ldirectord check', () => {
    expect(() =>
      validateConfig(base({ service: 'http', request: '/', receive: 'ok', globals: { checkinterval: 2 } }) as never),
    ).not.toThrow();
  });
});

describe('whole directors from an imported ldirectord.cf', () => {
  const cf = (quiescent: 'yes' | 'no', fallback = true) =>
    [
      'checkinterval = 1',
      'failurecount = 2',
      `quiescent = ${quiescent}`,
      ...(fallback ? ['fallback = 198.18.1.9:80 gate'] : []),
      'virtual = 198.18.0.100:80',
      '    real = 198.18.1.1:80 gate 1',
      '    real = 198.18.1.2:80 gate 1',
      '    service = http',
      '    request = "health"',
      '    receive = "ok"',
      '    scheduler = rr',
    ].join('\n');
  const SERVICE = 'TCP 198.18.0.100:80';

  it('takes a failing real server out after failurecount failures, and back when it passes', async () => {
    const net = new TestNetwork();
    const d = net.director(importLdirectord(cf('no')).config);
    await d.start();
    await net.advance(3_000);
    expect(table(d)).toEqual(['198.18.1.1/1', '198.18.1.2/1']);
    net.checks.set(SERVICE, '198.18.1.2', 80, false);
    await net.advance(1_000);
    // One failure of failurecount = 2: still in ("Soft failure 1/2").
    expect(table(d)).toEqual(['198.18.1.1/1', '198.18.1.2/1']);
    await net.advance(2_000);
    expect(table(d)).toEqual(['198.18.1.1/1']);
    net.checks.set(SERVICE, '198.18.1.2', 80, true);
    await net.advance(2_000);
    expect(table(d)).toEqual(['198.18.1.1/1', '198.18.1.2/1']);
    await d.stop();
  });

  it('quiescent = yes keeps a failed real server at weight 0; the fallback comes in when none is up', async () => {
    const net = new TestNetwork();
    const d = net.director(importLdirectord(cf('yes')).config);
    await d.start();
    await net.advance(3_000);
    net.checks.set(SERVICE, '198.18.1.1', 80, false);
    await net.advance(3_000);
    expect(table(d)).toEqual(['198.18.1.1/0', '198.18.1.2/1']);
    net.checks.set(SERVICE, '198.18.1.2', 80, false);
    await net.advance(3_000);
    expect(table(d)).toEqual(['198.18.1.1/0', '198.18.1.2/0', '198.18.1.9/1']);
    net.checks.set(SERVICE, '198.18.1.2', 80, true);
    await net.advance(3_000);
    expect(table(d)).toEqual(['198.18.1.1/0', '198.18.1.2/1']);
    await d.stop();
  });

  it('quiescent = no with a fallback: failed servers leave the table and the fallback serves alone', async () => {
    const net = new TestNetwork();
    const d = net.director(importLdirectord(cf('no')).config);
    await d.start();
    await net.advance(3_000);
    net.checks.set(SERVICE, '198.18.1.1', 80, false);
    net.checks.set(SERVICE, '198.18.1.2', 80, false);
    await net.advance(3_000);
    expect(table(d)).toEqual(['198.18.1.9/1']);
    await d.stop();
  });
});

describe('checktype on and off on a director (the real ldirectord checkers, no check fakes)', () => {
  it('checktype off never adds its real servers; checktype on always does', async () => {
    const net = new TestNetwork();
    const text = [
      'checkinterval = 1',
      'virtual = 198.18.0.100:80',
      '    real = 198.18.1.1:80 gate 1',
      '    checktype = off',
      'virtual = 198.18.0.100:81',
      '    real = 198.18.1.1:81 gate 1',
      '    checktype = on',
    ].join('\n');
    const d = createDirector(importLdirectord(text).config, { ...net.ports(), checker: () => undefined });
    await d.start();
    await net.advance(5_000);
    const table = () => d.ipvs.list().map((s) => `${s.name}: ${s.realServers.map((r) => r.address).join(',')}`);
    expect(table()).toEqual(['TCP 198.18.0.100:80: ', 'TCP 198.18.0.100:81: 198.18.1.1']);
    // A reload turning the :81 section off and adding a real to it: the kept one leaves, the new one never comes in.
    await d.reload(importLdirectord(`${text}\n    real = 198.18.1.2:81 gate 1\n    checktype = off`).config);
    await net.advance(5_000);
    expect(table()).toEqual(['TCP 198.18.0.100:80: ', 'TCP 198.18.0.100:81: ']);
    await d.stop();
  });
});

describe('ldirectordKeywords', () => {
  const table = ldirectordKeywords();
  it('lists each keyword once per block, the mapped ones included', () => {
    const keys = table.map((k) => `${k.block}/${k.keyword}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of ['/autoreload', '/fallback', 'virtual/real', 'virtual/checktype', 'virtual/quiescent']) {
      expect(keys).toContain(k);
    }
    expect(table.find((k) => k.block === '' && k.keyword === 'timeout')?.support).toBe('error');
    expect(table.find((k) => k.block === 'virtual' && k.keyword === 'ops')?.support).toBe('warning');
    for (const k of table) if (k.support !== 'mapped') expect(k.note).not.toBe('');
  });

  /** A value each keyword accepts (the warning and error rows take anything). */
  const VALUE: Record<string, string> = {
    checktimeout: '5',
    negotiatetimeout: '5',
    checkinterval: '5',
    failurecount: '3',
    checkcount: '3',
    fallback: '198.18.2.1:80 gate',
    fallback6: '[2001:2::99]:80 gate',
    autoreload: 'yes',
    supervised: 'yes',
    fork: 'yes',
    cleanstop: 'no',
    quiescent: 'yes',
    readdquiescent: 'yes',
    callback: '"/usr/local/bin/cb"',
    logfile: '"/var/log/ld.log"',
    real: '198.18.1.2:80 gate',
    real6: '[2001:2::2]:80 gate',
    request: '"/"',
    receive: '"ok"',
    login: '"u"',
    passwd: '"p"',
    database: '"d"',
    secret: '"s"',
    checktype: 'negotiate',
    checkcommand: '"/bin/true"',
    checkport: '8080',
    scheduler: 'wlc',
    persistent: '300',
    netmask: '255.255.255.0',
    protocol: 'tcp',
    service: 'http',
    httpmethod: 'GET',
    virtualhost: '"www.example.com"',
    servicename: '"web"',
    ops: 'yes',
  };
  const cases = table.filter((k) => k.keyword !== 'virtual' && k.keyword !== 'virtual6');
  it.each(cases.map((k) => [k.block || 'global', k.keyword, k.support] as const))(
    '%s %s behaves as listed (%s)',
    (block, keyword, support) => {
      const six = keyword === 'real6' || keyword === 'fallback6';
      const section = six
        ? 'virtual6 = [2001:2::100]:80\n    real6 = [2001:2::1]:80 gate\n'
        : 'virtual = 198.18.0.100:80\n    real = 198.18.1.1:80 gate\n';
      const entry = `${keyword} = ${VALUE[keyword] ?? '5'}`;
      const text = block === 'global' ? `${entry}\n${section}` : `${section}    ${entry}\n`;
      const line = block === 'global' ? 1 : 3;
      if (support === 'error') {
        expect(refused(text).some((m) => m.startsWith(`${line}:`))).toBe(true);
        return;
      }
      const { warnings } = importLdirectord(text);
      const here = warnings.filter((w) => w.line === line);
      if (support === 'warning') expect(here.length).toBeGreaterThan(0);
      else expect(here.filter((w) => /not supported|not carried out|not imported/.test(w.message))).toEqual([]);
    },
  );

  it('a keyword outside the table is an unknown command, in both blocks', () => {
    expect(refused('nosuchkey = 1\n')).toEqual(['1:1: unknown command "nosuchkey"']);
    expect(refused('virtual = 198.18.0.100:80\n    real = 198.18.1.1:80 gate\n    nosuchkey = 1\n')).toEqual([
      '3:5: unknown command "nosuchkey"',
    ]);
  });
});

describe('fuzz', () => {
  const WORDS = [
    'virtual',
    'virtual6',
    'real',
    'real6',
    'fallback',
    'checktype',
    'service',
    'request',
    'receive',
    'quiescent',
    'scheduler',
    'persistent',
    'netmask',
    'protocol',
    'checkport',
    'autoreload',
    'checkinterval',
    'failurecount',
    'login',
    'virtualhost',
  ];
  const VALUES = [
    '198.18.0.100:80',
    '198.18.1.1:80 gate 2',
    '[2001:db8::1]:80',
    'yes',
    'no',
    '"x"',
    'http',
    '3',
    '0',
    'rr',
    '#',
    '->',
    '',
  ];
  const line = fc.tuple(
    fc.constantFrom('', '    ', '\t', ' '),
    fc.constantFrom(...WORDS),
    fc.constantFrom('=', ' = ', ' '),
    fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 12 })),
  );

  it('any file is imported into a valid config or refused with DIRECTOR_IMPORT_FAILED, never anything else', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
        const text = lines.map((l) => l.join('')).join('\n');
        try {
          const { config } = importLdirectord(text);
          validateConfig(config);
        } catch (err) {
          if (!LvsError.is(err) || err.code !== 'DIRECTOR_IMPORT_FAILED') throw err;
          for (const i of err.issues) expect(i.message).toMatch(/^ldirectord\.cf:\d+:\d+: /);
        }
      }),
      { numRuns: 300 },
    );
  });
});
