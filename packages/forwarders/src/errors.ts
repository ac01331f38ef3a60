/**
 * The error codes @lvskit/forwarders adds to `LvsError` and their catalogue. Only control-path APIs (the
 * real-server helpers, parameter construction) throw; the packet path never does — it returns a drop reason.
 */
import type { LvsErrorCode } from '@lvskit/base';

declare module '@lvskit/base' {
  interface LvsErrorCodes {
    /** A real-server helper's system command failed; the steps already applied were undone. */
    RS_COMMAND_FAILED: true;
    /** A real-server helper needs an existing network namespace to act in. */
    RS_NAMESPACE_REQUIRED: true;
    /** The real-server setup was already applied, or was already undone. */
    RS_STATE: true;
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const forwardersErrorCodes = {
  RS_COMMAND_FAILED: "A real-server helper's system command failed; the steps already applied were undone.",
  RS_NAMESPACE_REQUIRED: 'A real-server helper needs an existing network namespace to act in.',
  RS_STATE: 'The real-server setup was already applied, or was already undone.',
} as const satisfies Partial<Record<LvsErrorCode, string>>;
