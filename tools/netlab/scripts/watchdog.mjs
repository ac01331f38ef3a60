// netlab's crash watchdog, one per lab. It watches the lab's owner process (PID + start time, polled from
// /proc) and the lab's state file; when the owner is gone and the state file is still there (a SIGKILL or a
// killed process tree skipped every exit hook), it removes the lab as the sweeper would: end every process in
// the lab's namespaces by PID (SIGTERM, then SIGKILL), delete the namespaces, remove the state file. When the
// state file goes away (the owner tore down), it exits.
//
// It must outlive whatever kills the test run: the owner starts it as `watchdog.mjs --daemonize`, which starts
// the real watchdog in a session of its own (setsid), with no pipe to anyone, prints its PID and start time and
// exits at once. So the watchdog is in no process group, session or process tree of the run (its parent is
// init, or the nearest subreaper, from the first moment), and no pipe of the owner keeps it alive or ends it.
// Plain JavaScript so it needs no loader. It must never touch a namespace without the lab's own prefix, nor a
// lab whose owner is alive, and ends processes only by PID after checking their start time.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const POLL_MS = 200;
const args = process.argv.slice(2);
const daemonize = args[0] === '--daemonize';
const [prefix = '', ownerPid = '', ownerStart = ''] = daemonize ? args.slice(1) : args;
if (!/^lvsk[0-9a-f]{6}-$/.test(prefix) || !/^\d+$/.test(ownerPid) || !/^\d+$/.test(ownerStart)) process.exit(2);
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

if (daemonize) {
  // The intermediate: start the watchdog detached (setsid), report it, and exit so it is reparented at once.
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), prefix, ownerPid, ownerStart], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  const pid = child.pid ?? 0;
  process.stdout.write(`${JSON.stringify({ pid, start: pid > 0 ? startTime(pid) : undefined })}\n`);
  process.exit(pid > 0 ? 0 : 1);
}

function run(argv) {
  try {
    return execFileSync('ip', argv, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ownerAlive = () => startTime(Number(ownerPid)) === ownerStart;

async function cleanup() {
  let state;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch {
    return; // torn down properly, or swept already
  }
  // The state file must still name the owner we watch: never act on a lab that is not the one we were started for.
  if (String(state.ownerPid) !== ownerPid || state.ownerStart !== ownerStart) return;
  const namespaces = run(['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n?.startsWith(prefix));
  const victims = (Array.isArray(state.pids) ? state.pids : []).filter(
    (p) => p && typeof p.start === 'string' && startTime(p.pid) === p.start,
  );
  for (const ns of namespaces) {
    for (const pid of run(['netns', 'pids', ns]).split(/\s+/).filter(Boolean).map(Number)) {
      const start = startTime(pid);
      if (start !== undefined && pid !== process.pid) victims.push({ pid, start });
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
  for (let i = 0; i < 50 && alive().length > 0; i++) await sleep(20);
  signal('SIGKILL');
  for (let i = 0; i < 100 && alive().length > 0; i++) await sleep(20);
  for (const ns of namespaces) run(['netns', 'del', ns]);
  rmSync(statePath, { force: true });
}

// A signal (the owner's own destroy(), or someone ending every process) only makes it look again at once: it
// leaves when the lab is gone, cleans up when the owner is, and otherwise keeps watching.
let wake = () => {};
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => wake());

for (;;) {
  if (!existsSync(statePath)) process.exit(0);
  if (!ownerAlive()) break;
  await new Promise((r) => {
    const t = setTimeout(r, POLL_MS);
    wake = () => {
      clearTimeout(t);
      r();
    };
  });
}
await cleanup();
process.exit(0);
