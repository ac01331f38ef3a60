/**
 * ldirectord `checktype = connect` on a UDP virtual service pings instead (`_check_real`: "Checking
 * connect (ping)"); this wrapper only renames the kind so events say what ldirectord would log.
 */
import { checkArgs, isRecord, rule } from '../options.js';
import type { Checker } from '../types.js';

/** Present a ping checker as ldirectord's UDP connect check. */
export function connectUdpAsPing(ping: Checker): Checker {
  checkArgs('connectUdpAsPing', [
    ['ping', rule((c) => isRecord(c) && typeof c.key === 'string' && typeof c.check === 'function', 'a checker'), ping],
  ]);
  return { kind: 'ldirectord:connect(ping)', key: `connect-udp ${ping.key}`, check: (s) => ping.check(s) };
}
