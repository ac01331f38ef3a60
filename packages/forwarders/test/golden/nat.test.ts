/** The masquerading (rewriteMasqIn / rewriteMasqOut) golden table (rows and their derivation in nat.rows.ts) run through the pure rewrite. */
import { describe } from 'vitest';
import { natRows } from './nat.rows.js';
import { runGolden } from './table.js';

describe('golden: masquerading (rewriteMasqIn / rewriteMasqOut)', () => {
  runGolden(natRows);
});
