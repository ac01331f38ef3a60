/**
 * The API reference documents every public entry of every package under the name a reader imports: typedoc's
 * entry points (typedoc.config.mjs) are the `@lvskit/source` files of the packages' `exports`, and the docs'
 * typedoc plugin names each module after its export (`@lvskit/core/testing`), not its path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
// Plain JavaScript modules (typedoc loads them as they are): imported by path, typed here.
const plugin = join(root, 'docs', '.vitepress', 'typedoc-package-names.mjs');
const { packageModuleName } = (await import(plugin)) as { packageModuleName(name: string): string | undefined };
const typedocConfig = join(root, 'typedoc.config.mjs');
const config = ((await import(typedocConfig)) as { default: { entryPoints: string[] } }).default;

/** Each package export with a source file: its import name and the module name typedoc gives the file. */
function exportsOf(): { importName: string; source: string; pathName: string }[] {
  const out: { importName: string; source: string; pathName: string }[] = [];
  for (const pkg of readdirSync(join(root, 'packages')).sort()) {
    let manifest: { name: string; exports?: Record<string, unknown> };
    try {
      manifest = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    for (const [key, target] of Object.entries(manifest.exports ?? {})) {
      const source = (target as Record<string, unknown> | null)?.['@lvskit/source'];
      if (typeof source !== 'string') continue;
      // typedoc's name: the path from the packages/ directory, without the extension and a trailing /index.
      const pathName = `${pkg}/${source.replace(/^\.\//, '')}`.replace(/\.ts$/, '').replace(/\/index$/, '');
      out.push({
        importName: `${manifest.name}${key.slice(1)}`,
        source: `packages/${pkg}/${source.slice(2)}`,
        pathName,
      });
    }
  }
  return out;
}

describe('the API reference', () => {
  it('has every exported source file as an entry point', () => {
    const entries = new Set(config.entryPoints);
    expect(entries.size).toBeGreaterThan(8);
    for (const e of ['packages/director/src/index.ts', 'packages/core/src/testing/index.ts'])
      expect(entries).toContain(e);
    for (const entry of entries) expect(exportsOf().map((x) => x.source)).toContain(entry);
  });

  it('names each module after the export a reader imports', () => {
    for (const x of exportsOf()) expect(packageModuleName(x.pathName), x.source).toBe(x.importName);
    expect(packageModuleName('director/src/import/keepalived')).toBeUndefined();
  });
});
