/**
 * The one port through which lvskit runs programs — notify scripts, tracking scripts, MISC_CHECK/external
 * checks, real-server helpers (`ip`, `sysctl`) — and its production implementation over `execFile`: an argv,
 * no shell, a timeout that kills the child. Must never run a command through a shell or find a process by
 * name; a child is ended by its PID only.
 */
import { execFile, spawn } from 'node:child_process';
import { checkDelay, systemClock } from './clock.js';

/** The outcome of one command. */
export interface CommandOutcome {
  /** Exit code; non-zero on failure, 127 when the program could not be started, −1 when killed. */
  readonly code: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error (or why the program could not be started). */
  readonly stderr: string;
  /** True when the timeout expired and the child was killed. */
  readonly timedOut: boolean;
}

/** Options of one command. */
export interface CommandOptions {
  /** Kill the child (SIGKILL, by PID) after this many ms; default 10,000. */
  readonly timeoutMs?: number;
  /** Extra environment variables, added to the parent's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Aborting kills the child. */
  readonly signal?: AbortSignal;
  /**
   * Run the child in a process group of its own and end the whole group, as keepalived ends a script that
   * outlives its timeout (check_misc.c: `kill(-pid, SIGTERM)`, then `SIGKILL` a second later, and `SIGKILL`
   * to the group once the script itself has died, so its background children die too). Without it only the
   * child is killed, by PID, and a grandchild holding the output pipes keeps the command from finishing.
   */
  readonly processGroup?: boolean;
}

/** Runs one command (`argv[0]` is the program) and resolves with its outcome; never rejects. */
export type CommandRunner = (argv: readonly string[], options?: CommandOptions) => Promise<CommandOutcome>;

/** Default timeout of {@link execCommand}, ms. */
export const COMMAND_TIMEOUT_MS = 10_000;

/** How long the output of a process-group command is read after it exited, at most, ms. */
const GROUP_PIPE_DRAIN_MS = 100;

/** How long a process group has after SIGTERM before SIGKILL (keepalived's 1 s), ms. */
export const GROUP_KILL_GRACE_MS = 1_000;

/**
 * Runs commands with `execFile` (no shell); a timeout or an abort kills the child by PID — or, with
 * `processGroup`, its whole process group (see {@link CommandOptions.processGroup}).
 */
export const execCommand: CommandRunner = (argv, options = {}) =>
  new Promise((resolve) => {
    if (argv.length === 0 || typeof argv[0] !== 'string' || argv[0] === '') {
      resolve({ code: 127, stdout: '', stderr: 'no program given', timedOut: false });
      return;
    }
    if (options.processGroup === true) {
      runInGroup(argv, options, resolve);
      return;
    }
    const timeout = checkDelay(options.timeoutMs ?? COMMAND_TIMEOUT_MS, 'command timeout');
    execFile(
      argv[0],
      argv.slice(1),
      {
        timeout,
        killSignal: 'SIGKILL',
        encoding: 'utf8',
        maxBuffer: 4 * 1024 * 1024,
        ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve({ code: 0, stdout, stderr, timedOut: false });
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string; signal?: string };
        const killed = e.killed === true || e.signal != null;
        const code = typeof e.code === 'number' ? e.code : killed ? -1 : 127;
        resolve({
          code,
          stdout: stdout ?? '',
          stderr: stderr || (typeof e.code !== 'number' ? String(e.message) : ''),
          timedOut: killed && e.name !== 'AbortError',
        });
      },
    );
  });

/** Signals a whole process group; false when it is gone (or not ours). */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

function runInGroup(argv: readonly string[], options: CommandOptions, resolve: (o: CommandOutcome) => void): void {
  const timeout = checkDelay(options.timeoutMs ?? COMMAND_TIMEOUT_MS, 'command timeout');
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let done = false;
  const child = spawn(argv[0] as string, argv.slice(1), {
    // Its own session and so its own process group (pgid = pid): the group can be ended as one.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
  });
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (stdout.length < 4 * 1024 * 1024) stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4 * 1024 * 1024) stderr += d;
  });
  let grace: { cancel(): void } | undefined;
  const end = (why: 'timeout' | 'abort') => {
    if (done || child.pid === undefined) return;
    timedOut = why === 'timeout';
    signalGroup(child.pid, 'SIGTERM');
    grace = systemClock.setTimeout(() => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, GROUP_KILL_GRACE_MS);
  };
  const timer = systemClock.setTimeout(() => end('timeout'), timeout);
  const onAbort = () => end('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const finish = (outcome: CommandOutcome) => {
    if (done) return;
    done = true;
    timer.cancel();
    grace?.cancel();
    options.signal?.removeEventListener('abort', onAbort);
    resolve(outcome);
  };
  child.on('error', (err) => finish({ code: 127, stdout, stderr: stderr || err.message, timedOut: false }));
  // The outcome is the script's exit; its output is read until the pipes close, or for at most
  // GROUP_PIPE_DRAIN_MS after the exit (a grandchild may hold them open). Whatever the script left behind
  // in its group after a timeout or a signal is killed now, as keepalived does once the script has died.
  child.on('exit', (code, signal) => {
    if (child.pid !== undefined && (timedOut || signal !== null)) signalGroup(child.pid, 'SIGKILL');
    const outcome = () => ({ code: code ?? -1, stdout, stderr, timedOut });
    const drain = systemClock.setTimeout(() => {
      child.stdout.destroy();
      child.stderr.destroy();
      finish(outcome());
    }, GROUP_PIPE_DRAIN_MS);
    child.on('close', () => {
      drain.cancel();
      finish(outcome());
    });
  });
}
