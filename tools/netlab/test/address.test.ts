/**
 * Address rules: only 198.18.0.0/15 (RFC 2544 §C.2.2: 198.18.0.0–198.19.255.255) and 2001:db8::/32
 * (RFC 3849). Boundaries are taken from those RFCs by hand.
 */
import { describe, expect, it } from 'vitest';
import { checkLabCidr, hostAddress, isLabAddress } from '../src/index.js';

describe('netlab addresses', () => {
  it('accepts exactly 198.18.0.0–198.19.255.255 and 2001:db8::/32', () => {
    expect(isLabAddress('198.18.0.0')).toBe(true);
    expect(isLabAddress('198.19.255.255')).toBe(true);
    expect(isLabAddress('198.17.255.255')).toBe(false);
    expect(isLabAddress('198.20.0.0')).toBe(false);
    expect(isLabAddress('10.0.0.1')).toBe(false);
    expect(isLabAddress('2001:db8::1')).toBe(true);
    expect(isLabAddress('2001:db9::1')).toBe(false);
    expect(isLabAddress('fe80::1')).toBe(false);
    expect(isLabAddress('not-an-ip')).toBe(false);
  });

  it('checks CIDR syntax', () => {
    expect(checkLabCidr('198.18.1.1/24')).toBe('198.18.1.1/24');
    expect(() => checkLabCidr('198.18.1.1/33')).toThrow(expect.objectContaining({ code: 'NETLAB_BAD_ADDRESS' }));
    expect(() => checkLabCidr('198.18.1.1/24/1')).toThrow(expect.objectContaining({ code: 'NETLAB_BAD_ADDRESS' }));
    expect(() => checkLabCidr('192.168.0.1/24')).toThrow(expect.objectContaining({ code: 'NETLAB_BAD_ADDRESS' }));
  });

  it('numbers hosts inside a subnet, excluding network and broadcast', () => {
    expect(hostAddress('198.18.2.0/24', 1)).toBe('198.18.2.1/24');
    expect(hostAddress('198.18.2.77/24', 10)).toBe('198.18.2.10/24');
    expect(hostAddress('198.19.0.0/16', 256)).toBe('198.19.1.0/16');
    expect(() => hostAddress('198.18.2.0/24', 255)).toThrow(expect.objectContaining({ code: 'NETLAB_BAD_ADDRESS' }));
    expect(() => hostAddress('198.18.2.0/24', 0)).toThrow(expect.objectContaining({ code: 'NETLAB_BAD_ADDRESS' }));
  });
});
