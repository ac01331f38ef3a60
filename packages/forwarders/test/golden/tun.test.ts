/** The IPIP tunnelling (rewriteTunnel) golden table (rows and their derivation in tun.rows.ts) run through the pure rewrite. */
import { describe } from 'vitest';
import { runGolden } from './table.js';
import { tunRows } from './tun.rows.js';

describe('golden: IPIP tunnelling (rewriteTunnel)', () => {
  runGolden(tunRows);
});
