/**
 * `npm run sweep -w @lvskit/netlab`: removes every lab whose owner process is dead and prints what went.
 * Live labs (another test run in progress) are left alone. Never removes anything without the lab prefix.
 */
import { sweepStaleLabs } from './sweep.js';

const report = await sweepStaleLabs();
if (report.prefixes.length === 0) console.log('netlab sweep: nothing stale');
else {
  console.log(
    `netlab sweep: removed ${report.prefixes.length} lab(s): ${report.namespaces.length} namespace(s), ${report.pids.length} process(es)`,
  );
  for (const ns of report.namespaces) console.log(`  ${ns}`);
}
