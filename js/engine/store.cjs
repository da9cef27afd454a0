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

/**
 * The schema, written once; `{id}`, `{int}`, `{blob}`, `{real}` are the dialect's types. Times are
 * epoch milliseconds. See docs/engine.md, "Store schema".
 * @param {{ id: string, int: string, blob: string, real: string }} t
 */
function schema(t) {
  return `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  id ${t.id},
  received_at ${t.int} NOT NULL,
  source TEXT NOT NULL,
  control_id TEXT,
  outcome TEXT NOT NULL,
  code TEXT,
  job_id ${t.int},
  idem_key TEXT,
  raw ${t.blob} NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_received ON messages (received_at);
CREATE TABLE IF NOT EXISTS jobs (
  id ${t.id},
  kind TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  lane TEXT NOT NULL,
  state TEXT NOT NULL,
  due_at ${t.int} NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  meta TEXT,
  result_code TEXT,
  result TEXT,
  owner TEXT,
  lease_until ${t.int},
  attempt_started_at ${t.int},
  doubt_at ${t.int},
  created_at ${t.int} NOT NULL,
  updated_at ${t.int} NOT NULL,
  done_at ${t.int},
  UNIQUE (kind, idem_key)
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (due_at, id) WHERE state IN ('queued', 'retrying');
CREATE INDEX IF NOT EXISTS jobs_lane ON jobs (lane, id) WHERE state IN ('queued', 'retrying', 'running');
CREATE INDEX IF NOT EXISTS jobs_running ON jobs (owner) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS jobs_done ON jobs (done_at) WHERE state = 'done';
CREATE TABLE IF NOT EXISTS workers (
  id TEXT PRIMARY KEY, role TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
  started_at ${t.int} NOT NULL, heartbeat_at ${t.int} NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_buckets (name TEXT PRIMARY KEY, tokens ${t.real} NOT NULL, updated_at ${t.int} NOT NULL);
CREATE TABLE IF NOT EXISTS reminders (
  id TEXT PRIMARY KEY,
  appointment_key TEXT NOT NULL,
  status TEXT NOT NULL,
  code TEXT,
  due_at ${t.int},
  not_after ${t.int},
  appointment_start ${t.int},
  job_id ${t.int},
  reminder TEXT,
  created_at ${t.int} NOT NULL,
  updated_at ${t.int} NOT NULL
);
CREATE INDEX IF NOT EXISTS reminders_due ON reminders (due_at, id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS reminders_appointment ON reminders (appointment_key);
`;
}

/** The version the schema above is; a store with a newer one is refused (2: reminders). */
const SCHEMA_VERSION = 2;

/** Job states that are not final. */
const ACTIVE = "('queued','retrying','running')";

/** Job result codes of a REMIND that reached Studio (any other `done` code is a skip at send time). */
const SENT_CODES = new Set(['STUDIO_CREATED', 'STUDIO_RECONCILED']);

/**
 * @typedef {{ op: 'all' | 'run', sql: string, params: unknown[] }} Query
 * @typedef {Generator<Query, any, any>} Op
 */

/** @param {string} sql @param {...unknown} params @returns {Query} */
const all = (sql, ...params) => ({ op: 'all', sql, params });
/** @param {string} sql @param {...unknown} params @returns {Query} */
const run = (sql, ...params) => ({ op: 'run', sql, params });

/** `?, ?, ?` for n values. @param {number} n */
const marks = (n) => Array.from({ length: n }, () => '?').join(', ');

/**
 * @typedef {{
 *   kind: string, idemKey: string, lane: string, payload: unknown, dueAt?: number,
 * }} NewJob
 * @typedef {{
 *   receivedAt: number, source: string, controlId: string | null, raw: Uint8Array,
 *   outcome: 'queued' | 'skipped' | 'rejected', code: string | null, job?: NewJob, remind?: RemindPlanning,
 * }} IngestItem
 * @typedef {{
 *   messageId: number, jobId: number | null, duplicate: boolean, jobState: string | null,
 *   reminders?: PlanSummary,
 * }} IngestResult
 * @typedef {{
 *   appointmentKey: string, now: number,
 *   plan(existing: { id: string, status: string, appointmentStartMs?: number }[]): any,
 * }} RemindPlanning
 *   `plan` is the core's planReminders against the stored reminders of the key (called inside the
 *   transaction, synchronously); `now` is the engine clock.
 * @typedef {{ appointmentKey: string, code?: string, actions: Record<string, number>, error?: string }} PlanSummary
 * @typedef {{
 *   id: string, appointmentKey: string, status: string, code: string | null, storedStatus: string,
 *   dueAt: number | null, notAfter: number | null, appointmentStart: number | null, jobId: number | null,
 *   jobState: string | null, updatedAt: number,
 * }} ReminderRow
 *   `status` is the effective one (pending, claimed, sent, skipped, canceled, failed: the core's
 *   ReminderStatus); `storedStatus` what the row says (pending, queued, skipped, canceled, failed).
 * @typedef {(
 *   { action: 'send', job: NewJob } | { action: 'skip' | 'fail', code: string } | { action: 'wait', untilMs: number }
 * )} RemindDecision
 * @typedef {{ id: string, appointmentKey: string, action: 'queued' | 'skipped' | 'failed' | 'wait', code?: string, jobId?: number }} RemindClaim
 * @typedef {{
 *   id: number, kind: string, idemKey: string, lane: string, state: string, dueAt: number,
 *   attempts: number, payload: any, meta: any, resultCode: string | null, result: any,
 *   createdAt: number, updatedAt: number, attemptStartedAt: number | null, doubtAt: number | null,
 * }} Job
 * @typedef {(
 *   { status: 'done', code: string, result?: unknown, meta?: unknown } |
 *   { status: 'retry', code: string, delayMs: number, inDoubt?: boolean, result?: unknown, meta?: unknown } |
 *   { status: 'dead', code: string, inDoubt?: boolean, result?: unknown, meta?: unknown } |
 *   { status: 'release', delayMs?: number }
 * )} Outcome
 */

const JOB_COLUMNS =
  'id, kind, idem_key, lane, state, due_at, attempts, payload, meta, result_code, result, created_at, updated_at, attempt_started_at, doubt_at';

/** @param {string | null | undefined} text */
function parseJson(text) {
  if (text === null || text === undefined) return null;
  return JSON.parse(String(text));
}

/** A row of `jobs` as a Job. @param {any} r @returns {Job} */
function jobFromRow(r) {
  return {
    id: Number(r.id),
    kind: r.kind,
    idemKey: r.idem_key,
    lane: r.lane,
    state: r.state,
    dueAt: Number(r.due_at),
    attempts: Number(r.attempts),
    payload: parseJson(r.payload),
    meta: parseJson(r.meta),
    resultCode: r.result_code ?? null,
    result: parseJson(r.result),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    attemptStartedAt: r.attempt_started_at === null || r.attempt_started_at === undefined ? null : Number(r.attempt_started_at),
    doubtAt: r.doubt_at === null || r.doubt_at === undefined ? null : Number(r.doubt_at),
  };
}

/** @param {unknown} v */
const json = (v) => (v === undefined ? null : JSON.stringify(v));

// ---- operations ---------------------------------------------------------------------------------

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

// ---- reminders ----------------------------------------------------------------------------------

const REMINDER_SELECT = `SELECT r.id, r.appointment_key, r.status, r.code, r.due_at, r.not_after, r.appointment_start, r.job_id,
         r.updated_at, j.state AS job_state, j.result_code AS job_code
  FROM reminders r LEFT JOIN jobs j ON j.id = r.job_id`;

/** @param {unknown} v */
const numOrNull = (v) => (v === null || v === undefined ? null : Number(v));

/**
 * A reminder row with its effective status: a queued one is `claimed` while its job is unfinished,
 * `sent` once Studio created it (or its finished job was purged), `skipped` when the job found it
 * too late at send time, `failed` when the job was dead-lettered.
 * @param {any} r @returns {ReminderRow}
 */
function reminderFromRow(r) {
  let status = r.status;
  let code = r.code ?? null;
  if (r.status === 'queued') {
    const js = r.job_state ?? null;
    if (js === null) status = 'sent';
    else if (js === 'done') {
      status = SENT_CODES.has(r.job_code) ? 'sent' : 'skipped';
      code = r.job_code ?? null;
    } else if (js === 'dead') (status = 'failed'), (code = r.job_code ?? null);
    else status = 'claimed';
  }
  return {
    id: r.id,
    appointmentKey: r.appointment_key,
    status,
    code,
    storedStatus: r.status,
    dueAt: numOrNull(r.due_at),
    notAfter: numOrNull(r.not_after),
    appointmentStart: numOrNull(r.appointment_start),
    jobId: numOrNull(r.job_id),
    jobState: r.job_state ?? null,
    updatedAt: Number(r.updated_at),
  };
}

/**
 * What the store keeps of a planned `create` / `update` (what remindDue and the REMIND builder read,
 * plus the times for operators). @param {any} p
 */
function storedReminder(p) {
  const { action: _a, code: _c, reason: _r, ...stored } = p;
  return stored;
}

/**
 * Apply the core's plan for one appointment (docs/reminders.md, "The lifecycle"), inside the
 * transaction that stores the event. `keyLock` serialises plans of one appointment across replicas.
 * @param {RemindPlanning} rp @param {number} jobNow @param {string} keyLock
 * @returns {Generator<Query, PlanSummary, any>}
 */
function* planReminders(rp, jobNow, keyLock) {
  if (keyLock) yield all(keyLock, rp.appointmentKey);
  const rows = /** @type {ReminderRow[]} */ ((yield all(`${REMINDER_SELECT} WHERE r.appointment_key = ?`, rp.appointmentKey)).map(reminderFromRow));
  const existing = rows.map((r) => ({ id: r.id, status: r.status, ...(r.appointmentStart !== null ? { appointmentStartMs: r.appointmentStart } : {}) }));
  let plan;
  try {
    plan = rp.plan(existing);
  } catch (e) {
    const err = /** @type {any} */ (e);
    return { appointmentKey: rp.appointmentKey, actions: {}, error: err?.name === 'EhrStudioBridgeError' && typeof err.code === 'string' ? err.code : 'INTERNAL' };
  }
  /** @type {Record<string, number>} */
  const actions = {};
  const summary = { appointmentKey: rp.appointmentKey, ...(plan.code ? { code: plan.code } : {}), actions };
  if (plan.unchanged) return summary;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const t = rp.now;
  for (const p of plan.reminders) {
    actions[p.action] = (actions[p.action] ?? 0) + 1;
    const row = byId.get(p.id);
    if (p.action === 'create' || p.action === 'update') {
      const text = JSON.stringify(storedReminder(p));
      if (!row) {
        yield run(
          `INSERT INTO reminders (id, appointment_key, status, code, due_at, not_after, appointment_start, reminder, created_at, updated_at)
           VALUES (?, ?, 'pending', NULL, ?, ?, ?, ?, ?, ?)`,
          p.id, rp.appointmentKey, p.dueAtMs, p.notAfterMs, p.appointmentStartMs, text, t, t,
        );
      } else {
        // A queued reminder is in the delivery queue with the request it was handed: left alone.
        yield run(
          `UPDATE reminders SET status = 'pending', code = NULL, due_at = ?, not_after = ?, appointment_start = ?, reminder = ?, updated_at = ?
           WHERE id = ? AND status <> 'queued'`,
          p.dueAtMs, p.notAfterMs, p.appointmentStartMs, text, t, p.id,
        );
      }
    } else if (p.action === 'cancel' && row) {
      const r = yield run(`UPDATE reminders SET status = 'canceled', code = ?, updated_at = ? WHERE id = ? AND status = 'pending'`, p.code ?? null, t, p.id);
      if (r.changes === 0 && row.storedStatus === 'queued' && row.jobId !== null) {
        // Still waiting in the queue (not running, not in doubt): it never reached Studio.
        const c = yield run(
          `UPDATE jobs SET state = 'done', result_code = ?, done_at = ?, updated_at = ?
           WHERE id = ? AND state IN ('queued', 'retrying') AND doubt_at IS NULL`,
          p.code ?? null, jobNow, jobNow, row.jobId,
        );
        if (c.changes > 0) yield run(`UPDATE reminders SET status = 'canceled', code = ?, updated_at = ? WHERE id = ?`, p.code ?? null, t, p.id);
      }
    } else if (p.action === 'skip' && !row) {
      yield run(
        `INSERT INTO reminders (id, appointment_key, status, code, due_at, not_after, appointment_start, reminder, created_at, updated_at)
         VALUES (?, ?, 'skipped', ?, ?, ?, ?, NULL, ?, ?)`,
        p.id, rp.appointmentKey, p.code ?? null, p.dueAtMs ?? null, p.notAfterMs ?? null, p.appointmentStartMs ?? null, t, t,
      );
    }
  }
  return summary;
}

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

  /**
   * Claim up to `limit` pending reminders due at `now` (the engine clock), oldest first, and settle
   * each in the same transaction as `decide` says (the core's remindDue and REMIND builder): a
   * `send` becomes ONE job (unique idempotency key: the reminder id), a skip or failure is recorded
   * with its code. Rows another replica holds are skipped (SKIP LOCKED).
   * @param {{ now: number, limit: number, lock: string, decide(reminder: any): RemindDecision }} o @param {number} jobNow
   * @returns {Generator<Query, RemindClaim[], any>}
   */
  *claimReminders(o, jobNow) {
    if (o.limit <= 0) return [];
    const rows = yield all(
      `SELECT j.id, j.appointment_key, j.reminder FROM reminders j
       WHERE j.status = 'pending' AND j.due_at <= ? ORDER BY j.due_at, j.id LIMIT ?${o.lock}`,
      o.now,
      o.limit,
    );
    /** @type {RemindClaim[]} */
    const out = [];
    for (const row of rows) {
      const base = { id: String(row.id), appointmentKey: String(row.appointment_key) };
      const d = o.decide(parseJson(row.reminder));
      if (d.action === 'send') {
        const j = yield* insertJob(d.job, jobNow);
        yield run(`UPDATE reminders SET status = 'queued', job_id = ?, code = NULL, updated_at = ? WHERE id = ?`, j.id, o.now, row.id);
        out.push({ ...base, action: 'queued', jobId: j.id });
      } else if (d.action === 'wait') {
        yield run('UPDATE reminders SET due_at = ?, updated_at = ? WHERE id = ?', d.untilMs, o.now, row.id);
        out.push({ ...base, action: 'wait' });
      } else {
        const status = d.action === 'skip' ? 'skipped' : 'failed';
        yield run('UPDATE reminders SET status = ?, code = ?, updated_at = ? WHERE id = ?', status, d.code, o.now, row.id);
        out.push({ ...base, action: status, code: d.code });
      }
    }
    return out;
  },

  /** When the next pending reminder is due (engine clock; null: none). @returns {Generator<Query, number | null, any>} */
  *nextReminderDue() {
    const rows = yield all(`SELECT MIN(due_at) AS due FROM reminders WHERE status = 'pending'`);
    return numOrNull(rows[0]?.due);
  },

  /**
   * Reminders without their snapshot (PHI), by appointment key or id, or every one (newest first).
   * @param {{ appointmentKey?: string, ids?: string[], limit?: number }} f @returns {Generator<Query, ReminderRow[], any>}
   */
  *listReminders(f) {
    const where = [];
    const params = [];
    if (f.appointmentKey) (where.push('r.appointment_key = ?'), params.push(f.appointmentKey));
    if (f.ids) (where.push(`r.id IN (${f.ids.length ? marks(f.ids.length) : 'NULL'})`), params.push(...f.ids));
    const rows = yield all(
      `${REMINDER_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.updated_at DESC, r.id LIMIT ?`,
      ...params,
      f.limit ?? 1000,
    );
    return rows.map(reminderFromRow);
  },

  /** Reminder counts by effective status and code (status, /metrics). @returns {Generator<Query, { status: string, code: string | null, n: number }[], any>} */
  *reminderCounts() {
    const rows = yield all(
      `SELECT r.status, r.code, j.state AS job_state, j.result_code AS job_code, COUNT(*) AS n
       FROM reminders r LEFT JOIN jobs j ON j.id = r.job_id GROUP BY r.status, r.code, j.state, j.result_code`,
    );
    /** @type {Map<string, { status: string, code: string | null, n: number }>} */
    const m = new Map();
    for (const r of rows) {
      const e = reminderFromRow({ ...r, id: '', appointment_key: '', updated_at: 0 });
      const k = `${e.status}\u0000${e.code ?? ''}`;
      const c = m.get(k) ?? { status: e.status, code: e.code, n: 0 };
      c.n += Number(r.n);
      m.set(k, c);
    }
    return [...m.values()];
  },

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
