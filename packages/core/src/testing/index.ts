/**
 * Test support for Baton and for store adapters: a fake clock, a seeded
 * random source, and the conformance suite every store must pass.
 *
 * @example
 * import { conformance, register } from '@baton/core/testing';
 * describe('my store', () => register(conformance({ open, reopen }), it));
 *
 * @module @baton/core/testing
 */
import type { ConformanceCase, StoreHarness } from './harness.ts';
import { schedulerConformance } from './scheduler-conformance.ts';
import { storeConformance } from './store-conformance.ts';

export { FakeClock } from './fake-clock.ts';
export { SeededRandom } from './seeded-random.ts';
export { Rig, START_MS } from './rig.ts';
export { register, type ConformanceCase, type StoreHarness } from './harness.ts';
export { storeConformance, sampleRecord } from './store-conformance.ts';
export { schedulerConformance } from './scheduler-conformance.ts';
export { AssertionError, ok, equal, deepEqual, rejects } from './assert.ts';

/** Every conformance case: the store contract, then scheduler behaviour on the store. */
export function conformance(harness: StoreHarness): ConformanceCase[] {
  return [
    ...storeConformance(harness).map((c) => ({ ...c, name: `store: ${c.name}` })),
    ...schedulerConformance(harness).map((c) => ({ ...c, name: `scheduler: ${c.name}` })),
  ];
}
