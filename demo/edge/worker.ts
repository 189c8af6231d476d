/**
 * The edge demo that `npm start` serves with `wrangler dev`: Baton's HTTP
 * API in front of scheduler Durable Objects, one per (tenant, queue).
 */
import { JobError, type Handlers } from '@baton/core';
import { dashboard } from '@baton/dashboard';
import { createApi, objectName, SchedulerObject, type EdgeSchedulerOptions } from '@baton/edge';

export interface Env {
  JOBS: DurableObjectNamespace<Jobs>;
  /** `{ "<token>": "<tenant>" }`: `wrangler secret put BATON_TOKENS` when deployed. */
  BATON_TOKENS: string;
}

export class Jobs extends SchedulerObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS ledger (n INTEGER PRIMARY KEY AUTOINCREMENT, entry_key TEXT NOT NULL, seq INTEGER NOT NULL, at_ms INTEGER NOT NULL)',
    );
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS downstream (mode TEXT NOT NULL)');
  }

  /** Ledger entries whose key starts with `prefix`, in the order they were appended. */
  async ledger(prefix: string): Promise<Array<{ key: string; seq: number }>> {
    return this.ctx.storage.sql
      .exec<{ entry_key: string; seq: number }>('SELECT entry_key, seq FROM ledger WHERE substr(entry_key, 1, ?) = ? ORDER BY n', prefix.length, prefix)
      .toArray()
      .map((r) => ({ key: r.entry_key, seq: r.seq }));
  }

  /** The demo downstream's health, as the page last set it. */
  private downstream(): 'ok' | 'flaky' | 'down' {
    return (this.ctx.storage.sql.exec<{ mode: 'ok' | 'flaky' | 'down' }>('SELECT mode FROM downstream').toArray()[0]?.mode ?? 'ok') as 'ok' | 'flaky' | 'down';
  }

  async setDownstream(mode: 'ok' | 'flaky' | 'down'): Promise<void> {
    this.ctx.storage.sql.exec('DELETE FROM downstream');
    this.ctx.storage.sql.exec('INSERT INTO downstream (mode) VALUES (?)', mode);
  }

  protected override configure(): EdgeSchedulerOptions<Handlers> {
    return {
      queues: { default: { concurrency: 8 } },
      retry: { maxAttempts: 4, backoff: { kind: 'constant', delayMs: 2_000 } },
      // The flaky downstream: after 3 failures in a row its breaker opens for 2 s, then lets one probe through.
      resources: { downstream: { breaker: { kind: 'consecutive', threshold: 3, openMs: 2_000 } } },
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
        /**
         * Appends an entry to this queue's ledger: the side effect the offline
         * outbox tests count (one row per execution, never deduplicated here).
         */
        append: async (p: { key: string; seq: number }) => {
          this.ctx.storage.sql.exec('INSERT INTO ledger (entry_key, seq, at_ms) VALUES (?, ?, ?)', p.key, p.seq, Date.now());
          return { key: p.key, seq: p.seq };
        },
        /**
         * Calls a downstream whose health the demo page sets (`POST …/downstream`):
         * healthy, failing half the time, or down. Its failures are what retries,
         * backoff, the breaker and the dead-letter set are for.
         */
        flaky: async (p: { n: number }) => {
          const mode = this.downstream();
          if (mode === 'down' || (mode === 'flaky' && Math.random() < 0.5)) {
            throw Object.assign(new Error(`downstream ${mode === 'down' ? 'is down' : 'failed'} (call ${p.n})`), { status: 503 });
          }
          return { n: p.n, answeredAtMs: Date.now() };
        },
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

// Any origin may call it from a browser: tokens travel in a header, never as cookies.
const api = createApi<Env>({ objects: (env) => env.JOBS, tokens: (env) => env.BATON_TOKENS, queues: ['default', 'emails'], corsOrigins: '*' });

/** The operators' dashboard, at /dashboard: it asks for a token and calls the API above with it. */
api.route('/dashboard', dashboard({ title: 'Baton demo' }));

/** The demo's ledger (see `append`), per queue, for the tenant of the token. */
api.get('/v1/queues/:queue/ledger', async (c) => {
  const jobs = c.env.JOBS.get(c.env.JOBS.idFromName(objectName(c.get('tenant'), c.req.param('queue'))));
  return c.json(await jobs.ledger(c.req.query('prefix') ?? ''));
});

/** The demo's downstream switch, per queue, for the tenant of the token. */
api.post('/v1/queues/:queue/downstream', async (c) => {
  const { mode } = ((await c.req.json().catch(() => null)) ?? {}) as { mode?: unknown };
  if (mode !== 'ok' && mode !== 'flaky' && mode !== 'down')
    return c.json({ error: { code: 'validation', field: 'mode', message: 'Expected `mode` to be "ok", "flaky" or "down"', retryable: false } }, 400);
  await c.env.JOBS.get(c.env.JOBS.idFromName(objectName(c.get('tenant'), c.req.param('queue')))).setDownstream(mode);
  return c.json({ mode });
});

export default { fetch: (request, env, ctx) => api.fetch(request, env, ctx) } satisfies ExportedHandler<Env>;
