import { JobState } from './job.ts';

/** How long finished jobs are kept, and how the sweep goes. */
export interface RetentionOptions {
  /** After it finished. `Infinity` keeps them. @default 1 day */
  readonly succeededMs?: number;
  /** @default 1 day */
  readonly cancelledMs?: number;
  /** The dead-letter set, kept longer so someone can look. @default 7 days */
  readonly failedMs?: number;
  /** How often a sweep starts, once the last one ran out of work. @default 60 s */
  readonly everyMs?: number;
  /** Most jobs one tick deletes: a backlog is swept over several ticks, never in one that stalls. @default 200 */
  readonly batch?: number;
}

export interface ResolvedRetention {
  readonly keepMs: ReadonlyArray<readonly [typeof JobState.succeeded | typeof JobState.cancelled | typeof JobState.failed, number]>;
  readonly everyMs: number;
  readonly batch: number;
}

const DAY = 86_400_000;
export const DEFAULT_RETENTION: ResolvedRetention = {
  keepMs: [
    [JobState.succeeded, DAY],
    [JobState.cancelled, DAY],
    [JobState.failed, 7 * DAY],
  ],
  everyMs: 60_000,
  batch: 200,
};
