// @ts-check
// Twilio → EHR. The flow's IE_ENDPOINT request is verified (X-Twilio-Signature over the public
// URL + bodySHA256 over the raw bytes, by the core), parsed (the core), and stored as an `ehr.reply`
// job; the HTTP answer is sent after the commit (Studio waits at most 10 s and never retries).
// The job then delivers it: SRM^S03/S04 over an outbound MLLP connection, waiting for the EHR's
// ACK, or a FHIR write (through the Functions reply adapter, reused as is in "gateway" mode).
'use strict';

const crypto = require('node:crypto');
const { backoffMs, coded, hashRef } = require('./util.cjs');

const REPLY_KIND = 'ehr.reply';
/** HL7 table 0357 codes that no resend can fix. */
const PERMANENT = new Set(['100', '101', '102', '103', '104', '105', '200', '201', '202', '203', '204', '205']);
/**
 * EHR calls that got no answer to judge (codes of mllp.cjs's client and of the Functions reply
 * adapter): each is retried with the same backoff, bounded by maxAttempts; the dead letter
 * (RETRIES_EXHAUSTED) keeps it as `lastCode`, with its detail (EHR_TLS_ERROR: `tlsCode`, the OpenSSL
 * code). The FHIR path's answers are judged by this table; every failure of the MLLP client is
 * retried (it has no other outcome), carrying `tlsCode` when it has one.
 */
const NO_ANSWER_RETRY = new Set(['EHR_UNREACHABLE', 'EHR_TLS_ERROR', 'EHR_TIMEOUT', 'EHR_CONNECTION_CLOSED']);
const REPLY_KEYS = ['flow_sid', 'event_type', 'appointment_id', 'provider_id', 'patient_id'];
/** Identical reply bodies inside this window are one reply (Studio never retries; this stops replays). */
const DEDUPE_WINDOW_MS = 10 * 60_000;

/** HTTP status for a coded reply error. @param {string} code */
function replyStatus(code) {
  if (code === 'REPLY_TOO_LARGE') return 413;
  if (code === 'REPLY_BAD_CONTENT_TYPE') return 415;
  return 400;
}

/**
 * @param {{
 *   api: any, profile: any, store: import('./store.cjs').Store, logger: import('./util.cjs').Logger,
 *   metrics: import('./metrics.cjs').Metrics, authToken?: string, publicUrl?: string,
 *   target: 'hl7' | 'fhir', onQueued?: () => void, verify?: 'signature' | 'none',
 * }} o
 */
function createReplyIntake(o) {
  const { api, profile, store, logger, metrics } = o;
  const verify = o.verify ?? 'signature';
  if (verify === 'signature' && !o.authToken) {
    throw coded('ENGINE_NO_AUTH_TOKEN', 'the reply endpoint verifies X-Twilio-Signature: set TWILIO_AUTH_TOKEN (or disable replies)');
  }
  if (verify === 'signature' && !o.publicUrl) {
    throw coded('ENGINE_NO_PUBLIC_URL', 'set the public URL of the reply endpoint (what IE_ENDPOINT holds, e.g. https://engine.example.org/ie-endpoint)');
  }

  /**
   * @param {{ url: string, headers: Record<string, string | string[] | undefined>, body: Buffer }} req
   * @returns {Promise<{ status: number, body: Record<string, unknown> }>}
   */
  return async function handle(req) {
    /** @param {number} status @param {string} code @param {Record<string, unknown>} [extra] */
    const fail = (status, code, extra = {}) => {
      metrics.inc('ehr_bridge_replies_total', { code });
      logger.warn('REPLY_REFUSED', { code, status, ...extra });
      return { status, body: { ok: false, code, ...extra } };
    };
    const header = (/** @type {string} */ n) => {
      const v = req.headers[n];
      return Array.isArray(v) ? String(v[0]) : typeof v === 'string' ? v : '';
    };
    if (verify === 'signature') {
      const signature = header('x-twilio-signature');
      if (!signature) return fail(401, 'SIGNATURE_MISSING');
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      const url = `${/** @type {string} */ (o.publicUrl).replace(/\?.*$/, '')}${query}`;
      const v = api.verifyTwilioSignature({ authToken: o.authToken, url, signature, body: req.body });
      if (!v.valid) return fail(403, 'SIGNATURE_INVALID', { reason: v.reason ?? 'SIGNATURE_MISMATCH' });
    }
    let reply;
    try {
      reply = api.parseReply(req.body, { contentType: header('content-type') || undefined, profile });
    } catch (e) {
      const code = /** @type {any} */ (e)?.code ?? 'REPLY_INVALID';
      return fail(replyStatus(code), code);
    }
    if (profile.studio?.flowSid && reply.flowSid !== profile.studio.flowSid) return fail(403, 'REPLY_FLOW_MISMATCH');
    /** @type {Record<string, unknown>} */
    let payload;
    if (o.target === 'hl7') {
      // Built now, so every retry resends the same message (same MSH-10) and the EHR can dedupe.
      const message = api.replyToHl7(reply, profile);
      payload = { target: 'hl7', message };
    } else {
      /** @type {Record<string, unknown>} */
      let fields;
      try {
        fields = JSON.parse(req.body.toString('utf8'));
      } catch {
        return fail(400, 'REPLY_INVALID');
      }
      payload = { target: 'fhir', fields: Object.fromEntries(REPLY_KEYS.map((k) => [k, fields[k]])), contentType: header('content-type') };
    }
    const token = header('i-twilio-idempotency-token');
    const digest = crypto.createHash('sha256').update(req.body).digest('hex');
    const idemKey = `reply-${digest.slice(0, 32)}-${token ? hashRef(token) : Math.floor(Date.now() / DEDUPE_WINDOW_MS)}`;
    let job;
    try {
      job = await store.enqueue({ kind: REPLY_KIND, idemKey, lane: `ehr:${hashRef(reply.appointmentId)}`, payload: { ...payload, eventType: reply.eventType } });
    } catch (e) {
      logger.error('STORE_COMMIT_FAILED', { replies: 1, error: /** @type {any} */ (e)?.code ?? 'unknown' });
      return { status: 503, body: { ok: false, code: 'STORE_UNAVAILABLE' } };
    }
    const status = job.created ? 'queued' : 'duplicate';
    metrics.inc('ehr_bridge_replies_total', { code: status === 'queued' ? 'REPLY_QUEUED' : 'REPLY_DUPLICATE' });
    logger.info('REPLY_ACCEPTED', { jobId: job.id, eventType: reply.eventType, status, warnings: reply.warnings.map((/** @type {any} */ w) => w.code) });
    if (job.created) o.onQueued?.();
    return { status: 200, body: { ok: true, status, jobId: job.id, eventType: reply.eventType } };
  };
}

/**
 * @typedef {{ maxAttempts?: number, backoffMs?: number, capMs?: number, timeoutMs?: number }} ReplyDeliveryOptions
 */

/**
 * The `ehr.reply` handler.
 * @param {{
 *   api: any, profile: any, mllp?: { send(message: string): Promise<Uint8Array> } | null,
 *   fhir?: { fetch?: any, accessToken?: () => string | Promise<string> } | null,
 *   options?: ReplyDeliveryOptions,
 * }} o
 * @returns {import('./worker.cjs').Handler}
 */
function createReplyHandler(o) {
  const opt = o.options ?? {};
  const maxAttempts = opt.maxAttempts ?? 20;
  const base = opt.backoffMs ?? 5000;
  const cap = opt.capMs ?? 600_000;
  /** @type {any} */
  let functionsHandler = null;

  /** @param {string} code @param {import('./store.cjs').Job} job @param {Record<string, unknown>} [result] @returns {import('./store.cjs').Outcome} */
  const retry = (code, job, result) =>
    job.attempts >= maxAttempts
      ? { status: 'dead', code: 'RETRIES_EXHAUSTED', result: { lastCode: code, ...result } }
      : { status: 'retry', code, delayMs: backoffMs(job.attempts, base, cap), ...(result ? { result } : {}) };

  /** @param {import('./store.cjs').Job} job @returns {Promise<import('./store.cjs').Outcome>} */
  async function viaMllp(job) {
    if (!o.mllp) return { status: 'dead', code: 'ENGINE_NO_EHR_ENDPOINT' };
    const message = String(job.payload.message);
    let ack;
    try {
      ack = await o.mllp.send(message);
    } catch (e) {
      const err = /** @type {any} */ (e);
      const code = typeof err?.code === 'string' ? err.code : 'EHR_UNREACHABLE';
      // Not in the table (not an EHR transport failure, e.g. the core refusing to frame): retried
      // under its own code all the same, bounded by maxAttempts.
      return retry(code, job, typeof err?.tlsCode === 'string' ? { tlsCode: err.tlsCode } : undefined);
    }
    let outcome;
    try {
      outcome = o.api.parseEhrResponse(ack);
    } catch {
      return retry('EHR_RESPONSE_UNPARSEABLE', job);
    }
    const sent = o.api.queryHl7(message, 'MSH-10')?.value;
    const errors = (outcome.errors ?? []).map((/** @type {any} */ e) => e.hl7Code ?? e.severity ?? '?');
    const result = { ackCode: outcome.code, ...(errors.length ? { errors } : {}) };
    if (outcome.controlId && sent && outcome.controlId !== sent) return retry('EHR_ACK_MISMATCH', job, result);
    if (outcome.accepted) return { status: 'done', code: 'EHR_ACCEPTED', result };
    // Resending cannot help when the EHR names a content or identity problem (table 0357: 100–105
    // segment/field/data type/table value, 200–205 unsupported type/event/processing id/version,
    // unknown or duplicate key). Anything else (AE/CE without such a code — 206 record locked, 207
    // internal error —, AR/CR: not processed) is retried, bounded by maxAttempts.
    if (errors.some((/** @type {string} */ c) => PERMANENT.has(String(c)))) return { status: 'dead', code: 'EHR_REJECTED', result };
    return retry('EHR_ERROR', job, result);
  }

  /** @param {import('./store.cjs').Job} job @returns {Promise<import('./store.cjs').Outcome>} */
  async function viaFhir(job) {
    if (!functionsHandler) {
      const { createReplyHandler: forFunctions } = require('../twilio.cjs');
      functionsHandler = forFunctions({
        api: o.api,
        profile: o.profile,
        verify: 'gateway', // verified when it was received
        target: 'fhir',
        mode: 'forward',
        timeoutMs: opt.timeoutMs ?? 15_000,
        logger: false,
        ...(o.fhir?.fetch ? { fetch: o.fhir.fetch } : {}),
        ...(o.fhir?.accessToken ? { accessToken: o.fhir.accessToken } : {}),
      });
    }
    const event = { ...job.payload.fields, request: { headers: { 'content-type': job.payload.contentType || 'application/json' } } };
    /** @type {{ statusCode: number, body: any }} */
    const res = await new Promise((resolve, reject) =>
      functionsHandler({ EHR_FHIR_ACCESS_TOKEN: process.env.EHR_FHIR_ACCESS_TOKEN }, event, (/** @type {unknown} */ err, /** @type {any} */ r) =>
        err ? reject(err) : resolve(r),
      ),
    );
    const body = res.body ?? {};
    const ehr = body.ehr ?? {};
    const result = { ...(ehr.httpStatus ? { httpStatus: ehr.httpStatus } : {}), ...(ehr.code ? { ackCode: ehr.code } : {}) };
    if (body.ok && body.action === 'none') return { status: 'done', code: 'EHR_NOTHING_TO_DO', result: { reason: body.reason } };
    if (body.ok) return { status: 'done', code: 'EHR_ACCEPTED', result };
    if (NO_ANSWER_RETRY.has(body.code)) return retry(body.code, job);
    if (ehr.retryable || body.code === 'EHR_ACK_MISMATCH') return retry(body.code ?? 'EHR_ERROR', job, result);
    return { status: 'dead', code: body.code ?? 'EHR_REJECTED', result };
  }

  return {
    kind: REPLY_KIND,
    concurrency: 1,
    async run(job) {
      return job.payload.target === 'hl7' ? viaMllp(job) : viaFhir(job);
    },
  };
}

module.exports = { createReplyIntake, createReplyHandler, REPLY_KIND };
