/**
 * Every package a user imports throws the one `LvsError` and exports it, so `err instanceof LvsError` and
 * `LvsError.is(err)` work with whichever package the user imported (issue 11 item 10). The schedulers package
 * is about scheduling only and leaves it to @lvskit/base.
 */
import { LvsError } from '@lvskit/base';
import { describe, expect, it } from 'vitest';

describe('LvsError from every package entry', () => {
  for (const name of ['core', 'forwarders', 'health', 'vrrp', 'native', 'director'] as const) {
    it(`@lvskit/${name} exports base's LvsError`, async () => {
      const mod = (await import(`@lvskit/${name}`)) as { LvsError?: unknown };
      expect(mod.LvsError).toBe(LvsError);
    });
  }
});
