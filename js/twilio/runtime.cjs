// @ts-check
// ehr-studio-bridge/twilio, the Functions runtime side: the option types, coded errors, the HTTP
// answer (Outcome) of every handler, the one PHI-free log line per invocation, and the bearer check.
'use strict';

const crypto = require('node:crypto');

/** PAM's send & wait timeout: the conflicting execution has ended after at most this long. */
const DEFAULT_CONFLICT_RETRY_AFTER = 120;
const DEFAULT_RATE_LIMIT_RETRY_AFTER = 2;
const DEFAULT_UNAVAILABLE_RETRY_AFTER = 30;

/**
 * @typedef {{ status: number, body: Record<string, unknown>, headers?: Record<string, string>, log?: Record<string, unknown> }} Outcome
 */

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

/** The answer to a caller without the right bearer token. @returns {Outcome} */
function unauthorized() {
  return { status: 401, body: { status: 'error', code: 'UNAUTHORIZED', message: 'missing or wrong bearer token' }, headers: { 'WWW-Authenticate': 'Bearer' }, log: { code: 'UNAUTHORIZED' } };
}

/** @param {number} status @param {Record<string, unknown>} body @param {number} seconds */
function retryLater(status, body, seconds) {
  return { status, body: { ...body, retryAfterSeconds: seconds }, headers: { 'Retry-After': String(seconds) } };
}

/** A package error (coded, from the wasm or this adapter's config) rather than a store failure. @param {unknown} e */
function isCoded(e) {
  const err = /** @type {any} */ (e);
  return err?.name === 'EhrStudioBridgeError' && typeof err.code === 'string' && err.code !== 'REMINDER_STORE_CONFLICT';
}

/** The Studio flow of the profile's `studio` section, through twilio-node (`opts.twilioClient`, else the context's client). @param {any} context @param {{ twilioClient?: (context: any) => any }} opts @param {{ flowSid: string, baseUrl?: string }} studio */
async function studioFlow(context, opts, studio) {
  const client = opts.twilioClient ? await opts.twilioClient(context) : context.getTwilioClient();
  if (studio.baseUrl) client.studio.baseUrl = studio.baseUrl;
  return client.studio.v2.flows(studio.flowSid);
}

/** The execution request's form as twilio-node's `executions.create` takes it. @param {{ form: { To: string, From: string, Parameters: string } }} request */
function executionParams(request) {
  return { to: request.form.To, from: request.form.From, parameters: JSON.parse(request.form.Parameters) };
}

module.exports = {
  DEFAULT_CONFLICT_RETRY_AFTER,
  DEFAULT_RATE_LIMIT_RETRY_AFTER,
  DEFAULT_UNAVAILABLE_RETRY_AFTER,
  coded,
  str,
  errorOutcome,
  loggerFor,
  handlerFrom,
  header,
  authorized,
  unauthorized,
  retryLater,
  isCoded,
  studioFlow,
  executionParams,
};
