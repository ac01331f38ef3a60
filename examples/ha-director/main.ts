/**
 * Runs the README's HA director as a process: `node --import tsx examples/ha-director/main.ts PRIORITY`.
 * SIGTERM stops it cleanly (VRRP priority 0, the VIP released). The lab test starts two of these.
 */
import { haDirector } from './director.js';

const director = haDirector(Number(process.argv[2] ?? 100));
await director.start();
console.log('ready');
process.once('SIGTERM', () => {
  void director.stop().then(() => process.exit(0));
});
