/**
 * @lvskit/sync — the Linux IPVS connection-synchronisation protocol (net/netfilter/ipvs/ip_vs_sync.c),
 * byte-exact: the version 0 and version 1 codec, the receiver's drop rules and the master's packer.
 * This entry only re-exports; it must never hold logic.
 */
export { LvsError } from '@lvskit/base';
export * from './codec.js';
export * from './daemon.js';
export { syncErrorCodes } from './errors.js';
export * from './ext.js';
export * from './table-codec.js';
