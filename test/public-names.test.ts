/**
 * One word for one thing: every public name of every package entry (`.` and `./testing` of each package's
 * `exports` map), values and types alike, is listed with the TypeScript checker, and a name exported by two
 * entries must resolve to the same declaration (a re-export). Two packages defining the same name for two
 * different things fail this test, with both places named.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** Every entry file the packages publish: `@lvskit/x` and `@lvskit/x/testing`, by their source condition. */
function entries(): { spec: string; file: string }[] {
  const out: { spec: string; file: string }[] = [];
  for (const pkg of readdirSync(join(root, 'packages')).sort()) {
    const manifest = join(root, 'packages', pkg, 'package.json');
    if (!existsSync(manifest)) continue;
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as {
      name: string;
      private?: boolean;
      exports?: Record<string, unknown>;
    };
    for (const [sub, target] of Object.entries(json.exports ?? {})) {
      if (typeof target !== 'object' || target === null) continue;
      const source = (target as Record<string, unknown>)['@lvskit/source'];
      if (typeof source !== 'string') continue;
      const file = join(root, 'packages', pkg, source);
      if (existsSync(file)) out.push({ spec: sub === '.' ? json.name : `${json.name}/${sub.slice(2)}`, file });
    }
  }
  return out;
}

interface Definition {
  readonly entry: string;
  readonly where: string;
}

function publicNames(): Map<string, Definition[]> {
  const list = entries();
  const program = ts.createProgram(
    list.map((e) => e.file),
    {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      customConditions: ['@lvskit/source'],
      types: ['node'],
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      allowImportingTsExtensions: false,
    },
  );
  const checker = program.getTypeChecker();
  const names = new Map<string, Definition[]>();
  for (const e of list) {
    const sf = program.getSourceFile(e.file);
    if (!sf) throw new Error(`no source file for ${e.spec}`);
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    if (!moduleSymbol) continue; // an entry with no exports
    for (const sym of checker.getExportsOfModule(moduleSymbol)) {
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      const decl = target.declarations?.[0];
      const where = decl
        ? `${relative(root, decl.getSourceFile().fileName)}:${decl.getSourceFile().getLineAndCharacterOfPosition(decl.getStart()).line + 1}`
        : `${e.spec}#${sym.name}`;
      const defs = names.get(sym.name) ?? [];
      defs.push({ entry: e.spec, where });
      names.set(sym.name, defs);
    }
  }
  return names;
}

describe('public names', () => {
  const names = publicNames();

  it('lists the public names of every package entry', () => {
    const perEntry = new Set([...names.values()].flat().map((d) => d.entry));
    expect(perEntry.size).toBeGreaterThanOrEqual(entries().length - 2);
    expect(names.size).toBeGreaterThan(300);
  });

  it('gives no name two different meanings in two packages', () => {
    const clashes: string[] = [];
    for (const [name, defs] of names) {
      const places = new Set(defs.map((d) => d.where));
      if (places.size > 1) clashes.push(`${name}: ${defs.map((d) => `${d.entry} → ${d.where}`).join(', ')}`);
    }
    expect(clashes.sort()).toEqual([]);
  });
});
