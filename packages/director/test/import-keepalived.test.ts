/**
 * The keepalived.conf importer: every keepalived config in the seeds loads and passes `validateConfig`,
 * errors and warnings carry exact `file:line:col` positions, `include` with globs (through injected file
 * access and through the disk), the one-line brace form, a round trip of key fields, and — when keepalived
 * is installed — the same accept/reject verdict as `keepalived -t` on the corpus in fixtures/keepalived.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LvsError } from '@lvskit/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DirectorConfig,
  type ImportIssue,
  importKeepalived,
  keepalivedKeywords,
  validateConfig,
} from '../src/index.js';

const SEEDS = '/work/shared/seeds';
const FIXTURES = join(import.meta.dirname, 'fixtures', 'keepalived');

/**
 * The keepalived configs inside the seeds (prose documents). Seed 003 holds one multi-line config, from its
 * `! Configuration File` line to the `# scp` line after it. Seed 004 holds six one-line configs, each after a
 * `! Configuration File for keepalived` heading that lost its newline; its author says to delete the remarks
 * (`#…` in Chinese) before use (复制要把备注删掉), which is what the extraction does.
 */
function seedConfigs(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(SEEDS).sort();
  } catch {
    return out;
  }
  for (const f of files) {
    const text = readFileSync(join(SEEDS, f), 'utf8');
    if (!/virtual_server|vrrp_instance/.test(text)) continue;
    const lines = text.split('\n');
    const oneLine = lines.filter((l) => /^! Configuration File for keepalived .*\{/.test(l));
    if (oneLine.length > 0) {
      oneLine.forEach((l, i) => {
        const body = l.replace(/^! Configuration File for keepalived /, '').replace(/#[^\p{ASCII}]\S*/gu, '');
        out.push({ name: `${f}#${i + 1}`, text: body });
      });
      continue;
    }
    const start = lines.findIndex((l) => l.startsWith('! Configuration File'));
    const end = lines.findIndex((l, i) => i > start && /^#\s*scp\s/.test(l));
    if (start >= 0) out.push({ name: f, text: lines.slice(start, end < 0 ? undefined : end).join('\n') });
  }
  return out;
}

function failure(fn: () => unknown): LvsError {
  try {
    fn();
  } catch (err) {
    if (LvsError.is(err)) return err;
    throw err;
  }
  throw new Error('expected an LvsError');
}

const errorsOf = (err: LvsError) =>
  (err.issues as readonly ImportIssue[]).filter((i) => i.severity === 'error').map((i) => i.message);

describe('seeds', () => {
  const seeds = seedConfigs();
  it('finds the keepalived configs of seeds 003 and 004', () => {
    if (seeds.length === 0) return; // seeds live outside the repository
    expect(seeds.length).toBe(7);
  });
  for (const s of seeds) {
    it(`${s.name} imports and passes validateConfig`, () => {
      const { config } = importKeepalived(s.text, { file: s.name });
      expect(() => validateConfig(config)).not.toThrow();
      expect(Object.keys(config.vips).length).toBeGreaterThan(0);
    });
  }
  it('seed 003: DR service with TCP checks and VRRP, key fields as in the file', () => {
    const s = seeds.find((x) => x.name.startsWith('003'));
    if (!s) return;
    const { config, warnings } = importKeepalived(s.text, { file: 'seed-003' });
    expect(config.vips).toEqual({ 'VI_1-1': { address: '192.168.2.240', interface: 'eth0' } });
    const inst = config.vrrp?.instances[0];
    expect(inst).toMatchObject({
      name: 'VI_1',
      state: 'MASTER',
      interface: 'eth0',
      virtualRouterId: 51,
      priority: 100,
      advertInt: 5,
      authentication: { type: 'PASS', password: '1111' },
      vips: ['VI_1-1'],
    });
    const svc = config.services[0];
    expect(svc).toMatchObject({
      vip: 'VI_1-1',
      port: 80,
      protocol: 'tcp',
      scheduler: 'wlc',
      method: 'route',
      persistence: { timeout: 60 },
      health: { timing: { delay_loop: 6 } },
    });
    expect(svc?.realServers.map((r) => [r.address, r.port, r.weight])).toEqual([
      ['192.168.2.212', 80, 3],
      ['192.168.2.213', 80, 3],
    ]);
    expect(svc?.realServers[0]?.checks).toEqual([
      { type: 'TCP_CHECK', connect_timeout: 10, retry: 3, delay_before_retry: 3, connect_port: 80 },
    ]);
    expect(warnings.map((w) => w.message)).toContain(
      'seed-003:4:4: notification_email is ignored: lvskit sends no mail',
    );
    expect(warnings.some((w) => /seed-003:\d+:\d+: nb_get_retry is deprecated/.test(w.message))).toBe(true);
  });
  it('seed 004: the one-line form keeps vrrp_mcast_group4, scripts and the sorry server', () => {
    const all = seeds.filter((x) => x.name.startsWith('004')).map((x) => importKeepalived(x.text).config);
    if (all.length === 0) return;
    for (const c of all) expect(c.vrrp?.globals).toEqual({ multicastGroup4: '224.0.38.12' });
    expect(all[2]?.services[0]).toMatchObject({
      vip: 'VI_1-1',
      scheduler: 'rr',
      method: 'route',
      health: { sorryServer: { address: '127.0.0.1', port: 80 }, timing: { delay_loop: 3 } },
    });
    expect(all[2]?.services[0]?.realServers[0]?.checks?.[0]).toEqual({
      type: 'HTTP_GET',
      url: [{ path: '/', status_code: [200] }],
      connect_timeout: 1,
      retry: 3,
      delay_before_retry: 1,
    });
    expect(all[4]?.vrrp?.scripts).toEqual([
      { name: 'check_ngx', script: 'killall -0 nginx ', interval: 1, weight: -5 },
    ]);
    expect(all[4]?.vrrp?.instances[0]?.tracking).toEqual({ trackScripts: [{ name: 'check_ngx' }] });
  });
});

const MULTI = `global_defs {
  router_id A
  vrrp_version 2
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 90
  nopreempt
  virtual_ipaddress {
    192.0.2.10/32 dev eth0
    192.0.2.11
  }
  track_interface {
    eth1 weight -10
  }
}
virtual_server 192.0.2.10 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 198.51.100.1 8080 {
    weight 5
    HTTP_GET {
      url {
        path /ok
        status_code 200 301-302
      }
    }
  }
}
virtual_server 203.0.113.9 53 {
  lb_algo wlc
  lb_kind DR
  protocol UDP
  real_server 198.51.100.2 53 {
    inhibit_on_failure
  }
}
`;

describe('grammar', () => {
  it('the one-line brace form imports exactly as the multi-line one', () => {
    const one = MULTI.replace(/\s*\n\s*/g, ' ');
    expect(one.includes('\n')).toBe(false);
    expect(importKeepalived(one).config).toEqual(importKeepalived(MULTI).config);
  });

  it('maps keywords: VIPs once, a service on a VRRP address names its VIP, another address gets its own VIP', () => {
    const { config } = importKeepalived(MULTI);
    expect(config.vips).toEqual({
      'VI_1-1': { address: '192.0.2.10', interface: 'eth0' },
      'VI_1-2': { address: '192.0.2.11', interface: 'eth0' },
      'vip-203.0.113.9': '203.0.113.9',
    });
    expect(config.interfaces).toEqual([{ name: 'eth0' }]);
    expect(config.vrrp?.globals).toEqual({ version: 2 });
    expect(config.vrrp?.instances[0]).toMatchObject({
      nopreempt: true,
      state: 'BACKUP',
      tracking: { trackInterfaces: [{ name: 'eth1', weight: -10 }] },
    });
    expect(config.services.map((s) => [s.name, s.vip, s.method, s.protocol])).toEqual([
      ['192.0.2.10:80/tcp', 'VI_1-1', 'masq', 'tcp'],
      ['203.0.113.9:53/udp', 'vip-203.0.113.9', 'route', 'udp'],
    ]);
    const check = config.services[0]?.realServers[0]?.checks?.[0];
    expect(check).toEqual({ type: 'HTTP_GET', url: [{ path: '/ok', status_code: [200, [301, 302]] }] });
    expect(config.services[1]?.realServers[0]?.inhibitOnFailure).toBe(true);
  });

  it('comments with ! and #, quoted strings, braces glued to words', () => {
    const text = [
      '! a comment',
      'vrrp_script chk{ # trailing',
      '  script "/usr/bin/test -f /tmp/x"   ! another',
      '  weight 2 reverse',
      '}',
      'vrrp_instance V{',
      '  interface eth0',
      '  virtual_router_id 9',
      '  virtual_ipaddress {',
      '    192.0.2.9',
      '  }',
      '  track_script {',
      '    chk weight 5',
      '  }',
      '}',
    ].join('\n');
    const { config } = importKeepalived(text);
    expect(config.vrrp?.scripts).toEqual([
      { name: 'chk', script: '/usr/bin/test -f /tmp/x', weight: 2, reverse: true },
    ]);
    expect(config.vrrp?.instances[0]?.tracking).toEqual({ trackScripts: [{ name: 'chk', weight: 5 }] });
  });

  it('virtual_server_group: one service per member, ranges expanded', () => {
    const text = `virtual_server_group G {
  192.0.2.20 80
  192.0.2.21-22 80
}
virtual_server group G {
  lb_kind DR
  protocol TCP
  real_server 198.51.100.3 80 {
  }
}`;
    const { config } = importKeepalived(text);
    expect(config.services.map((s) => s.name)).toEqual(['192.0.2.20:80/tcp', '192.0.2.21:80/tcp', '192.0.2.22:80/tcp']);
    expect(Object.keys(config.vips)).toEqual(['vip-192.0.2.20', 'vip-192.0.2.21', 'vip-192.0.2.22']);
  });

  it('keepalived defaults are written out with the warnings keepalived gives: UDP, NAT, wlc', () => {
    const { config, warnings } = importKeepalived(
      'virtual_server 192.0.2.1 80 {\n  real_server 198.51.100.1 80 {\n  }\n}\n',
    );
    expect(config.services[0]).toMatchObject({ method: 'masq', protocol: 'udp' });
    expect(warnings.map((w) => w.message)).toEqual([
      'keepalived.conf:1:1: virtual_server has no protocol: keepalived defaults to UDP, and so does the import',
      'keepalived.conf:1:1: virtual_server has no lb_kind: keepalived defaults to NAT, and so does the import',
      'keepalived.conf:1:1: virtual_server has no lb_algo: keepalived defaults to wlc, and so does the import',
    ]);
  });
});

describe('positions', () => {
  it('errors carry file, line and column in the message, the path and the fields', () => {
    const text = [
      'vrrp_instance VI_1 {', // 1
      '    interface eth0', // 2
      '    virtual_router_id 51', // 3
      '    preemption_delay 5', // 4
      '    priority 300', // 5
      '    virtual_ipaddress {', // 6
      '        192.0.2.300', // 7
      '    }', // 8
      '}', // 9
      'virtual_server fwmark 1 {', // 10
      '  lb_algo rr', // 11
      '}', // 12
    ].join('\n');
    const err = failure(() => importKeepalived(text, { file: '/etc/keepalived/keepalived.conf' }));
    expect(err.code).toBe('DIRECTOR_IMPORT_FAILED');
    const f = '/etc/keepalived/keepalived.conf';
    expect(errorsOf(err)).toEqual([
      `${f}:1:1: vrrp_instance VI_1 has no virtual_ipaddress`,
      `${f}:4:5: unknown keyword "preemption_delay"`,
      `${f}:5:14: priority must be an integer in 1..255, got "300"`,
      `${f}:7:9: virtual_ipaddress: not an IP address: "192.0.2.300"`,
      `${f}:10:16: virtual_server fwmark is not supported by lvskit: a virtual service is an address and a port`,
    ]);
    const first = err.issues[1] as ImportIssue;
    expect(first).toMatchObject({ path: [f, 4, 5], file: f, line: 4, column: 5, severity: 'error' });
    expect(err.message).toContain('5 errors');
  });

  it('validateConfig issues are reported at the keyword they came from', () => {
    const text = [
      'vrrp_instance A {',
      '  interface eth0',
      '  virtual_router_id 1',
      '  advert_int 1.5',
      '  virtual_ipaddress {',
      '    192.0.2.1',
      '  }',
      '}',
    ].join('\n');
    const err = failure(() => importKeepalived(text));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ line: 4, column: 3, severity: 'error' });
    expect(err.message).toMatch(/^keepalived\.conf:4:3: vrrp\.instances\[0\]\.advertInt: /);
  });

  it('unbalanced braces are errors at the brace', () => {
    const open = failure(() => importKeepalived('global_defs {\n  router_id x\n'));
    expect(errorsOf(open)).toEqual(['keepalived.conf:1:13: global_defs: this { is never closed']);
    const close = failure(() => importKeepalived('global_defs {\n}\n}\n'));
    expect(errorsOf(close)).toEqual(['keepalived.conf:3:1: unexpected } (no block open)']);
  });

  it('warnings for keywords keepalived accepts and lvskit ignores, with positions', () => {
    const { warnings } = importKeepalived(
      'global_defs {\n  router_id A\n  notification_email {\n    a@b\n  }\n  vrrp_strict\n}\n',
    );
    expect(warnings.map((w) => `${w.line}:${w.column}`)).toEqual(['2:3', '3:3', '6:3']);
  });
});

describe('include', () => {
  const files: Record<string, string> = {
    '/etc/keepalived/keepalived.conf': 'global_defs {\n  router_id X\n}\ninclude conf.d/*.conf\n',
    '/etc/keepalived/conf.d/a.conf':
      'vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n',
    '/etc/keepalived/conf.d/b.conf':
      'virtual_server 192.0.2.1 80 {\n  protocol TCP\n  bogus 1\n  real_server 198.51.100.1 80 {\n  }\n}\n',
  };
  const access = {
    readFile: (p: string) => {
      const t = files[p];
      if (t === undefined) throw new Error(`ENOENT: ${p}`);
      return t;
    },
    glob: (pattern: string, relativeTo: string) => {
      const full = pattern.startsWith('/') ? pattern : `${relativeTo}/${pattern}`;
      const re = new RegExp(`^${full.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
      return Object.keys(files)
        .filter((f) => re.test(f))
        .sort();
    },
  };

  it('follows globs through injected file access; positions name the included file', () => {
    const err = failure(() =>
      importKeepalived(files['/etc/keepalived/keepalived.conf'] as string, {
        file: '/etc/keepalived/keepalived.conf',
        ...access,
      }),
    );
    expect(errorsOf(err)).toEqual(['/etc/keepalived/conf.d/b.conf:3:3: unknown keyword "bogus"']);
    files['/etc/keepalived/conf.d/b.conf'] = (files['/etc/keepalived/conf.d/b.conf'] as string).replace(
      '  bogus 1\n',
      '',
    );
    const { config } = importKeepalived(files['/etc/keepalived/keepalived.conf'] as string, {
      file: '/etc/keepalived/keepalived.conf',
      ...access,
    });
    expect(config.services[0]?.vip).toBe('A-1');
  });

  it('a pattern matching nothing is an error at the pattern', () => {
    const err = failure(() => importKeepalived('include /nowhere/*.conf\n', { file: 'k.conf', ...access }));
    expect(errorsOf(err)).toEqual(['k.conf:1:9: include /nowhere/*.conf: no file matches']);
  });

  it('reads includes from the disk by default', () => {
    const file = join(FIXTURES, 'accept-include.conf');
    const { config } = importKeepalived(readFileSync(file, 'utf8'), { file });
    expect(config.vrrp?.instances.map((i) => i.name)).toEqual(['VI_INC']);
    expect(config.services[0]).toMatchObject({ name: '192.0.2.71:53/udp', vip: 'VI_INC-1' });
  });
});

describe('fixtures', () => {
  const corpus = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.conf'))
    .sort();

  /** The verdict keepalived -t gives: imported, and no warning keepalived would give too. */
  const ours = (f: string): boolean => {
    const file = join(FIXTURES, f);
    try {
      const { config, keepalivedComplaints } = importKeepalived(readFileSync(file, 'utf8'), { file });
      validateConfig(config as DirectorConfig);
      return keepalivedComplaints.length === 0;
    } catch (err) {
      if (!LvsError.is(err)) throw err;
      return false;
    }
  };

  /**
   * lvskit's verdict from the name: `accept-*`, `deviation-accept-*` import with no warning keepalived -t also
   * gives; `reject-*`, `deviation-reject-*` are refused or draw such a warning (keepalived -t exits non-zero on
   * its warnings too).
   */
  const expected = (f: string) => /^(deviation-)?accept-/.test(f);
  /** keepalived's verdict: the same, except on the deviations (README.md says why each one differs). */
  const keepalivedExpected = (f: string) => (f.startsWith('deviation-') ? !expected(f) : expected(f));

  it('the accept-*/reject-* names are what the importer does', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(10);
    expect(corpus.filter((f) => ours(f) !== expected(f))).toEqual([]);
  });

  it('README.md records every fixture', () => {
    const readme = readFileSync(join(FIXTURES, 'README.md'), 'utf8');
    expect(corpus.filter((f) => !readme.includes(`\`${f}\``))).toEqual([]);
  });

  const keepalived = spawnSync('keepalived', ['-v'], { encoding: 'utf8' });
  const have = keepalived.error === undefined;
  if (!have && process.env.CI === 'true') {
    it('keepalived is installed (CI)', () => {
      expect.fail('keepalived is not installed; CI needs it for the accept/reject oracle');
    });
  } else if (!have) {
    console.log('import-keepalived: keepalived not installed, skipping the keepalived -t comparison');
  } else {
    it('agrees with keepalived -t on accept/reject (but for the recorded deviations)', () => {
      const verdicts = corpus.map((f) => {
        const r = spawnSync('keepalived', ['-t', '-f', join(FIXTURES, f)], { encoding: 'utf8', timeout: 20_000 });
        return { f, keepalived: r.status === 0, expected: keepalivedExpected(f) };
      });
      expect(verdicts.filter((v) => v.keepalived !== v.expected)).toEqual([]);
    });
  }
});

/**
 * The sample configs Debian's keepalived package ships (read where they are installed, never copied): lvskit's
 * verdict on each, with keepalived 2.2.7's `-t` verdict on this machine beside it. Where they differ the reason
 * is recorded: keepalived refuses interfaces this machine does not have (eth1 … eth3, environment, not
 * grammar), and lvskit refuses firewall-mark services on purpose.
 */
describe('keepalived samples (/usr/share/doc/keepalived/samples)', () => {
  const dir = '/usr/share/doc/keepalived/samples';
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.startsWith('keepalived.conf'));
  } catch {
    console.log('import-keepalived: no /usr/share/doc/keepalived/samples, skipping the sample configs');
  }
  const table: Record<string, { lvskit: boolean; keepalived: boolean; why?: string }> = {
    'keepalived.conf.HTTP_GET.port': { lvskit: true, keepalived: true },
    'keepalived.conf.IPv6': { lvskit: true, keepalived: true },
    'keepalived.conf.PING_CHECK': { lvskit: true, keepalived: true },
    'keepalived.conf.SMTP_CHECK': { lvskit: true, keepalived: true },
    'keepalived.conf.SSL_GET': { lvskit: false, keepalived: false },
    'keepalived.conf.UDP_CHECK': { lvskit: true, keepalived: true },
    'keepalived.conf.conditional_conf': { lvskit: false, keepalived: false },
    'keepalived.conf.fwmark': { lvskit: false, keepalived: false },
    'keepalived.conf.inhibit': { lvskit: true, keepalived: true },
    'keepalived.conf.misc_check': { lvskit: true, keepalived: true },
    'keepalived.conf.misc_check_arg': { lvskit: true, keepalived: true },
    'keepalived.conf.quorum': { lvskit: true, keepalived: true },
    'keepalived.conf.sample': { lvskit: true, keepalived: true },
    'keepalived.conf.status_code': { lvskit: true, keepalived: true },
    'keepalived.conf.track_interface': { lvskit: false, keepalived: false },
    'keepalived.conf.virtual_server_group': {
      lvskit: false,
      keepalived: true,
      why: 'fwmark members of a virtual_server_group: lvskit services are an address and a port',
    },
    'keepalived.conf.virtualhost': { lvskit: true, keepalived: true },
    'keepalived.conf.vrrp': { lvskit: false, keepalived: false },
    'keepalived.conf.vrrp.localcheck': {
      lvskit: true,
      keepalived: false,
      why: 'keepalived -t refuses the tracked interfaces eth1..eth3 this machine lacks',
    },
    'keepalived.conf.vrrp.lvs_syncd': { lvskit: false, keepalived: false },
    'keepalived.conf.vrrp.routes': { lvskit: false, keepalived: false },
    'keepalived.conf.vrrp.rules': { lvskit: false, keepalived: false },
    'keepalived.conf.vrrp.scripts': { lvskit: true, keepalived: true },
    'keepalived.conf.vrrp.static_ipaddress': { lvskit: false, keepalived: false },
    'keepalived.conf.vrrp.sync': {
      lvskit: true,
      keepalived: false,
      why: 'keepalived -t refuses the interface eth1 this machine lacks',
    },
  };
  for (const f of files.sort()) {
    it(`${f}: ${table[f]?.lvskit === false ? 'refused' : 'imported'} as recorded`, () => {
      const want = table[f];
      expect(want, `${f} is not in the table`).toBeDefined();
      let got = true;
      try {
        const { config } = importKeepalived(readFileSync(join(dir, f), 'utf8'), { file: f });
        validateConfig(config);
      } catch (err) {
        if (!LvsError.is(err)) throw err;
        expect(err.code).toBe('DIRECTOR_IMPORT_FAILED');
        got = false;
      }
      expect(got).toBe(want?.lvskit);
      if (want && want.lvskit !== want.keepalived) expect(want.why).toBeTruthy();
    });
  }
});

describe('fuzz', () => {
  const WORDS = [
    '{',
    '}',
    '!',
    '#',
    '"',
    '\n',
    'global_defs',
    'vrrp_instance',
    'virtual_server',
    'virtual_server_group',
    'real_server',
    'vrrp_script',
    'vrrp_sync_group',
    'group',
    'include',
    'fwmark',
    'virtual_ipaddress',
    'track_script',
    'unicast_peer',
    'authentication',
    'HTTP_GET',
    'TCP_CHECK',
    'MISC_CHECK',
    'url',
    'path',
    'status_code',
    'weight',
    'priority',
    'interface',
    'virtual_router_id',
    'state',
    'lb_kind',
    'protocol',
    'persistence_timeout',
    'sorry_server',
    'eth0',
    'MASTER',
    'DR',
    'TCP',
    '192.0.2.1',
    '192.0.2.1/24',
    '192.0.2.1-300',
    '198.51.100.1',
    '80',
    '0',
    '-1',
    '255',
    '1.5',
    'dev',
    'reverse',
  ];
  const check = (text: string) => {
    try {
      const { config } = importKeepalived(text, { readFile: () => 'vrrp_instance', glob: () => [] });
      expect(() => validateConfig(config)).not.toThrow();
    } catch (err) {
      if (!LvsError.is(err)) throw err;
      expect(err.code).toBe('DIRECTOR_IMPORT_FAILED');
      for (const i of err.issues as readonly ImportIssue[]) {
        expect(i.line).toBeGreaterThanOrEqual(1);
        expect(i.column).toBeGreaterThanOrEqual(1);
        expect(i.message.startsWith(`${i.file}:${i.line}:${i.column}: `)).toBe(true);
      }
    }
  };

  it('any word soup is imported into a valid config or refused with positions, never anything else', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...WORDS), { maxLength: 80 }), (words) => check(words.join(' '))),
      { numRuns: 400 },
    );
  });

  it('mutations of a valid file (a word dropped, repeated or replaced) behave the same', () => {
    const words = MULTI.split(/(\s+)/);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: words.length - 1 }),
        fc.constantFrom('drop', 'repeat', 'replace'),
        fc.constantFrom(...WORDS),
        (at, op, w) => {
          const copy = [...words];
          if (op === 'drop') copy.splice(at, 1);
          else if (op === 'repeat') copy.splice(at, 0, copy[at] as string);
          else copy[at] = w;
          check(copy.join(''));
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('more mappings', () => {
  it('SMTP_CHECK host blocks: one check per host, the block keywords their defaults', () => {
    const { config } = importKeepalived(`virtual_server 192.0.2.1 25 {
  protocol TCP
  real_server 198.51.100.1 25 {
    SMTP_CHECK {
      connect_timeout 10
      helo_name me.example
      host {
        connect_ip 198.51.100.1
      }
      host {
        connect_ip 198.51.100.2
        connect_port 2525
      }
    }
  }
}`);
    expect(config.services[0]?.realServers[0]?.checks).toEqual([
      { type: 'SMTP_CHECK', connect_timeout: 10, helo_name: 'me.example', connect_ip: '198.51.100.1' },
      {
        type: 'SMTP_CHECK',
        connect_timeout: 10,
        helo_name: 'me.example',
        connect_ip: '198.51.100.2',
        connect_port: 2525,
      },
    ]);
  });

  it('IPv6 ranges in a virtual_server_group replace the last group', () => {
    const { config } = importKeepalived(`virtual_server_group G {
  2001:db8::8-a 80
}
virtual_server group G {
  protocol TCP
  real_server 2001:db8::100 80 {
  }
}`);
    expect(config.services.map((s) => s.name)).toEqual([
      '[2001:db8::8]:80/tcp',
      '[2001:db8::9]:80/tcp',
      '[2001:db8::a]:80/tcp',
    ]);
  });
});

describe('lvs_sync_daemon', () => {
  const conf = (global: string, inInstance = '') => `global_defs {
  ${global}
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  ${inInstance}
  virtual_ipaddress {
    192.0.2.61
  }
}
`;
  it('every option maps to sync; inst, id, maxlen, port, ttl, group (keepalived/core/global_parser.c)', () => {
    const { config, keepalivedComplaints } = importKeepalived(
      conf('lvs_sync_daemon eth1 inst VI_1 id 7 maxlen 1400 port 8850 ttl 2 group 224.0.0.82'),
    );
    expect(config.sync).toEqual({
      interface: 'eth1',
      instance: 'VI_1',
      syncid: 7,
      maxLen: 1400,
      port: 8850,
      ttl: 2,
      group: '224.0.0.82',
    });
    expect(keepalivedComplaints).toEqual([]);
    // The normalized config follows the instance; an IPv6 group is canonical.
    const n = validateConfig(
      importKeepalived(conf('lvs_sync_daemon eth0 VI_1 group FF02::0:81')).config as DirectorConfig,
    );
    expect(n.sync).toMatchObject({ instance: 'VI_1', roles: 'follow', group: 'ff02::81', interface: 'eth0' });
  });

  it('no id: the instance VRID (vrrp.c vrrp_complete_init); no instance: syncid 0 and both daemons', () => {
    const followed = validateConfig(importKeepalived(conf('lvs_sync_daemon eth0 VI_1')).config as DirectorConfig);
    expect(followed.sync).toMatchObject({ syncid: 51, roles: 'follow', instance: 'VI_1' });
    const alone = validateConfig(importKeepalived(conf('lvs_sync_daemon eth0')).config as DirectorConfig);
    expect(alone.sync).toMatchObject({ syncid: 0, roles: 'both', instance: undefined });
  });

  it('the old positional syncid is read with the complaint keepalived -t gives', () => {
    const { config, keepalivedComplaints } = importKeepalived(conf('lvs_sync_daemon eth0 VI_1 5'));
    expect(config.sync).toEqual({ interface: 'eth0', instance: 'VI_1', syncid: 5 });
    expect(keepalivedComplaints.map((w) => w.message)).toEqual([
      'keepalived.conf:2:29: Please use keyword "id" before lvs_sync_daemon SYNCID',
    ]);
  });

  it("bad values are refused at their position in keepalived's words", () => {
    // [line, the word the error is at (its last occurrence), message]
    const cases: [string, string, string][] = [
      ['lvs_sync_daemon', 'lvs_sync_daemon', 'lvs_sync_daemon requires interface'],
      [
        'lvs_sync_daemon eth0 VI_1 id 300',
        '300',
        "Invalid syncid (300) - defaulting to vrid: number '300' outside range [0, 255]",
      ],
      [
        'lvs_sync_daemon eth0 VI_1 maxlen 0',
        '0',
        "Invalid lvs_sync_daemon maxlen (0) - ignoring: number '0' outside range [1, 65507]",
      ],
      ['lvs_sync_daemon eth0 VI_1 ttl x', 'x', "Invalid lvs_sync_daemon ttl (x) - ignoring: invalid number 'x'"],
      ['lvs_sync_daemon eth0 VI_1 id', 'id', 'No value specified for lvs_sync_daemon id, defaulting to vrid'],
      [
        'lvs_sync_daemon eth0 VI_1 group 198.18.0.1',
        '198.18.0.1',
        'lvs_sync_daemon group address 198.18.0.1 is not multicast - ignoring',
      ],
      ['lvs_sync_daemon eth0 VI_1 5 bogus', 'bogus', 'Unknown option bogus specified for lvs_sync_daemon'],
      [
        'lvs_sync_daemon eth0123456789abcdef VI_1',
        'eth0123456789abcdef',
        "lvs_sync_daemon interface name 'eth0123456789abcdef' too long - ignoring",
      ],
      [
        'lvs_sync_daemon eth0 inst VI_9',
        'VI_9',
        'Unable to find vrrp instance VI_9 for lvs_syncd (keepalived then clears the lvs_syncd config and runs no sync daemon)',
      ],
      [
        'lvs_sync_daemon eth0 inst VI_1 inst VI_2',
        'VI_2',
        'lvs_sync_daemon vrrp instance has already been specified as VI_1 - ignoring',
      ],
    ];
    for (const [line, word, message] of cases) {
      expect(errorsOf(failure(() => importKeepalived(conf(line)))), line).toEqual([
        `keepalived.conf:2:${3 + line.lastIndexOf(word)}: ${message}`,
      ]);
    }
  });

  it('a second one is refused, as keepalived ignores it', () => {
    const err = failure(() => importKeepalived(conf('lvs_sync_daemon eth0 VI_1\n  lvs_sync_daemon eth1')));
    expect(errorsOf(err)).toEqual([
      'keepalived.conf:3:3: lvs_sync_daemon has already been specified as eth0 VI_1 - ignoring',
    ]);
  });

  it('lvs_sync_daemon_interface in a vrrp_instance: deprecated, follows that instance with syncid 0 (vrrp_parser.c)', () => {
    const { config, keepalivedComplaints } = importKeepalived(conf('router_id x', 'lvs_sync_daemon_interface eth1'));
    expect(config.sync).toEqual({ interface: 'eth1', instance: 'VI_1', syncid: 0 });
    expect(keepalivedComplaints.map((w) => w.message)).toEqual([
      'keepalived.conf:8:3: (VI_1) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon',
    ]);
    const twice = failure(() => importKeepalived(conf('lvs_sync_daemon eth0 VI_1', 'lvs_sync_daemon_interface eth1')));
    expect(errorsOf(twice)).toEqual([
      'keepalived.conf:8:3: (VI_1) lvs_sync_daemon_interface has already been specified as eth0 - ignoring',
    ]);
  });
});

describe('keepalivedKeywords', () => {
  const table = keepalivedKeywords();
  it('lists each keyword once per block, the mapped ones included', () => {
    const keys = table.map((k) => `${k.block}/${k.keyword}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of ['vrrp_instance/virtual_router_id', 'virtual_server/lb_kind', 'global_defs/vrrp_mcast_group4']) {
      expect(keys).toContain(k);
    }
    expect(table.find((k) => k.block === 'virtual_server' && k.keyword === 'ha_suspend')?.support).toBe('error');
    expect(table.find((k) => k.block === 'global_defs' && k.keyword === 'router_id')?.support).toBe('warning');
  });

  const INSTANCE = (line: string) =>
    `vrrp_instance V {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    192.0.2.1\n  }\n  ${line}\n}\n`;
  const cases = table.filter(
    (k) => (k.block === 'global_defs' || k.block === 'vrrp_instance') && k.support !== 'mapped',
  );
  it.each(cases.map((k) => [k.block, k.keyword, k.support] as const))(
    '%s %s behaves as listed (%s)',
    (block, keyword, support) => {
      const arg = keyword === 'notification_email' ? '{ x }' : 'x'; // a list block
      const text = block === 'global_defs' ? `global_defs {\n  ${keyword} ${arg}\n}\n` : INSTANCE(`${keyword} ${arg}`);
      const line = block === 'global_defs' ? 2 : 7;
      if (support === 'warning') {
        const { warnings } = importKeepalived(text);
        expect(warnings.some((w) => w.line === line && w.message.includes(`${keyword} is ignored`))).toBe(true);
      } else {
        const err = failure(() => importKeepalived(text));
        expect(errorsOf(err)).toContainEqual(
          expect.stringMatching(new RegExp(`:${line}:3: ${keyword} is not supported`)),
        );
      }
    },
  );
});

describe('as keepalived reads a line', () => {
  const inst = (line: string) =>
    `vrrp_instance V {\n  interface eth0\n  ${line}\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n`;
  it('a comment starts at ! or # inside a word too', () => {
    expect(importKeepalived(inst('virtual_router_id 5#x')).config.vrrp?.instances[0]?.virtualRouterId).toBe(5);
    expect(importKeepalived(inst('virtual_router_id 6!x')).config.vrrp?.instances[0]?.virtualRouterId).toBe(6);
    const quoted = importKeepalived(`vrrp_script s {\n  script "/bin/test a#b"\n}\n`).config.vrrp?.scripts;
    expect(quoted?.[0]?.script).toBe('/bin/test a#b');
  });
  it('words past what a keyword takes are ignored with a warning (keepalived -t accepts them)', () => {
    const { config, warnings } = importKeepalived(inst('virtual_router_id 5 x y'));
    expect(config.vrrp?.instances[0]?.virtualRouterId).toBe(5);
    expect(warnings.map((w) => w.message)).toEqual([
      'keepalived.conf:3:23: virtual_router_id: "x" and what follows on the line are ignored, as keepalived does',
    ]);
  });
});

describe('keepalivedComplaints', () => {
  it('are the warnings keepalived -t gives too, and the import does what keepalived does', () => {
    const text = `vrrp_instance V {
  interface eth0
  state MASTER
  nopreempt
  virtual_router_id 1
  virtual_ipaddress {
    192.0.2.1
  }
}
virtual_server 192.0.2.1 80 {
  protocol TCP
  quorum 5
  hysteresis 9
  real_server 198.51.100.1 80 {
    weight 2
  }
}
`;
    const { config, warnings, keepalivedComplaints } = importKeepalived(text);
    expect(keepalivedComplaints.map((w) => w.message)).toEqual([
      'keepalived.conf:4:3: nopreempt on an address owner (priority 255): keepalived resets it, and so does the import',
      'keepalived.conf:10:1: virtual_server has no lb_kind: keepalived defaults to NAT, and so does the import',
      'keepalived.conf:10:1: virtual_server has no lb_algo: keepalived defaults to wlc, and so does the import',
      "keepalived.conf:10:1: quorum 5 exceeds the real servers' total weight 2: keepalived reduces it to 2, and so does the import",
      'keepalived.conf:10:1: hysteresis 9 is not below the quorum 2: keepalived lowers it, and so does the import',
    ]);
    expect(warnings).toEqual(keepalivedComplaints);
    expect(config.vrrp?.instances[0]?.nopreempt).toBeUndefined();
    expect(config.services[0]).toMatchObject({
      method: 'masq',
      scheduler: 'wlc',
      health: { quorum: 2, hysteresis: 1 },
    });
  });
  it('none for a file keepalived -t passes, even with warnings of lvskit own', () => {
    const { warnings, keepalivedComplaints } = importKeepalived('global_defs {\n  router_id A\n}\n');
    expect(warnings).toHaveLength(1);
    expect(keepalivedComplaints).toEqual([]);
  });
});
