// @ts-check
// The engine's durable store: inbound messages and ONE generic job queue (docs/engine.md, "Store").
//
// Every operation is written once, as a generator that yields SQL queries; a dialect runner
// executes it inside a transaction — synchronously on SQLite (nothing else can interleave on the
// connection between BEGIN and COMMIT), asynchronously on Postgres (pooled connections). The SQL is
// written for both (`?` placeholders, `{{lock}}` = `FOR UPDATE SKIP LOCKED` on Postgres only).
//
// Job states: queued → running → done | retrying (→ running …) | dead. `lane` orders jobs: a job
// runs only when it is the oldest unfinished job of its lane and no other job of the lane is
// running. `doubt_at` marks a job whose external call may have happened without us recording it
// (the worker died, or the call timed out): its handler must reconcile before calling again.
//
// Reminders (REMIND, docs/reminders.md): one row per planned reminder, written by the core's plan
// in the transaction of the event that planned it; the scheduler claims due rows and turns each
// into ONE `remind` job (idempotency key = the reminder id) in one transaction. A queued reminder's
// outcome is its job's. Reminder times (due, not after, planning) are the engine clock's; job times
// are the store's.
'use strict';

const { coded } = require('./util.cjs');
const { schema, SCHEMA_VERSION, all, run } = require('./store-schema.cjs');
const { jobFromRow } = require('./store-rows.cjs');
const { insertJob, jobOps } = require('./store-jobs.cjs');
const { planReminders, reminderOps } = require('./store-reminders.cjs');

// The store's parts: store-schema.cjs (the schema, the query values), store-rows.cjs (the records
// and row decoding), store-jobs.cjs (the job queue, workers, token bucket, counts),
// store-reminders.cjs (reminders); the dialect runners store-sqlite.cjs and store-postgres.cjs.
// Their types are re-exported here, as before the split.
/**
 * @typedef {import('./store-schema.cjs').Query} Query
 * @typedef {import('./store-schema.cjs').Op} Op
 * @typedef {import('./store-rows.cjs').NewJob} NewJob
 * @typedef {import('./store-rows.cjs').IngestItem} IngestItem
 * @typedef {import('./store-rows.cjs').IngestResult} IngestResult
 * @typedef {import('./store-rows.cjs').RemindPlanning} RemindPlanning
 * @typedef {import('./store-rows.cjs').PlanSummary} PlanSummary
 * @typedef {import('./store-rows.cjs').ReminderRow} ReminderRow
 * @typedef {import('./store-rows.cjs').RemindDecision} RemindDecision
 * @typedef {import('./store-rows.cjs').RemindClaim} RemindClaim
 * @typedef {import('./store-rows.cjs').Job} Job
 * @typedef {import('./store-rows.cjs').Outcome} Outcome
 */

/** Every operation: ingest here, the reminders' and the job queue's from their files. */
const ops = {
  /**
   * Messages (and their jobs, and the reminders their events plan) in one transaction: the caller
   * ACKs only after it commits.
   * @param {IngestItem[]} items @param {number} now @param {string} [keyLock]
   * @returns {Generator<Query, IngestResult[], any>}
   */
  *ingest(items, now, keyLock = '') {
    /** @type {IngestResult[]} */
    const out = [];
    for (const it of items) {
      let jobId = null;
      let duplicate = false;
      let jobState = null;
      if (it.job) {
        const j = yield* insertJob(it.job, now);
        jobId = j.id;
        duplicate = !j.created;
        jobState = j.state;
      }
      const rows = yield all(
        `INSERT INTO messages (received_at, source, control_id, outcome, code, job_id, idem_key, raw)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        it.receivedAt,
        it.source,
        it.controlId,
        duplicate ? 'duplicate' : it.outcome,
        it.code,
        jobId,
        it.job ? it.job.idemKey : null,
        it.raw,
      );
      const reminders = it.remind ? yield* planReminders(it.remind, now, keyLock) : undefined;
      out.push({ messageId: Number(rows[0].id), jobId, duplicate, jobState, ...(reminders ? { reminders } : {}) });
    }
    return out;
  },

  ...reminderOps,
  ...jobOps,
};

/**
 * The store interface both backends implement (see docs/engine.md).
 * @typedef {{
 *   kind: 'sqlite' | 'postgres',
 *   driver: string,
 *   location: string,
 *   multiReplica: boolean,
 *   ingest(items: IngestItem[]): Promise<IngestResult[]>,
 *   enqueue(job: NewJob): Promise<{ id: number, created: boolean, state: string }>,
 *   claim(o: { owner: string, kinds: string[], limit: number, leaseMs?: number }): Promise<Job[]>,
 *   finish(id: number, owner: string, outcome: Outcome): Promise<boolean>,
 *   recover(deadAfterMs: number): Promise<{ id: number, kind: string }[]>,
 *   heartbeat(w: { id: string, role: string, host: string, pid: number }): Promise<void>,
 *   liveWorkers(self: string, deadAfterMs: number): Promise<{ id: string, role: string, host: string, pid: number, startedAt: number, heartbeatAt: number }[]>,
 *   retire(id: string, deadAfterMs: number): Promise<void>,
 *   takeTokens(name: string, want: number, rate: number, burst: number): Promise<{ granted: number, waitMs: number }>,
 *   nextDue(kinds: string[]): Promise<number | null>,
 *   counts(): Promise<{ jobs: { kind: string, state: string, code: string | null, n: number }[], messages: { outcome: string, code: string | null, n: number }[], oldestPendingAt: number | null }>,
 *   listJobs(f: { state?: string, kind?: string, code?: string, ids?: number[], limit?: number }): Promise<Omit<Job, 'payload' | 'meta'>[]>,
 *   getJob(id: number): Promise<Job | null>,
 *   deadIds(f: { kind?: string, code?: string, ids?: number[] }): Promise<number[]>,
 *   requeue(ids: number[]): Promise<number>,
 *   purge(before: number): Promise<{ messages: number, jobs: number, reminders: number }>,
 *   claimReminders(o: { now: number, limit: number, decide(reminder: any): RemindDecision }): Promise<RemindClaim[]>,
 *   nextReminderDue(): Promise<number | null>,
 *   listReminders(f: { appointmentKey?: string, ids?: string[], limit?: number }): Promise<ReminderRow[]>,
 *   reminderCounts(): Promise<{ status: string, code: string | null, n: number }[]>,
 *   subscribe?(fn: () => void): () => void,
 *   close(): Promise<void>,
 * }} Store
 */

/**
 * Build a Store over a dialect runner.
 * @param {{ kind: 'sqlite' | 'postgres', driver: string, location: string, multiReplica: boolean,
 *   lock: string, lockRow: string, keyLock: string, now: () => number,
 *   tx<T>(make: () => Generator<Query, T, any>, write: boolean): Promise<T>, close(): Promise<void>,
 *   subscribe?(fn: () => void): () => void }} r
 * @returns {Store}
 */
function storeOver(r) {
  /** @template T @param {() => Generator<Query, T, any>} make @returns {Promise<T>} */
  const w = (make) => r.tx(make, true);
  /** @template T @param {() => Generator<Query, T, any>} make @returns {Promise<T>} */
  const ro = (make) => r.tx(make, false);
  return {
    kind: r.kind,
    driver: r.driver,
    location: r.location,
    multiReplica: r.multiReplica,
    ingest: (items) => w(() => ops.ingest(items, r.now(), r.keyLock)),
    enqueue: (job) => w(() => ops.enqueue(job, r.now())),
    claim: (o) => w(() => ops.claim({ ...o, now: r.now(), leaseMs: o.leaseMs ?? 10 * 60_000, lock: r.lock })),
    finish: (id, owner, o) => w(() => ops.finish(id, owner, o, r.now())),
    recover: (deadAfterMs) => w(() => ops.recover(r.now(), deadAfterMs)),
    heartbeat: (wk) => w(() => ops.heartbeat(wk, r.now())),
    liveWorkers: (self, deadAfterMs) => ro(() => ops.liveWorkers(self, r.now(), deadAfterMs)),
    retire: (id, deadAfterMs) => w(() => ops.retire(id, r.now() - 100 * deadAfterMs)),
    takeTokens: (name, want, rate, burst) => w(() => ops.takeTokens(name, want, rate, burst, r.now(), r.lockRow)),
    nextDue: (kinds) => ro(() => ops.nextDue(kinds)),
    counts: () => ro(() => ops.counts()),
    listJobs: (f) => ro(() => ops.listJobs(f)),
    getJob: (id) => ro(() => ops.getJob(id)),
    deadIds: (f) => ro(() => ops.deadIds(f)),
    requeue: (ids) => w(() => ops.requeue(ids, r.now())),
    purge: (before) => w(() => ops.purge(before)),
    claimReminders: (o) => w(() => ops.claimReminders({ ...o, lock: r.lock }, r.now())),
    nextReminderDue: () => ro(() => ops.nextReminderDue()),
    listReminders: (f) => ro(() => ops.listReminders(f)),
    reminderCounts: () => ro(() => ops.reminderCounts()),
    ...(r.subscribe ? { subscribe: r.subscribe } : {}),
    close: () => r.close(),
  };
}

/**
 * @typedef {{
 *   sqlite?: any, pg?: any, sqliteDriver?: 'better-sqlite3' | 'node:sqlite',
 *   synchronous?: 'full' | 'normal', poolSize?: number, now?: () => number,
 * }} StoreOptions
 */

/**
 * Open (and create or migrate) a store: `sqlite:PATH`, `file:PATH`, a plain path (SQLite), or
 * `postgres://…` / `postgresql://…` (Postgres).
 * @param {string} spec @param {StoreOptions} [options] @returns {Promise<Store>}
 */
async function openStore(spec, options = {}) {
  if (typeof spec !== 'string' || spec.trim() === '') throw coded('ENGINE_BAD_STORE', 'the store must be a path, sqlite:PATH or postgres://…');
  if (/^postgres(ql)?:\/\//i.test(spec)) {
    const { openPostgres } = require('./store-postgres.cjs');
    return storeOver(await openPostgres(spec, options));
  }
  const file = spec.replace(/^(sqlite|file):(\/\/)?/i, '');
  const { openSqlite } = require('./store-sqlite.cjs');
  return storeOver(openSqlite(file, options));
}

module.exports = { openStore, ops, storeOver, jobFromRow, all, run, schema, SCHEMA_VERSION };
