/**
 * A development worker for the dashboard: Baton's API on a Durable Object,
 * with handlers that succeed, retry, fail, call a flaky resource behind a
 * breaker and take their time, and the dashboard mounted at `/dashboard`.
 * `dev/run.ts` serves it with `wrangler dev`, fills it with jobs and takes
 * screenshots; the three lines that mount the dashboard are the last ones.
 */
import { JobError, type Handlers } from '@baton/core';
import { dashboard } from '@baton/dashboard';
import { createApi, type EdgeSchedulerOptions, SchedulerObject } from '@baton/edge';

export interface Env {
  JOBS: DurableObjectNamespace<Jobs>;
  BATON_TOKENS: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Jobs extends SchedulerObject<Env> {
  protected override configure(): EdgeSchedulerOptions<Handlers> {
    return {
      queues: { default: { concurrency: 4 }, emails: { concurrency: 2 } },
      retry: { maxAttempts: 4, backoff: { kind: 'constant', delayMs: 500 } },
      resources: {
        payments: { breaker: { kind: 'consecutive', threshold: 3, openMs: 5_000 }, retryBudget: { ratio: 0.2, windowMs: 10_000 } },
        mail: { rateLimit: { perSecond: 5, burst: 10 }, throttle: { k: 2, windowMs: 10_000 } },
      },
      handlers: {
        /** Works for `ms`, reporting progress, then succeeds. */
        render: async (p: { ms?: number }, ctx) => {
          const ms = p.ms ?? 200;
          for (let done = 0; done < ms; done += 100) {
            await sleep(Math.min(100, ms - done));
            ctx.progress({ done: Math.min(ms, done + 100), of: ms });
          }
          return { rendered: true };
        },
        /** Fails its first `failures` attempts, then succeeds: the retry histogram. */
        flaky: async (p: { failures: number }, ctx) => {
          if (ctx.attempt <= p.failures) throw new Error(`flaky: attempt ${ctx.attempt} of the ${p.failures} that fail`);
          return ctx.attempt;
        },
        /** Fails for good (the dead-letter set), until it is sent back from there. */
        validate: async (p: { name: string }, ctx) => {
          if (!ctx.job.history.some((t) => t.cause.code === 'manual-retry')) throw JobError.nonRetryable(`not a PNG: ${p.name}`);
          return p.name;
        },
        /** Charges through the `payments` resource, once (a durable step); fails while `down`. */
        charge: async (p: { order: string; down?: boolean }, ctx) => {
          if (p.down === true) throw Object.assign(new Error('payments answered 503'), { status: 503 });
          return ctx.step('charge', () => ({ id: `ch_${p.order}`, at: Date.now() }));
        },
        /** Counts its dependencies that succeeded. */
        sum: async (_p: null, ctx) => ctx.dependencies.filter((d) => d.state === 'succeeded').length,
        /** Sends through the rate-limited `mail` resource. */
        email: async (p: { to: string }) => ({ sent: p.to }),
      },
    };
  }
}

const api = createApi<Env>({ objects: (env) => env.JOBS, tokens: (env) => env.BATON_TOKENS, queues: ['default', 'emails'] });
api.route('/dashboard', dashboard({ title: 'Baton (dev)' }));
export default { fetch: (request, env, ctx) => api.fetch(request, env, ctx) } satisfies ExportedHandler<Env>;
