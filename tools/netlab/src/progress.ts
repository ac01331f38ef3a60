/**
 * Progress of long work — lab set-up, the demo, benchmark runs — as one line on standard error, rewritten in
 * place while the work goes on (`\r`, erase line), cut to the terminal's width and erased when the work is
 * done. Only when standard error is a terminal (`isTTY`): in CI, in a pipe or under a test runner it writes
 * nothing at all, so output other programs read stays exactly as it was. It must never write to standard
 * output, and never leave a partial line behind once `done()` ran.
 */
import { type Clock, LvsError, systemClock } from '@lvskit/base';

/** Where a {@link Progress} line goes: what it needs of a `tty.WriteStream`. */
export interface ProgressStream {
  /** True on a terminal; the line is drawn only then. */
  readonly isTTY?: boolean;
  /** Terminal width in characters; the line is cut to one less. */
  readonly columns?: number;
  /** Writes text. */
  write(chunk: string): unknown;
}

/** Options of {@link progress}. */
export interface ProgressOptions {
  /** Number of steps, shown as `[done/total]`; without it only the step count. */
  readonly total?: number;
  /** Default `process.stderr`. */
  readonly stream?: ProgressStream;
  /** For the elapsed time shown; default base's `systemClock`. */
  readonly clock?: Pick<Clock, 'now'>;
}

// CSI 2K erases the whole line (ECMA-48 §8.3.41 EL); \r returns to its start.
const ERASE = '\r\x1b[2K';

/** One updating line for one piece of long work; see {@link progress}. */
export class Progress {
  /** What the work is, the start of every line, e.g. `netlab: building the lab`. */
  readonly label: string;
  readonly #stream: ProgressStream;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #total: number | undefined;
  readonly #start: number;
  #steps = 0;
  #drawn = false;
  #done = false;

  /** @see {@link progress} */
  constructor(label: string, options: ProgressOptions = {}) {
    if (typeof label !== 'string') throw new LvsError('INVALID_ARGUMENT', 'progress: label must be a string');
    const total = options.total;
    if (total !== undefined && (!Number.isInteger(total) || total < 0)) {
      throw new LvsError('INVALID_ARGUMENT', `progress: total must be a whole number ≥ 0, not ${total}`);
    }
    this.label = label;
    this.#stream = options.stream ?? process.stderr;
    this.#clock = options.clock ?? systemClock;
    this.#total = total;
    this.#start = this.#clock.now();
  }

  /** True when lines are drawn: the stream is a terminal. */
  get visible(): boolean {
    return this.#stream.isTTY === true;
  }

  /** Steps counted so far by {@link Progress.step}. */
  get steps(): number {
    return this.#steps;
  }

  /** Counts one step and shows `text` as what is being done now. */
  step(text: string): void {
    this.#steps++;
    this.update(text);
  }

  /** Shows `text` without counting a step (e.g. a figure that changes within one step). */
  update(text: string): void {
    if (this.#done || !this.visible) return;
    const count =
      this.#total !== undefined ? ` [${Math.min(this.#steps, this.#total)}/${this.#total}]` : ` [${this.#steps}]`;
    const seconds = ((this.#clock.now() - this.#start) / 1000).toFixed(1);
    let line = `${this.label}${count} ${text} (${seconds} s)`;
    const width = this.#stream.columns;
    if (width !== undefined && width > 1 && line.length > width - 1) line = `${line.slice(0, width - 2)}…`;
    this.#stream.write(`${ERASE}${line}`);
    this.#drawn = true;
  }

  /** Erases the line so that other output can follow; the next update draws it again. */
  clear(): void {
    if (!this.#drawn) return;
    this.#stream.write(ERASE);
    this.#drawn = false;
  }

  /** The work is over: erases the line; later calls draw nothing. Idempotent. */
  done(): void {
    this.clear();
    this.#done = true;
  }
}

/**
 * Starts a progress line for long work: drawn on standard error when it is a terminal, nothing at all
 * otherwise. Call `step()` as the work advances and `done()` (in a `finally`) when it ends.
 * @example
 * const p = progress('netlab: building the lab', { total: hosts.length });
 * try { for (const h of hosts) { p.step(`host ${h}`); await lab.addHost(h); } } finally { p.done(); }
 */
export function progress(label: string, options: ProgressOptions = {}): Progress {
  return new Progress(label, options);
}
