/** Randomness, injected: `next()` returns a float in [0, 1). */
export interface Random {
  next(): number;
}

/**
 * Builds a `Random` from a host source such as `Math.random`; the core
 * never calls one itself.
 */
export function createRandom(next: () => number): Random {
  return { next };
}
