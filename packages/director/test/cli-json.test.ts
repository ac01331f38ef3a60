/**
 * `lvskit` reading the director's own config as JSON (the fields the operators' formats have no keyword for:
 * `announce`, `switches`, `sync.extensions`): format detection, `check` with its issues at their config path,
 * a file that is not JSON.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectFormat, runLvskit } from '../src/cli/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'lvskit-json-'));
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

const config = {
  vips: { web: '198.18.0.100' },
  switches: { sloppyTcp: true },
  announce: { bgp: { localAs: 65001, routerId: '198.18.1.2', peers: [{ address: '198.18.1.1', as: 65000 }] } },
  sync: { roles: 'both', peers: ['198.18.1.3'], extensions: { sequence: true, bulkResync: true } },
  services: [
    { name: 'http', vip: 'web', port: 80, scheduler: 'mh', method: 'route', realServers: [{ address: '198.18.1.10' }] },
  ],
};

function file(name: string, text: string): string {
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
    const r = await lvskit('check', '--json', file('ok.json', JSON.stringify(config, null, 2)));
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
    const f = file('bad.json', JSON.stringify(bad));
    const r = await lvskit('check', f);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*\\(at services\\.0\\.port\\)$`, 'm'),
    );
    expect(r.err).toMatch(/\(at announce\.bgp\)$/m);
    // The switches are checked by core when the table compiles, after the config's own checks passed.
    const s = await lvskit('check', file('switch.json', JSON.stringify({ ...config, switches: { sloppyTcp: 'yes' } })));
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/\(at switches\.sloppyTcp\)$/m);
  });

  it('check: a .json file that is not JSON, or not an object, says so', async () => {
    const r = await lvskit('check', file('broken.json', '{ "vips": '));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/broken\.json: not JSON: /);
    const a = await lvskit('check', '--format', 'json', file('array.json', '[]'));
    expect(a.code).toBe(1);
    expect(a.err).toContain('a director config is one JSON object');
  });
});
