/**
 * Process plumbing for the lab: running `ip` and friends (async and sync), telling whether a PID is still
 * the process we think it is (start time from /proc, so a reused PID is never mistaken for ours), and ending
 * processes by PID (SIGTERM, grace period, SIGKILL, wait). It must never look processes up by name or signal
 * a PID whose start time does not match what we recorded.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LvsError } from '@lvskit/base';

/** What a finished command produced. */
export interface CommandResult {
  /** Standard output, UTF-8. */
  readonly stdout: string;
  /** Standard error, UTF-8. */
  readonly stderr: string;
  /** Exit status (0 on success). */
  readonly code: number;
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  /** Kill the command (SIGKILL) after this many milliseconds. Default 10 000. */
  readonly timeoutMs?: number;
  /** Throw `NETLAB_COMMAND_FAILED` on a non-zero exit. Default true. */
  readonly check?: boolean;
  /** Text written to the command's standard input. */
  readonly input?: string;
}

const MAX_BUFFER = 16 * 1024 * 1024;

/** Runs `argv` (no shell) and collects its output. */
export function runCommand(argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new LvsError('INVALID_ARGUMENT', 'netlab: empty argv'));
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_BUFFER, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve({ stdout, stderr, code: 0 });
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        if (e.killed === true) {
          reject(new LvsError('NETLAB_TIMEOUT', `netlab: \`${argv.join(' ')}\` timed out after ${timeoutMs} ms`));
          return;
        }
        const code = typeof e.code === 'number' ? e.code : 127;
        if (options.check === false) {
          resolve({ stdout, stderr, code });
          return;
        }
        reject(
          new LvsError(
            'NETLAB_COMMAND_FAILED',
            `netlab: \`${argv.join(' ')}\` exited ${code}: ${(stderr || stdout || e.message).trim()}`,
            { cause: err },
          ),
        );
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Synchronous twin of {@link runCommand} for exit hooks, where nothing asynchronous runs any more. */
export function runCommandSync(argv: readonly string[], options: RunOptions = {}): CommandResult {
  const [file, ...args] = argv;
  if (file === undefined) throw new LvsError('INVALID_ARGUMENT', 'netlab: empty argv');
  try {
    const stdout = execFileSync(file, args, {
      timeout: options.timeoutMs ?? 10_000,
      killSignal: 'SIGKILL',
      maxBuffer: MAX_BUFFER,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.input === undefined ? {} : { input: options.input }),
    });
    return { stdout, stderr: '', code: 0 };
  } catch (err) {
    const e = err as { status?: number | null; stdout?: string; stderr?: string; message: string };
    const result = { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: e.status ?? 127 };
    if (options.check === false) return result;
    throw new LvsError(
      'NETLAB_COMMAND_FAILED',
      `netlab: \`${argv.join(' ')}\` exited ${result.code}: ${(result.stderr || e.message).trim()}`,
      { cause: err },
    );
  }
}

/**
 * The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined when the
 * process does not exist or is a zombie (a zombie has exited; only its parent's wait is missing).
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
  return rest[19];
}

/** True when `pid` is alive and, if `start` is given, is still the process that started at `start`. */
export function isSameProcess(pid: number, start?: string): boolean {
  const now = processStartTime(pid);
  return now !== undefined && (start === undefined || now === start);
}

/** A process to end: its PID and, when known, the start time that proves it is still the one we mean. */
export interface PidRecord {
  /** Process id. */
  readonly pid: number;
  /** Start time from /proc/<pid>/stat, or undefined to trust the PID (only for PIDs just listed). */
  readonly start?: string | undefined;
}

function signal(rec: PidRecord, sig: NodeJS.Signals): void {
  if (!isSameProcess(rec.pid, rec.start)) return;
  try {
    process.kill(rec.pid, sig);
  } catch {
    // Exited between the check and the signal: nothing to do.
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/**
 * Ends processes by PID: SIGTERM, up to `graceMs` for them to exit, then SIGKILL and up to 2 s more.
 * Synchronous (it also serves exit hooks, where no event loop runs); a zombie child counts as ended, so
 * blocking the loop does not stop it from noticing our own children exit. Returns the PIDs still alive
 * afterwards (normally none).
 */
export function terminate(records: readonly PidRecord[], graceMs = 2000): number[] {
  const withStart = records.map((r) => ({ pid: r.pid, start: r.start ?? processStartTime(r.pid) }));
  const alive = () => withStart.filter((r) => r.start !== undefined && isSameProcess(r.pid, r.start));
  for (const r of alive()) signal(r, 'SIGTERM');
  for (const [sig, wait] of [
    ['SIGKILL', graceMs],
    [undefined, 2000],
  ] as const) {
    const until = Date.now() + wait;
    while (alive().length > 0 && Date.now() < until) sleepSync(10);
    if (sig !== undefined) for (const r of alive()) signal(r, sig);
  }
  return alive().map((r) => r.pid);
}
