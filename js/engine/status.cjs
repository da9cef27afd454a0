// @ts-check
// The store's state for operators (`status`, GET /status, /metrics): counts by kind, state and code,
// live engines. Never message content.
'use strict';

/**
 * @typedef {{
 *   queued: number, inFlight: number, retrying: number, waitingForActiveExecution: number,
 *   sent: number, deadLettered: number, retryingByCode: Record<string, number>,
 *   deadByCode: Record<string, number>, sentByCode: Record<string, number>,
 * }} KindStatus
 * @typedef {{
 *   store: { kind: string, driver: string, location: string },
 *   jobs: Record<string, KindStatus>,
 *   messages: { total: number, queued: number, duplicate: number, skipped: Record<string, number>, rejected: Record<string, number> },
 *   oldestPendingAgeMs: number | null,
 *   engines: { id: string, role: string, host: string, pid: number, heartbeatAgeMs: number }[],
 *   reminders: ReminderStatus,
 * }} Status
 * @typedef {{
 *   total: number, pending: number, claimed: number, sent: number, skipped: number, canceled: number, failed: number,
 *   skippedByCode: Record<string, number>, canceledByCode: Record<string, number>, failedByCode: Record<string, number>,
 *   nextDueAt: number | null,
 * }} ReminderStatus
 *   By effective status (remind.cjs): `claimed` = in the delivery queue; `nextDueAt` on the engine clock.
 */

/** @returns {KindStatus} */
const emptyKind = () => ({
  queued: 0,
  inFlight: 0,
  retrying: 0,
  waitingForActiveExecution: 0,
  sent: 0,
  deadLettered: 0,
  retryingByCode: {},
  deadByCode: {},
  sentByCode: {},
});

/** @param {Record<string, number>} m @param {string | null} k @param {number} n */
const add = (m, k, n) => {
  const key = k ?? 'NONE';
  m[key] = (m[key] ?? 0) + n;
};

/**
 * @param {import('./store.cjs').Store} store @param {{ deadAfterMs?: number }} [o] @returns {Promise<Status>}
 */
async function storeStatus(store, o = {}) {
  const c = await store.counts();
  const now = Date.now();
  /** @type {Record<string, KindStatus>} */
  const jobs = {};
  for (const r of c.jobs) {
    const k = (jobs[r.kind] ??= emptyKind());
    if (r.state === 'queued') k.queued += r.n;
    else if (r.state === 'running') k.inFlight += r.n;
    else if (r.state === 'done') (k.sent += r.n), add(k.sentByCode, r.code, r.n);
    else if (r.state === 'dead') (k.deadLettered += r.n), add(k.deadByCode, r.code, r.n);
    else if (r.state === 'retrying' && r.code === 'STUDIO_EXECUTION_ACTIVE') k.waitingForActiveExecution += r.n;
    else if (r.state === 'retrying') (k.retrying += r.n), add(k.retryingByCode, r.code, r.n);
  }
  const messages = { total: 0, queued: 0, duplicate: 0, skipped: /** @type {Record<string, number>} */ ({}), rejected: /** @type {Record<string, number>} */ ({}) };
  for (const r of c.messages) {
    messages.total += r.n;
    if (r.outcome === 'queued') messages.queued += r.n;
    else if (r.outcome === 'duplicate') messages.duplicate += r.n;
    else if (r.outcome === 'skipped') add(messages.skipped, r.code, r.n);
    else if (r.outcome === 'rejected') add(messages.rejected, r.code, r.n);
  }
  const live = await store.liveWorkers('', o.deadAfterMs ?? 10_000);
  /** @type {ReminderStatus} */
  const reminders = {
    total: 0, pending: 0, claimed: 0, sent: 0, skipped: 0, canceled: 0, failed: 0,
    skippedByCode: {}, canceledByCode: {}, failedByCode: {}, nextDueAt: await store.nextReminderDue(),
  };
  for (const r of await store.reminderCounts()) {
    reminders.total += r.n;
    if (r.status === 'pending' || r.status === 'claimed' || r.status === 'sent') reminders[r.status] += r.n;
    else if (r.status === 'skipped') (reminders.skipped += r.n), add(reminders.skippedByCode, r.code, r.n);
    else if (r.status === 'canceled') (reminders.canceled += r.n), add(reminders.canceledByCode, r.code, r.n);
    else if (r.status === 'failed') (reminders.failed += r.n), add(reminders.failedByCode, r.code, r.n);
  }
  return {
    store: { kind: store.kind, driver: store.driver, location: store.location },
    jobs,
    messages,
    oldestPendingAgeMs: c.oldestPendingAt === null ? null : now - c.oldestPendingAt,
    engines: live.map((w) => ({ id: w.id, role: w.role, host: w.host, pid: w.pid, heartbeatAgeMs: now - w.heartbeatAt })),
    reminders,
  };
}

/** @param {Record<string, number>} m */
const byCode = (m) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** Human-readable status (the CLI). @param {Status} s */
function formatStatus(s) {
  const lines = [`store      ${s.store.kind} ${s.store.location} (${s.store.driver})`];
  lines.push(
    `engines    ${s.engines.length} live${s.engines.length ? `: ${s.engines.map((e) => `${e.host} pid ${e.pid} (${(e.heartbeatAgeMs / 1000).toFixed(1)} s ago)`).join('; ')}` : ''}`,
  );
  const kinds = Object.keys(s.jobs).sort();
  if (kinds.length === 0) lines.push('jobs       none');
  for (const kind of kinds) {
    const k = s.jobs[kind];
    lines.push(`${kind}`);
    lines.push(`  queued ${k.queued}   in flight ${k.inFlight}   retrying ${k.retrying}${k.retrying ? ` (${byCode(k.retryingByCode)})` : ''}`);
    if (k.waitingForActiveExecution) lines.push(`  waiting for the contact's active execution (409): ${k.waitingForActiveExecution}`);
    lines.push(`  sent ${k.sent}${k.sent ? ` (${byCode(k.sentByCode)})` : ''}`);
    lines.push(`  dead-lettered ${k.deadLettered}${k.deadLettered ? ` (${byCode(k.deadByCode)})` : ''}`);
  }
  const m = s.messages;
  const skipped = Object.values(m.skipped).reduce((a, b) => a + b, 0);
  const rejected = Object.values(m.rejected).reduce((a, b) => a + b, 0);
  lines.push(`messages   ${m.total} received: queued ${m.queued}, duplicate ${m.duplicate}, skipped ${skipped}, rejected ${rejected}`);
  if (skipped) lines.push(`  skipped by code: ${byCode(m.skipped)}`);
  if (rejected) lines.push(`  rejected by code: ${byCode(m.rejected)}`);
  lines.push(`oldest pending job: ${s.oldestPendingAgeMs === null ? 'none' : `${(s.oldestPendingAgeMs / 1000).toFixed(1)} s`}`);
  const r = s.reminders;
  if (r.total) {
    const next = r.nextDueAt === null ? '' : `, next due ${new Date(r.nextDueAt).toISOString()}`;
    lines.push(`reminders  ${r.total}: pending ${r.pending}${next}, in the queue ${r.claimed}, sent ${r.sent}, skipped ${r.skipped}, cancelled ${r.canceled}, failed ${r.failed}`);
    if (r.skipped) lines.push(`  skipped by code: ${byCode(r.skippedByCode)}`);
    if (r.canceled) lines.push(`  cancelled by code: ${byCode(r.canceledByCode)}`);
    if (r.failed) lines.push(`  failed by code: ${byCode(r.failedByCode)} (dead-lettered ones: replay --kind remind)`);
  }
  return `${lines.join('\n')}\n`;
}

/** Prometheus gauges from a status. @param {Status} s */
function statusMetrics(s) {
  const lines = ['# HELP ehr_bridge_jobs Jobs in the store by kind and state', '# TYPE ehr_bridge_jobs gauge'];
  for (const [kind, k] of Object.entries(s.jobs)) {
    const states = { queued: k.queued, running: k.inFlight, retrying: k.retrying, waiting_409: k.waitingForActiveExecution, sent: k.sent, dead: k.deadLettered };
    for (const [state, n] of Object.entries(states)) lines.push(`ehr_bridge_jobs{kind="${kind}",state="${state}"} ${n}`);
  }
  lines.push('# HELP ehr_bridge_reminders Reminders in the store by status', '# TYPE ehr_bridge_reminders gauge');
  for (const st of /** @type {const} */ (['pending', 'claimed', 'sent', 'skipped', 'canceled', 'failed'])) lines.push(`ehr_bridge_reminders{status="${st}"} ${s.reminders[st]}`);
  lines.push('# HELP ehr_bridge_oldest_pending_seconds Age of the oldest unfinished job', '# TYPE ehr_bridge_oldest_pending_seconds gauge');
  lines.push(`ehr_bridge_oldest_pending_seconds ${s.oldestPendingAgeMs === null ? 0 : (s.oldestPendingAgeMs / 1000).toFixed(3)}`);
  return `${lines.join('\n')}\n`;
}

module.exports = { storeStatus, formatStatus, statusMetrics };
