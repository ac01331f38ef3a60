/**
 * docs/errors.md must list exactly the error codes the packages declare. Every package keeps its catalogue
 * in `src/errors.ts` as an exported `…ErrorCodes` object (code → sentence); this test finds them all.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

async function declaredCodes(): Promise<Map<string, string>> {
  const codes = new Map<string, string>();
  for (const dir of ['packages', 'tools']) {
    for (const pkg of readdirSync(join(root, dir))) {
      const file = join(root, dir, pkg, 'src', 'errors.ts');
      if (!existsSync(file)) continue;
      const mod = (await import(file)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(mod)) {
        if (!name.endsWith('ErrorCodes') || typeof value !== 'object' || value === null) continue;
        for (const [code, text] of Object.entries(value)) codes.set(code, `${dir}/${pkg}: ${String(text)}`);
      }
    }
  }
  return codes;
}

function documentedCodes(): Set<string> {
  const md = readFileSync(join(root, 'docs', 'errors.md'), 'utf8');
  const found = new Set<string>();
  for (const m of md.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|/gm)) found.add(m[1]!);
  return found;
}

describe('docs/errors.md', () => {
  it('lists every declared error code and no other', async () => {
    const declared = await declaredCodes();
    const documented = documentedCodes();
    expect(declared.size).toBeGreaterThan(0);
    expect([...declared.keys()].filter((c) => !documented.has(c)).sort()).toEqual([]);
    expect([...documented].filter((c) => !declared.has(c)).sort()).toEqual([]);
  });
});
