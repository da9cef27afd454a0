// @ts-check
// ehr-studio-bridge/twilio: Twilio Functions adapters (docs/twilio-functions.md).
//
//   exports.handler = createEventHandler();   // EHR event → Studio execution (twilio-node)
//   exports.handler = createReplyHandler();   // the flow's IE_ENDPOINT → SRM^S03/S04 or FHIR write
//   exports.handler = createDueRemindersHandler({ reminders });   // cron → REMIND executions
//
// With a ReminderStore (`reminders` option; createSyncReminderStore is one on Twilio Sync) the
// event handler also plans the appointment's reminders (the package's planReminders) and stores
// the plan before starting the execution; the due handler claims due reminders and sends them.
// Thin by design: mapping, reply parsing, signature checks, EHR messages and response parsing are
// all the package API's. This file only moves data between the Functions runtime (context, event,
// callback, Twilio.Response), twilio-node and fetch. It never logs or returns patient data: logs
// carry codes, HTTP statuses, execution SIDs, idempotency keys (hashes) and durations.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');

/** Asset key of the .wasm when it is shipped as a private asset (`assets/ehr_studio_bridge_bg.private.wasm`). */
const DEFAULT_WASM_ASSET = '/ehr_studio_bridge_bg.wasm';
/** PAM's send & wait timeout: the conflicting execution has ended after at most this long. */
const DEFAULT_CONFLICT_RETRY_AFTER = 120;
const DEFAULT_RATE_LIMIT_RETRY_AFTER = 2;
const DEFAULT_UNAVAILABLE_RETRY_AFTER = 30;
/** Budget for the EHR calls of one reply (Studio gives the whole request 10 s). */
const DEFAULT_REPLY_TIMEOUT_MS = 6000;
/** The keys of the PAM HTTP Request widget body, in template order. */
const REPLY_KEYS = ['flow_sid', 'event_type', 'appointment_id', 'provider_id', 'patient_id'];

// ---- loading the package ----------------------------------------------------------------------

/** @type {any} */
let npmApi = null;

/**
 * The package API from the slim glue, instantiated from a private asset (synchronously, once per
 * container). `assetPath` is the key in `Runtime.getAssets()`.
 * @param {string} [assetPath]
 * @param {{ getAssets(): Record<string, { path: string }> }} [runtime]
 */
function loadApiFromAsset(assetPath = DEFAULT_WASM_ASSET, runtime) {
  const slim = require('./ehr_studio_bridge_slim.cjs');
  if (!slim.isInitialized()) {
    const rt = runtime ?? /** @type {any} */ (globalThis).Runtime;
    const asset = rt && typeof rt.getAssets === 'function' ? rt.getAssets()[assetPath] : undefined;
    if (!asset) {
      throw coded('CONFIG_WASM_ASSET_MISSING', `no private asset ${assetPath} (ship assets/<name>.private.wasm)`);
    }
    // asset.open() reads utf8 (it would corrupt the binary): read the path as bytes.
    slim.initSync({ module: fs.readFileSync(asset.path) });
  }
  return slim;
}

/** @param {any} context @param {AdapterOptions} opts */
function apiFor(context, opts) {
  if (opts.api) return opts.api;
  const asset = str(context.EHR_BRIDGE_WASM_ASSET);
  if (asset) return loadApiFromAsset(asset);
  if (!npmApi) npmApi = require('./ehr_studio_bridge.cjs');
  return npmApi;
}

// ---- profile and Mapper (cached per warm container) ---------------------------------------------

/** @type {Map<string, string>} */
const assetText = new Map();
/** @type {{ key: string, api: any, mapper: any, profile: any } | null} */
let cached = null;

/** @param {string} key */
function readAsset(key) {
  let text = assetText.get(key);
  if (text === undefined) {
    const rt = /** @type {any} */ (globalThis).Runtime;
    const asset = rt && typeof rt.getAssets === 'function' ? rt.getAssets()[key] : undefined;
    if (!asset) throw coded('CONFIG_PROFILE_ASSET_MISSING', `no private asset ${key}`);
    text = fs.readFileSync(asset.path, 'utf8');
    assetText.set(key, text);
  }
  return text;
}

/**
 * The profile object: options, then EHR_BRIDGE_PROFILE (JSON text), then EHR_BRIDGE_PROFILE_ASSET,
 * else the generic profile; STUDIO_FLOW_SID / TWILIO_PHONE_NUMBER override `studio`.
 * @param {any} context @param {AdapterOptions} opts
 */
async function profileFor(context, opts) {
  /** @type {unknown} */
  let p;
  if (opts.profile !== undefined) p = opts.profile;
  else if (opts.loadProfile) p = await opts.loadProfile(context);
  else if (str(context.EHR_BRIDGE_PROFILE)) p = context.EHR_BRIDGE_PROFILE;
  else if (str(context.EHR_BRIDGE_PROFILE_ASSET)) p = readAsset(context.EHR_BRIDGE_PROFILE_ASSET);
  else p = {};
  if (typeof p === 'string') {
    try {
      p = JSON.parse(p);
    } catch {
      throw coded('CONFIG_BAD_PROFILE', 'the profile is not valid JSON');
    }
  }
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw coded('CONFIG_BAD_PROFILE', 'the profile must be a JSON object');
  const obj = /** @type {Record<string, any>} */ (p);
  const flowSid = str(context.STUDIO_FLOW_SID);
  const from = str(context.TWILIO_PHONE_NUMBER);
  if (!flowSid && !from) return obj;
  return { ...obj, studio: { ...obj.studio, ...(flowSid ? { flowSid } : {}), ...(from ? { from } : {}) } };
}

/** One Mapper per (api, profile) per container; the previous one is freed when the profile changes. @param {any} api @param {object} profile */
function mapperFor(api, profile) {
  const key = JSON.stringify(profile);
  if (cached && cached.key === key && cached.api === api) return cached;
  const mapper = new api.Mapper(profile); // validates: PROFILE_* errors
  if (cached) {
    try {
      cached.mapper.free();
    } catch {
      // already freed
    }
  }
  cached = { key, api, mapper, profile: mapper.profile };
  return cached;
}

// ---- responses, errors, logs ---------------------------------------------------------------------

/**
 * @typedef {{ status: number, body: Record<string, unknown>, headers?: Record<string, string>, log?: Record<string, unknown> }} Outcome
 */

/** An adapter error with a stable code (never carries input values). @param {string} code @param {string} message */
function coded(code, message) {
  const e = /** @type {Error & { code: string }} */ (new Error(message));
  e.name = 'EhrStudioBridgeError';
  e.code = code;
  return e;
}

/** @param {unknown} v @returns {string} */
function str(v) {
  return typeof v === 'string' ? v.trim() : '';
}

/** HTTP status for a coded error from the package or this adapter. @param {string} code */
function statusForCode(code) {
  if (code.startsWith('CONFIG_') || code.startsWith('PROFILE_') || code === 'STUDIO_BAD_CONFIG') return 500;
  if (code === 'NOT_INITIALIZED' || code === 'INTERNAL') return 500;
  if (code === 'INPUT_TOO_LARGE' || code === 'REPLY_TOO_LARGE') return 413;
  if (code === 'UNKNOWN_INPUT_KIND' || code === 'REPLY_BAD_CONTENT_TYPE' || code === 'UNSUPPORTED_CONTENT_TYPE') return 415;
  if (/^(MAP|FHIR|REDOX|STUDIO|REPLY)_/.test(code)) return 422;
  return 400;
}

/** The Outcome for a thrown error: coded → its status; anything else → 500 INTERNAL. @param {unknown} e */
function errorOutcome(e) {
  const err = /** @type {any} */ (e);
  if (err && typeof err.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(err.code) && err.name === 'EhrStudioBridgeError') {
    const status = statusForCode(err.code);
    /** @type {Record<string, unknown>} */
    const body = { status: 'error', code: err.code, message: err.message };
    if (err.position?.pointer) body.pointer = err.position.pointer;
    return { status, body, log: { code: err.code } };
  }
  return { status: 500, body: { status: 'error', code: 'INTERNAL', message: 'internal error' }, log: { code: 'INTERNAL', error: err?.name ?? typeof err } };
}

/** @param {Outcome} o @param {(err: unknown, res?: unknown) => void} callback */
function send(o, callback) {
  const headers = { 'Content-Type': 'application/json', ...o.headers };
  const T = /** @type {any} */ (globalThis).Twilio;
  if (T && typeof T.Response === 'function') {
    const res = new T.Response();
    res.setStatusCode(o.status);
    for (const [k, v] of Object.entries(headers)) res.appendHeader(k, v);
    res.setBody(o.body);
    callback(null, res);
  } else {
    // Not in the Functions runtime (a unit test, another host): the same data as a plain object.
    callback(null, { statusCode: o.status, headers, body: o.body });
  }
}

/** @param {AdapterOptions} opts */
function loggerFor(opts) {
  if (opts.logger === false) return null;
  return opts.logger ?? console;
}

/**
 * Wrap an async run into a Functions handler: always calls back once, logs one PHI-free line.
 * @param {string} fn @param {AdapterOptions} opts
 * @param {(context: any, event: any) => Promise<Outcome>} run
 */
function handlerFrom(fn, opts, run) {
  const logger = loggerFor(opts);
  /** @param {any} context @param {any} event @param {(err: unknown, res?: unknown) => void} callback */
  return function handler(context, event, callback) {
    const t0 = Date.now();
    /** @param {Outcome} o */
    const done = (o) => {
      if (logger) {
        const line = JSON.stringify({ fn, status: o.status, ...o.log, ms: Date.now() - t0 });
        if (o.status >= 500) logger.error(line);
        else if (o.status >= 400) logger.warn(line);
        else logger.info(line);
      }
      send(o, callback);
    };
    let p;
    try {
      p = run(context ?? {}, event ?? {});
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(done, (e) => done(errorOutcome(e)));
  };
}

/** Constant-time string comparison. @param {string} a @param {string} b */
function safeEqual(a, b) {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/** @param {any} event @param {string} name */
function header(event, name) {
  const v = event?.request?.headers?.[name];
  return Array.isArray(v) ? String(v[0]) : typeof v === 'string' ? v : '';
}

// ---- reminders ----------------------------------------------------------------------------------

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
    const { createSyncReminderStore } = require('./twilio-sync-store.cjs');
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

/** A package error (coded, from the wasm or this adapter's config) rather than a store failure. @param {unknown} e */
function isCoded(e) {
  const err = /** @type {any} */ (e);
  return err?.name === 'EhrStudioBridgeError' && typeof err.code === 'string' && err.code !== 'REMINDER_STORE_CONFLICT';
}

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
    if (!(await authorized(context, event, opts))) {
      return { status: 401, body: { status: 'error', code: 'UNAUTHORIZED', message: 'missing or wrong bearer token' }, headers: { 'WWW-Authenticate': 'Bearer' }, log: { code: 'UNAUTHORIZED' } };
    }
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
      return { ...retryLater(503, { status: 'error', code: 'REMINDER_STORE_UNAVAILABLE' }, DEFAULT_UNAVAILABLE_RETRY_AFTER), log: { code: 'REMINDER_STORE_UNAVAILABLE' } };
    }
    const counts = { claimed: claimed.length, sent: 0, skipped: 0, retried: 0, failed: 0, storeErrors: 0 };
    /** @type {Record<string, number>} */
    const codes = {};
    const count = (/** @type {string} */ code) => (codes[code] = (codes[code] ?? 0) + 1);
    const client = opts.twilioClient ? await opts.twilioClient(context) : context.getTwilioClient();
    if (profile.studio.baseUrl) client.studio.baseUrl = profile.studio.baseUrl;
    const flow = client.studio.v2.flows(profile.studio.flowSid);
    /** Store writes never stop the batch: a claim left behind expires (and is not sent again). @param {() => Promise<unknown>} write */
    const record = async (write) => {
      try {
        await write();
      } catch {
        counts.storeErrors++;
      }
    };
    for (const r of claimed) {
      const now = clock();
      if (now - t0 > budget) {
        await record(() => store.release(r, now, now));
        counts.retried++;
        continue;
      }
      const due = api.remindDue(r, now);
      if (due.action === 'wait') {
        await record(() => store.release(r, r.dueAtMs, now));
        counts.retried++;
        continue;
      }
      if (due.action === 'skip') {
        await record(() => store.finish(r, { status: 'skipped', code: due.code }, now));
        counts.skipped++;
        count(due.code);
        continue;
      }
      let request;
      try {
        request = mapper.remindExecution(r, undefined, now).request;
      } catch (e) {
        const code = isCoded(e) ? /** @type {any} */ (e).code : 'INTERNAL';
        await record(() => store.finish(r, { status: 'failed', code }, now));
        counts.failed++;
        count(code);
        continue;
      }
      try {
        const execution = await flow.executions.create({ to: request.form.To, from: request.form.From, parameters: JSON.parse(request.form.Parameters) });
        await record(() => store.finish(r, { status: 'sent', executionSid: execution.sid }, clock()));
        counts.sent++;
      } catch (e) {
        const err = /** @type {any} */ (e);
        const status = typeof err?.status === 'number' ? err.status : 0;
        const retryIn =
          status === 409 ? (opts.conflictRetryAfterSeconds ?? DEFAULT_CONFLICT_RETRY_AFTER)
          : status === 429 ? DEFAULT_RATE_LIMIT_RETRY_AFTER
          : status >= 500 ? DEFAULT_UNAVAILABLE_RETRY_AFTER
          : status === 0 && !/timeout|ETIMEDOUT|ECONNABORTED|ECONNRESET/i.test(`${err?.code ?? ''} ${err?.name ?? ''}`) ? DEFAULT_UNAVAILABLE_RETRY_AFTER
          : null;
        if (retryIn !== null) {
          await record(() => store.release(r, now + retryIn * 1000, now));
          counts.retried++;
          count(status === 409 ? 'STUDIO_EXECUTION_ACTIVE' : status === 429 ? 'TWILIO_RATE_LIMITED' : status ? 'TWILIO_ERROR' : 'TWILIO_UNREACHABLE');
        } else {
          // Refused for good (4xx), or no answer after sending (it may have been created).
          const code = status ? 'TWILIO_REJECTED' : 'REMIND_OUTCOME_UNKNOWN';
          await record(() => store.finish(r, { status: 'failed', code }, now));
          counts.failed++;
          count(code);
        }
      }
    }
    return {
      status: 200,
      body: { status: 'done', ...counts, more: claimed.length >= limit, ...(Object.keys(codes).length ? { codes } : {}) },
      log: { outcome: 'done', ...counts, ...(Object.keys(codes).length ? { codes } : {}) },
    };
  });
}

// ---- EHR event Function -------------------------------------------------------------------------

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

/** The caller must present EHR_BRIDGE_EVENT_TOKEN (unless EHR_BRIDGE_EVENT_AUTH=none). @param {any} context @param {any} event @param {{ authenticate?: EventHandlerOptions['authenticate'] }} opts */
async function authorized(context, event, opts) {
  if (opts.authenticate) return Boolean(await opts.authenticate(context, event));
  const token = str(context.EHR_BRIDGE_EVENT_TOKEN);
  if (!token) {
    if (str(context.EHR_BRIDGE_EVENT_AUTH) === 'none') return true;
    throw coded('CONFIG_NO_EVENT_AUTH', 'set EHR_BRIDGE_EVENT_TOKEN (or EHR_BRIDGE_EVENT_AUTH=none behind another gate)');
  }
  const auth = header(event, 'authorization');
  const given = auth.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : header(event, 'x-ehr-bridge-token');
  return given !== '' && safeEqual(given, token);
}

/** @param {number} status @param {Record<string, unknown>} body @param {number} seconds */
function retryLater(status, body, seconds) {
  return { status, body: { ...body, retryAfterSeconds: seconds }, headers: { 'Retry-After': String(seconds) } };
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
    if (!(await authorized(context, event, opts))) {
      return { status: 401, body: { status: 'error', code: 'UNAUTHORIZED', message: 'missing or wrong bearer token' }, headers: { 'WWW-Authenticate': 'Bearer' }, log: { code: 'UNAUTHORIZED' } };
    }
    const payload = eventPayload(event, opts.ignoreKeys);
    if (!payload) {
      const ct = header(event, 'content-type');
      if (ct && !/^application\/(json|x-www-form-urlencoded)\b/i.test(ct)) {
        throw coded('UNSUPPORTED_CONTENT_TYPE', 'Functions parse only application/json and form bodies: POST {"hl7": "..."} or the JSON payload as application/json');
      }
      throw coded('EMPTY_INPUT', 'no EHR message: POST {"hl7": "..."}, hl7=..., {"hl7Base64": "..."} or a JSON payload');
    }
    const api = apiFor(context, opts);
    const profile = await profileFor(context, opts);
    const { mapper, profile: effective } = mapperFor(api, profile);
    const { result, request } = mapper.studioRequest(payload.input);
    const warnings = [...new Set(result.warnings.map((/** @type {{code: string}} */ w) => w.code))];
    // Reminders first: a store that is down answers 503 before anything is texted, so the
    // engine's retry redoes both (planning is idempotent).
    const store = await reminderStoreFor(context, opts);
    /** @type {Record<string, unknown>} */
    const withReminders = {};
    if (store) {
      try {
        withReminders.reminders = await planAndStore(mapper, store, result, (opts.clock ?? Date.now)());
      } catch (e) {
        if (isCoded(e)) throw e;
        return { ...retryLater(503, { status: 'error', code: 'REMINDER_STORE_UNAVAILABLE' }, DEFAULT_UNAVAILABLE_RETRY_AFTER), log: { code: 'REMINDER_STORE_UNAVAILABLE', via: payload.via } };
      }
    }
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
    if (opts.idempotency) {
      let seen;
      try {
        seen = await opts.idempotency.check(key, context);
      } catch {
        return { ...retryLater(503, { status: 'error', code: 'IDEMPOTENCY_UNAVAILABLE' }, DEFAULT_RATE_LIMIT_RETRY_AFTER), log: { code: 'IDEMPOTENCY_UNAVAILABLE', idempotencyKey: key } };
      }
      if (seen) {
        const executionSid = typeof seen === 'string' ? seen : null;
        return { status: 200, body: { status: 'duplicate', executionSid, ...summary }, log: { outcome: 'duplicate', idempotencyKey: key, executionSid } };
      }
    }
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
      const client = opts.twilioClient ? await opts.twilioClient(context) : context.getTwilioClient();
      const studio = effective.studio;
      if (studio.baseUrl) client.studio.baseUrl = studio.baseUrl;
      const flow = client.studio.v2.flows(studio.flowSid);
      const create = () =>
        flow.executions.create({ to: request.form.To, from: request.form.From, parameters: JSON.parse(request.form.Parameters) });
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

// ---- IE_ENDPOINT (reply) Function ---------------------------------------------------------------

/**
 * The bodies the PAM HTTP Request widgets can have sent for these parsed fields (the package's
 * `replyBodyCandidates`: the shipped template and the `patchStudioFlow` / `to_json` variants).
 * Distinct strings only; `[]` when a field is missing or not a string.
 * @param {Record<string, unknown>} fields
 * @param {any} [api] the package (default: the one this adapter loads)
 * @returns {string[]}
 */
function replyBodyCandidates(fields, api = require('./ehr_studio_bridge.cjs')) {
  return api.replyBodyCandidates(fields);
}

/**
 * The URL Twilio signed: IE_ENDPOINT + `bodySHA256`. IE_ENDPOINT is EHR_REPLY_PUBLIC_URL when set,
 * else `https://DOMAIN_NAME + PATH` plus the event's extra string keys as its query (best effort).
 * @param {any} context @param {any} event @param {ReplyHandlerOptions} opts
 */
function signedUrl(context, event, opts) {
  let base = opts.publicUrl ? opts.publicUrl(context, event) : str(context.EHR_REPLY_PUBLIC_URL);
  if (!base) {
    const skip = new Set(['request', 'bodySHA256', ...REPLY_KEYS]);
    const extra = Object.keys(event).filter((k) => !skip.has(k) && typeof event[k] === 'string');
    const query = extra.map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(event[k])}`).join('&');
    base = `https://${context.DOMAIN_NAME}${context.PATH}${query ? `?${query}` : ''}`;
  }
  const hash = event.bodySHA256;
  if (typeof hash !== 'string') return base;
  return `${base}${base.includes('?') ? '&' : '?'}bodySHA256=${encodeURIComponent(hash)}`;
}

/**
 * Find the exact body Studio sent: the candidate whose SHA-256 is the signed `bodySHA256`, with a
 * valid X-Twilio-Signature over the full URL. @returns {{ body: string, variant?: string } | Outcome}
 * @param {any} api @param {any} context @param {any} event @param {string[]} candidates @param {ReplyHandlerOptions} opts
 */
function verifiedBody(api, context, event, candidates, opts) {
  const signature = header(event, 'x-twilio-signature');
  if (!signature) {
    return { status: 401, body: { ok: false, code: 'SIGNATURE_MISSING' }, log: { code: 'SIGNATURE_MISSING' } };
  }
  const authToken = opts.authToken ? opts.authToken(context) : str(context.AUTH_TOKEN);
  if (!authToken) throw coded('CONFIG_NO_AUTH_TOKEN', 'signature checks need the account auth token (context.AUTH_TOKEN)');
  const url = signedUrl(context, event, opts);
  let reason = 'BODY_HASH_MISMATCH';
  for (const body of candidates) {
    const v = api.verifyTwilioSignature({ authToken, url, signature, body });
    if (v.valid) return { body, variant: v.matchedUrlVariant };
    reason = v.reason ?? 'SIGNATURE_MISMATCH';
    if (reason !== 'BODY_HASH_MISMATCH') break;
  }
  return { status: 403, body: { ok: false, code: 'SIGNATURE_INVALID', reason }, log: { code: 'SIGNATURE_INVALID', reason } };
}

/**
 * fetch with the remaining time budget. Never throws for HTTP statuses.
 * @param {ReplyHandlerOptions} opts @param {{ method: string, url: string, headers: Record<string, string>, body?: unknown }} req @param {number} deadline
 */
async function http(opts, req, deadline) {
  const remaining = deadline - Date.now();
  if (remaining <= 0) throw coded('EHR_TIMEOUT', 'no time left for the EHR call');
  const f = opts.fetch ?? globalThis.fetch;
  const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  // A ref'd timer (AbortSignal.timeout's is not): the invocation stays alive until it fires.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), remaining);
  try {
    const res = await f(req.url, { method: req.method, headers: req.headers, body, signal: abort.signal, redirect: 'error' });
    const text = await res.text();
    return { status: res.status, etag: res.headers.get('etag'), body: text };
  } catch {
    if (abort.signal.aborted) throw coded('EHR_TIMEOUT', 'the EHR did not answer in time');
    throw coded('EHR_UNREACHABLE', 'the EHR endpoint could not be reached');
  } finally {
    clearTimeout(timer);
  }
}

/** Only what is safe to return and log from an EhrOutcome (no MSA-3/ERR-8 text). @param {any} o */
function ehrSummary(o) {
  return {
    accepted: Boolean(o.accepted),
    ...(o.code ? { code: o.code } : {}),
    ...(o.httpStatus ? { httpStatus: o.httpStatus } : {}),
    retryable: Boolean(o.retryable),
    ...(o.errors?.length ? { errors: o.errors.map((/** @type {any} */ e) => e.hl7Code ?? e.fhirCode ?? e.severity ?? '?') } : {}),
  };
}

/** SRM^S03/S04 POSTed to EHR_HL7_ENDPOINT. @param {any} api @param {any} context @param {any} reply @param {any} profile @param {ReplyHandlerOptions} opts @param {number} deadline */
async function forwardHl7(api, context, reply, profile, opts, deadline) {
  const message = api.replyToHl7(reply, profile, opts.hl7Options ? opts.hl7Options(context) : {});
  const endpoint = opts.hl7Endpoint ?? str(context.EHR_HL7_ENDPOINT);
  if (!endpoint) return { returned: { kind: 'hl7', message } };
  const sent = api.queryHl7(message, 'MSH-10');
  /** @type {Record<string, string>} */
  const headers = { 'Content-Type': str(context.EHR_HL7_CONTENT_TYPE) || 'application/hl7-v2; charset=utf-8', Accept: '*/*' };
  if (str(context.EHR_HL7_AUTHORIZATION)) headers.Authorization = str(context.EHR_HL7_AUTHORIZATION);
  const res = await http(opts, { method: 'POST', url: endpoint, headers, body: message }, deadline);
  const ok = res.status >= 200 && res.status < 300;
  const trimmed = res.body.replace(/^[\s\u000b]+/, '');
  /** @type {any} */
  let outcome = { kind: 'http', accepted: ok, httpStatus: res.status, retryable: res.status >= 500 || res.status === 429 || res.status === 408, errors: [] };
  if (trimmed.startsWith('MSH')) {
    try {
      outcome = { ...api.parseEhrResponse(res.body), httpStatus: res.status };
      outcome.accepted = outcome.accepted && ok;
    } catch {
      outcome = { ...outcome, accepted: false, code: undefined };
    }
  }
  const controlIdMatches = !outcome.controlId || !sent || outcome.controlId === sent.value;
  return { outcome, controlIdMatches };
}

/** The FHIR write (with the read first when the style needs the current Appointment). @param {any} api @param {any} context @param {any} reply @param {any} profile @param {ReplyHandlerOptions} opts @param {number} deadline */
async function forwardFhir(api, context, reply, profile, opts, deadline) {
  let fr = api.replyToFhir(reply, profile);
  const returnOnly = (opts.mode ?? str(context.EHR_REPLY_MODE)) === 'return';
  if (returnOnly) return { returned: { kind: 'fhir', request: fr } };
  /** @type {string | undefined} */
  let token;
  /** @param {{ method: string, url: string, headers: Record<string, string>, body?: unknown }} req */
  const withAuth = async (req) => {
    const headers = { ...req.headers };
    if (headers.Authorization?.includes('<access_token>')) {
      token ??= opts.accessToken ? await opts.accessToken(context) : str(context.EHR_FHIR_ACCESS_TOKEN);
      if (!token) throw coded('CONFIG_NO_ACCESS_TOKEN', 'set EHR_FHIR_ACCESS_TOKEN or the accessToken option');
      headers.Authorization = headers.Authorization.replace('<access_token>', token);
    }
    return { ...req, headers };
  };
  const steps = [];
  let reread = false;
  for (;;) {
    if (fr.action === 'none') return { none: fr.reason, steps };
    if (fr.action === 'read') {
      const res = await http(opts, await withAuth(fr.request), deadline);
      steps.push('read');
      if (res.status < 200 || res.status >= 300) return { outcome: api.parseEhrResponse({ status: res.status, body: res.body }), steps };
      let resource;
      try {
        resource = JSON.parse(res.body);
      } catch {
        throw coded('EHR_RESPONSE_UNPARSEABLE', 'the Appointment read is not JSON');
      }
      fr = api.replyToFhir(reply, profile, res.etag ? { resource, etag: res.etag } : resource);
      continue;
    }
    const res = await http(opts, await withAuth(fr.request), deadline);
    steps.push('write');
    const outcome = api.parseEhrResponse({ status: res.status, body: res.body });
    if (outcome.needsReread && !reread) {
      // Stale version (409/412): read again and rebuild the write once.
      reread = true;
      const again = api.replyToFhir(reply, profile);
      if (again.action === 'read') {
        fr = again;
        continue;
      }
    }
    return { outcome, steps };
  }
}

/**
 * A Functions handler for the flow's IE_ENDPOINT: verify, parse the reply, send the EHR request.
 * @param {ReplyHandlerOptions} [options]
 */
function createReplyHandler(options = {}) {
  const opts = options;
  return handlerFrom('ie-endpoint', opts, async (context, event) => {
    const deadline = Date.now() + (opts.timeoutMs ?? (Number(context.EHR_REPLY_TIMEOUT_MS) || DEFAULT_REPLY_TIMEOUT_MS));
    const api = apiFor(context, opts);
    const profile = await profileFor(context, opts);
    const verify = opts.verify ?? (str(context.EHR_REPLY_VERIFY) || 'signature');
    if (verify !== 'signature' && verify !== 'gateway') throw coded('CONFIG_BAD_VERIFY', 'EHR_REPLY_VERIFY must be signature or gateway');
    const contentType = header(event, 'content-type') || undefined;
    const fields = Object.fromEntries(REPLY_KEYS.filter((k) => k in event).map((k) => [k, event[k]]));
    const candidates = replyBodyCandidates(fields, api);
    /** @type {string} */
    let body;
    /** @type {Record<string, unknown>} */
    const log = { verify };
    if (candidates.length === 0) {
      // A field is missing or not a string: let the package name the problem (REPLY_MISSING_FIELD …).
      api.parseReply(JSON.stringify(fields), { contentType, profile });
      throw coded('REPLY_BAD_FIELD', 'the reply fields must be strings');
    }
    if (verify === 'signature') {
      const v = verifiedBody(api, context, event, candidates, opts);
      if ('status' in v) return v;
      body = v.body;
      log.urlVariant = v.variant;
    } else {
      body = candidates[0];
    }
    const reply = api.parseReply(body, { contentType, profile });
    const eventType = reply.eventType;
    Object.assign(log, { eventType, warnings: reply.warnings.map((/** @type {{code: string}} */ w) => w.code) });
    const expectedFlow = profile.studio?.flowSid;
    if (expectedFlow && reply.flowSid !== expectedFlow) {
      return { status: 403, body: { ok: false, code: 'REPLY_FLOW_MISMATCH' }, log: { ...log, code: 'REPLY_FLOW_MISMATCH' } };
    }
    const target = opts.target ?? (str(context.EHR_REPLY_TARGET) || (profile.reply?.fhir && !str(context.EHR_HL7_ENDPOINT) ? 'fhir' : 'hl7'));
    if (target !== 'hl7' && target !== 'fhir') throw coded('CONFIG_BAD_TARGET', 'EHR_REPLY_TARGET must be hl7 or fhir');
    const mode = opts.mode ?? (str(context.EHR_REPLY_MODE) || 'forward');
    if (mode !== 'forward' && mode !== 'return') throw coded('CONFIG_BAD_MODE', 'EHR_REPLY_MODE must be forward or return');
    log.target = target;
    /** @type {any} */
    let r;
    try {
      if (target === 'hl7') {
        r = await forwardHl7(api, context, reply, profile, mode === 'return' ? { ...opts, hl7Endpoint: '' } : opts, deadline);
        if (r.returned && mode !== 'return') throw coded('CONFIG_NO_ENDPOINT', 'set EHR_HL7_ENDPOINT (or EHR_REPLY_MODE=return)');
      } else {
        r = await forwardFhir(api, context, reply, profile, { ...opts, mode }, deadline);
      }
    } catch (e) {
      const code = /** @type {any} */ (e)?.code;
      if (code === 'EHR_TIMEOUT' || code === 'EHR_UNREACHABLE') {
        return { status: code === 'EHR_TIMEOUT' ? 504 : 502, body: { ok: false, code, eventType, target }, log: { ...log, code } };
      }
      throw e;
    }
    if (r.returned) {
      return { status: 200, body: { ok: true, action: 'returned', eventType, target, ...r.returned }, log: { ...log, outcome: 'returned' } };
    }
    if (r.none) {
      return { status: 200, body: { ok: true, action: 'none', eventType, target, reason: r.none }, log: { ...log, outcome: 'none', reason: r.none } };
    }
    const ehr = ehrSummary(r.outcome);
    const steps = r.steps ? { steps: r.steps } : {};
    if (!ehr.accepted || r.controlIdMatches === false) {
      const code = ehr.accepted ? 'EHR_ACK_MISMATCH' : 'EHR_REJECTED';
      return { status: 502, body: { ok: false, code, eventType, target, ehr }, log: { ...log, code, ehr, ...steps } };
    }
    return { status: 200, body: { ok: true, action: 'forwarded', eventType, target, ehr }, log: { ...log, outcome: 'forwarded', ehr, ...steps } };
  });
}

/**
 * @typedef {{
 *   api?: any,
 *   profile?: object | string,
 *   loadProfile?: (context: any) => object | string | Promise<object | string>,
 *   logger?: { info(msg: string): void, warn(msg: string): void, error(msg: string): void } | false,
 * }} AdapterOptions
 * @typedef {{
 *   load(appointmentKey: string): Promise<{ reminders: any[], version?: unknown }>,
 *   apply(plan: any, version: unknown, nowMs: number): Promise<boolean>,
 *   claimDue(nowMs: number, limit: number, leaseMs: number): Promise<any[]>,
 *   finish(claimed: any, outcome: { status: 'sent' | 'skipped' | 'failed', code?: string, executionSid?: string }, nowMs: number): Promise<void>,
 *   release(claimed: any, retryAtMs: number, nowMs: number): Promise<void>,
 * }} ReminderStore
 * @typedef {AdapterOptions & {
 *   reminders?: ReminderStore | ((context: any) => ReminderStore | null | Promise<ReminderStore | null>) | null,
 *   twilioClient?: (context: any) => any,
 *   authenticate?: (context: any, event: any) => boolean | Promise<boolean>,
 *   clock?: () => number,
 *   batchSize?: number,
 *   leaseMs?: number,
 *   budgetMs?: number,
 *   conflictRetryAfterSeconds?: number,
 * }} DueRemindersHandlerOptions
 * @typedef {AdapterOptions & {
 *   reminders?: ReminderStore | ((context: any) => ReminderStore | null | Promise<ReminderStore | null>) | null,
 *   clock?: () => number,
 *   twilioClient?: (context: any) => any,
 *   onConflict?: 'reject' | 'end-and-retry',
 *   conflictRetryAfterSeconds?: number,
 *   idempotency?: { check(key: string, context: any): unknown, record(key: string, executionSid: string, context: any): unknown, release?(key: string, context: any): unknown },
 *   authenticate?: (context: any, event: any) => boolean | Promise<boolean>,
 *   ignoreKeys?: string[],
 * }} EventHandlerOptions
 * @typedef {AdapterOptions & {
 *   verify?: 'signature' | 'gateway',
 *   publicUrl?: (context: any, event: any) => string,
 *   authToken?: (context: any) => string,
 *   target?: 'hl7' | 'fhir',
 *   mode?: 'forward' | 'return',
 *   hl7Endpoint?: string,
 *   hl7Options?: (context: any) => { controlId?: string, timestamp?: string },
 *   accessToken?: (context: any) => string | Promise<string>,
 *   fetch?: typeof fetch,
 *   timeoutMs?: number,
 * }} ReplyHandlerOptions
 */

/** @param {Parameters<typeof import('./twilio-sync-store.cjs').createSyncReminderStore>[0]} options */
function createSyncReminderStore(options) {
  return require('./twilio-sync-store.cjs').createSyncReminderStore(options);
}

module.exports = {
  createEventHandler,
  createReplyHandler,
  createDueRemindersHandler,
  createSyncReminderStore,
  syncReminderStoreFromContext,
  loadApiFromAsset,
  eventPayload,
  replyBodyCandidates,
  DEFAULT_WASM_ASSET,
};
