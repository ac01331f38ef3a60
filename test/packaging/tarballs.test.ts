/**
 * The published tarballs work as a user gets them: every publishable workspace package is packed (`npm pack`),
 * the tarballs are installed together into a scratch project outside the repository, and there, with plain
 * `node` (no export conditions, no tsx): every `exports` entry loads through `import` and `require`, type-checks
 * under `node16` and `bundler` resolution, the native addon loads its prebuilt binary (nothing compiled at
 * install), and each package README's first example runs (native's and vrrp's, which open raw sockets on eth0,
 * are type-checked instead).
 *
 * dist/ is not built here: it must be current (`npm run build`; `npm install` builds stale packages through
 * scripts/prepare.mjs). Native's `prepack` is `prebuildify --napi --strip`, a compile; the pack runs with
 * `--ignore-scripts` and ships prebuilds/linux-x64/, made first by that prepack when it is missing (a fresh clone).
 * Third-party dependencies come from the npm registry (the local cache first); when it cannot be reached the
 * file is skipped with one line, under `CI=true` it fails. `LVSKIT_PACK_SKIP` leaves packages out by name, as in
 * scripts/pack-check.mjs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { noteSkip } from '@lvskit/netlab';
import { transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const tsc = join(root, 'node_modules', '.bin', 'tsc');
/** The repo's compiler, strict, checking the packages' .d.ts too; Node's types from the repo. */
const TSC_STRICT = [
  ...['--noEmit', '--strict', '--target', 'es2022', '--skipLibCheck', 'false'],
  ...['--typeRoots', join(root, 'node_modules', '@types'), '--types', 'node'],
];

interface Pkg {
  readonly dir: string;
  readonly short: string;
  readonly name: string;
}

/** Packages left out by name, as `npm run lint:packages` does (comma-separated; for a package being written). */
const skip = new Set((process.env.LVSKIT_PACK_SKIP ?? '').split(',').filter(Boolean));
const pkgs: Pkg[] = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
  .map((d) => ({ dir: join(root, 'packages', d), short: d }))
  .map((p) => ({ ...p, json: JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) }))
  .filter((p) => p.json.private !== true && !skip.has(p.json.name))
  .map((p) => ({ dir: p.dir, short: p.short, name: p.json.name as string }));

function run(cmd: string, args: string[], cwd: string, timeout = 120_000, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NODE_OPTIONS: '', ...env } });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Why the tarballs cannot be installed here (registry unreachable), or undefined. */
function unavailable(): string | undefined {
  const ping = run('npm', ['ping'], root, 20_000);
  return ping.code === 0 ? undefined : `npm registry not reachable (npm ping: ${ping.out.trim().split('\n').at(-1)})`;
}

const reason = unavailable();
if (reason !== undefined && process.env.CI === 'true') throw new Error(`packaging test: ${reason} (CI=true: failing)`);
if (reason !== undefined) noteSkip(`skipping the packed-tarball test: ${reason}`);

/** Export subpaths of a packed package.json, without ./package.json, as import specifiers. */
function specifiers(name: string, json: { exports?: Record<string, unknown> }): string[] {
  return Object.keys(json.exports ?? { '.': {} })
    .filter((k) => k !== './package.json')
    .map((k) => (k === '.' ? name : `${name}/${k.slice(2)}`));
}

let tmp = '';
let project = '';
let specs: string[] = [];

describe.runIf(reason === undefined)('packed tarballs in a scratch project', { timeout: 90_000 }, () => {
  beforeAll(() => {
    const stale = pkgs.filter((p) => !existsSync(join(p.dir, 'dist')));
    if (stale.length > 0) {
      throw new Error(`no dist/ in ${stale.map((p) => p.name).join(', ')}: run \`npm run build\` first`);
    }
    const prebuilds = join(root, 'packages', 'native', 'prebuilds', 'linux-x64');
    const hasPrebuild = () => existsSync(prebuilds) && readdirSync(prebuilds).some((f) => f.endsWith('.node'));
    if (!hasPrebuild()) {
      // What publishing does: native's prepack (`prebuildify --napi --strip`), with Node's own headers when they
      // sit beside the running node, as scripts/install.mjs builds (no header download).
      const prefix = dirname(dirname(process.execPath));
      const nodedir: Record<string, string> = existsSync(join(prefix, 'include', 'node', 'node_api.h'))
        ? { npm_config_nodedir: prefix }
        : {};
      const made = run('npm', ['run', 'prepack', '-w', '@lvskit/native'], root, 300_000, nodedir);
      if (made.code !== 0 || !hasPrebuild()) throw new Error(`native prepack (prebuildify) failed:\n${made.out}`);
    }
    tmp = mkdtempSync(join(tmpdir(), 'lvskit-tarballs-'));
    const packs = join(tmp, 'packs');
    project = join(tmp, 'project');
    mkdirSync(packs);
    mkdirSync(project);
    const packed = run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', packs, ...pkgs.flatMap((p) => ['-w', p.name])],
      root,
    );
    if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.out}`);
    const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'));
    if (tarballs.length !== pkgs.length) throw new Error(`npm pack made ${tarballs.length} tarballs:\n${packed.out}`);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'scratch', version: '0.0.0', private: true, allowScripts: { '@lvskit/native': true } }),
    );
    const installed = run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs.map((t) => join(packs, t))],
      project,
    );
    if (installed.code !== 0) throw new Error(`npm install of the tarballs failed:\n${installed.out}`);
    specs = pkgs.flatMap((p) =>
      specifiers(p.name, JSON.parse(readFileSync(join(project, 'node_modules', p.name, 'package.json'), 'utf8'))),
    );
  }, 470_000);

  afterAll(() => {
    if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
  });

  it('is outside the repository, and every package is installed from its tarball', () => {
    expect(project.startsWith(root)).toBe(false);
    for (const p of pkgs) expect(existsSync(join(project, 'node_modules', p.name, 'dist'))).toBe(true);
    // A tarball install is a copy, not a link to the workspace.
    expect(existsSync(join(project, 'node_modules', '@lvskit', 'native', 'tsconfig.json'))).toBe(false);
  });

  it('every exports entry loads with plain node through import and require, with the same names', () => {
    writeFileSync(
      join(project, 'esm.mjs'),
      `const out = {};\nfor (const s of ${JSON.stringify(specs)}) out[s] = Object.keys(await import(s)).filter((k) => k !== 'default').sort();\nconsole.log(JSON.stringify(out));\n`,
    );
    writeFileSync(
      join(project, 'cjs.cjs'),
      `const out = {};\nfor (const s of ${JSON.stringify(specs)}) out[s] = Object.keys(require(s)).sort();\nconsole.log(JSON.stringify(out));\n`,
    );
    const esm = run(process.execPath, ['esm.mjs'], project);
    expect(esm.code, esm.out).toBe(0);
    const cjs = run(process.execPath, ['cjs.cjs'], project);
    expect(cjs.code, cjs.out).toBe(0);
    const e = JSON.parse(esm.out.trim().split('\n').at(-1) ?? '{}') as Record<string, string[]>;
    const c = JSON.parse(cjs.out.trim().split('\n').at(-1) ?? '{}') as Record<string, string[]>;
    expect(Object.keys(e).sort()).toEqual([...specs].sort());
    for (const s of specs) {
      expect(e[s]?.length ?? 0, `${s} exports nothing`).toBeGreaterThan(0);
      expect(c[s], `${s}: require and import disagree`).toEqual(e[s]);
    }
    const has = (s: string, ...names: string[]) => expect(e[s]).toEqual(expect.arrayContaining(names));
    has('@lvskit/base', 'LvsError', 'IssueList', 'parseIp', 'formatIp', 'systemClock');
    has('@lvskit/base/testing', 'FakeClock');
    has('@lvskit/schedulers', 'createScheduler', 'SCHEDULER_NAMES', 'NO_SERVER');
    has('@lvskit/core', 'ipvs', 'runIpvsadm', 'LvsError');
    has('@lvskit/director', 'createDirector', 'defineConfig');
    has('@lvskit/native', 'PacketSocket', 'interfaceInfo', 'nativeUnavailableReason');
    has('@lvskit/health', 'HealthDirector', 'httpGetCheck');
    has('@lvskit/vrrp', 'VrrpRouter');
    has('@lvskit/forwarders', 'parsePacket', 'PacketInfo', 'rewriteRoute', 'RewriteResult');
  });

  it('every exports entry type-checks under node16 and under bundler resolution (and a type error is caught)', () => {
    const imports = specs.map((s, i) => `import * as m${i} from '${s}';`).join('\n');
    const use = `export const all = [${specs.map((_, i) => `m${i}`).join(', ')}];\n`;
    writeFileSync(join(project, 'types.mts'), `${imports}\n${use}`);
    writeFileSync(
      join(project, 'types.cts'),
      `${specs.map((s, i) => `import m${i} = require('${s}');`).join('\n')}\n${use}`,
    );
    writeFileSync(join(project, 'types.ts'), `${imports}\n${use}`);
    writeFileSync(
      join(project, 'control.mts'),
      `import { LvsError } from '@lvskit/base';\nexport const n: number = new LvsError('INVALID_ARGUMENT', 'x').message;\n`,
    );
    // The repo's compiler, strict, checking the packages' .d.ts too; Node's types from the repo.
    const check = (module: string, resolution: string, ...files: string[]) =>
      run(tsc, [...TSC_STRICT, '--module', module, '--moduleResolution', resolution, ...files], project);
    const node16 = check('node16', 'node16', 'types.mts', 'types.cts');
    expect(node16.out).toBe('');
    expect(node16.code).toBe(0);
    const bundler = check('esnext', 'bundler', 'types.ts');
    expect(bundler.out).toBe('');
    expect(bundler.code).toBe(0);
    const control = check('node16', 'node16', 'control.mts');
    expect(control.out).toMatch(/control\.mts\(2,14\): error TS2322/);
    expect(control.code).not.toBe(0);
  });

  it('the native addon loads its prebuilt binary: nothing was compiled at install', () => {
    const native = join(project, 'node_modules', '@lvskit', 'native');
    expect(existsSync(join(native, 'build'))).toBe(false);
    expect(readdirSync(join(native, 'prebuilds', 'linux-x64')).some((f) => f.endsWith('.node'))).toBe(true);
    writeFileSync(
      join(project, 'native.mjs'),
      `import { createRequire } from 'node:module';
import { interfaceInfo, nativeUnavailableReason } from '@lvskit/native';
const require = createRequire(import.meta.url);
const found = require('node-gyp-build').path(${JSON.stringify(native)});
console.log(JSON.stringify({ found, reason: nativeUnavailableReason() ?? null, lo: interfaceInfo('lo') }));
`,
    );
    const r = run(process.execPath, ['native.mjs'], project);
    expect(r.code, r.out).toBe(0);
    const got = JSON.parse(r.out.trim().split('\n').at(-1) ?? '{}');
    expect(got.found).toContain(join(native, 'prebuilds', 'linux-x64'));
    expect(got.reason).toBeNull();
    expect(got.lo).toMatchObject({ name: 'lo', index: 1 });
  });

  /**
   * README examples that open raw sockets on an interface: run where the README runs them, they would put
   * packets (an IGMP join, an AF_PACKET socket) on this machine's own eth0, outside any lab namespace. They are
   * type-checked against the installed tarballs instead (strict, node16); what they do is covered by the
   * packages' lab tests (packages/native/test/lab, packages/vrrp/test/lab).
   */
  const onInterfaces: Readonly<Record<string, string>> = {
    native: 'opens an AF_PACKET socket on eth0 of a lab namespace',
    vrrp: 'starts a VRRP router on eth0',
  };

  for (const p of pkgs) {
    it(`${p.short}: the README's first example runs with plain node`, () => {
      const md = readFileSync(join(p.dir, 'README.md'), 'utf8');
      const m = /^```(ts|typescript|js|javascript)\b[^\n]*\n([\s\S]*?)^```/m.exec(md);
      expect(m, `${p.short}/README.md has no ts/js code block`).not.toBeNull();
      const [, lang, code] = m as RegExpExecArray;
      const js = /^t/.test(lang ?? '')
        ? transformSync(code ?? '', { loader: 'ts', format: 'esm', target: 'node20' }).code
        : (code ?? '');
      if (onInterfaces[p.short] !== undefined && /^t/.test(lang ?? '')) {
        // It ${onInterfaces[p.short]}: compiled against the installed types, not run (see onInterfaces).
        const file = `readme-${p.short}.mts`;
        writeFileSync(join(project, file), `${code ?? ''}\nexport {};\n`);
        const r = run(tsc, [...TSC_STRICT, '--module', 'node16', '--moduleResolution', 'node16', file], project);
        expect(r.out).toBe('');
        expect(r.code).toBe(0);
        return;
      }
      const file = join(project, `readme-${p.short}.mjs`);
      writeFileSync(file, js);
      const r = run(process.execPath, [file], project, 30_000);
      expect(r.code, r.out).toBe(0);
    });
  }
});
