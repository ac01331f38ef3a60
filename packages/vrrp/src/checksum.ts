/**
 * What is left of vrrp's own checksum code: nothing but the two names `arp.ts` still imports, over the one
 * Internet checksum of `@lvskit/base`. Internal (not exported from the package entry); it goes away when the
 * ARP/NA encoders move to `@lvskit/forwarders`. Must never grow arithmetic of its own.
 */
import { foldSum } from '@lvskit/base';

export { onesSum } from '@lvskit/base';

/** The checksum field value for a ones'-complement sum: `~fold(sum)`. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}
