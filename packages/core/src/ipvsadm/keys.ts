/**
 * Identity of virtual services and real servers in the ipvsadm layer: equality by address bytes (so
 * `::1` and `0::1` are the same service) and the printable key used in messages. Must never format
 * output for users (format.ts does) or accept anything but already-parsed keys.
 */
import type { Family } from '@lvskit/base';
import { addressBytes } from './inet.js';
import type { IpvsServerKey, IpvsServiceKey } from './types.js';

/** The 16 address bytes of `text` in `family`, or undefined when the text is not an address. */
export function serviceKeyBytes(family: Family, text: string): Uint8Array | undefined {
  return addressBytes(family, text);
}

function sameAddress(family: Family, a: string, b: string): boolean {
  if (a === b) return true;
  const x = addressBytes(family, a);
  const y = addressBytes(family, b);
  if (!x || !y) return false;
  for (let i = 0; i < 16; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * True when two keys name the same virtual service, as the kernel's lookup does: fwmark + family, or
 * protocol + family + address + port.
 */
export function serviceKeyEquals(a: IpvsServiceKey, b: IpvsServiceKey): boolean {
  if (a.kind === 'fwmark' || b.kind === 'fwmark') {
    return a.kind === 'fwmark' && b.kind === 'fwmark' && a.fwmark >>> 0 === b.fwmark >>> 0 && a.family === b.family;
  }
  return (
    a.protocol === b.protocol &&
    a.family === b.family &&
    a.port === b.port &&
    sameAddress(a.family, a.address, b.address)
  );
}

/** True when two keys name the same real server (family, address, port), as kernel `ip_vs_lookup_dest`. */
export function serverKeyEquals(a: IpvsServerKey, b: IpvsServerKey): boolean {
  return a.family === b.family && a.port === b.port && sameAddress(a.family, a.address, b.address);
}
