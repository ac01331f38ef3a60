/**
 * What a config importer reports about the file it read: one issue per problem at a file, line and column, its
 * message already written as `file:line:col: message` (the form compilers and editors understand). The shape is
 * the keepalived importer's `ImportIssue` (an `LvsIssue` whose path is `[file, line, column]`), so both
 * importers' issues read alike. It owns the issue shape only; it never reads files.
 */
import type { LvsIssue } from '@lvskit/base';

/** One problem an importer found in its input; `message` is `file:line:col: what`. */
export interface ImportIssue extends LvsIssue {
  /** File the problem is in. */
  readonly file: string;
  /** Line, 1-based. */
  readonly line: number;
  /** Column, 1-based (a tab counts as one). */
  readonly column: number;
  /** `error`: the import fails; `warning`: imported, but not carried out as the original daemon would. */
  readonly severity: 'error' | 'warning';
}

/** An {@link ImportIssue} at `file:line:column`. */
export function importIssue(
  file: string,
  line: number,
  column: number,
  severity: 'error' | 'warning',
  message: string,
): ImportIssue {
  return {
    path: [file, line, column],
    code: 'DIRECTOR_IMPORT_FAILED',
    message: `${file}:${line}:${column}: ${message}`,
    file,
    line,
    column,
    severity,
  };
}
