/**
 * Every TypeScript block of the docs marked `<!-- check -->` (on the line before its ```ts fence) type-checks
 * against the packages' sources, with the project's strict compiler options: the getting-started director and
 * the other examples a reader copies cannot drift from the API. Each block is its own module.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { markdownFiles } from './docs-pages.js';

const root = join(import.meta.dirname, '..');

interface Snippet {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks whose fence follows a `<!-- check -->` line. */
function checkedSnippets(text: string, file: string): Snippet[] {
  const lines = text.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '<!-- check -->') continue;
    const fence = lines[i + 1] ?? '';
    if (!/^```(ts|typescript)\b/.test(fence))
      throw new Error(`${file}:${i + 1}: <!-- check --> not followed by a ts block`);
    const end = lines.findIndex((l, j) => j > i + 1 && l.startsWith('```'));
    if (end < 0) throw new Error(`${file}:${i + 2}: unterminated code block`);
    out.push({ file, line: i + 3, code: lines.slice(i + 2, end).join('\n') });
  }
  return out;
}

const snippets = markdownFiles().flatMap((f) => checkedSnippets(readFileSync(f, 'utf8'), relative(root, f)));
// Inside the repository, so that `@lvskit/*` resolve through the workspace's node_modules.
mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
const dir = mkdtempSync(join(root, 'node_modules', '.cache', 'docs-snippets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs code blocks marked <!-- check -->', () => {
  it('there are some (getting started has its first director)', () => {
    expect(snippets.some((s) => s.file === join('docs', 'guide', 'getting-started.md'))).toBe(true);
  });

  it('each type-checks under the project compiler options', () => {
    const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, root);
    const files = snippets.map((s, i) => {
      const name = join(dir, `snippet-${i}.ts`);
      writeFileSync(name, s.code);
      return name;
    });
    // The packages' ambient declarations (`declare module 'raw-socket'` …), which their tsconfig includes.
    const ambient = ts.sys.readDirectory(
      join(root, 'packages'),
      ['.d.ts'],
      ['**/node_modules', '**/dist'],
      ['*/src/**/*'],
    );
    const program = ts.createProgram([...files, ...ambient], { ...parsed.options, noEmit: true, declaration: false });
    const where = new Map(files.map((f, i) => [f, snippets[i] as Snippet]));
    // Only the snippets' own diagnostics: the packages are type-checked by `npm run typecheck`.
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...files.flatMap((f) => {
        const sf = program.getSourceFile(f);
        return sf ? [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)] : [];
      }),
    ];
    const problems = diagnostics.map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const s = d.file ? where.get(d.file.fileName) : undefined;
      if (!d.file || d.start === undefined) return text;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      return s ? `${s.file}:${s.line + line}: ${text}` : `${relative(root, d.file.fileName)}:${line + 1}: ${text}`;
    });
    expect(problems).toEqual([]);
  }, 60_000); // a whole-program type check: about 7 s on a loaded 2-core machine, over vitest's 5 s default
});
