/**
 * @lvskit/announce — route announcement for directors scaled out behind an ECMP router: the
 * `RouteAnnouncer` port (announce a VIP prefix, withdraw it, peer state) and its implementation over
 * GoBGP's `gobgpd`. This entry only re-exports; it must never hold logic.
 * @packageDocumentation
 */
export { LvsError } from '@lvskit/base';
export { announceErrorCodes } from './errors.js';
export { type BgpPeerConfig, canonicalPrefix, GobgpAnnouncer, type GobgpOptions, gobgpdConfig } from './gobgp.js';
export type { BgpPeerStatus, BgpSessionState, RouteAnnouncer, RouteAnnouncerEvents } from './port.js';
