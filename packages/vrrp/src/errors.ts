/**
 * The error codes @lvskit/vrrp adds to `LvsError`, by declaration merging, and their catalogue that
 * `docs/errors.md` is checked against. This file must never define another error class.
 */
import type { LvsErrorCode } from '@lvskit/base';

declare module '@lvskit/base' {
  interface LvsErrorCodes {
    /** A vrrp_instance / vrrp_script / vrrp_sync_group configuration is invalid (every issue listed). */
    VRRP_INVALID_CONFIG: true;
    /** The VRRP transport (raw IP socket, multicast membership) could not be opened or used. */
    VRRP_TRANSPORT_FAILED: true;
    /** Adding or removing a virtual IP address, or sending gratuitous ARP, failed. */
    VRRP_OWNERSHIP_FAILED: true;
    /** A VRRP advertisement does not fit the buffer it is encoded into. */
    VRRP_BUFFER_TOO_SMALL: true;
    /** A notify script could not be started. */
    VRRP_NOTIFY_FAILED: true;
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const vrrpErrorCodes = {
  VRRP_INVALID_CONFIG:
    'A vrrp_instance, vrrp_script or vrrp_sync_group configuration is invalid (every issue is listed).',
  VRRP_TRANSPORT_FAILED: 'The VRRP transport (raw IP socket, multicast membership, interface binding) failed.',
  VRRP_OWNERSHIP_FAILED: 'Adding or removing a virtual IP address, or sending gratuitous ARP, failed.',
  VRRP_BUFFER_TOO_SMALL: 'A VRRP advertisement does not fit the buffer it is encoded into.',
  VRRP_NOTIFY_FAILED:
    'A VRRP notify script (notify_master, notify_backup, notify_fault, notify_stop, notify) could not be started.',
} as const satisfies Partial<Record<LvsErrorCode, string>>;
