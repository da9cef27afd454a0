// @ts-check
// What the store's operations take and return (the records below), and the decoding of its rows
// into them: a `jobs` row as a Job, a `reminders` row (joined with its job) as a ReminderRow with
// its effective status; JSON columns both ways.
'use strict';

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

/** Job result codes of a REMIND that reached Studio (any other `done` code is a skip at send time). */
const SENT_CODES = new Set(['STUDIO_CREATED', 'STUDIO_RECONCILED']);

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

module.exports = { parseJson, json, numOrNull, jobFromRow, reminderFromRow };
