/**
 * Error codes of the native addon. This file owns the native entries of the `LvsErrorCodes` registry, their
 * catalogue sentences, and the mapping from a failed system call (errno + syscall, as the addon reports it)
 * to a code. It must never define another error class: everything leaves as `LvsError`.
 */
import { LvsError, type LvsErrorCode } from '@lvskit/base';

declare module '@lvskit/base' {
  interface LvsErrorCodes {
    /** The addon does not exist for this platform (it is Linux-only). */
    NATIVE_UNSUPPORTED: true;
    /** Linux, but the addon was not built or could not be loaded. */
    NATIVE_NOT_BUILT: true;
    /** The kernel refused: CAP_NET_RAW / CAP_NET_ADMIN (or CAP_SYS_ADMIN to enter a namespace) missing. */
    NATIVE_PERMISSION: true;
    /** No interface with that name (in that namespace). */
    NATIVE_NO_INTERFACE: true;
    /** No network namespace with that name under /run/netns. */
    NATIVE_NO_NETNS: true;
    /** The address or neighbour to add already exists. */
    NATIVE_EXISTS: true;
    /** The address or neighbour to remove does not exist. */
    NATIVE_NOT_FOUND: true;
    /** The packet socket was closed. */
    NATIVE_CLOSED: true;
    /** Another system call failure (the message names the call and errno). */
    NATIVE_SYSCALL_FAILED: true;
  }
}

/** The codes this package throws, with the sentence `docs/errors.md` carries for each. */
export const nativeErrorCodes = {
  NATIVE_UNSUPPORTED: 'The native addon exists only on Linux (AF_PACKET, rtnetlink); this platform has none.',
  NATIVE_NOT_BUILT: 'Linux, but the native addon was not built at install time or failed to load.',
  NATIVE_PERMISSION:
    'The kernel refused: CAP_NET_RAW/CAP_NET_ADMIN (or CAP_SYS_ADMIN to enter a network namespace) is missing.',
  NATIVE_NO_INTERFACE: 'No network interface with that name exists (in that namespace).',
  NATIVE_NO_NETNS: 'No network namespace with that name exists under /run/netns.',
  NATIVE_EXISTS: 'The address or neighbour entry to add already exists.',
  NATIVE_NOT_FOUND: 'The address or neighbour entry to remove does not exist.',
  NATIVE_CLOSED: 'The packet socket was already closed.',
  NATIVE_SYSCALL_FAILED: 'A system call of the native addon failed (the message names the call and errno).',
} as const satisfies Partial<Record<LvsErrorCode, string>>;

interface SysError {
  readonly message: string;
  readonly errno?: number;
  readonly syscall?: string;
}

// errno values on Linux (asm-generic/errno-base.h, errno.h).
const EPERM = 1;
const ENOENT = 2;
const ESRCH = 3;
const ENXIO = 6;
const EBADF = 9;
const EACCES = 13;
const EEXIST = 17;
const ENODEV = 19;
const EADDRNOTAVAIL = 99;

/**
 * Turns whatever the addon threw into an `LvsError` with the right code (already-LvsErrors pass through;
 * the addon's TypeError/RangeError become `INVALID_ARGUMENT`).
 * @param what - what was being done, for the message
 */
export function toLvsError(err: unknown, what: string): LvsError {
  if (LvsError.is(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SysError;
  if (err instanceof TypeError || err instanceof RangeError) {
    return new LvsError('INVALID_ARGUMENT', `native: ${what}: ${e.message}`, { cause: err });
  }
  const errno = typeof e.errno === 'number' ? e.errno : 0;
  let code: LvsErrorCode = 'NATIVE_SYSCALL_FAILED';
  if (e.syscall === 'closed' || errno === EBADF) code = 'NATIVE_CLOSED';
  else if (errno === EPERM || errno === EACCES) code = 'NATIVE_PERMISSION';
  else if (e.syscall === 'open' && errno === ENOENT && e.message.includes('/run/netns/')) code = 'NATIVE_NO_NETNS';
  else if (errno === ENODEV || errno === ENXIO) code = 'NATIVE_NO_INTERFACE';
  else if (e.syscall === 'netlink' && errno === EEXIST) code = 'NATIVE_EXISTS';
  else if (e.syscall === 'netlink' && (errno === EADDRNOTAVAIL || errno === ENOENT || errno === ESRCH)) {
    code = 'NATIVE_NOT_FOUND';
  }
  return new LvsError(code, `native: ${what}: ${e.message}`, { cause: err });
}
