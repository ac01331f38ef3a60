/**
 * The one typed event emitter of lvskit: listeners keyed by an interface map, `on()` returning its own
 * unsubscribe function, and payloads built only when someone listens (`emitWith`), so an event nobody
 * listens to costs one map lookup. A listener that throws never breaks the emitter's owner: its error is
 * rethrown from a microtask (an uncaught exception, as Node's own emitter would make it).
 */

/** A listener of event `K` of map `M`. */
export type Listener<M, K extends keyof M> = (event: M[K]) => void;

/** An emitter over an event map `M` (event name → payload type). Owners extend it and call `emit`. */
export class TypedEmitter<M extends object> {
  readonly #listeners = new Map<keyof M, Set<(event: never) => void>>();

  /**
   * Subscribes to one event.
   * @returns a function that unsubscribes (calling it twice is harmless)
   */
  on<K extends keyof M>(name: K, listener: Listener<M, K>): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    const fn = listener as (event: never) => void;
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  /** Subscribes for the next occurrence only; returns an unsubscribe function. */
  once<K extends keyof M>(name: K, listener: Listener<M, K>): () => void {
    const off = this.on(name, (event) => {
      off();
      listener(event);
    });
    return off;
  }

  /** True when someone listens to `name`. */
  listens(name: keyof M): boolean {
    const set = this.#listeners.get(name);
    return set !== undefined && set.size > 0;
  }

  /** Delivers `event` to every listener of `name`, in subscription order. */
  protected emit<K extends keyof M>(name: K, event: M[K]): void {
    const set = this.#listeners.get(name);
    if (!set || set.size === 0) return;
    for (const fn of [...set]) {
      try {
        (fn as Listener<M, K>)(event);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  /** Builds the payload with `build` and delivers it, only when someone listens to `name`. */
  protected emitWith<K extends keyof M>(name: K, build: () => M[K]): void {
    if (this.listens(name)) this.emit(name, build());
  }

  /** Drops every listener (an owner's `close()`/`stop()` may call it). */
  protected removeAllListeners(): void {
    this.#listeners.clear();
  }
}
