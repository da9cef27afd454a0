// @ts-check
// ehr-studio-bridge/twilio, the IE_ENDPOINT Function (createReplyHandler): the flow's reply is
// verified (the exact body Studio sent, found among the widget's candidates by its signed SHA-256,
// and X-Twilio-Signature), parsed by the package, and turned into the EHR request: SRM^S03/S04 over
// HTTP, or the FHIR read and write; the EHR's answer is read back by the package.
'use strict';

const { apiFor, profileFor, packageApi } = require('./load.cjs');
const { coded, str, handlerFrom, header } = require('./runtime.cjs');

/** @typedef {import('./runtime.cjs').Outcome} Outcome */
/** @typedef {import('./runtime.cjs').ReplyHandlerOptions} ReplyHandlerOptions */

/** Budget for the EHR calls of one reply (Studio gives the whole request 10 s). */
const DEFAULT_REPLY_TIMEOUT_MS = 6000;
/** The keys of the PAM HTTP Request widget body, in template order. */
const REPLY_KEYS = ['flow_sid', 'event_type', 'appointment_id', 'provider_id', 'patient_id'];

/**
 * The bodies the PAM HTTP Request widgets can have sent for these parsed fields (the package's
 * `replyBodyCandidates`: the shipped template and the `patchStudioFlow` / `to_json` variants).
 * Distinct strings only; `[]` when a field is missing or not a string.
 * @param {Record<string, unknown>} fields
 * @param {any} [api] the package (default: the one this adapter loads)
 * @returns {string[]}
 */
function replyBodyCandidates(fields, api = packageApi()) {
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

module.exports = { replyBodyCandidates, createReplyHandler };
