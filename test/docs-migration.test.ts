/**
 * The keyword tables of the migration guides are what scripts/gen-migration-tables.ts makes of the importers'
 * own tables (`keepalivedKeywords()`, `ldirectordKeywords()`): a keyword the importer gains, loses or treats
 * differently fails this test until the tables are regenerated (`npm run docs:tables`).
 */
import { readFileSync } from 'node:fs';
import { keepalivedKeywords, ldirectordKeywords } from '@lvskit/director';
import { describe, expect, it } from 'vitest';
import { END, migrationTables, renderTables, START, splice } from '../scripts/gen-migration-tables.js';

describe('docs/migrate keyword tables', () => {
  const guides = migrationTables();

  it.each(guides.map((g) => [g.file.replace(/.*\/docs\//, 'docs/'), g] as const))(
    '%s holds the tables the generator produces from the importer',
    (_name, { file, tables }) => {
      const text = readFileSync(file, 'utf8');
      expect(text.indexOf(START)).toBeGreaterThan(0);
      expect(splice(text, tables, file)).toBe(text);
    },
  );

  it('has one row per keyword of each importer, with its status', () => {
    const [keepalived, ldirectord] = guides.map((g) => g.tables);
    const rows = (t: string | undefined) => (t ?? '').split('\n').filter((l) => /^\| `/.test(l));
    expect(rows(keepalived)).toHaveLength(keepalivedKeywords().length);
    expect(rows(ldirectord)).toHaveLength(ldirectordKeywords().length);
    expect(rows(ldirectord)).toContain(
      '| `timeout` | unsupported | removed from ldirectord in favour of checktimeout and negotiatetimeout |',
    );
    expect(rows(keepalived).find((r) => r.startsWith('| `ha_suspend` |'))).toMatch(/\| unsupported \|/);
  });

  it('notices a hand edit between the markers', () => {
    const { file, tables } = guides[0] as (typeof guides)[number];
    const edited = readFileSync(file, 'utf8').replace('| supported |', '| deviating |');
    expect(splice(edited, tables, file)).not.toBe(edited);
    expect(() => splice('no markers here', tables, file)).toThrow(/markers/);
    expect(END).toBe('<!-- generated:keywords:end -->');
  });

  it('escapes what markdown tables and Vue templates would read, and keeps code spans as code', () => {
    const out = renderTables(
      [
        { block: 'b', keyword: 'k', support: 'error', note: 'use `a->b|c` or <x> {{ y }} | z' },
        { block: 'b', keyword: 'w', support: 'warning', note: 'code `{{ v }}`' },
      ],
      (b) => b,
    );
    expect(out).toContain('| `k` | unsupported | use `a->b\\|c` or &lt;x&gt; &#123;&#123; y &#125;&#125; \\| z |');
    expect(out).toContain('| `w` | deviating | code &#123;&#123; v &#125;&#125; |');
    expect(out).toContain('| b | 0 | 1 | 1 |');
  });
});
