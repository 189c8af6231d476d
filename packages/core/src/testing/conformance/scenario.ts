import type { JobRecord } from '../../job.ts';
import type { Handler, Handlers, SchedulerOptions } from '../../options.ts';
import type { ConformanceCase, StoreHarness } from '../harness.ts';
import { Rig } from '../rig.ts';

/** Scheduler options a scenario sets: the rig brings the store, the clock and the random source. */
export type RigOptions<H extends Handlers> = Omit<SchedulerOptions<H>, 'store' | 'clock' | 'random'>;

export const noop: Handler = async () => null;

export function states(job: JobRecord): string[] {
  return job.history.map((t) => t.to);
}

/** Builds one scheduler case, run on a new rig over a store the harness opens. */
export type Scenario = <H extends Handlers, S = undefined>(
  name: string,
  setup: (rig: () => Rig<H>) => RigOptions<H> & { readonly state?: S; readonly autoStart?: boolean },
  fn: (rig: Rig<H>, state: S) => Promise<void>,
) => ConformanceCase;

/**
 * Scheduler behaviour over a store: the same assertions for every store and
 * runtime. Time is a fake clock throughout; nothing sleeps for real.
 */
export function scenarios(harness: StoreHarness): Scenario {
  /** `setup` builds the scheduler options (handlers may reach the rig) and any state the test shares with them. */
  const scenario = <H extends Handlers, S = undefined>(
    name: string,
    setup: (rig: () => Rig<H>) => RigOptions<H> & { readonly state?: S; readonly autoStart?: boolean },
    fn: (rig: Rig<H>, state: S) => Promise<void>,
  ): ConformanceCase => ({
    name,
    run: async () => {
      let rig: Rig<H> | undefined;
      const { state, autoStart, ...options } = setup(() => rig!);
      rig = await Rig.create<H>(harness, options as RigOptions<H>);
      try {
        if (autoStart !== false) rig.scheduler.start();
        await fn(rig, state as S);
      } finally {
        await rig.close();
      }
    },
  });
  return scenario;
}
