import type { SubmitUnit } from './admission.ts';
import type { Attempt } from './attempt.ts';
import type { Json } from './job.ts';
import type { Beats, Outcome } from './leases.ts';
import type { Operation } from './operations.ts';
import type { KeyRelease } from './release-key.ts';

/** A step's result, waiting for the tick that stores it. */
export interface StepWrite {
  readonly attempt: Attempt;
  readonly name: string;
  readonly result: Json;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** What one tick took from the inbox: given back, or answered, if the tick fails before its commit. */
export interface Carried {
  readonly units: readonly SubmitUnit[];
  readonly operations: readonly Operation[];
  readonly stepWrites: readonly StepWrite[];
  readonly keyReleases: readonly KeyRelease[];
  readonly beats: Beats;
  outcomes: Outcome[];
  /** The attempts of `outcomes` that held their jobs when the tick began. */
  readonly held: Attempt[];
}

/**
 * What arrives between ticks: submits, handler outcomes, cancels and
 * retries, step results and heartbeats. A tick takes it all at once; if the
 * tick fails before its commit, what must not be lost comes back.
 */
export class Inbox {
  units: SubmitUnit[] = [];
  outcomes: Outcome[] = [];
  operations: Operation[] = [];
  stepWrites: StepWrite[] = [];
  keyReleases: KeyRelease[] = [];
  beats: Beats = new Map();

  /** Whether anything waits for a tick. */
  get pending(): boolean {
    return this.units.length > 0 || this.outcomes.length > 0 || this.operations.length > 0 || this.stepWrites.length > 0 || this.keyReleases.length > 0;
  }

  /** Everything but the outcomes, which a tick takes later (after the leases that expired add theirs). */
  take(): Carried {
    const carried: Carried = {
      units: this.units,
      operations: this.operations,
      stepWrites: this.stepWrites,
      keyReleases: this.keyReleases,
      beats: this.beats,
      outcomes: [],
      held: [],
    };
    this.units = [];
    this.operations = [];
    this.stepWrites = [];
    this.keyReleases = [];
    this.beats = new Map();
    return carried;
  }

  /** The outcomes, `more` (the leases that expired) among them, into `carried`. */
  takeOutcomes(carried: Carried, more: readonly Outcome[]): Outcome[] {
    const outcomes = this.outcomes.length === 0 ? [...more] : [...this.outcomes, ...more];
    this.outcomes = [];
    carried.outcomes = outcomes;
    return outcomes;
  }

  /**
   * A tick failed before its commit: step results, key releases, outcomes and heartbeats
   * come back, ahead of what arrived since; submits and operations are
   * refused with `error` (nothing of them was stored: the caller may try
   * again).
   */
  giveBack(carried: Carried, error: unknown): void {
    this.stepWrites = [...carried.stepWrites, ...this.stepWrites];
    this.keyReleases = [...carried.keyReleases, ...this.keyReleases];
    this.outcomes = [...carried.outcomes, ...this.outcomes];
    for (const [id, beat] of carried.beats) if (!this.beats.has(id)) this.beats.set(id, beat);
    refuse(carried, error);
  }

  /** Stopped: what still waits is refused with `error`. */
  refuseAll(error: unknown): void {
    for (const unit of this.units.splice(0)) unit.reject(error);
    for (const op of this.operations.splice(0)) op.reject(error);
  }
}

/** Answers a failed tick's submits and operations, and (when giving up) its step results and key releases, with `error`. */
export function refuse(carried: Carried, error: unknown, steps = false): void {
  for (const unit of carried.units) unit.reject(error);
  for (const op of carried.operations) op.reject(error);
  if (steps) for (const step of carried.stepWrites) step.reject(error);
  if (steps) for (const release of carried.keyReleases) release.reject(error);
}
