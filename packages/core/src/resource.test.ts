import { describe, expect, it } from 'vitest';
import { admit, freshResource, RECOVERED_STREAK, recordOutcome, type ResourceOptions, type ResourceState } from './resource.ts';
import { SeededRandom } from './testing/seeded-random.ts';

const options: ResourceOptions = {
  breaker: { kind: 'consecutive', threshold: 2, openMs: 1_000 },
  retryBudget: { ratio: 0.1, windowMs: 10_000, minRetries: 1 },
};
const random = new SeededRandom(1);

/** Calls `name` once at `nowMs` as a retry (or not), with the outcome given; returns the state after. */
function call(state: ResourceState, nowMs: number, retry: boolean, healthy: boolean): ResourceState {
  const { state: admitted, decision } = admit(options, state, 'api', nowMs, retry, random);
  if (!decision.allow) throw new Error(`refused: ${decision.reason}`);
  return recordOutcome(options, admitted, nowMs, healthy, decision.probe);
}

describe('a resource with a breaker and a retry budget', () => {
  it('lets the breaker probe through a spent budget, and lifts the budget once the probe comes back healthy', () => {
    let s = freshResource(options, 0);
    s = call(s, 0, false, false);
    s = call(s, 10, true, false); // the budget's floor: one retry; the breaker opens on the second failure
    const spent = admit(options, s, 'api', 20, true, random).decision;
    expect(spent.allow).toBe(false); // open
    const probe = admit(options, s, 'api', 1_100, true, random);
    expect(probe.decision).toEqual({ allow: true, probe: true }); // half-open: the probe goes, budget spent or not
    s = recordOutcome(options, probe.state, 1_110, true, true);
    expect(s.streak).toBe(RECOVERED_STREAK);
    expect(admit(options, s, 'api', 1_120, true, random).decision.allow).toBe(true); // recovered: retries flow
  });
});
