/**
 * Test helpers for lvsadm: an output sink that keeps what is written, and one lvsadm invocation against a
 * control socket with its exit status and output.
 */
import { runLvsadm } from '../src/index.js';

/** A writable that keeps its text. */
export function sink(): { text: string; write(c: string): boolean } {
  const out = {
    text: '',
    write(c: string) {
      out.text += c;
      return true;
    },
  };
  return out;
}

/** Runs `lvsadm argv` against the control socket at `socket`. */
export async function lvsadm(
  socket: string,
  argv: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await runLvsadm(argv, { stdout, stderr, socket, ...(stdin !== undefined ? { stdin } : {}) });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
