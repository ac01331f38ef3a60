/**
 * Helpers every checker uses to keep its promise of never throwing: run the protocol body, map a returned
 * verdict or a thrown error to a {@link CheckResult} with the elapsed time. No protocol logic lives here.
 */
import { type CheckResult, errorMessage, result } from '../types.js';

/** A protocol body's verdict: ok with a message, or a failure message. */
export type CheckVerdict = { readonly ok: boolean; readonly message: string; readonly weight?: number };

/** Run `body`; any throw (including an abort) becomes `{ ok: false }`. */
export async function guarded(signal: AbortSignal, body: () => Promise<CheckVerdict>): Promise<CheckResult> {
  const started = performance.now();
  try {
    if (signal.aborted) return result(false, `aborted: ${errorMessage(signal.reason)}`, started);
    const v = await body();
    return result(v.ok, v.message, started, v.weight);
  } catch (err) {
    const msg = signal.aborted ? `aborted: ${errorMessage(signal.reason)}` : errorMessage(err);
    return result(false, msg, started);
  }
}
