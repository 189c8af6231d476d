/**
 * Priority with aging. A job's claim rank is fixed when it becomes ready:
 *
 *   rank = readyAtMs − priority × agingStepMs
 *
 * Lower ranks run first; ties go to the older id. So priority buys a bounded
 * head start: a job of priority p that became ready at t is overtaken only
 * by jobs of priority q > p that became ready before t + (q − p) × agingStepMs.
 * With five levels the lowest class is overtaken by work that arrives at most
 * 4 × agingStepMs after it (60 s by default), never indefinitely. A static
 * rank is what SQLite and IndexedDB can index.
 */
export const DEFAULT_AGING_STEP_MS = 15_000;

export function rankOf(readyAtMs: number, priority: number, agingStepMs: number): number {
  return readyAtMs - priority * agingStepMs;
}

/** The longest window in which later, more important work may overtake a job of `priority`. */
export function overtakeWindowMs(priority: number, maxPriority: number, agingStepMs: number): number {
  return (maxPriority - priority) * agingStepMs;
}
