/**
 * Test support for Baton and for store adapters: a fake clock, a seeded
 * random source, and the conformance suite every store must pass.
 *
 * @example
 * import { conformance, register } from '@baton/core/testing';
 * describe('my store', () => register(conformance({ open, reopen }), { describe, it }));
 *
 * @module @baton/core/testing
 */
import { claimOrder } from './conformance/claim-order.ts';
import { dependencies } from './conformance/dependencies.ts';
import { idempotency } from './conformance/idempotency.ts';
import { leases } from './conformance/leases.ts';
import { lifecycle } from './conformance/lifecycle.ts';
import { observability } from './conformance/observability.ts';
import { offline } from './conformance/offline.ts';
import { orderingKeys } from './conformance/ordering-keys.ts';
import { deadLetterRetry } from './conformance/dead-letter-retry.ts';
import { boundedStorage } from './conformance/bounded-storage.ts';
import { resources } from './conformance/resources.ts';
import { retries } from './conformance/retries.ts';
import { schedules } from './conformance/schedules.ts';
import { workflows } from './conformance/workflows.ts';
import { storeContract } from './conformance/store-contract.ts';
import type { ConformanceGroup, StoreHarness } from './harness.ts';

export { FakeClock } from './fake-clock.ts';
export { SeededRandom } from './seeded-random.ts';
export { Rig, START_MS } from './rig.ts';
export { register, type ConformanceCase, type ConformanceGroup, type StoreHarness } from './harness.ts';
export { sampleRecord } from './conformance/sample-record.ts';
export {
  storeContract,
  lifecycle,
  claimOrder,
  orderingKeys,
  retries,
  deadLetterRetry,
  dependencies,
  boundedStorage,
  idempotency,
  leases,
  resources,
  offline,
  observability,
};
export { AssertionError, ok, equal, deepEqual, rejects } from './assert.ts';

/** Every conformance group: the store contract, then scheduler behaviour on the store, one group per concept. */
export function conformanceGroups(harness: StoreHarness): ConformanceGroup[] {
  return [
    storeContract(harness),
    lifecycle(harness),
    claimOrder(harness),
    orderingKeys(harness),
    retries(harness),
    deadLetterRetry(harness),
    dependencies(harness),
    idempotency(harness),
    leases(harness),
    resources(harness),
    offline(harness),
    observability(harness),
    boundedStorage(harness),
    schedules(harness),
    workflows(harness),
  ];
}

/** The whole suite, as `conformanceGroups`: what `register` takes. */
export function conformance(harness: StoreHarness): ConformanceGroup[] {
  return conformanceGroups(harness);
}
