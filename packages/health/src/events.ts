/**
 * A minimal typed event emitter: listeners keyed by an interface map, and emitting costs one map lookup
 * when nobody listens. It must never swallow a listener's error silently — it rethrows asynchronously so
 * one bad listener cannot break the runner's state.
 */

/** Listener function for event `K` of map `M`. */
export type Listener<M, K extends keyof M> = (event: M[K]) => void;

/** Typed emitter over an event map `M`. */
export class TypedEmitter<M> {
  readonly #listeners = new Map<keyof M, Set<(e: never) => void>>();

  /** Subscribe; returns an unsubscribe function. */
  on<K extends keyof M>(name: K, fn: Listener<M, K>): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(fn as (e: never) => void);
    return () => {
      set.delete(fn as (e: never) => void);
    };
  }

  /** True when someone listens to `name`. */
  listens(name: keyof M): boolean {
    const set = this.#listeners.get(name);
    return set !== undefined && set.size > 0;
  }

  /** Deliver `event` to every listener of `name`. */
  protected emit<K extends keyof M>(name: K, event: M[K]): void {
    const set = this.#listeners.get(name);
    if (!set || set.size === 0) return;
    for (const fn of set) {
      try {
        (fn as Listener<M, K>)(event);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
