/**
 * Every internal link of the docs site resolves, without building it: each markdown link (and each `link:` of a
 * page's front matter) in docs/**\/*.md is resolved as VitePress resolves it — relative to the page, or to docs/
 * when it starts with `/`; `x`, `x.md` and `x.html` are the page x.md, `x/` is x/index.md — and its `#anchor`
 * must be a heading of the target page under VitePress's slug rules. The API reference (docs/api/) is generated
 * at build time, so links into it may only name its index or a package's index, which exist whenever the package
 * does. `npm run docs` checks the same pages again with VitePress's own dead-link check.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docsDir, markdownFiles } from './docs-pages.js';

const root = join(import.meta.dirname, '..');
const docs = docsDir;

/**
 * VitePress 1.6's heading slug (`slugify` in vitepress/dist/node, from @mdit-vue/shared), applied by
 * markdown-it-anchor to the heading's text; a repeated slug gets `-1`, `-2` … in page order.
 */
function slugify(text: string): string {
  return (
    text
      .normalize('NFKD')
      .replace(/[\u0300-\u036F]/g, '')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: VitePress's rule strips control characters
      .replace(/[\u0000-\u001f]/g, '')
      .replace(/[\s~`!@#$%^&*()\-_+=[\]{}|\\;:"'“”‘’<>,.?/]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^-+|-+$/g, '')
      .replace(/^(\d)/, '_$1')
      .toLowerCase()
  );
}

/** The text markdown-it sees in a heading: inline code, links, emphasis and HTML entities reduced to text. */
function headingText(raw: string): string {
  return raw
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__|\*|_)(?=\S)([^*_]+?)\1/g, '$2')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/&#123;/g, '{')
    .replace(/&#125;/g, '}')
    .trim();
}

/** Lines outside fenced code blocks, with their 1-based numbers. */
function proseLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((l, i) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(l);
    if (m) {
      const mark = (m[1] as string)[0] as string;
      if (fence === undefined) fence = mark;
      else if (fence === mark) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ line: i + 1, text: l });
  });
  return out;
}

/** The anchors a page defines: its headings' slugs (or `{#id}`), and `id="…"` attributes. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const body = text.replace(/^---\n[\s\S]*?\n---\n/, '');
  for (const { text: l } of proseLines(body)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (h) {
      const custom = /\s*\{#([^}]+)\}$/.exec(h[1] as string);
      let slug = custom ? (custom[1] as string) : slugify(headingText(h[1] as string));
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      if (!custom && n > 0) slug = `${slug}-${n}`;
      anchors.add(slug);
    }
    for (const m of l.matchAll(/\bid="([^"]+)"/g)) anchors.add(m[1] as string);
  }
  return anchors;
}

interface Link {
  readonly line: number;
  readonly target: string;
}

/** Markdown links `[text](target)` outside code, and `link:` values of the front matter. */
function linksOf(text: string): Link[] {
  const out: Link[] = [];
  const front = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (front) {
    (front[1] as string).split('\n').forEach((l, i) => {
      const m = /^\s*-?\s*link:\s*(\S+)\s*$/.exec(l);
      if (m) out.push({ line: i + 2, target: m[1] as string });
    });
  }
  for (const { line, text: l } of proseLines(text)) {
    const bare = l.replace(/`[^`]*`/g, '');
    for (const m of bare.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      out.push({ line, target: m[1] as string });
  }
  return out;
}

/** The page a link's path names, as VitePress resolves it. */
function pageOf(from: string, path: string): string {
  const base = path.startsWith('/') ? join(docs, path) : join(dirname(from), path);
  if (path.endsWith('/')) return join(base, 'index.md');
  if (base.endsWith('.md')) return normalize(base);
  if (base.endsWith('.html')) return `${base.slice(0, -'.html'.length)}.md`;
  return `${normalize(base)}.md`;
}

/** Whether a page of the generated API reference exists whenever its package does. */
function apiPage(page: string): boolean | undefined {
  const rel = relative(join(docs, 'api'), page);
  if (rel.startsWith('..')) return undefined;
  if (rel === 'index.md') return true;
  const m = /^@lvskit\/([a-z-]+)\/index\.md$/.exec(rel);
  return m ? existsSync(join(root, 'packages', m[1] as string, 'src', 'index.ts')) : false;
}

/**
 * Every broken internal link of `files` (absolute path → text), as `file:line: target — why`.
 * @param read - reads a target page that is not among `files`
 */
function brokenLinks(files: ReadonlyMap<string, string>, read: (path: string) => string | undefined): string[] {
  const problems: string[] = [];
  const anchors = new Map<string, Set<string>>();
  const anchorsFor = (page: string) => {
    let a = anchors.get(page);
    if (!a) {
      const text = files.get(page) ?? read(page);
      a = text === undefined ? new Set() : anchorsOf(text);
      anchors.set(page, a);
    }
    return a;
  };
  for (const [file, text] of files) {
    for (const { line, target } of linksOf(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
      const where = `${relative(root, file)}:${line}: ${target}`;
      const hash = target.indexOf('#');
      const path = hash < 0 ? target : target.slice(0, hash);
      const anchor = hash < 0 ? '' : decodeURIComponent(target.slice(hash + 1));
      const page = path === '' ? file : pageOf(file, decodeURIComponent(path));
      if (!page.startsWith(docs)) {
        problems.push(`${where} — outside docs/, not a page of the site`);
        continue;
      }
      const generated = apiPage(page);
      if (generated === false) {
        problems.push(`${where} — link only to api/index.md or api/@lvskit/<package>/index.md (generated)`);
        continue;
      }
      if (generated === undefined && !files.has(page) && read(page) === undefined) {
        problems.push(`${where} — no such page ${relative(root, page)}`);
        continue;
      }
      if (anchor !== '' && generated === undefined && !anchorsFor(page).has(anchor)) {
        problems.push(`${where} — no heading #${anchor} in ${relative(root, page)}`);
      }
    }
  }
  return problems;
}

const readPage = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

describe('docs internal links', () => {
  it('every link of docs/**/*.md resolves to a page and a heading', () => {
    const files = new Map(markdownFiles().map((f) => [f, readFileSync(f, 'utf8')]));
    expect(files.size).toBeGreaterThan(5);
    expect(brokenLinks(files, readPage)).toEqual([]);
  });

  it('finds a missing page, a missing heading, and a link out of the site', () => {
    const a = join(docs, 'guide', 'a.md');
    const b = join(docs, 'guide', 'b.md');
    const files = new Map([
      [a, '# A\n\n[ok](b.md#the-b-page) [ok too](./b#dup-1) [self](#a)\n[gone](c.md) [bad anchor](b.md#nope)\n'],
      [b, '# The `b` page\n\n## Dup\n\n## Dup\n\n```md\n[in code](missing.md)\n```\n[out](../../README.md)\n'],
    ]);
    expect(brokenLinks(files, () => undefined)).toEqual([
      'docs/guide/a.md:4: c.md — no such page docs/guide/c.md',
      'docs/guide/a.md:4: b.md#nope — no heading #nope in docs/guide/b.md',
      'docs/guide/b.md:10: ../../README.md — outside docs/, not a page of the site',
    ]);
  });

  it('slugs headings as VitePress does', () => {
    expect(slugify(headingText('Direct routing (DR)'))).toBe('direct-routing-dr');
    expect(slugify(headingText('`vrrp_instance`'))).toBe('vrrp-instance');
    expect(slugify(headingText('1. Install'))).toBe('_1-install');
    expect(anchorsOf('## Lifecycle and events {#events}\n')).toEqual(new Set(['events']));
  });
});
