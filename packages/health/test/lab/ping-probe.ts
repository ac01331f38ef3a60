/**
 * Runs inside a lab namespace (`ip netns exec … node --import tsx ping-probe.ts <host> <timeoutMs>`): one
 * PING_CHECK, its result printed as JSON. Exists because the checker must run where the route is.
 */
import { pingCheck } from '../../src/index.js';

const [host = '', ms = '1000'] = process.argv.slice(2);
const r = await pingCheck({ host }).check(AbortSignal.timeout(Number(ms)));
process.stdout.write(`${JSON.stringify(r)}\n`);
