/**
 * `npm start`: part 1 shows how the kernel schedulers spread connections (instant, deterministic); part 2 runs a
 * simulated director with a live `ipvsadm -Ln` view. Neither needs privileges or a network.
 */
import { runDirectorDemo } from './director.js';
import { runSchedulerDemo } from './schedulers.js';

runSchedulerDemo();
if (process.stdout.isTTY) {
  console.log('\nPart 2, a simulated director with a live ipvsadm view, starts in 5 s (Ctrl-C to skip)…');
  await new Promise((r) => setTimeout(r, 5000));
}
await runDirectorDemo();
