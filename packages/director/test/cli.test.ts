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
