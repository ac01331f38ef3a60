/**
 * Unprivileged checks of the TypeScript layer: errno → LvsError code mapping (errno numbers from Linux
 * asm-generic/errno-base.h and errno.h), and that importing the package never loads
 * the addon eagerly.
 */
import { LvsError } from '@lvskit/base';
import { describe, expect, it } from 'vitest';
import { toLvsError } from '../src/errors.js';

function sys(errno: number, syscall: string, message = 'x'): Error {
  return Object.assign(new Error(message), { errno, syscall });
}

describe('native: error mapping', () => {
  it.each([
    [1, 'socket', 'NATIVE_PERMISSION'], // EPERM
    [13, 'socket', 'NATIVE_PERMISSION'], // EACCES
    [19, 'ioctl', 'NATIVE_NO_INTERFACE'], // ENODEV
    [6, 'ioctl', 'NATIVE_NO_INTERFACE'], // ENXIO
    [17, 'netlink', 'NATIVE_EXISTS'], // EEXIST
    [99, 'netlink', 'NATIVE_NOT_FOUND'], // EADDRNOTAVAIL (RTM_DELADDR of an absent address)
    [2, 'netlink', 'NATIVE_NOT_FOUND'], // ENOENT (RTM_DELNEIGH of an absent entry)
    [9, 'closed', 'NATIVE_CLOSED'], // EBADF
    [22, 'recvmmsg', 'NATIVE_SYSCALL_FAILED'], // EINVAL
  ])('errno %i from %s → %s', (errno, syscall, code) => {
    const e = toLvsError(sys(errno, syscall), 'test');
    expect(LvsError.is(e)).toBe(true);
    expect(e.code).toBe(code);
    expect((e.cause as Error).message).toBe('x');
  });

  it('maps a missing /run/netns entry to NATIVE_NO_NETNS and argument errors to INVALID_ARGUMENT', () => {
    expect(toLvsError(sys(2, 'open', 'open: No such file (/run/netns/x)'), 't').code).toBe('NATIVE_NO_NETNS');
    expect(toLvsError(new RangeError('bad'), 't').code).toBe('INVALID_ARGUMENT');
    expect(toLvsError(new TypeError('bad'), 't').code).toBe('INVALID_ARGUMENT');
    const already = new LvsError('NATIVE_CLOSED', 'x');
    expect(toLvsError(already, 't')).toBe(already);
  });
});
