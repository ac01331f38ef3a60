/**
 * `lvskit check`: the verdict on the keepalived corpus agrees with its recorded `keepalived -t` verdict (the
 * file name, see fixtures/keepalived/README.md), issues print as `file:line:col: message`, exit codes (0 runs,
 * 1 would not run, 2 usage), `--json` prints the normalised config, format detection, and the bin launcher in a
 * real process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, runLvskit } from '../src/cli/index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const ROOT = join(import.meta.dirname, '..', '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'lvskit-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function lvskit(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runLvskit(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

describe('lvskit check', () => {
  const corpus = readdirSync(join(FIXTURES, 'keepalived')).filter((f) => f.endsWith('.conf'));

  it.each(corpus)('%s: the verdict the corpus records', async (f) => {
    const file = join(FIXTURES, 'keepalived', f);
    const r = await lvskit('check', file);
    const accept = f.startsWith('accept-') || f.startsWith('deviation-accept-');
    expect(r.code).toBe(accept ? 0 : 1);
    for (const line of r.err.split('\n').filter((l) => l !== '')) {
      expect(line).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\.d/[^:]+)?:\\d+:\\d+: `));
    }
    if (!accept) expect(r.err).not.toBe('');
  });

  it('ldirectord seed fixtures: refused with positioned issues (host names need a resolver)', async () => {
    const file = join(FIXTURES, 'ldirectord', 'seed-000-mysql.cf');
    const r = await lvskit('check', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:4:10: real server sql01 is a host name`);
  });

  it('warnings print as file:line:col: warning: …', async () => {
    const file = join(FIXTURES, 'keepalived', 'accept-dr-http.conf');
    const r = await lvskit('check', file);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`${file}:3:4: warning: router_id is ignored`);
  });

  it('--json prints the normalised config', async () => {
    const file = join(tmp, 'lvs.cf');
    writeFileSync(file, 'virtual=198.18.2.240:80\n\treal=198.18.2.212:80 gate 2\n\tscheduler=wrr\n\tprotocol=tcp\n');
    const r = await lvskit('check', '--json', file);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const config = JSON.parse(r.out) as { services: { scheduler: string; realServers: { address: string }[] }[] };
    expect(config.services[0]?.scheduler).toBe('wrr');
    expect(config.services[0]?.realServers[0]?.address).toBe('198.18.2.212');
  });

  it('an ipvsadm -S rule file is detected and checked', async () => {
    const file = join(tmp, 'rules');
    writeFileSync(file, '-A -t 198.18.2.240:80 -s rr\n-a -t 198.18.2.240:80 -r 198.18.2.212:80 -g -w 1\n');
    expect((await lvskit('check', file)).code).toBe(0);
    expect(detectFormat('-A -t 198.18.2.240:80 -s rr\n')).toBe('ipvsadm');
    expect(detectFormat('virtual = 198.18.2.240:80\n')).toBe('ldirectord');
    expect(detectFormat('vrrp_instance VI_1 {\n}\n')).toBe('keepalived');
  });

  it('usage errors exit 2', async () => {
    expect((await lvskit('check')).code).toBe(2);
    expect((await lvskit('frobnicate')).code).toBe(2);
    expect((await lvskit('check', '--format', 'nginx', 'x')).code).toBe(2);
    const file = join(tmp, 'empty');
    writeFileSync(file, '\n');
    expect((await lvskit('check', file)).code).toBe(2);
  });

  it('a file that cannot be read exits 1', async () => {
    const r = await lvskit('check', join(tmp, 'missing.conf'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read');
  });

  it('bin/lvskit.mjs runs the source in a real process', () => {
    const file = join(FIXTURES, 'keepalived', 'reject-priority-range.conf');
    const r = spawnSync(
      process.execPath,
      ['--conditions=@lvskit/source', '--import', 'tsx', join(ROOT, 'packages/director/bin/lvskit.mjs'), 'check', file],
      { encoding: 'utf8', cwd: ROOT },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file}:4:14: priority must be an integer in 1..255`);
  });
});

// ---------------------------------------------------------------- the director's own config as JSON
// (the fields the operators' formats have no keyword for: announce, switches, sync.extensions)

const config = {
  vips: { web: '198.18.0.100' },
  switches: { sloppyTcp: true },
  announce: { bgp: { localAs: 65001, routerId: '198.18.1.2', peers: [{ address: '198.18.1.1', as: 65000 }] } },
  sync: { roles: 'both', peers: ['198.18.1.3'], extensions: { sequence: true, bulkResync: true } },
  services: [
    { name: 'http', vip: 'web', port: 80, scheduler: 'mh', method: 'route', realServers: [{ address: '198.18.1.10' }] },
  ],
};

function jsonFile(name: string, text: string): string {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
}

describe('lvskit and JSON director configs', () => {
  it('detects JSON by content, and a .json name', () => {
    expect(detectFormat(JSON.stringify(config))).toBe('json');
    expect(detectFormat('  \n{ "vips": {} }')).toBe('json');
    expect(detectFormat('{ not json', 'x.json')).toBe('json');
    expect(detectFormat('global_defs {\n}\n')).toBe('keepalived');
  });

  it('check: a valid file exits 0 and --json prints it normalised (announce, switches, sync kept)', async () => {
    const r = await lvskit('check', '--json', jsonFile('ok.json', JSON.stringify(config, null, 2)));
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const n = JSON.parse(r.out) as Record<string, unknown>;
    expect(n.switches).toEqual({ sloppyTcp: true });
    expect(n.announce).toEqual(config.announce);
    expect((n.sync as { extensions: unknown }).extensions).toEqual({ sequence: true, bulkResync: true });
  });

  it('check: each issue at its path, exit 1', async () => {
    const bad = {
      ...config,
      services: [{ ...config.services[0], port: 70000 }],
      announce: { bgp: { ...config.announce.bgp, localAs: 0 } },
    };
    const f = jsonFile('bad.json', JSON.stringify(bad));
    const r = await lvskit('check', f);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*\\(at services\\.0\\.port\\)$`, 'm'),
    );
    expect(r.err).toMatch(/\(at announce\.bgp\)$/m);
    // The switches are checked by core when the table compiles, after the config's own checks passed.
    const s = await lvskit(
      'check',
      jsonFile('switch.json', JSON.stringify({ ...config, switches: { sloppyTcp: 'yes' } })),
    );
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/\(at switches\.sloppyTcp\)$/m);
  });

  it('check: a .json file that is not JSON, or not an object, says so', async () => {
    const r = await lvskit('check', jsonFile('broken.json', '{ "vips": '));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/broken\.json: not JSON: /);
    const a = await lvskit('check', '--format', 'json', jsonFile('array.json', '[]'));
    expect(a.code).toBe(1);
    expect(a.err).toContain('a director config is one JSON object');
  });
});
