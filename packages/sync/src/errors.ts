/**
 * The error codes @lvskit/sync adds to `LvsError`, by declaration merging, and their catalogue that
 * `docs/errors.md` is checked against. This file must never define another error class.
 */
import type { LvsErrorCode } from '@lvskit/base';

declare module '@lvskit/base' {
  interface LvsErrorCodes {
    /** A connection cannot be written as a sync record of the chosen version (IPv6 in v0, a field out of range). */
    SYNC_INVALID_RECORD: true;
    /** A sync message does not fit the buffer it is encoded into. */
    SYNC_BUFFER_TOO_SMALL: true;
    /** A sync daemon option is invalid (nothing was opened). */
    SYNC_INVALID_OPTION: true;
    /** The sync daemon's interface does not exist or has no address of the needed family. */
    SYNC_NO_INTERFACE: true;
    /** A sync daemon socket could not be opened, bound or joined to its group, or failed while running. */
    SYNC_SOCKET: true;
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const syncErrorCodes = {
  SYNC_INVALID_RECORD:
    'A connection cannot be written as an IPVS sync record of the chosen version (IPv6 in version 0, a field out of range, a persistence-engine name over 16 bytes).',
  SYNC_BUFFER_TOO_SMALL: 'An IPVS sync message does not fit the buffer it is encoded into.',
  SYNC_INVALID_OPTION:
    'A sync daemon option is invalid (role, interface, syncid, group, port, ttl, maxLen, version, peers, rules, extensions); nothing was opened.',
  SYNC_NO_INTERFACE:
    'The sync daemon interface does not exist or has no address of the group or peers family (ipvsadm: Unknown mcast interface).',
  SYNC_SOCKET:
    'A sync daemon socket could not be opened, bound, or joined to its multicast group, or failed while running (a send error, a datagram that could not be handled); the cause is in the message.',
} as const satisfies Partial<Record<LvsErrorCode, string>>;
