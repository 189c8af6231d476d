import {
  JobState,
  PRIORITY_LEVELS,
  StoreConflictError,
  type ClaimRange,
  type IdempotencyRecord,
  type JobRecord,
  type JobWrite,
  type Json,
  type ListPage,
  type ListQuery,
  type StateCounts,
  type StepRecord,
  type Store,
  type StoreBatch,
} from '@baton/core';

/** What the store needs of `ctx.storage`: the SQL handle and synchronous transactions. */
export interface SqliteStorage {
  readonly sql: SqlStorage;
  transactionSync<T>(closure: () => T): T;
}

export interface SqliteStoreOptions {
  /** Table name prefix, so several stores can share one object's database. @default 'baton_' */
  readonly prefix?: string;
}

type Row = Record<string, SqlStorageValue>;

/**
 * The `Store` on a Durable Object's SQLite database (`ctx.storage.sql`).
 * A job is one row: its full record as JSON, plus the columns the indexes
 * need (claim order, timers, ordering key, state). A batch commits in one
 * `transactionSync`, so a refused version rolls back every write of it.
 * SQL in a Durable Object runs synchronously in the object's thread; the
 * methods are async only to honour the contract.
 */
export class SqliteStore implements Store {
  private readonly sql: SqlStorage;
  private readonly storage: SqliteStorage;
  private readonly t: { jobs: string; blockers: string; idem: string; steps: string; meta: string };

  constructor(storage: SqliteStorage, options: SqliteStoreOptions = {}) {
    const prefix = options.prefix ?? 'baton_';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw new Error(`Expected \`prefix\` to be an SQL identifier prefix, got ${JSON.stringify(prefix)}`);
    this.storage = storage;
    this.sql = storage.sql;
    this.t = { jobs: `${prefix}jobs`, blockers: `${prefix}blockers`, idem: `${prefix}idempotency`, steps: `${prefix}steps`, meta: `${prefix}meta` };
    this.migrate();
  }

  private migrate(): void {
    const { jobs, blockers, idem, steps, meta } = this.t;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS ${jobs} (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        state TEXT NOT NULL,
        queue TEXT NOT NULL,
        type TEXT NOT NULL,
        priority INTEGER NOT NULL,
        key TEXT,
        fair TEXT NOT NULL DEFAULT '',
        rank REAL,
        due_at REAL,
        record TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ${jobs}_due ON ${jobs} (due_at, id) WHERE due_at IS NOT NULL;
      CREATE INDEX IF NOT EXISTS ${jobs}_key ON ${jobs} (key, id) WHERE key IS NOT NULL;
      CREATE INDEX IF NOT EXISTS ${jobs}_state ON ${jobs} (state, id);
      CREATE INDEX IF NOT EXISTS ${jobs}_queue ON ${jobs} (queue, id);
      CREATE TABLE IF NOT EXISTS ${blockers} (blocker TEXT NOT NULL, job_id TEXT NOT NULL, PRIMARY KEY (blocker, job_id));
      CREATE INDEX IF NOT EXISTS ${blockers}_job ON ${blockers} (job_id);
      CREATE TABLE IF NOT EXISTS ${idem} (key TEXT PRIMARY KEY, job_id TEXT NOT NULL, fingerprint TEXT NOT NULL, expires_at REAL NOT NULL);
      CREATE TABLE IF NOT EXISTS ${steps} (job_id TEXT NOT NULL, name TEXT NOT NULL, result TEXT NOT NULL, attempt INTEGER NOT NULL, at REAL NOT NULL, PRIMARY KEY (job_id, name));
      CREATE TABLE IF NOT EXISTS ${meta} (name TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    // 0.2 tables: the fairness key column (none had one: '' is right for every row), and the claim
    // order by priority class and fairness key in place of (queue, rank, id).
    try {
      this.sql.exec(`ALTER TABLE ${jobs} ADD COLUMN fair TEXT NOT NULL DEFAULT ''`);
    } catch (error) {
      if (!/duplicate column/i.test(String(error))) throw error;
    }
    this.sql.exec(`
      DROP INDEX IF EXISTS ${jobs}_claim;
      CREATE INDEX IF NOT EXISTS ${jobs}_fair ON ${jobs} (queue, priority, fair, rank, id) WHERE rank IS NOT NULL;
    `);
  }

  private rows(query: string, ...bindings: unknown[]): Row[] {
    return this.sql.exec<Row>(query, ...bindings).toArray();
  }

  private records(query: string, ...bindings: unknown[]): JobRecord[] {
    return this.rows(query, ...bindings).map((r) => JSON.parse(r.record as string) as JobRecord);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.records(`SELECT record FROM ${this.t.jobs} WHERE id = ?`, id)[0];
  }

  async getMany(ids: readonly string[]): Promise<ReadonlyArray<JobRecord | undefined>> {
    const found = new Map<string, JobRecord>();
    for (let i = 0; i < ids.length; i += IN_LIST) {
      const chunk = ids.slice(i, i + IN_LIST);
      for (const r of this.records(`SELECT record FROM ${this.t.jobs} WHERE id IN (${placeholders(chunk.length)})`, ...chunk)) found.set(r.id, r);
    }
    return ids.map((id) => found.get(id));
  }

  async claimable(range: ClaimRange, limit: number): Promise<readonly JobRecord[]> {
    const { queue, priority, key, after, perKey } = range;
    const jobs = this.t.jobs;
    const from = after ? '>' : '>=';
    if (perKey === undefined) {
      return this.records(
        `SELECT record FROM ${jobs} WHERE queue = ? AND priority = ? AND rank IS NOT NULL AND fair ${from} ? ORDER BY fair, rank, id LIMIT ?`,
        queue,
        priority,
        key ?? '',
        limit,
      );
    }
    // A skip scan: the keys one index seek at a time, then each key's first `perKey` jobs.
    return this.records(
      `WITH RECURSIVE keys(fair, n) AS (
         SELECT (SELECT fair FROM ${jobs} WHERE queue = ? AND priority = ? AND rank IS NOT NULL AND fair ${from} ? ORDER BY fair, rank, id LIMIT 1), 1
         UNION ALL
         SELECT (SELECT fair FROM ${jobs} WHERE queue = ? AND priority = ? AND rank IS NOT NULL AND fair > keys.fair ORDER BY fair, rank, id LIMIT 1), n + 1
         FROM keys WHERE keys.fair IS NOT NULL AND n < ?
       )
       SELECT j.record FROM keys JOIN ${jobs} j ON j.id IN (
         SELECT id FROM ${jobs} WHERE queue = ? AND priority = ? AND rank IS NOT NULL AND fair = keys.fair ORDER BY rank, id LIMIT ?
       )
       ORDER BY j.fair, j.rank, j.id LIMIT ?`,
      queue,
      priority,
      key ?? '',
      queue,
      priority,
      limit,
      queue,
      priority,
      perKey,
      limit,
    );
  }

  async due(nowMs: number, limit: number): Promise<readonly JobRecord[]> {
    return this.records(`SELECT record FROM ${this.t.jobs} WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?`, nowMs, limit);
  }

  async nextDueAtMs(): Promise<number | null> {
    const row = this.rows(`SELECT due_at FROM ${this.t.jobs} WHERE due_at IS NOT NULL ORDER BY due_at LIMIT 1`)[0];
    return row === undefined ? null : (row.due_at as number);
  }

  async waitingOn(id: string): Promise<readonly JobRecord[]> {
    return this.records(
      `SELECT j.record FROM ${this.t.blockers} b JOIN ${this.t.jobs} j ON j.id = b.job_id WHERE b.blocker = ? AND j.state = 'waiting' ORDER BY j.id`,
      id,
    );
  }

  async lastWithKey(key: string): Promise<JobRecord | undefined> {
    return this.records(`SELECT record FROM ${this.t.jobs} WHERE key = ? ORDER BY id DESC LIMIT 1`, key)[0];
  }

  async idempotency(key: string): Promise<IdempotencyRecord | undefined> {
    const row = this.rows(`SELECT key, job_id, fingerprint, expires_at FROM ${this.t.idem} WHERE key = ?`, key)[0];
    return row === undefined
      ? undefined
      : { key: row.key as string, jobId: row.job_id as string, fingerprint: row.fingerprint as string, expiresAtMs: row.expires_at as number };
  }

  async steps(jobId: string): Promise<readonly StepRecord[]> {
    return this.rows(`SELECT name, result, attempt, at FROM ${this.t.steps} WHERE job_id = ? ORDER BY at, name`, jobId).map((r) => ({
      jobId,
      name: r.name as string,
      result: JSON.parse(r.result as string) as Json,
      attempt: r.attempt as number,
      atMs: r.at as number,
    }));
  }

  async list(query: ListQuery): Promise<ListPage> {
    const limit = query.limit ?? 100;
    const where: string[] = [];
    const bindings: unknown[] = [];
    if (query.state !== undefined) {
      where.push('state = ?');
      bindings.push(query.state);
    }
    if (query.queue !== undefined) {
      where.push('queue = ?');
      bindings.push(query.queue);
    }
    if (query.type !== undefined) {
      where.push('type = ?');
      bindings.push(query.type);
    }
    if (query.cursor !== undefined) {
      where.push(query.order === 'desc' ? 'id < ?' : 'id > ?');
      bindings.push(query.cursor);
    }
    const clause = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    const found = this.records(
      `SELECT record FROM ${this.t.jobs} ${clause} ORDER BY id ${query.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ?`,
      ...bindings,
      limit + 1,
    );
    const jobs = found.slice(0, limit);
    return { jobs, cursor: found.length > limit ? jobs[jobs.length - 1]!.id : null };
  }

  async counts(): Promise<StateCounts> {
    const counts = {} as Record<JobState, number[]>;
    for (const state of Object.values(JobState)) counts[state] = new Array<number>(PRIORITY_LEVELS).fill(0);
    for (const row of this.rows(`SELECT state, priority, count(*) AS n FROM ${this.t.jobs} GROUP BY state, priority`)) {
      counts[row.state as JobState][row.priority as number] = row.n as number;
    }
    return counts;
  }

  async getMeta(name: string): Promise<Json | undefined> {
    const row = this.rows(`SELECT value FROM ${this.t.meta} WHERE name = ?`, name)[0];
    return row === undefined ? undefined : (JSON.parse(row.value as string) as Json);
  }

  async commit(batch: StoreBatch): Promise<void> {
    const { jobs, blockers, idem, steps, meta } = this.t;
    this.storage.transactionSync(() => {
      this.check(batch.checks ?? []);
      // Many rows a statement: in a Durable Object each statement costs more than the rows it writes
      // (a 9-row INSERT stores new jobs ~2× as fast as nine 1-row ones, measured in workerd).
      const inserts = batch.jobs.filter((w) => w.expectedVersion === null);
      for (let i = 0; i < inserts.length; i += INSERT_ROWS) this.insertJobs(inserts.slice(i, i + INSERT_ROWS));
      const updates = batch.jobs.filter((w) => w.expectedVersion !== null);
      for (let i = 0; i < updates.length; i += UPDATE_ROWS) this.updateJobs(updates.slice(i, i + UPDATE_ROWS));
      for (const { record, expectedState } of batch.jobs) {
        const wasWaiting = expectedState === JobState.waiting;
        const isWaiting = record.state === JobState.waiting;
        if (wasWaiting && !isWaiting) {
          for (const blocker of blockersOf(record)) this.sql.exec(`DELETE FROM ${blockers} WHERE blocker = ? AND job_id = ?`, blocker, record.id);
        }
        // Still waiting, rewritten: it may wait for another job now (its key's predecessor ended without running).
        if (wasWaiting && isWaiting) this.sql.exec(`DELETE FROM ${blockers} WHERE job_id = ?`, record.id);
        if (isWaiting) {
          for (const blocker of blockersOf(record)) this.sql.exec(`INSERT OR IGNORE INTO ${blockers} (blocker, job_id) VALUES (?, ?)`, blocker, record.id);
        }
      }
      for (let i = 0; i < batch.deletes.length; i += IN_LIST) {
        const ids = batch.deletes.slice(i, i + IN_LIST);
        const list = placeholders(ids.length);
        this.sql.exec(`DELETE FROM ${jobs} WHERE id IN (${list})`, ...ids);
        this.sql.exec(`DELETE FROM ${blockers} WHERE job_id IN (${list})`, ...ids);
        this.sql.exec(`DELETE FROM ${steps} WHERE job_id IN (${list})`, ...ids);
      }
      for (const r of batch.idempotency) {
        this.sql.exec(
          `INSERT OR REPLACE INTO ${idem} (key, job_id, fingerprint, expires_at) VALUES (?, ?, ?, ?)`,
          r.key,
          r.jobId,
          r.fingerprint,
          r.expiresAtMs,
        );
      }
      for (const key of batch.idempotencyDeletes) this.sql.exec(`DELETE FROM ${idem} WHERE key = ?`, key);
      for (const s of batch.steps) {
        this.sql.exec(
          `INSERT OR REPLACE INTO ${steps} (job_id, name, result, attempt, at) VALUES (?, ?, ?, ?, ?)`,
          s.jobId,
          s.name,
          JSON.stringify(s.result),
          s.attempt,
          s.atMs,
        );
      }
      for (const { name, value } of batch.meta) this.sql.exec(`INSERT OR REPLACE INTO ${meta} (name, value) VALUES (?, ?)`, name, JSON.stringify(value));
    });
  }

  /** Versions the batch relies on without writing them. */
  private check(checks: ReadonlyArray<{ readonly id: string; readonly version: number }>): void {
    for (let i = 0; i < checks.length; i += IN_LIST) {
      const chunk = checks.slice(i, i + IN_LIST);
      const stored = new Map(
        this.rows(`SELECT id, version FROM ${this.t.jobs} WHERE id IN (${placeholders(chunk.length)})`, ...chunk.map((c) => c.id)).map((r) => [
          r.id as string,
          r.version as number,
        ]),
      );
      for (const { id, version } of chunk) {
        if (stored.get(id) !== version) throw new StoreConflictError(`Job ${id}: expected version ${version}, store has ${stored.get(id) ?? '(none)'}`);
      }
    }
  }

  /** New jobs, in one statement; a job that exists already fails it whole. */
  private insertJobs(writes: readonly JobWrite[]): void {
    const values: unknown[] = [];
    for (const { record } of writes) {
      values.push(
        record.id,
        record.version,
        record.state,
        record.queue,
        record.type,
        record.priority,
        record.key,
        record.fairnessKey ?? '',
        record.rank,
        record.dueAtMs,
        JSON.stringify(record),
      );
    }
    try {
      this.sql.exec(
        `INSERT INTO ${this.t.jobs} (id, version, state, queue, type, priority, key, fair, rank, due_at, record) VALUES ${rowsOf(writes.length, 11)}`,
        ...values,
      );
    } catch (error) {
      if (!/UNIQUE|constraint/i.test(String(error))) throw error;
      const ids = writes.map((w) => w.record.id);
      throw new StoreConflictError(`Job(s) ${ids.join(', ')}: expected new jobs, the store has one of them already`);
    }
  }

  /**
   * Updates, in one statement, each applied only where the stored version is
   * the one it expects; fewer rows written than given means a stale write.
   * Only what a job's life changes is set: queue, type and keys are fixed at
   * submit, and SQLite rewrites every index over a column an UPDATE sets,
   * changed or not.
   */
  private updateJobs(writes: readonly JobWrite[]): void {
    const values: unknown[] = [];
    for (const { record, expectedVersion } of writes) {
      values.push(record.id, expectedVersion, record.version, record.state, record.priority, record.rank, record.dueAtMs, JSON.stringify(record));
    }
    const { jobs } = this.t;
    // RETURNING counts the rows updated (`rowsWritten` counts index entries too).
    const updated = this.sql
      .exec(
        `UPDATE ${jobs} SET version = v.column3, state = v.column4, priority = v.column5, rank = v.column6, due_at = v.column7, record = v.column8
         FROM (VALUES ${rowsOf(writes.length, 8)}) AS v WHERE ${jobs}.id = v.column1 AND ${jobs}.version = v.column2 RETURNING ${jobs}.id`,
        ...values,
      )
      .toArray().length;
    if (updated === writes.length) return;
    for (const { record, expectedVersion } of writes) {
      const stored = this.rows(`SELECT version FROM ${jobs} WHERE id = ?`, record.id)[0];
      // Read inside the transaction: the rows it updated show the new version.
      if (stored?.version !== record.version) {
        throw new StoreConflictError(`Job ${record.id}: expected version ${expectedVersion}, store has ${stored === undefined ? '(none)' : stored.version}`);
      }
    }
    throw new StoreConflictError(`${writes.length - updated} of ${writes.length} job write(s) were stale`);
  }
}

/** Jobs a statement inserts (11 columns each) and updates (8 values each): 100 bound parameters at most. */
const INSERT_ROWS = 9;
const UPDATE_ROWS = 12;
/** Ids in one `IN (…)` list. */
const IN_LIST = 90;

/** `?, ?, …`: `n` parameters. */
function placeholders(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}

/** `(?, …), (?, …)`: `rows` rows of `columns` parameters. */
function rowsOf(rows: number, columns: number): string {
  return new Array<string>(rows).fill(`(${placeholders(columns)})`).join(', ');
}

function blockersOf(record: JobRecord): readonly string[] {
  return record.after === null ? record.dependsOn : [...record.dependsOn, record.after];
}
