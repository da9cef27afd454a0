// @ts-check
// Intake: one inbound HL7 message → the core maps it (Mapper.execution) → the raw message, its
// outcome and (for an event) its Studio job are COMMITTED → only then the ACK is built (buildAck).
//
// Messages arriving together (many connections) share one transaction ("group commit"): a batch is
// flushed on the next turn of the event loop, so one fsync covers the whole batch. On SQLite one
// transaction is in flight at a time (ACK order follows arrival order); on Postgres a few (ACK order
// follows arrival order per connection, which is the order MLLP defines).
'use strict';

const { coded, hashRef } = require('./util.cjs');

/** The Studio delivery job kind (also used for REMIND executions). */
const STUDIO_KIND = 'studio.execution';

/**
 * The ordering lane of a Studio execution: Studio allows one active execution per To/From pair, so
 * that pair is the lane. Hashed: lanes are logged and must not carry phone numbers.
 * @param {string} from @param {string} to
 */
function studioLane(from, to) {
  return `studio:${hashRef(`${from}\u0000${to}`)}`;
}

/**
 * The `studio.execution` job for a request built by the core (`Mapper.execution` or
 * `Mapper.studioRequest`): payload `{ flowSid, to, from, parameters }`, its lane, its idempotency key.
 * @param {{ body: string, idempotencyKey: string }} request @param {string} flowSid
 * @returns {import('./store.cjs').NewJob & { payload: { flowSid: string, to: string, from: string, parameters: string } }}
 */
function studioJob(request, flowSid) {
  const form = new URLSearchParams(request.body);
  const to = form.get('To') ?? '';
  const from = form.get('From') ?? '';
  const parameters = form.get('Parameters') ?? '{}';
  return { kind: STUDIO_KIND, idemKey: request.idempotencyKey, lane: studioLane(from, to), payload: { flowSid, to, from, parameters } };
}

/**
 * How a mapping error is acknowledged. Structural problems (not HL7, no MSH, bad delimiters) are
 * rejected (AR, the sender should not resend as is); content problems are application errors (AE).
 * `hl7Code` is from HL7 table 0357.
 * @param {string} code @returns {{ ack: 'reject' | 'error', hl7Code: number, text: string }}
 */
function ackPolicy(code) {
  switch (code) {
    case 'EMPTY_INPUT':
    case 'HL7_NO_MSH':
      return { ack: 'reject', hl7Code: 100, text: 'not an HL7 v2 message (no MSH segment)' };
    case 'HL7_BAD_ENCODING_CHARS':
      return { ack: 'reject', hl7Code: 102, text: 'unusable MSH-1/MSH-2 delimiters' };
    case 'UNKNOWN_INPUT_KIND':
      return { ack: 'reject', hl7Code: 200, text: 'unsupported message' };
    case 'INPUT_TOO_LARGE':
      return { ack: 'reject', hl7Code: 207, text: 'message too large' };
    case 'MAP_MISSING_REQUIRED':
      return { ack: 'error', hl7Code: 101, text: 'a required field is missing' };
    case 'MAP_BAD_DATETIME':
    case 'HL7_BAD_DATETIME':
      return { ack: 'error', hl7Code: 102, text: 'a date/time is not valid' };
    case 'MAP_STRICT_REJECTED':
      return { ack: 'error', hl7Code: 102, text: 'a value is not accepted by the reminder flow (strict mode)' };
    case 'STUDIO_BAD_PHONE':
      return { ack: 'error', hl7Code: 102, text: 'a phone number is not valid' };
    default:
      return { ack: 'error', hl7Code: 207, text: 'the message could not be processed' };
  }
}

/** ERR location from a core error position (segment, field, component…), no values. @param {any} pos */
function errLocation(pos) {
  if (!pos || typeof pos.segment !== 'string') return {};
  /** @type {Record<string, unknown>} */
  const loc = { segment: pos.segment };
  for (const k of ['segmentIndex', 'field', 'repetition', 'component', 'subcomponent']) {
    if (typeof pos[k] === 'number') loc[k] = pos[k];
  }
  return loc;
}

/** A stand-in header for frames without a readable MSH: the ACK then has an empty MSA-2. */
const NO_MSH = 'MSH|^~\\&|||||||ACK||P|2.5\r';

/**
 * @typedef {{
 *   ack: string | null, ackCode: string, outcome: 'queued' | 'duplicate' | 'skipped' | 'rejected' | 'failed',
 *   code: string | null, messageId: number | null, jobId: number | null, idempotencyKey: string | null,
 * }} AcceptResult
 * @typedef {{ source?: string, kind?: 'hl7' }} AcceptOptions
 */

/**
 * @param {{
 *   api: any, mapper: any, store: import('./store.cjs').Store, logger: import('./util.cjs').Logger,
 *   metrics: import('./metrics.cjs').Metrics, ackApplication?: string, ackFacility?: string,
 *   onQueued?: () => void, maxBatch?: number, maxInFlight?: number, now?: () => number,
 *   planner?: ReturnType<typeof import('./remind.cjs').reminderPlanner>,
 * }} o
 *   `planner`: the profile's reminders are planned in the message's transaction (remind.cjs);
 *   `now`: the engine clock they are planned at (default Date.now).
 */
function createIntake(o) {
  const { api, mapper, store, logger, metrics } = o;
  const flowSid = mapper.profile.studio?.flowSid;
  if (!flowSid) throw coded('ENGINE_NO_STUDIO', 'the profile needs a studio section (flowSid, from)');
  const maxBatch = o.maxBatch ?? 512;
  // SQLite: one transaction at a time (its writes are serial anyway; one fsync per batch). Postgres:
  // a few in flight on the pool, so the engine and the server work in parallel instead of waiting
  // on each other's round trips. Safe for order: a connection's next frame is accepted only after
  // its previous one committed (mllp.cjs), and messages not yet ACKed have no order between them.
  const maxInFlight = o.maxInFlight ?? (store.multiReplica ? 4 : 1);
  /** @type {{ item: import('./store.cjs').IngestItem, done: (r: import('./store.cjs').IngestResult | null, err?: unknown) => void }[]} */
  let pending = [];
  let inFlight = 0;
  let scheduled = false;

  /**
   * @param {string | Uint8Array} input @param {{ code: 'accept' | 'error' | 'reject', hl7Code?: number, text?: string, position?: unknown }} a
   * @returns {{ ack: string | null, ackCode: string }}
   */
  function ackFor(input, a) {
    const options = {
      code: a.code,
      ...(a.text ? { text: a.text } : {}),
      ...(a.hl7Code ? { error: { hl7Code: a.hl7Code, ...errLocation(a.position) } } : {}),
      ...(o.ackApplication ? { application: o.ackApplication } : {}),
      ...(o.ackFacility ? { facility: o.ackFacility } : {}),
    };
    let r;
    try {
      // One ACK per message: the accept (commit) ACK MSH-15 asks for; when MSH-15 declines one
      // (NE, or ER/SU for this outcome), the application ACK MSH-16 asks for; else none.
      r = api.buildAck(input, options);
      if (r.message === null) r = api.buildAck(input, { ...options, level: 'application' });
    } catch {
      // No readable MSH: acknowledge against a stand-in header (reject, empty MSA-2).
      r = api.buildAck(NO_MSH, { ...options, code: 'reject', error: { hl7Code: a.hl7Code ?? 100 }, text: a.text ?? 'no readable MSH segment' });
    }
    metrics.inc('ehr_bridge_acks_total', { code: r.ackCode });
    return { ack: r.message, ackCode: r.ackCode };
  }

  function schedule() {
    if (scheduled || inFlight >= maxInFlight) return;
    scheduled = true;
    setImmediate(flush);
  }

  async function flush() {
    scheduled = false;
    if (inFlight >= maxInFlight || pending.length === 0) return;
    inFlight += 1;
    const batch = pending.slice(0, maxBatch);
    pending = pending.slice(batch.length);
    const t0 = performance.now();
    try {
      const results = await store.ingest(batch.map((b) => b.item));
      metrics.observe('ehr_bridge_commit_seconds', (performance.now() - t0) / 1000);
      batch.forEach((b, i) => b.done(results[i]));
    } catch (e) {
      logger.error('STORE_COMMIT_FAILED', { messages: batch.length, error: /** @type {any} */ (e)?.code ?? 'unknown' });
      batch.forEach((b) => b.done(null, e));
    } finally {
      inFlight -= 1;
      if (pending.length) schedule();
    }
  }

  /** @param {import('./store.cjs').IngestItem} item @returns {Promise<import('./store.cjs').IngestResult>} */
  function commit(item) {
    return new Promise((resolve, reject) => {
      pending.push({ item, done: (r, err) => (r ? resolve(r) : reject(err)) });
      schedule();
    });
  }

  /** @param {string | Uint8Array} input */
  function controlIdOf(input) {
    try {
      const v = api.queryHl7(input, 'MSH-10');
      return v && v.value ? String(v.value).slice(0, 199) : null;
    } catch {
      return null;
    }
  }

  /** @param {string | Uint8Array} input */
  const rawBytes = (input) => (typeof input === 'string' ? Buffer.from(input, 'utf8') : input);

  /**
   * Map, store, acknowledge one HL7 message (bytes as received, or text already decoded by a host
   * HL7 server). Resolves after the commit with the ACK to send (`null` when MSH-15/16 ask for none).
   * @param {string | Uint8Array} input @param {AcceptOptions} [opts] @returns {Promise<AcceptResult>}
   */
  async function accept(input, opts = {}) {
    const source = opts.source ?? 'api';
    const receivedAt = Date.now();
    /** @type {any} */
    let exec;
    /** @type {any} */
    let err;
    try {
      exec = mapper.execution(input, undefined, { kind: opts.kind ?? 'hl7' });
    } catch (e) {
      err = e;
    }
    const controlId = controlIdOf(input);
    if (err) {
      const code = typeof err?.code === 'string' && err.name === 'EhrStudioBridgeError' ? err.code : 'INTERNAL';
      const policy = ackPolicy(code);
      let messageId = null;
      try {
        messageId = (await commit({ receivedAt, source, controlId, raw: rawBytes(input), outcome: 'rejected', code })).messageId;
      } catch {
        // A negative ACK does not depend on storage; the failure is logged by flush().
      }
      metrics.inc('ehr_bridge_messages_total', { outcome: 'rejected' });
      logger.warn('MESSAGE_REJECTED', { source, code, messageId, ack: policy.ack });
      const a = ackFor(input, { code: policy.ack, hl7Code: policy.hl7Code, text: policy.text, position: err?.position });
      return { ...a, outcome: 'rejected', code, messageId, jobId: null, idempotencyKey: null };
    }
    const kind = opts.kind ?? 'hl7';
    const planned = o.planner ? o.planner(input, kind, (o.now ?? Date.now)()) : null;
    if (planned?.error) logger.error('REMIND_PLAN_FAILED', { source, code: planned.error });
    const remind = planned?.remind ? { remind: planned.remind } : {};
    /** @type {import('./store.cjs').IngestItem} */
    let item;
    if (exec.request) {
      item = { receivedAt, source, controlId, raw: rawBytes(input), outcome: 'queued', code: null, job: studioJob(exec.request, flowSid), ...remind };
    } else {
      item = { receivedAt, source, controlId, raw: rawBytes(input), outcome: 'skipped', code: exec.skip?.code ?? 'SKIP', ...remind };
    }
    let stored;
    try {
      stored = await commit(item);
    } catch {
      // Not durable: never AA. AE tells the sender to resend later.
      metrics.inc('ehr_bridge_messages_total', { outcome: 'failed' });
      const a = ackFor(input, { code: 'error', hl7Code: 207, text: 'temporarily unable to store the message; resend later' });
      return { ...a, outcome: 'failed', code: 'STORE_UNAVAILABLE', messageId: null, jobId: null, idempotencyKey: item.job?.idemKey ?? null };
    }
    const outcome = item.job ? (stored.duplicate ? 'duplicate' : 'queued') : 'skipped';
    metrics.inc('ehr_bridge_messages_total', { outcome });
    const idempotencyKey = item.job?.idemKey ?? null;
    logger.info('MESSAGE_ACCEPTED', {
      source,
      outcome,
      ...(item.code ? { code: item.code } : {}),
      messageId: stored.messageId,
      ...(stored.jobId !== null ? { jobId: stored.jobId } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(exec.warnings?.length ? { warnings: exec.warnings } : {}),
      ...(stored.reminders ? { reminders: stored.reminders } : {}),
    });
    if (stored.reminders?.error) logger.error('REMIND_PLAN_FAILED', { source, messageId: stored.messageId, code: stored.reminders.error });
    if (outcome === 'queued' || stored.reminders?.actions.create || stored.reminders?.actions.update) o.onQueued?.();
    const a = ackFor(input, { code: 'accept' });
    return { ...a, outcome, code: item.code, messageId: stored.messageId, jobId: stored.jobId, idempotencyKey };
  }

  /**
   * An oversized frame: rejected (AR) from its first bytes, nothing stored.
   * @param {Uint8Array} head @param {number} size @param {number} limit @returns {AcceptResult}
   */
  function rejectOversized(head, size, limit) {
    metrics.inc('ehr_bridge_messages_total', { outcome: 'oversized' });
    logger.warn('MLLP_FRAME_TOO_LARGE', { bytes: size, limit });
    const a = ackFor(head, { code: 'reject', hl7Code: 207, text: `message larger than ${limit} bytes` });
    return { ...a, outcome: 'rejected', code: 'MLLP_FRAME_TOO_LARGE', messageId: null, jobId: null, idempotencyKey: null };
  }

  /** Wait for the pending batch to be committed (graceful stop). */
  async function drain() {
    while (pending.length || inFlight > 0 || scheduled) await new Promise((r) => setTimeout(r, 5));
  }

  return { accept, rejectOversized, drain };
}

module.exports = { createIntake, studioJob, studioLane, ackPolicy, STUDIO_KIND };
