/**
 * `lvskit run FILE` with lvskit's sync extensions switched on, for the lab: no keepalived.conf keyword names
 * them (they are lvskit's, off the kernel's wire format), so this runs the daemon `lvskit run` runs
 * (cli/daemon.ts `runDaemon`, same log lines, control socket, metrics and signals) on the keepalived import of
 * FILE with `sync.extensions` set from the last argument:
 *   node --conditions=@lvskit/source --import tsx sync-run.ts FILE CONTROL_SOCKET METRICS_PORT '{"bulkResync":true}'
 * The file must have `lvs_sync_daemon` (else there is no sync block to extend: exit 1 with the reason).
 */
import { readFileSync } from 'node:fs';
import { LvsError } from '@lvskit/base';
import { runDaemon } from '../../src/cli/daemon.js';
import { type DirectorConfig, importKeepalived, type SyncConfig } from '../../src/index.js';

const [file = '', controlSocket = '', metricsPort = '0', ext = '{}'] = process.argv.slice(2);
const extensions = JSON.parse(ext) as NonNullable<SyncConfig['extensions']>;

const daemon = await runDaemon({ file, controlSocket, metricsPort: Number(metricsPort) }, (f) => {
  const r = importKeepalived(readFileSync(f, 'utf8'), { file: f });
  const sync = r.config.sync;
  if (sync === undefined) throw new LvsError('DIRECTOR_IMPORT_FAILED', `${f}: no lvs_sync_daemon to add extensions to`);
  const config: DirectorConfig = { ...r.config, sync: { ...sync, extensions } };
  return { config, warnings: r.warnings };
});
await daemon.stopped;
process.exit(0);
