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

/** Conformance cases about one concept, such as leases or dependencies. */
export interface ConformanceGroup {
  readonly name: string;
  readonly cases: readonly ConformanceCase[];
}

/** Registers groups with a test runner, one `describe` per group: `register(groups, { describe, it })`. */
export function register(
  groups: readonly ConformanceGroup[],
  runner: { describe: (name: string, fn: () => void) => void; it: (name: string, fn: () => Promise<void>) => void },
): void {
  const { describe, it } = runner;
  for (const group of groups) {
    describe(group.name, () => {
      for (const c of group.cases) it(c.name, c.run);
    });
  }
}
