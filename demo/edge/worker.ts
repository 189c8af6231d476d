/**
 * The edge demo that `npm start` serves with `wrangler dev`: Baton's HTTP
 * API in front of scheduler Durable Objects, one per (tenant, queue).
 */
import { JobError, type Handlers } from '@baton/core';
import { createApi, SchedulerObject, type EdgeSchedulerOptions } from '@baton/edge';

export interface Env {
  JOBS: DurableObjectNamespace<Jobs>;
  /** `{ "<token>": "<tenant>" }`: `wrangler secret put BATON_TOKENS` when deployed. */
  BATON_TOKENS: string;
}

export class Jobs extends SchedulerObject<Env> {
  protected override configure(): EdgeSchedulerOptions<Handlers> {
    return {
      queues: { default: { concurrency: 8 } },
      retry: { maxAttempts: 4, backoff: { kind: 'constant', delayMs: 2_000 } },
      handlers: {
        /** Renders a message: stands in for real work. */
        render: async (p: { template: string; name: string }) => p.template.replaceAll('{name}', p.name),
        /** Records an email as sent, once, even if the attempt is retried. */
        email: async (p: { to: string; subject: string }, ctx) => {
          if (!/^[^@\s]+@[^@\s]+$/.test(p.to)) throw JobError.nonRetryable(`not an email address: ${p.to}`);
          return ctx.step('send', () => ({ to: p.to, subject: p.subject, sentAtMs: Date.now() }));
        },
        /** Sums its dependencies' results. */
        sum: async (_p: null, ctx) => ctx.dependencies.reduce((total, d) => total + Number(d.result), 0),
        /** Waits, then answers: to watch `running` and progress in the event stream. */
        slow: async (p: { ms: number }, ctx) => {
          for (let done = 0; done < p.ms; done += 100) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            ctx.progress({ done: Math.min(p.ms, done + 100), of: p.ms });
          }
          return p.ms;
        },
      },
    };
  }
}

const api = createApi<Env>({ objects: (env) => env.JOBS, tokens: (env) => env.BATON_TOKENS, queues: ['default', 'emails'] });

export default { fetch: (request, env, ctx) => api.fetch(request, env, ctx) } satisfies ExportedHandler<Env>;
