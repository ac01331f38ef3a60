/**
 * The narrow port through which real-server helpers run system commands (`ip`, `sysctl`), and its
 * production implementation over `execFile` (no shell). Helpers never spawn processes any other way, so
 * unit tests drive them with a recording fake. Must never run a command through a shell or by name lookup
 * of a process.
 */
import { execFile } from 'node:child_process';

/** The outcome of one command. */
export interface CommandOutcome {
  /** Exit code (non-zero on failure; 127 when the program could not be started). */
  readonly code: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
}

/** Runs one command (argv[0] is the program) and resolves with its outcome; never rejects. */
export type CommandRunner = (argv: readonly string[]) => Promise<CommandOutcome>;

/** Runs commands with `execFile` (no shell), 10 s timeout each. */
export const execCommand: CommandRunner = (argv) =>
  new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: 10_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 127;
      resolve({ code, stdout, stderr: stderr || (err && typeof err.code !== 'number' ? String(err.message) : '') });
    });
  });
