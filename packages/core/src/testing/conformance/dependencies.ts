import { JobError } from '../../errors.ts';
import { JobState } from '../../job.ts';
import type { Handler } from '../../options.ts';
import { deepEqual, equal, ok, rejects } from '../assert.ts';
import type { ConformanceCase, ConformanceGroup, StoreHarness } from '../harness.ts';
import { noop, scenarios } from './scenario.ts';

/**
 * Jobs that wait on others: results passed down, failure policies down the
 * graph, and cycles or unknown dependencies refused before anything is stored.
 */
export function dependencies(harness: StoreHarness): ConformanceGroup {
  const scenario = scenarios(harness);
  const cases: ConformanceCase[] = [
    scenario<{ fetch: Handler; sum: Handler; fail: Handler }>(
      'passes dependency results to dependents once all dependencies succeed',
      (rig) => ({
        handlers: {
          fetch: async (p: { n: number }) => {
            await rig().sleep(p.n * 100);
            return p.n * 10;
          },
          sum: async (_p: null, ctx) => ctx.dependencies.reduce((a, d) => a + (d.result as number), 0),
          fail: async () => {
            throw JobError.nonRetryable('nope');
          },
        },
      }),
      async (rig) => {
        const [a, b, total] = await rig.scheduler.submitAll([
          { ref: 'a', type: 'fetch', payload: { n: 1 } },
          { ref: 'b', type: 'fetch', payload: { n: 3 } },
          { type: 'sum', dependsOn: ['a', 'b'] },
        ]);
        equal(total!.job.state, JobState.waiting, 'waits for its dependencies');
        deepEqual(total!.job.dependsOn, [a!.job.id, b!.job.id], 'refs became ids');
        await rig.advance(200);
        equal((await rig.store.get(total!.job.id))?.state, JobState.waiting, 'still waiting for the slower one');
        await rig.advance(200);
        const done = await rig.scheduler.waitFor(total!.job.id);
        equal(done.result, 40, 'saw both results');
        const later = await rig.scheduler.submit({ type: 'sum', dependsOn: [a!.job.id] });
        equal(later.job.state, JobState.ready, 'a dependency already done does not block');
        equal((await rig.scheduler.waitFor(later.job.id)).result, 10, 'and its result is passed');
      },
    ),

    scenario<{ fail: Handler; after: Handler }>(
      'fails, cancels or continues dependents of a failed job by policy, down the graph',
      () => ({
        handlers: {
          fail: async () => {
            throw JobError.nonRetryable('upstream broke');
          },
          after: async (_p: null, ctx) => ctx.dependencies.map((d) => d.state),
        },
      }),
      async (rig) => {
        const results = await rig.scheduler.submitAll([
          { ref: 'root', type: 'fail' },
          { ref: 'failer', type: 'after', dependsOn: ['root'] },
          { ref: 'grandchild', type: 'after', dependsOn: ['failer'] },
          { ref: 'canceller', type: 'after', dependsOn: ['root'], onDependencyFailure: 'cancel' },
          { ref: 'continuer', type: 'after', dependsOn: ['root'], onDependencyFailure: 'continue' },
        ]);
        const [root, failer, grandchild, canceller, continuer] = await Promise.all(results.map((r) => rig.scheduler.waitFor(r.job.id)));
        equal(root!.state, JobState.failed, 'root failed');
        equal(failer!.state, JobState.failed, 'policy fail');
        equal(failer!.history.at(-1)!.cause.code, 'dependency-failed', 'with the cause');
        ok(failer!.history.at(-1)!.cause.message!.includes(root!.id), 'naming the dependency');
        equal(grandchild!.state, JobState.failed, 'the failure propagates down the graph');
        equal(canceller!.state, JobState.cancelled, 'policy cancel');
        equal(continuer!.state, JobState.succeeded, 'policy continue runs anyway');
        deepEqual(continuer!.result, ['failed'], 'and sees the failure');
      },
    ),

    scenario(
      'rejects a dependency cycle naming it, and an unknown dependency, storing nothing',
      () => ({ handlers: { a: noop } }),
      async (rig) => {
        const error = await rejects(
          rig.scheduler.submitAll([
            { ref: 'x', type: 'a', dependsOn: ['z'] },
            { ref: 'y', type: 'a', dependsOn: ['x'] },
            { ref: 'z', type: 'a', dependsOn: ['y'] },
          ]),
          'dependency-cycle',
          'a cycle',
        );
        ok(error.message.includes('x → z → y → x'), `the cycle is named: ${error.message}`);
        await rejects(rig.scheduler.submit({ type: 'a', dependsOn: ['no-such-job'] }), 'validation', 'unknown dependency');
        await rejects(rig.scheduler.submitAll([{ type: 'a' }, { type: 'a', dependsOn: ['nope'] }]), 'validation', 'unknown dependency in a batch');
        equal((await rig.store.list({})).jobs.length, 0, 'nothing stored');
      },
    ),

    scenario<{ fail: Handler; after: Handler }>(
      'stores and fails by its policy a job submitted after its dependency failed',
      () => ({
        handlers: {
          fail: async () => {
            throw JobError.nonRetryable('upstream broke');
          },
          after: async (_p: null, ctx) => ctx.dependencies.map((d) => d.state),
        },
      }),
      async (rig) => {
        const { job: root } = await rig.scheduler.submit({ type: 'fail' });
        await rig.advance(10);
        equal((await rig.store.get(root.id))?.state, JobState.failed, 'the dependency failed');
        const [failer, canceller, continuer] = await rig.scheduler.submitAll([
          { type: 'after', dependsOn: [root.id] },
          { type: 'after', dependsOn: [root.id], onDependencyFailure: 'cancel' },
          { type: 'after', dependsOn: [root.id], onDependencyFailure: 'continue' },
        ]);
        equal(failer!.job.state, JobState.failed, 'stored, failed at once');
        equal(failer!.job.history.at(-1)!.cause.code, 'dependency-failed', 'with the cause');
        equal(canceller!.job.state, JobState.cancelled, 'policy cancel');
        equal((await rig.scheduler.waitFor(continuer!.job.id)).state, JobState.succeeded, 'policy continue runs anyway');
        equal((await rig.store.get(failer!.job.id))?.state, JobState.failed, 'the store has what submit answered');
      },
    ),

    scenario<{ flaky: Handler; after: Handler }, { fail: boolean }>(
      'retries a dependent only once its dependencies can succeed: refused while one has failed, waiting while one runs',
      () => {
        const state = { fail: true };
        return {
          state,
          handlers: {
            flaky: async () => {
              if (state.fail) throw JobError.nonRetryable('down');
              return 7;
            },
            after: async (_p: null, ctx) => ctx.dependencies.map((d) => d.state),
          },
        };
      },
      async (rig, state) => {
        const [dep, dependent] = await rig.scheduler.submitAll([
          { ref: 'dep', type: 'flaky' },
          { type: 'after', dependsOn: ['dep'] },
        ]);
        await rig.advance(10);
        equal((await rig.store.get(dependent!.job.id))?.state, JobState.failed, 'the dependent failed with its dependency');
        const refused = await rejects(rig.scheduler.retry(dependent!.job.id), 'dependency-failed', 'retrying the dependent alone');
        ok(refused.message.includes(dep!.job.id), `the error names the dependency: ${refused.message}`);
        equal((await rig.store.get(dependent!.job.id))?.state, JobState.failed, 'still in the dead-letter set');
        state.fail = false;
        await rig.scheduler.retry(dep!.job.id);
        const waiting = await rig.scheduler.retry(dependent!.job.id);
        ok(waiting.state === JobState.waiting || waiting.state === JobState.ready, `retried: ${waiting.state}`);
        const done = await rig.scheduler.waitFor(dependent!.job.id);
        equal(done.state, JobState.succeeded, 'runs once its dependency has succeeded');
        deepEqual(done.result, ['succeeded'], 'and sees it succeeded');
      },
    ),

    scenario<{ slow: Handler; quick: Handler }>(
      'a cancelled dependency fails its dependent at once, even one relinked in its key',
      (rig) => ({
        handlers: {
          slow: async () => {
            await rig().sleep(1_000);
          },
          quick: noop,
        },
      }),
      async (rig) => {
        await rig.scheduler.submit({ type: 'slow', key: 'k' });
        const [e, f] = await rig.scheduler.submitAll([
          { ref: 'e', type: 'quick', key: 'k' },
          { type: 'quick', key: 'k', dependsOn: ['e'] },
        ]);
        await rig.scheduler.cancel(e!.job.id);
        await rig.settle();
        equal((await rig.store.get(f!.job.id))?.state, JobState.failed, 'failed in the tick of the cancel, not when its key frees');
      },
    ),
  ];
  return { name: 'dependencies', cases };
}
