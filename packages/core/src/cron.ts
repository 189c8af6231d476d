/**
 * Cron expressions for schedules, on croner: the one module of the core
 * with a dependency, kept out of the pure core (which takes a `CronParser`
 * as it takes a clock). `@baton/core/system`, the browser's
 * `hostScheduler` and the edge's `SchedulerObject` pass it by default.
 *
 * @module @baton/core/cron
 */
import { Cron } from 'croner';
import type { CronParser } from './schedules.ts';

export const cronParser: CronParser = {
  check(expression, timezone) {
    new Cron(expression, { timezone, paused: true });
  },
  next(expression, afterMs, timezone) {
    const next = new Cron(expression, { timezone, paused: true }).nextRun(new Date(afterMs));
    return next === null ? null : next.getTime();
  },
};
