/**
 * The simulated downstream every system calls in the retry-storm
 * scenarios: fails with 503 while down, answers after `latencyMs`, and
 * records every call (when, which job, which attempt).
 */
export interface Call {
  readonly atMs: number;
  readonly job: number;
  readonly attempt: number;
  readonly ok: boolean;
}

export class Dependency {
  readonly calls: Call[] = [];
  private readonly isDown: (tMs: number) => boolean;
  private readonly latencyMs: number;
  private readonly startMs: number;

  constructor(options: { startMs: number; latencyMs: number; isDown: (tMs: number) => boolean }) {
    this.startMs = options.startMs;
    this.latencyMs = options.latencyMs;
    this.isDown = options.isDown;
  }

  /** Time since the scenario started. */
  now(): number {
    return Date.now() - this.startMs;
  }

  async call(job: number, attempt: number): Promise<string> {
    const t = this.now();
    const ok = !this.isDown(t);
    this.calls.push({ atMs: t, job, attempt, ok });
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    if (!ok) throw Object.assign(new Error('503 Service Unavailable'), { status: 503 });
    return 'ok';
  }
}
