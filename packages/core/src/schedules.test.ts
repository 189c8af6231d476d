import { describe, expect, it } from 'vitest';
import { cronParser } from './cron.ts';
import { nextOccurrence, resolveSchedule } from './schedules.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const cron = (expr: string, timezone = 'UTC') => ({ cron: expr, everyMs: null, timezone, createdAtMs: 0 });

describe('nextOccurrence', () => {
  it('reads a cron expression in its time zone, across daylight saving time', () => {
    const daily = cron('0 30 2 * * *', 'Europe/Berlin'); // 02:30 local, every day
    const times: Array<string | null> = [];
    let t = at('2026-03-28T00:00:00Z');
    for (let i = 0; i < 3; i++) {
      const next = nextOccurrence(daily, t, cronParser)!;
      times.push(iso(next));
      t = next;
    }
    // 28 March: CET (UTC+1). 29 March: 02:30 does not exist (clocks go 02:00 → 03:00): it runs at 03:00 CEST. 30 March: CEST (UTC+2).
    expect(times).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    // 25 October: clocks go back 03:00 → 02:00, so 02:30 comes twice; it runs once.
    const autumn: Array<string | null> = [];
    t = at('2026-10-24T12:00:00Z');
    for (let i = 0; i < 3; i++) {
      const next = nextOccurrence(daily, t, cronParser)!;
      autumn.push(iso(next));
      t = next;
    }
    expect(autumn).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
  });

  it('counts an interval from the schedule, and a cron minute from the expression', () => {
    expect(nextOccurrence({ cron: null, everyMs: 1_000, timezone: 'UTC', createdAtMs: 500 }, 2_600, null)).toBe(3_500);
    expect(iso(nextOccurrence(cron('*/15 * * * *'), at('2026-01-01T10:07:00Z'), cronParser))).toBe('2026-01-01T10:15:00.000Z');
  });

  it('refuses a bad expression or time zone by field', () => {
    expect(() => resolveSchedule({ id: 'a', cron: '61 * * * *', job: { type: 't' } }, undefined, 0, cronParser)).toThrow('schedule.cron');
    expect(() => resolveSchedule({ id: 'a', cron: '* * * * *', timezone: 'Mars/Olympus', job: { type: 't' } }, undefined, 0, cronParser)).toThrow(
      'schedule.timezone',
    );
    expect(() => resolveSchedule({ id: 'a', everyMs: 10, job: { type: 't' } }, undefined, 0, cronParser)).toThrow('schedule.everyMs');
    expect(() => resolveSchedule({ id: 'a', cron: '* * * * *', job: { type: 't' } }, undefined, 0, null)).toThrow('reads no cron expressions');
  });
});
