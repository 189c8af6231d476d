import { describe, expect, it } from 'vitest';
import { checkLedger, type EffectEntry, type LedgerCheck, type LedgerEntry, type RunEntry } from './ledger.ts';

// The chaos suites' verdict, shown able to fail: each broken promise, planted in a ledger, is named.
const run = (jobId: string, attempt: number, atMs: number, runner = 'r1', logical = jobId.replace('job', 'L')): RunEntry => ({
  kind: 'run',
  logical,
  jobId,
  attempt,
  runner,
  atMs,
});
const effect = (jobId: string, step: string, attempt: number, beganAtMs: number, runner = 'r1', logical = jobId.replace('job', 'L')): EffectEntry => ({
  kind: 'effect',
  logical,
  jobId,
  step,
  idempotencyKey: `baton:${jobId}:${step}`,
  attempt,
  runner,
  beganAtMs,
});
const clean = (jobId: string, t: number): LedgerEntry[] => [run(jobId, 1, t), effect(jobId, 'a', 1, t + 1), effect(jobId, 'b', 1, t + 2)];

function check(overrides: Partial<LedgerCheck>): readonly string[] {
  return checkLedger({
    accepted: ['L1', 'L2'],
    jobs: [
      { id: 'job1', state: 'succeeded', attempt: 1, logical: 'L1' },
      { id: 'job2', state: 'succeeded', attempt: 1, logical: 'L2' },
    ],
    entries: [...clean('job1', 0), ...clean('job2', 10)],
    steps: ['a', 'b'],
    ...overrides,
  }).violations;
}

describe('the exactly-once ledger check', () => {
  it('passes a run that kept its promises, counting a step repeated in a later attempt', () => {
    const report = checkLedger({
      accepted: ['L1'],
      jobs: [{ id: 'job1', state: 'succeeded', attempt: 2, logical: 'L1' }],
      entries: [run('job1', 1, 0), effect('job1', 'a', 1, 1), run('job1', 2, 5, 'r2'), effect('job1', 'a', 2, 6, 'r2'), effect('job1', 'b', 2, 7, 'r2')],
      steps: ['a', 'b'],
    });
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ accepted: 1, finished: 1, effects: 2, executions: 3, repeatedSteps: 1, runs: 2, lost: 0, duplicates: 0 });
  });

  it('names a lost job, an unfinished one and one that ended wrong', () => {
    expect(check({ jobs: [{ id: 'job2', state: 'succeeded', attempt: 1, logical: 'L2' }] })).toContain('lost: L1 was accepted and no job holds it');
    expect(
      check({
        jobs: [
          { id: 'job1', state: 'running', attempt: 1, logical: 'L1' },
          { id: 'job2', state: 'succeeded', attempt: 1, logical: 'L2' },
        ],
      }),
    ).toContain('lost: L1 (job1) never finished: still running');
    expect(check({ expectedState: (l) => (l === 'L1' ? 'failed' : 'succeeded') })).toContain('wrong end: L1 (job1) ended succeeded, designed to end failed');
  });

  it('names a duplicated job and an effect taken twice', () => {
    const jobs = [
      { id: 'job1', state: 'succeeded', attempt: 1, logical: 'L1' },
      { id: 'job1b', state: 'succeeded', attempt: 1, logical: 'L1' },
      { id: 'job2', state: 'succeeded', attempt: 1, logical: 'L2' },
    ];
    const violations = check({ jobs, entries: [...clean('job1', 0), ...clean('job2', 10), ...clean('job1b', 20).map((e) => ({ ...e, logical: 'L1' }))] });
    expect(violations).toContain('duplicated: L1 is 2 jobs (job1, job1b)');
    expect(violations).toContain('effect twice: L1 step a took effect 2 times (baton:job1:a, baton:job1b:a)');
  });

  it('names a missing effect and an effect no accepted job explains', () => {
    expect(check({ entries: [...clean('job1', 0), run('job2', 1, 10), effect('job2', 'a', 1, 11)] })).toContain('effect missing: L2 succeeded without step b');
    expect(check({ entries: [...clean('job1', 0), ...clean('job2', 10), ...clean('job3', 20)] })).toContain('effect without an accepted job: L3');
  });

  it('names two live runs: a step begun for an attempt after a newer one began, and a run that found another live', () => {
    const stale = [run('job1', 1, 0), run('job1', 2, 5, 'r2'), effect('job1', 'a', 1, 6), effect('job1', 'a', 2, 7, 'r2'), effect('job1', 'b', 2, 8, 'r2')];
    expect(
      check({
        entries: [...stale, ...clean('job2', 10)],
        jobs: [
          { id: 'job1', state: 'succeeded', attempt: 2, logical: 'L1' },
          { id: 'job2', state: 'succeeded', attempt: 1, logical: 'L2' },
        ],
      }),
    ).toContain('stale run acted: L1 (job1) began step a for attempt 1 on r1 1.0 ms after attempt 2 began on r2');
    const overlap: LedgerEntry = { kind: 'overlap', logical: 'L1', jobId: 'job1', attempt: 2, runner: 'r2' };
    expect(check({ entries: [...clean('job1', 0), overlap, ...clean('job2', 10)] })).toContain(
      'two live runs: L1 (job1) attempt 2 started while another run held it',
    );
  });

  it('names a step run twice in one attempt, an attempt started twice, and an attempt the record never had', () => {
    expect(check({ entries: [...clean('job1', 0), effect('job1', 'a', 1, 3), ...clean('job2', 10)] })).toContain(
      'step run twice in one attempt: L1 (job1) step a in attempt 1',
    );
    expect(check({ entries: [...clean('job1', 0), run('job1', 1, 4, 'r2'), ...clean('job2', 10)] })).toContain(
      'attempt started twice: L1 (job1) attempt 1, again on r2',
    );
    expect(check({ entries: [...clean('job1', 0), run('job1', 2, 4), ...clean('job2', 10)] })).toContain(
      'phantom attempt: L1 (job1) ran attempt 2; its record says 1',
    );
  });

  it('names a job of an ordering key that ran before the one admitted before it was done', () => {
    const interleaved = [run('job1', 1, 0), run('job2', 1, 1), ...clean('job2', 2).slice(1), effect('job1', 'a', 1, 5), effect('job1', 'b', 1, 6)];
    expect(check({ entries: interleaved, orderingKey: () => 'k' })).toContain('key k out of turn: L2 (job2) ran before L1 (job1), admitted first, was done');
    expect(check({ entries: interleaved })).toEqual([]);
  });

  it('holds a submit that was never answered to one job or none', () => {
    const jobs = [
      { id: 'job1', state: 'succeeded', attempt: 1, logical: 'L1' },
      { id: 'job2', state: 'succeeded', attempt: 1, logical: 'L2' },
      { id: 'job3', state: 'succeeded', attempt: 1, logical: 'L3' },
      { id: 'job3b', state: 'succeeded', attempt: 1, logical: 'L3' },
    ];
    const entries = [...clean('job1', 0), ...clean('job2', 10), ...clean('job3', 20), ...clean('job3b', 30).map((e) => ({ ...e, logical: 'L3' }))];
    expect(check({ unanswered: ['L4'] })).toEqual([]);
    expect(check({ unanswered: ['L3'], jobs, entries })).toContain('duplicated: L3 is 2 jobs (job3, job3b)');
  });
});
