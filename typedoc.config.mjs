// @ts-check
/**
 * typedoc for the docs site (`npm run docs`): the API reference as markdown (typedoc-plugin-markdown) in
 * docs/api/, which VitePress builds with the guides. The entry points are the packages' public exports — every
 * `@lvskit/source` file of each package.json `exports` (`.` and subpaths such as `./testing`, `./cli`) that
 * exists — so a new subpath is documented without editing this file. One program over the root tsconfig (the
 * packages are type-checked by `npm run typecheck`, hence `skipErrorChecking`); any warning is an error.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = import.meta.dirname;

/** @returns {string[]} the packages' exported source files, relative to the repository root */
export function exportedSources() {
  /** @type {string[]} */
  const out = [];
  for (const pkg of readdirSync(join(root, 'packages')).sort()) {
    const file = join(root, 'packages', pkg, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    for (const target of Object.values(manifest.exports ?? {})) {
      const source = target?.['@lvskit/source'];
      if (typeof source !== 'string') continue;
      const path = join(root, 'packages', pkg, source);
      if (existsSync(path)) out.push(relative(root, path));
    }
  }
  return out;
}

/** @type {Partial<import('typedoc').TypeDocOptions & import('typedoc-plugin-markdown').PluginOptions>} */
const config = {
  entryPointStrategy: 'resolve',
  entryPoints: exportedSources(),
  tsconfig: 'tsconfig.json',
  plugin: ['typedoc-plugin-markdown', './docs/.vitepress/typedoc-package-names.mjs'],
  out: 'docs/api',
  entryFileName: 'index.md',
  hidePageHeader: true,
  name: 'lvskit API reference',
  readme: 'none',
  treatWarningsAsErrors: true,
  skipErrorChecking: true,
  excludePrivate: true,
  excludeInternal: true,
  disableSources: true,
};

export default config;
