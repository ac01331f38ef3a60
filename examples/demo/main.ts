/**
 * `npm start`: part 1 shows how the kernel schedulers spread connections (instant, deterministic); part 2 runs
 * a real director in a network lab when this machine allows it (root, network namespaces, the native addon),
 * else a simulated director, both with a live `ipvsadm -Ln` view. It must never fail for lack of privileges
 * or a lab that breaks: the fallback is always the simulation, with one line saying why. Part 3 runs the
 * README's HA director twice over (a failover and a real-server failure), for real or simulated likewise.
 */
import { runDirectorDemo } from './director.js';
import { runHaDemoLab, runHaDemoSimulated } from './ha.js';
import { labDemoUnavailableReason, runLabDirectorDemo } from './lab-director.js';
import { runSchedulerDemo } from './schedulers.js';

runSchedulerDemo();
const why = labDemoUnavailableReason();
const what =
  why === undefined
    ? 'a REAL director (network namespaces, packet sockets, real HTTP traffic)'
    : 'a simulated director';
if (why !== undefined) console.log(`\nPart 2 runs a simulated director, not a real one: ${why}.`);
if (process.stdout.isTTY) {
  console.log(`\nPart 2, ${what} with a live ipvsadm view, starts in 5 s (Ctrl-C to skip)…`);
  await new Promise((r) => setTimeout(r, 5000));
}
let simulate = why !== undefined;
if (!simulate) {
  try {
    await runLabDirectorDemo();
  } catch (err) {
    // The lab is already torn down (runLabDirectorDemo's finally); show the simulation rather than fail.
    console.log(`\nThe real director could not run (${(err as Error).message}); a simulated director instead.`);
    simulate = true;
  }
}
if (simulate) await runDirectorDemo();
let haSimulated = why !== undefined;
if (!haSimulated) {
  try {
    await runHaDemoLab();
  } catch (err) {
    console.log(`\nThe real HA pair could not run (${(err as Error).message}); a simulated one instead.`);
    haSimulated = true;
  }
}
if (haSimulated) await runHaDemoSimulated();
