// @ts-check
// The reminders' operations (docs/reminders.md): apply the core's plan for an appointment inside
// the transaction of the event that planned it, claim the due reminders (each becomes ONE `remind`
// job), list and count them. Generators of SQL queries, like every operation (store.cjs).
'use strict';

const { all, run, marks } = require('./store-schema.cjs');
const { parseJson, numOrNull, reminderFromRow } = require('./store-rows.cjs');
const { insertJob } = require('./store-jobs.cjs');

/**
 * @typedef {import('./store-schema.cjs').Query} Query
 * @typedef {import('./store-rows.cjs').RemindPlanning} RemindPlanning
 * @typedef {import('./store-rows.cjs').PlanSummary} PlanSummary
 * @typedef {import('./store-rows.cjs').ReminderRow} ReminderRow
 * @typedef {import('./store-rows.cjs').RemindDecision} RemindDecision
 * @typedef {import('./store-rows.cjs').RemindClaim} RemindClaim
 */

const REMINDER_SELECT = `SELECT r.id, r.appointment_key, r.status, r.code, r.due_at, r.not_after, r.appointment_start, r.job_id,
         r.updated_at, j.state AS job_state, j.result_code AS job_code
  FROM reminders r LEFT JOIN jobs j ON j.id = r.job_id`;

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

const reminderOps = {
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
};

module.exports = { planReminders, reminderOps };
