/**
 * The outcome of a rewrite beside its verdict: the output length, or the drop reason. The verdict and the
 * drop reasons themselves are `@lvskit/base`'s (`Verdict`, `DropReason`: one numbering for the engine and the
 * datapath). Must never throw, log, or allocate per packet.
 */

import { DropReason } from '@lvskit/base';

/** The outcome of a rewrite besides its verdict: the output length, or the drop reason. */
export class RewriteResult {
  /** Length of the output frame (valid when the verdict is FORWARD or REPLY). */
  length = 0;
  /** Why the frame was dropped ({@link DropReason.NONE} otherwise). */
  reason: DropReason = DropReason.NONE;
}
