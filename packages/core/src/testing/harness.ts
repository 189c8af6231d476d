import type { Store } from '../store.ts';

/** How the conformance suite gets stores from an adapter. */
export interface StoreHarness {
  /** A new, empty store. */
  open(): Promise<Store>;
  /**
   * The same data through a new connection, as after a crash or reload.
   * Stores that live in memory return the same instance.
   */
  reopen(store: Store): Promise<Store>;
  /** Releases a store opened by this harness. */
  close?(store: Store): Promise<void>;
}

export interface ConformanceCase {
  readonly name: string;
  readonly run: () => Promise<void>;
}

/** Registers cases with a test runner: `register(cases, it)`. */
export function register(cases: readonly ConformanceCase[], it: (name: string, fn: () => Promise<void>) => void): void {
  for (const c of cases) it(c.name, c.run);
}
