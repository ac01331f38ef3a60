/**
 * The API reference documents every public entry of every package and nothing else: typedoc.json's entry points
 * are the `@lvskit/source` files of the packages' `exports` (`.` and subpaths such as `./testing`). A subpath
 * whose file is not written yet is left out until it exists.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function exportedSources(): string[] {
  const out: string[] = [];
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const file = join(root, 'packages', pkg, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { exports?: Record<string, unknown> };
    for (const target of Object.values(manifest.exports ?? {})) {
      const source = (target as Record<string, unknown> | null)?.['@lvskit/source'];
      if (typeof source !== 'string') continue;
      const path = join(root, 'packages', pkg, source);
      if (existsSync(path)) out.push(relative(root, path));
    }
  }
  return out.sort();
}

function typedocEntryPoints(): string[] {
  const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { entryPoints: string[] };
  const out = new Set<string>();
  for (const entry of config.entryPoints) {
    const m = /^packages\/\*\/(.+)$/.exec(entry);
    if (!m) {
      out.add(entry);
      continue;
    }
    for (const pkg of readdirSync(join(root, 'packages'))) {
      if (existsSync(join(root, 'packages', pkg, m[1] as string))) out.add(`packages/${pkg}/${m[1]}`);
    }
  }
  return [...out].sort();
}

describe('typedoc.json', () => {
  it("documents exactly the packages' exported entry points", () => {
    expect(exportedSources().length).toBeGreaterThan(8);
    expect(typedocEntryPoints()).toEqual(exportedSources());
  });
});
