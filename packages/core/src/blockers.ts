import { CauseCode } from './causes.ts';
import { type Cause, isTerminal, type JobRecord, JobState } from './job.ts';

export type BlockerVerdict =
  | { readonly kind: 'blocked' }
  | { readonly kind: 'clear' }
  | { readonly kind: 'doomed'; readonly to: typeof JobState.failed | typeof JobState.cancelled; readonly cause: Cause };

const BLOCKED: BlockerVerdict = { kind: 'blocked' };
const CLEAR: BlockerVerdict = { kind: 'clear' };

/**
 * Whether a job's dependencies and ordering-key predecessor let it run.
 * A failed or cancelled dependency dooms it unless its policy is `continue`.
 */
export function evaluateBlockers(job: JobRecord, deps: ReadonlyArray<JobRecord | undefined>, after: JobRecord | undefined): BlockerVerdict {
  let blocked = after !== undefined && !isTerminal(after.state);
  for (let i = 0; i < job.dependsOn.length; i++) {
    const dep = deps[i];
    if (dep === undefined) {
      if (job.onDependencyFailure === 'continue') continue;
      return doomed(job, { code: CauseCode.dependencyMissing, message: `dependency ${job.dependsOn[i]} no longer exists` });
    }
    if (dep.state === JobState.succeeded) continue;
    if (dep.state === JobState.failed || dep.state === JobState.cancelled) {
      if (job.onDependencyFailure === 'continue') continue;
      return doomed(job, { code: CauseCode.dependencyFailed, message: `dependency ${dep.id} (${dep.type}) ${dep.state}` });
    }
    blocked = true;
  }
  return blocked ? BLOCKED : CLEAR;
}

function doomed(job: JobRecord, cause: Cause): BlockerVerdict {
  return { kind: 'doomed', to: job.onDependencyFailure === 'cancel' ? JobState.cancelled : JobState.failed, cause };
}
