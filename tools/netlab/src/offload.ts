/**
 * Segmentation and checksum offloads of a lab interface. A veth starts with them on (tx checksumming,
 * scatter-gather, TSO, GSO), so turning them on is a guarantee, not a change: without ethtool it is skipped.
 * Turning one off needs ethtool; tests that do gate themselves with `requireTools(…, 'ethtool')`.
 */
import type { Lab, LabHost } from './lab.js';
import { onPath } from './require.js';

/**
 * Makes sure tx checksumming, scatter-gather, TSO and GSO are on for `ifname` in `host` (the veth default):
 * with ethtool it sets them; without it, it relies on the default and returns false.
 * @returns true when ethtool set them
 */
export async function offloadsOn(lab: Lab, host: LabHost | string, ifname = 'eth0'): Promise<boolean> {
  if (!onPath('ethtool')) return false;
  await lab.exec(host, ['ethtool', '-K', ifname, 'tx', 'on', 'sg', 'on', 'tso', 'on', 'gso', 'on']);
  return true;
}
