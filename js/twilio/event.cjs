// @ts-check
// ehr-studio-bridge/twilio, the EHR event Function (createEventHandler): the EHR message from the
// Functions event, mapped by the package into the Studio execution request, its reminders planned
// into the store, then the execution started with twilio-node (409 / 429 / 5xx answered with a
// retry hint; the patient's active execution is ended only when configured).
'use strict';

const { apiFor, profileFor, mapperFor } = require('./load.cjs');
const { planAndStore, reminderStoreFor, storeUnavailable } = require('./reminders.cjs');
const {
  DEFAULT_CONFLICT_RETRY_AFTER,
  DEFAULT_RATE_LIMIT_RETRY_AFTER,
  DEFAULT_UNAVAILABLE_RETRY_AFTER,
  coded,
  str,
  loggerFor,
  handlerFrom,
  header,
  authorized,
  unauthorized,
  retryLater,
  isCoded,
  studioFlow,
  executionParams,
} = require('./runtime.cjs');

/** @typedef {import('./runtime.cjs').Outcome} Outcome */
/** @typedef {import('./runtime.cjs').EventHandlerOptions} EventHandlerOptions */

/**
 * The EHR message from a Functions `event` (see docs/twilio-functions.md, "How to POST"):
 * `hl7` (text), `hl7Base64` (bytes, e.g. Latin-1), `json` (JSON text), else the merged JSON/form
 * fields themselves (minus Twilio's `request` and `ignoreKeys`) as JSON text. `null` when empty.
 * @param {Record<string, unknown>} event @param {string[]} [ignoreKeys]
 * @returns {{ input: string | Uint8Array, via: 'hl7' | 'hl7Base64' | 'json' | 'fields' } | null}
 */
function eventPayload(event, ignoreKeys = []) {
  const { request: _twilio, ...rest } = event ?? {};
  for (const k of ignoreKeys) delete rest[k];
  if (typeof rest.hl7 === 'string') return { input: rest.hl7, via: 'hl7' };
  if (typeof rest.hl7Base64 === 'string') {
    const b64 = rest.hl7Base64.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) throw coded('BAD_BASE64', 'hl7Base64 is not base64');
    return { input: new Uint8Array(Buffer.from(b64, 'base64')), via: 'hl7Base64' };
  }
  if (typeof rest.json === 'string') return { input: rest.json, via: 'json' };
  if (Object.keys(rest).length === 0) return null;
  return { input: JSON.stringify(rest), via: 'fields' };
}

/** The event's payload, or a coded error saying how to POST one. @param {any} event @param {EventHandlerOptions} opts */
function requiredPayload(event, opts) {
  const payload = eventPayload(event, opts.ignoreKeys);
  if (payload) return payload;
  const ct = header(event, 'content-type');
  if (ct && !/^application\/(json|x-www-form-urlencoded)\b/i.test(ct)) {
    throw coded('UNSUPPORTED_CONTENT_TYPE', 'Functions parse only application/json and form bodies: POST {"hl7": "..."} or the JSON payload as application/json');
  }
  throw coded('EMPTY_INPUT', 'no EHR message: POST {"hl7": "..."}, hl7=..., {"hl7Base64": "..."} or a JSON payload');
}

/**
 * twilio-node errors → the answer to the EHR side.
 * @param {any} err @param {EventHandlerOptions} opts @returns {Outcome}
 */
function twilioErrorOutcome(err, opts) {
  const status = typeof err?.status === 'number' ? err.status : 0;
  const twilioCode = typeof err?.code === 'number' ? err.code : undefined;
  const base = { status: 'error', twilioStatus: status || undefined, twilioCode, moreInfo: typeof err?.moreInfo === 'string' ? err.moreInfo : undefined };
  const log = { code: '', twilioStatus: status || undefined, twilioCode };
  if (status === 409) {
    const sid = err?.details?.conflicting_execution_sid;
    const o = retryLater(409, { ...base, status: 'conflict', code: 'STUDIO_EXECUTION_ACTIVE', conflictingExecutionSid: typeof sid === 'string' ? sid : null }, opts.conflictRetryAfterSeconds ?? DEFAULT_CONFLICT_RETRY_AFTER);
    return { ...o, log: { ...log, code: 'STUDIO_EXECUTION_ACTIVE', conflictingExecutionSid: sid } };
  }
  if (status === 429) {
    return { ...retryLater(429, { ...base, code: 'TWILIO_RATE_LIMITED' }, DEFAULT_RATE_LIMIT_RETRY_AFTER), log: { ...log, code: 'TWILIO_RATE_LIMITED' } };
  }
  if (status === 503) {
    return { ...retryLater(503, { ...base, code: 'TWILIO_UNAVAILABLE' }, DEFAULT_UNAVAILABLE_RETRY_AFTER), log: { ...log, code: 'TWILIO_UNAVAILABLE' } };
  }
  if (status >= 500) return { status: 502, body: { ...base, code: 'TWILIO_ERROR' }, log: { ...log, code: 'TWILIO_ERROR' } };
  if (status >= 400) return { status: 502, body: { ...base, code: 'TWILIO_REJECTED' }, log: { ...log, code: 'TWILIO_REJECTED' } };
  // No HTTP answer: network error or timeout (never echo the error message: it may hold the URL).
  const timedOut = /timeout|ETIMEDOUT|ECONNABORTED/i.test(`${err?.code ?? ''} ${err?.name ?? ''}`);
  const code = timedOut ? 'TWILIO_TIMEOUT' : 'TWILIO_UNREACHABLE';
  return { status: timedOut ? 504 : 502, body: { status: 'error', code }, log: { code } };
}

/**
 * A Functions handler for EHR events: map with the package, start the Studio execution.
 * @param {EventHandlerOptions} [options]
 */
function createEventHandler(options = {}) {
  const opts = options;
  return handlerFrom('ehr-event', opts, async (context, event) => {
    if (!(await authorized(context, event, opts))) return unauthorized();
    const payload = requiredPayload(event, opts);
    const api = apiFor(context, opts);
    const profile = await profileFor(context, opts);
    const { mapper, profile: effective } = mapperFor(api, profile);
    const { result, request } = mapper.studioRequest(payload.input);
    const warnings = [...new Set(result.warnings.map((/** @type {{code: string}} */ w) => w.code))];
    // Reminders first: a store that is down answers 503 before anything is texted, so the
    // engine's retry redoes both (planning is idempotent).
    const planned = await storeReminders(context, opts, mapper, result);
    if ('unavailable' in planned) return { ...planned.unavailable, log: { ...planned.unavailable.log, via: payload.via } };
    const { withReminders } = planned;
    if (!request) {
      const skip = result.skip ?? { code: 'SKIP', reason: 'nothing to send' };
      return {
        status: 200,
        body: { status: 'skipped', skip: { code: skip.code, reason: skip.reason, ...(skip.rule ? { rule: skip.rule } : {}) }, warnings, ...withReminders },
        log: { outcome: 'skipped', code: skip.code, via: payload.via, ...withReminders },
      };
    }
    const key = request.idempotencyKey;
    const eventType = result.event.event_type;
    const summary = { idempotencyKey: key, eventType, ...withReminders };
    const duplicate = await alreadySent(context, opts, key, summary);
    if (duplicate) return duplicate;
    const started = await startExecution(context, opts, effective.studio, request, summary);
    if ('status' in started) return started;
    const { execution, ended } = started;
    if (opts.idempotency) {
      try {
        await opts.idempotency.record(key, execution.sid, context);
      } catch {
        loggerFor(opts)?.warn(JSON.stringify({ fn: 'ehr-event', code: 'IDEMPOTENCY_RECORD_FAILED', idempotencyKey: key }));
      }
    }
    return {
      status: 201,
      body: { status: 'created', executionSid: execution.sid, ...summary, ...(ended ? { endedExecutionSid: ended } : {}), warnings },
      log: { outcome: 'created', executionSid: execution.sid, idempotencyKey: key, via: payload.via, ...(ended ? { endedExecutionSid: ended } : {}), ...withReminders },
    };
  });
}

/**
 * The mapping's reminders planned into the handler's store (when it has one): `withReminders` is
 * `{ reminders }` (the plan's summary) or `{}` without a store; `unavailable` the 503 answer when
 * the store is down.
 * @param {any} context @param {EventHandlerOptions} opts @param {any} mapper @param {any} result
 * @returns {Promise<{ withReminders: Record<string, unknown> } | { unavailable: Outcome }>}
 */
async function storeReminders(context, opts, mapper, result) {
  const store = await reminderStoreFor(context, opts);
  if (!store) return { withReminders: {} };
  try {
    return { withReminders: { reminders: await planAndStore(mapper, store, result, (opts.clock ?? Date.now)()) } };
  } catch (e) {
    if (isCoded(e)) throw e;
    return { unavailable: storeUnavailable() };
  }
}

/**
 * With an idempotency store: the answer for a key already sent (200 duplicate), a 503 when the
 * store cannot say, else null.
 * @param {any} context @param {EventHandlerOptions} opts @param {string} key @param {Record<string, unknown>} summary
 * @returns {Promise<Outcome | null>}
 */
async function alreadySent(context, opts, key, summary) {
  if (!opts.idempotency) return null;
  let seen;
  try {
    seen = await opts.idempotency.check(key, context);
  } catch {
    return { ...retryLater(503, { status: 'error', code: 'IDEMPOTENCY_UNAVAILABLE' }, DEFAULT_RATE_LIMIT_RETRY_AFTER), log: { code: 'IDEMPOTENCY_UNAVAILABLE', idempotencyKey: key } };
  }
  if (!seen) return null;
  const executionSid = typeof seen === 'string' ? seen : null;
  return { status: 200, body: { status: 'duplicate', executionSid, ...summary }, log: { outcome: 'duplicate', idempotencyKey: key, executionSid } };
}

/**
 * Create the Studio execution. On a 409 with `onConflict: 'end-and-retry'` the patient's active
 * execution is ended and the create tried once more. Twilio's refusals are Outcomes; a key the
 * idempotency store reserved is handed back when nothing was created.
 * @param {any} context @param {EventHandlerOptions} opts @param {any} studio @param {any} request
 * @param {{ idempotencyKey: string } & Record<string, unknown>} summary
 * @returns {Promise<Outcome | { execution: any, ended?: string }>}
 */
async function startExecution(context, opts, studio, request, summary) {
  const key = summary.idempotencyKey;
  // Not created (an error, a conflict): hand a reserved key back to the store, if it reserves.
  let created = false;
  const release = async () => {
    if (created || !opts.idempotency?.release) return;
    try {
      await opts.idempotency.release(key, context);
    } catch {
      loggerFor(opts)?.warn(JSON.stringify({ fn: 'ehr-event', code: 'IDEMPOTENCY_RELEASE_FAILED', idempotencyKey: key }));
    }
  };
  let execution;
  /** @type {string | undefined} */
  let ended;
  try {
    const flow = await studioFlow(context, opts, studio);
    const create = () => flow.executions.create(executionParams(request));
    const onConflict = opts.onConflict ?? (str(context.EHR_BRIDGE_ON_CONFLICT) || 'reject');
    if (onConflict !== 'reject' && onConflict !== 'end-and-retry') throw coded('CONFIG_BAD_ON_CONFLICT', 'EHR_BRIDGE_ON_CONFLICT must be reject or end-and-retry');
    try {
      execution = await create();
    } catch (e) {
      const err = /** @type {any} */ (e);
      const conflicting = err?.status === 409 ? err?.details?.conflicting_execution_sid : undefined;
      if (!(onConflict === 'end-and-retry' && typeof conflicting === 'string')) {
        const o = twilioErrorOutcome(err, opts);
        return { ...o, body: { ...o.body, ...summary }, log: { ...o.log, idempotencyKey: key } };
      }
      // Explicitly configured: end the patient's active execution (this drops a pending reply) and retry once.
      try {
        await flow.executions(conflicting).update({ status: 'ended' });
      } catch (e2) {
        if (/** @type {any} */ (e2)?.status !== 409) {
          const o = twilioErrorOutcome(e2, opts);
          return { ...o, body: { ...o.body, ...summary }, log: { ...o.log, idempotencyKey: key, while: 'ending' } };
        }
        // 409 here: it had already ended.
      }
      ended = conflicting;
      try {
        execution = await create();
      } catch (e3) {
        const o = twilioErrorOutcome(e3, opts);
        return { ...o, body: { ...o.body, ...summary, endedExecutionSid: ended }, log: { ...o.log, idempotencyKey: key, endedExecutionSid: ended } };
      }
    }
    created = true;
  } finally {
    await release();
  }
  return { execution, ended };
}

module.exports = { eventPayload, createEventHandler };
