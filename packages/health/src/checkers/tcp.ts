/**
 * keepalived TCP_CHECK and ldirectord `checktype = connect` (TCP): the real server is up when a TCP
 * connection is established. Protocol only — no retries or timers (the runner owns those).
 * @see keepalived/check/check_tcp.c, ldirectord.in `check_connect`
 */

import { formatEndpoint } from '@lvskit/base';
import { checkOptions, ip, port, required, text } from '../options.js';
import type { Checker, CheckResult } from '../types.js';
import { guarded } from './common.js';
import { dial } from './socket.js';

/** TCP_CHECK options (keepalived `connect_ip`, `connect_port`, `bindto`, `bind_port`). */
export interface TcpCheckOptions {
  readonly host: string;
  readonly port: number;
  readonly bindTo?: string;
  readonly bindPort?: number;
  /** Identity across reloads (default `TCP_CHECK host:port`). */
  readonly key?: string;
}

/** Build a TCP_CHECK. */
export function tcpCheck(o: TcpCheckOptions): Checker {
  checkOptions(
    o,
    { host: required(text), port: required(port), bindTo: ip, bindPort: port, key: text },
    'tcpCheck options',
  );
  const where = formatEndpoint(o.host, o.port);
  return {
    kind: 'TCP_CHECK',
    key: o.key ?? `TCP_CHECK ${where}`,
    check(signal): Promise<CheckResult> {
      return guarded(signal, async () => {
        const sock = await dial(o, signal);
        sock.destroy();
        return { ok: true, message: `TCP connection to ${where} success` };
      });
    },
  };
}
