/**
 * The token level of keepalived.conf: words, quoted strings and braces with their file, line and column,
 * comments (`!` and `#` to the end of the line) dropped, and `include` lines replaced by the tokens of the
 * files they name (globs allowed, relative to the including file). It knows nothing of keywords; the importer
 * gives tokens their meaning. File access goes through the injected {@link ImportFileAccess}, so tests need no
 * disk. It must never interpret a keyword other than `include`.
 * @see keepalived/core/parser.c (`read_line`, `check_include`)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** One word of a config file with where it was written (line and column 1-based). */
export interface Token {
  /** The word; for a quoted string, the text between the quotes. */
  readonly text: string;
  /** File name as given (the `file` option or the include pattern's match). */
  readonly file: string;
  /** Line, 1-based. */
  readonly line: number;
  /** Column, 1-based (UTF-16 units). */
  readonly col: number;
  /** Written in double quotes. */
  readonly quoted: boolean;
}

/** How the importer reads files: defaults use `node:fs`; tests inject maps. */
export interface ImportFileAccess {
  /** Reads one file as UTF-8 text. */
  readonly readFile?: (path: string) => string;
  /**
   * The files a pattern matches, sorted. `relativeTo` is the directory of the including file; a relative
   * pattern is taken from there.
   */
  readonly glob?: (pattern: string, relativeTo: string) => string[];
}

/** A position problem found while reading tokens. */
export interface LexIssue {
  /** File. */
  readonly file: string;
  /** Line, 1-based. */
  readonly line: number;
  /** Column, 1-based. */
  readonly col: number;
  /** What is wrong, without the position. */
  readonly message: string;
}

const MAX_INCLUDE_DEPTH = 32;

function globToRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i] as string;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = seg
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The default glob: `*`, `?` and `[…]` in any path segment, no `**`, hidden files only when the segment
 * starts with a dot — as glob(3) without flags, which keepalived uses. Sorted, as glob(3) sorts.
 */
export function fsGlob(pattern: string, relativeTo: string): string[] {
  const abs = isAbsolute(pattern) ? pattern : join(relativeTo, pattern);
  const parts = abs.split('/');
  let bases = [parts[0] === '' ? '/' : (parts[0] as string)];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const b of bases) {
      if (!/[*?[]/.test(part)) {
        next.push(join(b, part));
        continue;
      }
      const re = globToRegExp(part);
      let names: string[] = [];
      try {
        names = readdirSync(b);
      } catch {
        continue;
      }
      for (const n of names.sort())
        if (re.test(n) && (part.startsWith('.') || !n.startsWith('.'))) next.push(join(b, n));
    }
    bases = next;
  }
  return bases.filter((f) => {
    try {
      readFileSync(f);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Splits one file into tokens, following `include` lines.
 * @param text - the file's contents
 * @param file - its name (for positions and relative includes)
 * @param access - file access for includes
 * @param issues - where problems go
 * @param depth - include nesting so far
 */
export function tokenize(text: string, file: string, access: ImportFileAccess, issues: LexIssue[], depth = 0): Token[] {
  const out: Token[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, li) => {
    const line = li + 1;
    const words: Token[] = [];
    let i = 0;
    while (i < raw.length) {
      const ch = raw[i] as string;
      if (/\s/.test(ch)) {
        i++;
        continue;
      }
      if (ch === '!' || ch === '#') break;
      if (ch === '{' || ch === '}') {
        words.push({ text: ch, file, line, col: i + 1, quoted: false });
        i++;
        continue;
      }
      if (ch === '"') {
        const end = raw.indexOf('"', i + 1);
        if (end < 0) {
          issues.push({ file, line, col: i + 1, message: 'unterminated quoted string' });
          words.push({ text: raw.slice(i + 1), file, line, col: i + 1, quoted: true });
          break;
        }
        words.push({ text: raw.slice(i + 1, end), file, line, col: i + 1, quoted: true });
        i = end + 1;
        continue;
      }
      let j = i;
      // keepalived starts a comment at a ! or # anywhere outside quotes, also inside a word (`5#x` is 5).
      while (j < raw.length && !/[\s{}"!#]/.test(raw[j] as string)) j++;
      words.push({ text: raw.slice(i, j), file, line, col: i + 1, quoted: false });
      i = j;
    }
    const first = words[0];
    if (first && first.text === 'include' && !first.quoted) {
      const pattern = words[1];
      if (!pattern) {
        issues.push({ file, line, col: first.col, message: 'include needs a file name or pattern' });
        return;
      }
      for (const extra of words.slice(2)) {
        issues.push({
          file,
          line,
          col: extra.col,
          message: `include takes one pattern; ${JSON.stringify(extra.text)} is extra`,
        });
      }
      if (depth >= MAX_INCLUDE_DEPTH) {
        issues.push({
          file,
          line,
          col: first.col,
          message: `include nested more than ${MAX_INCLUDE_DEPTH} deep (a loop?)`,
        });
        return;
      }
      const base = dirname(resolve(file));
      let files: string[];
      try {
        files = (access.glob ?? fsGlob)(pattern.text, base);
      } catch (err) {
        issues.push({
          file,
          line,
          col: pattern.col,
          message: `include ${pattern.text}: ${err instanceof Error ? err.message : String(err)}`,
        });
        return;
      }
      if (files.length === 0) {
        issues.push({ file, line, col: pattern.col, message: `include ${pattern.text}: no file matches` });
        return;
      }
      for (const f of files) {
        let body: string;
        try {
          body = (access.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(f);
        } catch (err) {
          issues.push({
            file,
            line,
            col: pattern.col,
            message: `include ${f}: ${err instanceof Error ? err.message : String(err)}`,
          });
          continue;
        }
        out.push(...tokenize(body, f, access, issues, depth + 1));
      }
      return;
    }
    out.push(...words);
  });
  return out;
}
