/** Test helpers: re-exports of the package under test, plus a brand check for LvsError. */
import { LvsError } from '@lvskit/base';

export * from '../src/index.js';

/** True for an LvsError. */
export function LvsErrorLike(err: unknown): boolean {
  return LvsError.is(err);
}
