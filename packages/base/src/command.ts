/**
 * The one port through which lvskit runs programs — notify scripts, tracking scripts, MISC_CHECK/external
 * checks, real-server helpers (`ip`, `sysctl`) — and its production implementation over `execFile`: an argv,
 * no shell, a timeout that kills the child. Must never run a command through a shell or find a process by
 * name; a child is ended by its PID only.
 */
import { execFile } from 'node:child_process';
import { checkDelay } from './clock.js';

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
}

/** Runs one command (`argv[0]` is the program) and resolves with its outcome; never rejects. */
export type CommandRunner = (argv: readonly string[], options?: CommandOptions) => Promise<CommandOutcome>;

/** Default timeout of {@link execCommand}, ms. */
export const COMMAND_TIMEOUT_MS = 10_000;

/** Runs commands with `execFile` (no shell); a timeout or an abort kills the child by PID. */
export const execCommand: CommandRunner = (argv, options = {}) =>
  new Promise((resolve) => {
    if (argv.length === 0 || typeof argv[0] !== 'string' || argv[0] === '') {
      resolve({ code: 127, stdout: '', stderr: 'no program given', timedOut: false });
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
