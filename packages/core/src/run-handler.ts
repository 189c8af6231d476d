import type { Attempt } from './attempt.ts';
import { CauseCode } from './causes.ts';
import { type Classifier, classify } from './classify.ts';
import { ValidationError } from './errors.ts';
import { failure } from './failure.ts';
import { FailureKind } from './job.ts';
import { assertJson } from './json.ts';
import type { Outcome } from './leases.ts';
import type { Handler } from './options.ts';

/**
 * Runs a handler for an attempt and turns what it returns or throws into an
 * outcome: a JSON result, a result that is not JSON (a permanent failure),
 * or a classified failure. An attempt already settled (timed out,
 * cancelled, preempted, abandoned) reports nothing more.
 */
export function runHandler(
  handler: Handler | undefined,
  attempt: Attempt,
  nowMs: () => number,
  classifier: Classifier | undefined,
  report: (outcome: Outcome) => void,
): void {
  let result: Promise<unknown>;
  try {
    if (handler === undefined) throw new ValidationError('type', `No handler registered for job type ${JSON.stringify(attempt.record.type)}`);
    // Inside the attempt's trace when there is one, so what the handler calls nests under it.
    result =
      attempt.span === null
        ? Promise.resolve(handler(attempt.record.payload, attempt))
        : attempt.span.wrap(async () => handler(attempt.record.payload, attempt));
  } catch (error) {
    result = Promise.reject(error);
  }
  const settle = (outcome: Outcome): void => {
    if (attempt.settled) return;
    attempt.settled = true;
    // A handler that asked to sleep ends its attempt as a sleep, whatever it did after the request.
    if (attempt.joining !== null) report({ attempt, ok: 'sleep', untilMs: Number.POSITIVE_INFINITY, signal: null, join: attempt.joining });
    else if (attempt.sleepingUntil !== null) report({ attempt, ok: 'sleep', untilMs: attempt.sleepingUntil, signal: attempt.waitingForSignal, join: null });
    else report(outcome);
  };
  result.then(
    (value) => {
      const json = value === undefined ? null : value;
      try {
        assertJson(json, 'result');
        settle({ attempt, ok: true, result: json });
      } catch (invalid) {
        settle({ attempt, ok: false, failure: failure(FailureKind.permanent, CauseCode.invalidResult, (invalid as Error).message), deadline: false });
      }
    },
    (error: unknown) => settle({ attempt, ok: false, failure: classify(error, nowMs(), classifier), deadline: false }),
  );
}
