/** Records the sync tests share. */
import type { SyncConn } from '../src/index.js';

/** An IPv4 TCP record with every fixed field non-zero: DROUTE | INACTIVE, ESTABLISHED, fwmark 42, 900 s. */
export const tcp4: SyncConn = {
  family: 4,
  protocol: 6,
  flags: 0x0103,
  state: 1,
  cport: 12345,
  vport: 80,
  dport: 8080,
  fwmark: 42,
  timeout: 900,
  caddr: '198.18.0.1',
  vaddr: '198.18.0.100',
  daddr: '198.18.1.10',
};
