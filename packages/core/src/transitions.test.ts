import { describe, expect, it } from 'vitest';
import { isBatonError } from './errors.ts';
import { JobState } from './job.ts';
import { transition } from './records.ts';
import { sampleRecord } from './testing/index.ts';
import { assertTransition, isLegalTransition } from './transitions.ts';

describe('the transition table', () => {
  it('lets terminal states go nowhere but a manual retry of a failure', () => {
    for (const to of Object.values(JobState)) {
      expect(isLegalTransition(JobState.succeeded, to)).toBe(false);
      expect(isLegalTransition(JobState.cancelled, to)).toBe(false);
    }
    expect(isLegalTransition(JobState.failed, JobState.ready)).toBe(true);
    expect(isLegalTransition(JobState.failed, JobState.running)).toBe(false);
  });

  it('throws a typed error for an illegal transition', () => {
    try {
      assertTransition('j1', JobState.waiting, JobState.running);
      expect.unreachable();
    } catch (error) {
      expect(isBatonError(error, 'illegal-transition')).toBe(true);
      expect((error as Error).message).toBe('Job j1 cannot go from `waiting` to `running`');
    }
  });

  it('bumps the version and appends to the audit trail', () => {
    const job = sampleRecord();
    const next = transition(job, JobState.running, 2000, { code: 'claimed' }, { attempt: 1, dueAtMs: 32_000 });
    expect(next.version).toBe(job.version + 1);
    expect(next.history.at(-1)).toEqual({ from: 'ready', to: 'running', atMs: 2000, attempt: 1, cause: { code: 'claimed' } });
    expect(job.history).toHaveLength(1); // the old record is untouched
    expect(next.dueAtMs).toBe(32_000);
  });

  it('sets the timer of a live job to its deadline', () => {
    const job = sampleRecord({ deadlineAtMs: 9000 });
    expect(transition(job, JobState.cancelled, 2000, { code: 'cancelled' }).dueAtMs).toBeNull();
    const scheduled = transition({ ...sampleRecord({ deadlineAtMs: 9000, runAtMs: 12_000 }), state: JobState.running }, JobState.scheduled, 2000, {
      code: 'retry',
    });
    expect(scheduled.dueAtMs).toBe(9000);
  });
});
