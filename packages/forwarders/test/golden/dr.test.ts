/** The direct routing (rewriteRoute) golden table (rows and their derivation in dr.rows.ts) run through the pure rewrite. */
import { describe } from 'vitest';
import { drRows } from './dr.rows.js';
import { runGolden } from './table.js';

describe('golden: direct routing (rewriteRoute)', () => {
  runGolden(drRows);
});
