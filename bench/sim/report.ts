import { printGoals, table } from '../lib/stats.ts';
import { FLAPPING, OUTAGE, STORM_SYSTEMS, runStorm, type StormResult, type StormScenario } from './retry-storm.ts';

export interface StormReport {
  readonly scenario: string;
  readonly results: StormResult[];
  readonly goals: Array<{ goal: string; value: string; met: boolean }>;
}

export async function runStorms(): Promise<StormReport[]> {
  const reports: StormReport[] = [];
  for (const scenario of [OUTAGE, FLAPPING] as StormScenario[]) {
    const results: StormResult[] = [];
    for (const [name, system] of STORM_SYSTEMS) results.push(await runStorm(scenario, name, system, 1));
    const by = (name: string) => results.find((r) => r.system === name)!;
    const breaker = by('baton + breaker');
    const budget = by('baton + budget');
    const outagePerJob = budget.callsDuringOutage / budget.jobs;
    const goals = [
      {
        goal: 'calls during the outage ≤ 10 % of immediate retry (baton + breaker)',
        value: `${((100 * breaker.callsDuringOutage) / by('immediate retry').callsDuringOutage).toFixed(2)} %`,
        met: breaker.callsDuringOutage <= 0.1 * by('immediate retry').callsDuringOutage,
      },
      {
        goal: 'calls during the outage ≤ 0.5× cockatiel retry without breaker (baton + breaker)',
        value: `${(breaker.callsDuringOutage / by('cockatiel retry').callsDuringOutage).toFixed(2)}×`,
        met: breaker.callsDuringOutage <= 0.5 * by('cockatiel retry').callsDuringOutage,
      },
      {
        goal: 'with the budget: calls during the outage ≤ 1.1 per job, and every job completes',
        value: `${outagePerJob.toFixed(3)} per job, ${budget.completed}/${budget.jobs} completed`,
        met: outagePerJob <= 1.1 && budget.completed === budget.jobs,
      },
      {
        goal: 'drain after recovery ≤ 1.0× decorrelated jitter alone (baton + budget)',
        value:
          budget.drainAfterRecoveryMs === null
            ? 'did not drain'
            : `${(budget.drainAfterRecoveryMs / by('baton, decorrelated jitter').drainAfterRecoveryMs!).toFixed(2)}×`,
        met: budget.drainAfterRecoveryMs !== null && budget.drainAfterRecoveryMs <= by('baton, decorrelated jitter').drainAfterRecoveryMs!,
      },
      {
        goal: 'peak-to-mean retry rate per 100 ms ≤ 2 (baton + budget)',
        value: budget.peakToMeanRetryRate === null ? 'no retries' : budget.peakToMeanRetryRate.toFixed(1),
        met: budget.peakToMeanRetryRate !== null && budget.peakToMeanRetryRate <= 2,
      },
    ];
    reports.push({ scenario: scenario.name, results, goals });
  }
  return reports;
}

export function printStorms(reports: readonly StormReport[]): void {
  for (const r of reports) {
    console.log(`\n${r.scenario}, ${r.results[0]!.jobs} jobs, virtual time`);
    console.log(
      table(
        ['system', 'completed', 'attempts/job', 'calls in outage', 'drain after recovery', 'retry peak/mean'],
        r.results.map((x) => [
          x.system,
          `${x.completed}`,
          x.attemptsPerJob.toFixed(2),
          x.callsDuringOutage.toLocaleString('en'),
          x.drainAfterRecoveryMs === null ? '—' : `${(x.drainAfterRecoveryMs / 1000).toFixed(2)} s`,
          x.peakToMeanRetryRate === null ? '—' : x.peakToMeanRetryRate.toFixed(1),
        ]),
      ),
    );
    printGoals(r.goals);
  }
}
