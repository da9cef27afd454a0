// @ts-check
// The job queue's operations (docs/engine.md, "Store"): insert once per idempotency key, claim by
// lane, finish, recover the jobs of dead workers (IN DOUBT), requeue dead letters, purge; and the
// shared state the workers keep beside it: worker heartbeats, the token bucket, counts for status.
// Each is a generator of SQL queries that a dialect runner executes in one transaction (store.cjs).
'use strict';

const { coded } = require('./util.cjs');
const { all, run, marks } = require('./store-schema.cjs');
const { jobFromRow, json } = require('./store-rows.cjs');

/**
 * @typedef {import('./store-schema.cjs').Query} Query
 * @typedef {import('./store-rows.cjs').NewJob} NewJob
 * @typedef {import('./store-rows.cjs').Job} Job
 * @typedef {import('./store-rows.cjs').Outcome} Outcome
 */

/** Job states that are not final. */
const ACTIVE = "('queued','retrying','running')";

const JOB_COLUMNS =
  'id, kind, idem_key, lane, state, due_at, attempts, payload, meta, result_code, result, created_at, updated_at, attempt_started_at, doubt_at';

/**
 * Insert a job unless its (kind, idempotency key) exists. @param {NewJob} j @param {number} now
 * @returns {Generator<Query, { id: number, created: boolean, state: string }, any>}
 */
function* insertJob(j, now) {
  const rows = yield all(
    `INSERT INTO jobs (kind, idem_key, lane, state, due_at, attempts, payload, created_at, updated_at)
     VALUES (?, ?, ?, 'queued', ?, 0, ?, ?, ?) ON CONFLICT (kind, idem_key) DO NOTHING RETURNING id`,
    j.kind,
    j.idemKey,
    j.lane,
    j.dueAt ?? now,
    JSON.stringify(j.payload),
    now,
    now,
  );
  if (rows.length > 0) return { id: Number(rows[0].id), created: true, state: 'queued' };
  const found = yield all('SELECT id, state FROM jobs WHERE kind = ? AND idem_key = ?', j.kind, j.idemKey);
  if (found.length === 0) throw coded('ENGINE_STORE_CONFLICT', 'a job insert conflicted but the existing job was not found');
  return { id: Number(found[0].id), created: false, state: found[0].state };
}

const jobOps = {
  /** @param {NewJob} job @param {number} now @returns {Generator<Query, { id: number, created: boolean, state: string }, any>} */
  *enqueue(job, now) {
    return yield* insertJob(job, now);
  },

  /**
   * Lease up to `limit` runnable jobs of these kinds: due, head of their lane, lane not running.
   * @param {{ owner: string, kinds: string[], limit: number, now: number, leaseMs: number, lock: string }} o
   * @returns {Generator<Query, Job[], any>}
   */
  *claim(o) {
    if (o.kinds.length === 0 || o.limit <= 0) return [];
    const rows = yield all(
      `UPDATE jobs SET state = 'running', owner = ?, lease_until = ?, attempt_started_at = ?,
              attempts = attempts + 1, updated_at = ?
       WHERE id IN (
         SELECT j.id FROM jobs j
         WHERE j.state IN ('queued', 'retrying') AND j.due_at <= ? AND j.kind IN (${marks(o.kinds.length)})
           AND NOT EXISTS (
             SELECT 1 FROM jobs k
             WHERE k.lane = j.lane AND k.id <> j.id AND k.state IN ${ACTIVE}
               AND (k.id < j.id OR k.state = 'running'))
         ORDER BY j.due_at, j.id
         LIMIT ?${o.lock})
       RETURNING ${JOB_COLUMNS}`,
      o.owner,
      o.now + o.leaseMs,
      o.now,
      o.now,
      o.now,
      ...o.kinds,
      o.limit,
    );
    return rows.map(jobFromRow).sort((/** @type {Job} */ a, /** @type {Job} */ b) => a.id - b.id);
  },

  /**
   * Record an attempt's outcome, only if `owner` still holds the lease (true if recorded).
   * @param {number} id @param {string} owner @param {Outcome} o @param {number} now
   * @returns {Generator<Query, boolean, any>}
   */
  *finish(id, owner, o, now) {
    if (o.status === 'release') {
      const r = yield run(
        `UPDATE jobs SET state = CASE WHEN attempts <= 1 THEN 'queued' ELSE 'retrying' END,
                attempts = attempts - 1, due_at = ?, owner = NULL, lease_until = NULL, updated_at = ?
         WHERE id = ? AND owner = ? AND state = 'running'`,
        now + (o.delayMs ?? 0),
        now,
        id,
        owner,
      );
      return r.changes > 0;
    }
    const state = o.status === 'done' ? 'done' : o.status === 'dead' ? 'dead' : 'retrying';
    const doubt = o.status === 'done' ? 'clear' : 'inDoubt' in o && o.inDoubt ? 'set' : 'clear';
    const r = yield run(
      `UPDATE jobs SET state = ?, due_at = ?, result_code = ?, result = COALESCE(?, result),
              meta = COALESCE(?, meta),
              doubt_at = CASE WHEN ? = 'set' THEN COALESCE(doubt_at, attempt_started_at) ELSE NULL END,
              owner = NULL, lease_until = NULL, updated_at = ?, done_at = ?
       WHERE id = ? AND owner = ? AND state = 'running'`,
      state,
      o.status === 'retry' ? now + Math.max(0, o.delayMs) : now,
      o.code,
      json(o.result),
      json(o.meta),
      doubt,
      now,
      state === 'done' ? now : null,
      id,
      owner,
    );
    return r.changes > 0;
  },

  /**
   * Jobs leased by workers that stopped heartbeating (or whose lease ran out) become retrying and
   * IN DOUBT: their external call may have happened. @param {number} now @param {number} deadAfterMs
   * @returns {Generator<Query, { id: number, kind: string }[], any>}
   */
  *recover(now, deadAfterMs) {
    const rows = yield all(
      `UPDATE jobs SET state = 'retrying', doubt_at = COALESCE(doubt_at, attempt_started_at), owner = NULL,
              lease_until = NULL, due_at = ?, updated_at = ?, result_code = 'LEASE_EXPIRED'
       WHERE state = 'running'
         AND (lease_until < ? OR owner IS NULL
              OR owner NOT IN (SELECT id FROM workers WHERE heartbeat_at >= ?))
       RETURNING id, kind`,
      now,
      now,
      now,
      now - deadAfterMs,
    );
    return rows.map((/** @type {any} */ r) => ({ id: Number(r.id), kind: r.kind }));
  },

  /** @param {{ id: string, role: string, host: string, pid: number }} w @param {number} now @returns {Generator<Query, void, any>} */
  *heartbeat(w, now) {
    yield run(
      `INSERT INTO workers (id, role, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
      w.id,
      w.role,
      w.host,
      w.pid,
      now,
      now,
    );
  },

  /**
   * Other live workers (heartbeat within `deadAfterMs`). @param {string} self @param {number} now @param {number} deadAfterMs
   * @returns {Generator<Query, { id: string, role: string, host: string, pid: number, startedAt: number, heartbeatAt: number }[], any>}
   */
  *liveWorkers(self, now, deadAfterMs) {
    const rows = yield all(
      'SELECT id, role, host, pid, started_at, heartbeat_at FROM workers WHERE id <> ? AND heartbeat_at >= ? ORDER BY started_at',
      self,
      now - deadAfterMs,
    );
    return rows.map((/** @type {any} */ r) => ({
      id: r.id,
      role: r.role,
      host: r.host,
      pid: Number(r.pid),
      startedAt: Number(r.started_at),
      heartbeatAt: Number(r.heartbeat_at),
    }));
  },

  /** Remove this worker (graceful stop) and old dead rows. @param {string} id @param {number} before @returns {Generator<Query, void, any>} */
  *retire(id, before) {
    yield run('DELETE FROM workers WHERE id = ? OR heartbeat_at < ?', id, before);
  },

  /**
   * Take up to `want` tokens from a shared token bucket (`rate` per second, at most `burst`).
   * @param {string} name @param {number} want @param {number} rate @param {number} burst @param {number} now @param {string} lockRow
   * @returns {Generator<Query, { granted: number, waitMs: number }, any>}
   */
  *takeTokens(name, want, rate, burst, now, lockRow) {
    yield run('INSERT INTO rate_buckets (name, tokens, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING', name, burst, now);
    const rows = yield all(`SELECT tokens, updated_at FROM rate_buckets WHERE name = ?${lockRow}`, name);
    const row = rows[0];
    const elapsed = Math.max(0, now - Number(row.updated_at));
    const tokens = Math.min(burst, Number(row.tokens) + (elapsed * rate) / 1000);
    const granted = Math.max(0, Math.min(want, Math.floor(tokens)));
    const left = tokens - granted;
    yield run('UPDATE rate_buckets SET tokens = ?, updated_at = ? WHERE name = ?', left, Math.max(now, Number(row.updated_at)), name);
    // granted < want only when fewer than `want` whole tokens were left: `left` is then below 1.
    const waitMs = granted >= want ? 0 : Math.ceil(((1 - left) * 1000) / rate);
    return { granted, waitMs };
  },

  /** When the next queued/retrying job of these kinds is due (null: none). @param {string[]} kinds @returns {Generator<Query, number | null, any>} */
  *nextDue(kinds) {
    if (kinds.length === 0) return null;
    const rows = yield all(
      `SELECT MIN(due_at) AS due FROM jobs WHERE state IN ('queued', 'retrying') AND kind IN (${marks(kinds.length)})`,
      ...kinds,
    );
    const due = rows[0]?.due;
    return due === null || due === undefined ? null : Number(due);
  },

  /**
   * Counts for `status` and /metrics (no PHI: states, codes, counts, times).
   * @returns {Generator<Query, { jobs: { kind: string, state: string, code: string | null, n: number }[], messages: { outcome: string, code: string | null, n: number }[], oldestPendingAt: number | null }, any>}
   */
  *counts() {
    const jobs = yield all(
      `SELECT kind, state, result_code, COUNT(*) AS n FROM jobs GROUP BY kind, state, result_code ORDER BY kind, state, result_code`,
    );
    const messages = yield all('SELECT outcome, code, COUNT(*) AS n FROM messages GROUP BY outcome, code ORDER BY outcome, code');
    const oldest = yield all(`SELECT MIN(created_at) AS t FROM jobs WHERE state IN ('queued', 'retrying', 'running')`);
    return {
      jobs: jobs.map((/** @type {any} */ r) => ({ kind: r.kind, state: r.state, code: r.result_code ?? null, n: Number(r.n) })),
      messages: messages.map((/** @type {any} */ r) => ({ outcome: r.outcome, code: r.code ?? null, n: Number(r.n) })),
      oldestPendingAt: oldest[0]?.t === null || oldest[0]?.t === undefined ? null : Number(oldest[0].t),
    };
  },

  /**
   * Jobs without their payload (PHI), newest first. @param {{ state?: string, kind?: string, code?: string, ids?: number[], limit?: number }} f
   * @returns {Generator<Query, Omit<Job, 'payload' | 'meta'>[], any>}
   */
  *listJobs(f) {
    const where = [];
    const params = [];
    if (f.state) (where.push('state = ?'), params.push(f.state));
    if (f.kind) (where.push('kind = ?'), params.push(f.kind));
    if (f.code) (where.push('result_code = ?'), params.push(f.code));
    if (f.ids) (where.push(`id IN (${f.ids.length ? marks(f.ids.length) : 'NULL'})`), params.push(...f.ids));
    const rows = yield all(
      `SELECT id, kind, idem_key, lane, state, due_at, attempts, result_code, result, created_at, updated_at, doubt_at
       FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      ...params,
      f.limit ?? 100,
    );
    return rows.map((/** @type {any} */ r) => {
      const j = jobFromRow({ ...r, payload: null, meta: null, attempt_started_at: null });
      return { ...j, payload: undefined, meta: undefined };
    });
  },

  /** The full job (payload included; PHI: never log it). @param {number} id @returns {Generator<Query, Job | null, any>} */
  *getJob(id) {
    const rows = yield all(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`, id);
    return rows.length ? jobFromRow(rows[0]) : null;
  },

  /** Ids of dead letters matching a filter, oldest first. @param {{ kind?: string, code?: string, ids?: number[] }} f @returns {Generator<Query, number[], any>} */
  *deadIds(f) {
    const where = ["state = 'dead'"];
    const params = [];
    if (f.kind) (where.push('kind = ?'), params.push(f.kind));
    if (f.code) (where.push('result_code = ?'), params.push(f.code));
    if (f.ids) (where.push(`id IN (${f.ids.length ? marks(f.ids.length) : 'NULL'})`), params.push(...f.ids));
    const rows = yield all(`SELECT id FROM jobs WHERE ${where.join(' AND ')} ORDER BY id`, ...params);
    return rows.map((/** @type {any} */ r) => Number(r.id));
  },

  /** Dead letters back to the queue (attempt count reset; `doubt_at` kept). @param {number[]} ids @param {number} now @returns {Generator<Query, number, any>} */
  *requeue(ids, now) {
    if (ids.length === 0) return 0;
    const r = yield run(
      `UPDATE jobs SET state = 'queued', due_at = ?, attempts = 0, updated_at = ?, result_code = 'REPLAYED'
       WHERE state = 'dead' AND id IN (${marks(ids.length)})`,
      now,
      now,
      ...ids,
    );
    return r.changes;
  },

  /**
   * Delete finished jobs and messages older than `before` (dead letters are kept), and the reminders
   * of appointments that started before it. @param {number} before
   * @returns {Generator<Query, { messages: number, jobs: number, reminders: number }, any>}
   */
  *purge(before) {
    const m = yield run('DELETE FROM messages WHERE received_at < ?', before);
    const j = yield run(`DELETE FROM jobs WHERE state = 'done' AND done_at < ?`, before);
    const r = yield run(`DELETE FROM reminders WHERE appointment_start < ? OR (appointment_start IS NULL AND updated_at < ?)`, before, before);
    return { messages: m.changes, jobs: j.changes, reminders: r.changes };
  },
};

module.exports = { insertJob, jobOps };
