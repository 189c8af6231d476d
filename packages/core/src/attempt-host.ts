import type { AttemptHost } from './attempt.ts';
import type { Clock } from './clock.ts';
import type { Inbox } from './inbox.ts';
import type { Instrumentation } from './instrumentation.ts';
import type { JobInput, JobRecord } from './job.ts';
import { keySuccessors } from './key-chain.ts';
import type { Handlers } from './options.ts';
import type { Store } from './store.ts';

/** What the scheduler gives the host of its attempts. */
export interface AttemptHostParts {
  readonly clock: Clock;
  readonly store: Store;
  readonly inbox: Inbox;
  readonly handlers: Handlers;
  readonly instrumentation: Instrumentation | null;
  /** Something arrived for the next tick. */
  readonly kick: () => void;
  /** `submitAll`, for a handler's children. */
  readonly submitAll: (inputs: ReadonlyArray<JobInput<string, unknown>>) => Promise<readonly JobRecord[]>;
  /** Reads made for handlers (steps, joined jobs): while one runs, the scheduler is not idle. */
  readonly reads: HandlerReads;
}

/** Counts the store reads a handler waits on, which the scheduler's idleness must include. */
export class HandlerReads {
  pending = 0;

  async run<T>(read: () => Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await read();
    } finally {
      this.pending--;
    }
  }
}

/**
 * What an attempt asks of the scheduler that runs it: time, its job's
 * steps (read from the store, written through the next tick), progress,
 * children to submit and jobs to join, handlers to check. Requests go to
 * the inbox and wake the tick loop; nothing here writes the store.
 */
export function attemptHost(p: AttemptHostParts): AttemptHost {
  const { store, inbox, reads } = p;
  return {
    now: () => p.clock.now(),
    loadSteps: (jobId) => reads.run(async () => new Map((await store.steps(jobId)).map((s) => [s.name, s.result]))),
    writeStep: (attempt, name, result) =>
      new Promise<void>((resolve, reject) => {
        inbox.stepWrites.push({ attempt, name, result, resolve, reject });
        p.kick();
      }),
    releaseKey: (attempt, through) =>
      new Promise<void>((resolve, reject) => {
        inbox.keyReleases.push({ attempt, through, resolve, reject });
        p.kick();
      }),
    keySuccessors: (jobId, limit) => reads.run(() => keySuccessors(store, jobId, limit)),
    submitChildren: (inputs) => p.submitAll(inputs),
    hasHandler: (type) => Object.hasOwn(p.handlers, type),
    getJobs: (ids) => reads.run(() => store.getMany(ids)),
    recordProgress: (jobId, progress) => {
      inbox.beats.set(jobId, { progress });
      p.kick();
    },
    ...(p.instrumentation?.step === undefined ? {} : { instrumentStep: p.instrumentation.step.bind(p.instrumentation) }),
  };
}
