/**
 * Error codes of the network lab. This file owns the netlab entries of the `LvsErrorCodes` registry and
 * their catalogue sentences; it must never define another error class (everything throws `LvsError`).
 */
import type { LvsErrorCode } from '@lvskit/base';

declare module '@lvskit/base' {
  interface LvsErrorCodes {
    /** The lab cannot run here: not root, or `ip netns` does not work. */
    NETLAB_UNAVAILABLE: true;
    /** A command run for the lab exited non-zero. */
    NETLAB_COMMAND_FAILED: true;
    /** A command run for the lab did not finish within its timeout. */
    NETLAB_TIMEOUT: true;
    /** An address outside 198.18.0.0/15 (or 2001:2::/48), or not valid CIDR. */
    NETLAB_BAD_ADDRESS: true;
    /** A host, segment or interface name is invalid or already used in this lab. */
    NETLAB_BAD_NAME: true;
    /** The lab was already destroyed. */
    NETLAB_DESTROYED: true;
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const netlabErrorCodes = {
  NETLAB_UNAVAILABLE: 'netlab: the network lab cannot run here (needs root and working `ip netns`).',
  NETLAB_COMMAND_FAILED: 'netlab: a command run inside the lab exited with a non-zero status.',
  NETLAB_TIMEOUT: 'netlab: a command run inside the lab did not finish within its timeout.',
  NETLAB_BAD_ADDRESS: 'netlab: an address is not valid CIDR or lies outside 198.18.0.0/15 (IPv6: 2001:2::/48).',
  NETLAB_BAD_NAME: 'netlab: a host, segment or interface name is invalid or already used in this lab.',
  NETLAB_DESTROYED: 'netlab: the lab was already destroyed.',
} as const satisfies Partial<Record<LvsErrorCode, string>>;
