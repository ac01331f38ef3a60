/**
 * A director process for lab tests: `run-director.ts CONFIG.json` creates the director from the file, starts
 * it, prints `ready`, then one JSON line per event (`{"event": name, ...payload}`). SIGHUP reloads the file
 * (printing `reloaded` or `reload refused: …`), SIGTERM stops it cleanly. Runs inside a lab namespace.
 */
import { readFileSync } from 'node:fs';
import { createDirector, type DirectorConfig, type DirectorEvents } from '../../src/index.js';

const file = process.argv[2]!;
const read = () => JSON.parse(readFileSync(file, 'utf8')) as DirectorConfig;
const director = createDirector(read());
const events: (keyof DirectorEvents)[] = [
  'serving',
  'vrrpTransition',
  'realServerUp',
  'realServerDown',
  'quorumUp',
  'quorumDown',
  'tableChanged',
  'warning',
  'error',
];
for (const name of events) {
  director.on(name, (e) => {
    const payload = name === 'error' ? { message: (e as DirectorEvents['error']).error.message } : e;
    console.log(JSON.stringify({ event: name, ...payload }));
  });
}
await director.start();
console.log('ready');
process.on('SIGHUP', () => {
  director.reload(read()).then(
    (changes) => console.log(`reloaded ${changes.length}`),
    (err: Error) => console.log(`reload refused: ${err.message}`),
  );
});
process.once('SIGTERM', () => {
  void director.stop().then(() => process.exit(0));
});
