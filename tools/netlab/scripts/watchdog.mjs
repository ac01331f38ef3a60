// netlab's crash watchdog: started detached (own session) by a lab with a pipe on its standard input. When
// that pipe closes, the owner is gone or has torn down. If the lab's state file is still there and its owner
// is dead (a SIGKILL skipped every exit hook), this removes the lab as the sweeper would: end every process
// in the lab's namespaces by PID (SIGTERM, then SIGKILL), delete the namespaces, remove the state file.
// Plain JavaScript so it needs no loader. It must never touch a namespace without the lab's own prefix, nor
// a lab whose owner is alive.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const prefix = process.argv[2] ?? '';
if (!/^lvsk[0-9a-f]{6}-$/.test(prefix)) process.exit(2);
const statePath = `/run/lvskit-netlab/${prefix}.json`;

function startTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[0] === 'Z' || rest[0] === 'X' ? undefined : rest[19];
  } catch {
    return undefined;
  }
}
function run(args) {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function cleanup() {
  let state;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch {
    return; // torn down properly, or swept already
  }
  // The owner may still be running its own exit hooks: give it a moment to finish or die.
  for (let i = 0; i < 50 && startTime(state.ownerPid) === state.ownerStart; i++) await sleep(100);
  if (startTime(state.ownerPid) === state.ownerStart) return;
  const namespaces = run(['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n?.startsWith(prefix));
  const victims = (state.pids ?? []).filter((p) => startTime(p.pid) === p.start);
  for (const ns of namespaces) {
    for (const pid of run(['netns', 'pids', ns]).split(/\s+/).filter(Boolean).map(Number)) {
      const start = startTime(pid);
      if (start !== undefined) victims.push({ pid, start });
    }
  }
  const alive = () => victims.filter((v) => startTime(v.pid) === v.start);
  const signal = (sig) => {
    for (const v of alive()) {
      try {
        process.kill(v.pid, sig);
      } catch {}
    }
  };
  signal('SIGTERM');
  for (let i = 0; i < 100 && alive().length > 0; i++) await sleep(20);
  signal('SIGKILL');
  for (let i = 0; i < 100 && alive().length > 0; i++) await sleep(20);
  for (const ns of namespaces) run(['netns', 'del', ns]);
  rmSync(statePath, { force: true });
}

let started = false;
function onClose() {
  if (started) return;
  started = true;
  cleanup().finally(() => process.exit(0));
}
process.stdin.on('end', onClose);
process.stdin.on('close', onClose);
process.stdin.on('error', onClose);
process.stdin.resume();
