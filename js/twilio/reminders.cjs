// @ts-check
// ehr-studio-bridge/twilio, reminders: the event handler's planning into a ReminderStore
// (planAndStore) and the handler a scheduler calls to send the due ones (createDueRemindersHandler).
// What to plan and whether a reminder is still worth sending are the package's planReminders and
// remindDue; this file only claims, sends and records.
'use strict';

const { apiFor, profileFor, mapperFor } = require('./load.cjs');
const {
  DEFAULT_CONFLICT_RETRY_AFTER,
  DEFAULT_RATE_LIMIT_RETRY_AFTER,
  DEFAULT_UNAVAILABLE_RETRY_AFTER,
  coded,
  str,
  handlerFrom,
  authorized,
  unauthorized,
  retryLater,
  isCoded,
  studioFlow,
  executionParams,
} = require('./runtime.cjs');

/** @typedef {import('./runtime.cjs').AdapterOptions} AdapterOptions */
/** @typedef {import('./runtime.cjs').ReminderStore} ReminderStore */
/** @typedef {import('./runtime.cjs').DueRemindersHandlerOptions} DueRemindersHandlerOptions */

/** PAM's reply window: a REMIND refused with 409 is tried again after it. */
const DEFAULT_REMIND_LEASE_MS = 60_000;
const DEFAULT_REMIND_BATCH = 10;
/** Leave time for the last Studio call and the store writes (Functions stop at 10 s). */
const DEFAULT_REMIND_BUDGET_MS = 6000;

/** The reminder store of a handler: `opts.reminders` (a store, or a function of the context; null = none). @param {any} context @param {AdapterOptions & { reminders?: any }} opts */
async function reminderStoreFor(context, opts) {
  const r = opts.reminders;
  if (!r) return null;
  return typeof r === 'function' ? ((await r(context)) ?? null) : r;
}

/** @type {Map<string, any>} */
const syncStores = new Map();

/**
 * The Twilio Sync store configured by the environment (`TWILIO_SYNC_SERVICE_SID`, optional
 * `EHR_BRIDGE_SYNC_PREFIX`, and `EHR_BRIDGE_SYNC_BASE_URL` for a local fake), or null when no
 * service is set. One store per configuration per warm container.
 * @param {any} context
 */
function syncReminderStoreFromContext(context) {
  const serviceSid = str(context.TWILIO_SYNC_SERVICE_SID);
  if (!serviceSid) return null;
  const prefix = str(context.EHR_BRIDGE_SYNC_PREFIX) || undefined;
  const baseUrl = str(context.EHR_BRIDGE_SYNC_BASE_URL) || undefined;
  const key = `${serviceSid}|${prefix ?? ''}|${baseUrl ?? ''}`;
  let store = syncStores.get(key);
  if (!store) {
    const { createSyncReminderStore } = require('../twilio-sync-store.cjs');
    store = createSyncReminderStore({ client: context.getTwilioClient(), serviceSid, prefix, baseUrl });
    syncStores.set(key, store);
  }
  return store;
}

/** Counts per action and the plan code, for answers and logs (hashes and codes only). @param {any} plan */
function planSummary(plan) {
  /** @type {Record<string, number>} */
  const actions = {};
  for (const r of plan.reminders) actions[r.action] = (actions[r.action] ?? 0) + 1;
  return {
    ...(plan.appointmentKey ? { appointmentKey: plan.appointmentKey } : {}),
    ...(plan.code ? { code: plan.code } : {}),
    ...(plan.unchanged ? { unchanged: true } : {}),
    actions,
  };
}

/**
 * Plan the reminders of a mapping result and apply the plan to the store: load what is stored for
 * the appointment, plan against it, apply (optimistic; re-planned when the store changed meanwhile).
 * @param {any} mapper @param {ReminderStore} store @param {any} result @param {number} nowMs
 */
async function planAndStore(mapper, store, result, nowMs) {
  const first = mapper.planReminders(result, nowMs, []);
  if (first.unchanged || !first.appointmentKey) return planSummary(first);
  for (let attempt = 0; attempt < 3; attempt++) {
    const { reminders, version } = await store.load(first.appointmentKey);
    const plan = mapper.planReminders(result, nowMs, reminders);
    if (await store.apply(plan, version ?? null, nowMs)) return planSummary(plan);
  }
  throw coded('REMINDER_STORE_CONFLICT', 'the stored reminders of the appointment kept changing while planning');
}

/** The 503 answer when the reminder store cannot be reached. @param {Record<string, unknown>} [log] */
function storeUnavailable(log = {}) {
  return { ...retryLater(503, { status: 'error', code: 'REMINDER_STORE_UNAVAILABLE' }, DEFAULT_UNAVAILABLE_RETRY_AFTER), log: { code: 'REMINDER_STORE_UNAVAILABLE', ...log } };
}

/**
 * One run of the due handler: what every reminder of the batch needs, and the counts.
 * @typedef {{
 *   api: any, mapper: any, store: ReminderStore, flow: any, opts: DueRemindersHandlerOptions,
 *   clock: () => number, t0: number, budget: number,
 *   counts: { claimed: number, sent: number, skipped: number, retried: number, failed: number, storeErrors: number },
 *   codes: Record<string, number>,
 * }} DueBatch
 */

/**
 * A Functions handler for an external scheduler (cron): claim the due reminders, send each as a
 * REMIND execution (or record it as skipped when it is no longer useful: remindDue), and answer
 * with counts. 409 / 429 / 5xx from Studio give the reminder back for a later run; at most once:
 * a reminder whose send may have happened is never sent again.
 * @param {DueRemindersHandlerOptions} [options]
 */
function createDueRemindersHandler(options = {}) {
  const opts = options;
  return handlerFrom('remind-due', opts, async (context, event) => {
    if (!(await authorized(context, event, opts))) return unauthorized();
    const store = await reminderStoreFor(context, opts);
    if (!store) throw coded('CONFIG_NO_REMINDER_STORE', 'the due-reminders handler needs a reminder store (the reminders option, e.g. TWILIO_SYNC_SERVICE_SID)');
    const api = apiFor(context, opts);
    const { mapper, profile } = mapperFor(api, await profileFor(context, opts));
    if (!profile.studio) throw coded('CONFIG_NO_STUDIO', 'the profile has no studio section (flowSid, from)');
    const clock = opts.clock ?? Date.now;
    const t0 = clock();
    const budget = opts.budgetMs ?? (Number(context.EHR_BRIDGE_REMIND_BUDGET_MS) || DEFAULT_REMIND_BUDGET_MS);
    const limit = opts.batchSize ?? (Number(context.EHR_BRIDGE_REMIND_BATCH) || DEFAULT_REMIND_BATCH);
    let claimed;
    try {
      claimed = await store.claimDue(t0, limit, opts.leaseMs ?? DEFAULT_REMIND_LEASE_MS);
    } catch (e) {
      if (isCoded(e)) throw e;
      return storeUnavailable();
    }
    const counts = { claimed: claimed.length, sent: 0, skipped: 0, retried: 0, failed: 0, storeErrors: 0 };
    const flow = await studioFlow(context, opts, profile.studio);
    /** @type {DueBatch} */
    const batch = { api, mapper, store, flow, opts, clock, t0, budget, counts, codes: {} };
    for (const r of claimed) await sendDue(batch, r);
    const codes = Object.keys(batch.codes).length ? { codes: batch.codes } : {};
    return {
      status: 200,
      body: { status: 'done', ...counts, more: claimed.length >= limit, ...codes },
      log: { outcome: 'done', ...counts, ...codes },
    };
  });
}

/** Store writes never stop the batch: a claim left behind expires (and is not sent again). @param {DueBatch} b @param {() => Promise<unknown>} write */
async function record(b, write) {
  try {
    await write();
  } catch {
    b.counts.storeErrors++;
  }
}

/** @param {DueBatch} b @param {string} code */
function count(b, code) {
  b.codes[code] = (b.codes[code] ?? 0) + 1;
}

/**
 * One claimed reminder: given back when the run's budget is spent or it is not due yet, recorded as
 * skipped when remindDue says so, else sent as a REMIND execution.
 * @param {DueBatch} b @param {any} r
 */
async function sendDue(b, r) {
  const { store, counts } = b;
  const now = b.clock();
  if (now - b.t0 > b.budget) {
    await record(b, () => store.release(r, now, now));
    counts.retried++;
    return;
  }
  const due = b.api.remindDue(r, now);
  if (due.action === 'wait') {
    await record(b, () => store.release(r, r.dueAtMs, now));
    counts.retried++;
    return;
  }
  if (due.action === 'skip') {
    await record(b, () => store.finish(r, { status: 'skipped', code: due.code }, now));
    counts.skipped++;
    count(b, due.code);
    return;
  }
  let request;
  try {
    request = b.mapper.remindExecution(r, undefined, now).request;
  } catch (e) {
    const code = isCoded(e) ? /** @type {any} */ (e).code : 'INTERNAL';
    await record(b, () => store.finish(r, { status: 'failed', code }, now));
    counts.failed++;
    count(b, code);
    return;
  }
  try {
    const execution = await b.flow.executions.create(executionParams(request));
    await record(b, () => store.finish(r, { status: 'sent', executionSid: execution.sid }, b.clock()));
    counts.sent++;
  } catch (e) {
    await sendFailed(b, r, e, now);
  }
}

/**
 * Studio did not create the REMIND: 409 / 429 / 5xx / unreachable give the reminder back for a
 * later run; a 4xx or a lost answer (it may have been created) fails it for good.
 * @param {DueBatch} b @param {any} r @param {unknown} e @param {number} now
 */
async function sendFailed(b, r, e, now) {
  const err = /** @type {any} */ (e);
  const status = typeof err?.status === 'number' ? err.status : 0;
  const retryIn =
    status === 409 ? (b.opts.conflictRetryAfterSeconds ?? DEFAULT_CONFLICT_RETRY_AFTER)
    : status === 429 ? DEFAULT_RATE_LIMIT_RETRY_AFTER
    : status >= 500 ? DEFAULT_UNAVAILABLE_RETRY_AFTER
    : status === 0 && !/timeout|ETIMEDOUT|ECONNABORTED|ECONNRESET/i.test(`${err?.code ?? ''} ${err?.name ?? ''}`) ? DEFAULT_UNAVAILABLE_RETRY_AFTER
    : null;
  if (retryIn !== null) {
    await record(b, () => b.store.release(r, now + retryIn * 1000, now));
    b.counts.retried++;
    count(b, status === 409 ? 'STUDIO_EXECUTION_ACTIVE' : status === 429 ? 'TWILIO_RATE_LIMITED' : status ? 'TWILIO_ERROR' : 'TWILIO_UNREACHABLE');
  } else {
    // Refused for good (4xx), or no answer after sending (it may have been created).
    const code = status ? 'TWILIO_REJECTED' : 'REMIND_OUTCOME_UNKNOWN';
    await record(b, () => b.store.finish(r, { status: 'failed', code }, now));
    b.counts.failed++;
    count(b, code);
  }
}

module.exports = { reminderStoreFor, syncReminderStoreFromContext, planAndStore, storeUnavailable, createDueRemindersHandler };
