/** The docs site's markdown pages, for the docs tests: docs/**\/*.md without the generated API reference. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The site's source directory. */
export const docsDir = join(import.meta.dirname, '..', 'docs');

/**
 * Every markdown file under `dir`, sorted, leaving out node_modules, .vitepress and the generated api/.
 * @param dir - where to start; default docs/
 * @returns absolute paths
 */
export function markdownFiles(dir: string = docsDir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === '.vitepress' || e.name === 'api') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...markdownFiles(p));
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out.sort();
}
