/**
 * Types for the untyped `wrr-pool` package, only the part the benchmark uses. Declarations only.
 */
declare module 'wrr-pool' {
  /** The LVS knowledge-base weighted round robin pool. */
  export default class WRRPool<T = unknown> {
    add(value: T, weight: number): void;
    next(): T | null;
  }
}
