// @ts-check
// Delivery of `studio.execution` jobs with twilio-node: `executions.create`, Studio's rate limit
// (a token bucket per account, shared through the store on Postgres), 409 / 429 / 5xx / 4xx rules,
// and reconciliation of jobs IN DOUBT (an attempt that may have created an execution without us
// recording it): before calling again, list the flow's executions for that contact created since
// the doubtful attempt, read each one's context and compare its parameters with ours.
'use strict';

const { backoffMs, coded, peer, sleep } = require('./util.cjs');
const { STUDIO_KIND } = require('./intake.cjs');

/** Connection failures where the request certainly did not reach Twilio. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ERR_INVALID_URL']);

/**
 * @typedef {{ take(signal?: AbortSignal): Promise<boolean> }} RateLimiter
 */

/**
 * In-process token bucket (one engine per SQLite store).
 * @param {number} rate per second @param {number} burst @returns {RateLimiter}
 */
function localBucket(rate, burst) {
  let tokens = burst;
  let at = Date.now();
  /** @type {Promise<unknown>} */
  let queue = Promise.resolve();
  const takeOne = async (/** @type {AbortSignal | undefined} */ signal) => {
    for (;;) {
      const now = Date.now();
      tokens = Math.min(burst, tokens + ((now - at) * rate) / 1000);
      at = now;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      if (signal?.aborted) return false;
      await sleep(Math.ceil(((1 - tokens) * 1000) / rate), signal);
    }
  };
  return {
    take(signal) {
      const p = queue.then(() => takeOne(signal));
      queue = p.catch(() => undefined);
      return p;
    },
  };
}

/**
 * A token bucket row in the store, shared by every engine on it (Postgres replicas).
 * @param {import('./store.cjs').Store} store @param {string} name @param {number} rate @param {number} burst
 * @returns {RateLimiter}
 */
function storeBucket(store, name, rate, burst) {
  /** @type {Promise<unknown>} */
  let queue = Promise.resolve();
  const takeOne = async (/** @type {AbortSignal | undefined} */ signal) => {
    for (;;) {
      const r = await store.takeTokens(name, 1, rate, burst);
      if (r.granted >= 1) return true;
      if (signal?.aborted) return false;
      await sleep(Math.max(5, r.waitMs), signal);
    }
  };
  return {
    take(signal) {
      const p = queue.then(() => takeOne(signal));
      queue = p.catch(() => undefined);
      return p;
    },
  };
}

/** Parameters equal as Studio stores them (every value a string). @param {unknown} data @param {Record<string, unknown>} ours */
function sameParameters(data, ours) {
  if (!data || typeof data !== 'object') return false;
  const theirs = /** @type {Record<string, unknown>} */ (data);
  const keys = Object.keys(ours);
  if (keys.length === 0) return false;
  return keys.every((k) => String(theirs[k] ?? '') === String(ours[k] ?? ''));
}

/**
 * @typedef {{
 *   concurrency?: number,
 *   ratePerSecond?: number,
 *   burst?: number,
 *   onConflict?: 'wait' | 'end-stale',
 *   conflictWaitMs?: number,
 *   staleAfterMs?: number,
 *   maxConflictWaits?: number,
 *   maxAttempts?: number,
 *   reconcileSkewMs?: number,
 *   reconcileAfterMs?: number,
 *   backoff?: { rateLimitedMs?: number, serverErrorMs?: number, networkMs?: number, capMs?: number },
 * }} DeliveryOptions
 */

/**
 * The handler for `studio.execution` jobs. Payload: `{ flowSid, to, from, parameters }` with
 * `parameters` the JSON text sent as Studio's `Parameters`. `kind` / `concurrency` make it the
 * handler of another kind with the same payload (`remind`: REMIND executions); `precheck` runs
 * before each create (after an in-doubt attempt was reconciled) and may finish the job instead.
 * @param {{
 *   client: any, rate: RateLimiter, options?: DeliveryOptions, logger: import('./util.cjs').Logger,
 *   kind?: string, concurrency?: number,
 *   precheck?: (job: import('./store.cjs').Job) => import('./store.cjs').Outcome | null,
 * }} o
 * @returns {import('./worker.cjs').Handler}
 */
function createStudioHandler(o) {
  const opt = o.options ?? {};
  const onConflict = opt.onConflict ?? 'wait';
  if (onConflict !== 'wait' && onConflict !== 'end-stale') throw coded('ENGINE_BAD_OPTION', 'onConflict must be wait or end-stale');
  const conflictWaitMs = opt.conflictWaitMs ?? 30_000;
  const staleAfterMs = opt.staleAfterMs ?? 150_000;
  const maxConflictWaits = opt.maxConflictWaits ?? 120;
  const maxAttempts = opt.maxAttempts ?? 25;
  const skewMs = opt.reconcileSkewMs ?? 60_000;
  const settleMs = opt.reconcileAfterMs ?? 30_000;
  /** A POST starts at most this long after its claim (the doubt window starts at the claim). */
  const startWithinMs = Math.max(1000, settleMs / 2);
  const b = { rateLimitedMs: 1000, serverErrorMs: 2000, networkMs: 2000, capMs: 300_000, ...opt.backoff };

  /** @param {any} p */
  const flowOf = (p) => o.client.studio.v2.flows(p.flowSid);

  /** Does execution `sid` carry exactly our parameters? @param {any} flow @param {string} sid @param {Record<string, unknown>} params */
  async function isOurs(flow, sid, params) {
    const c = await flow.executions(sid).executionContext().fetch();
    const ctx = c?.context ?? {};
    return sameParameters(ctx?.flow?.data ?? ctx?.trigger?.request?.parameters, params);
  }

  /**
   * The execution an in-doubt attempt created, if any. The window is bounded on both sides: the
   * doubtful POST started after `doubtAt` (the claim) and at most `startWithinMs` later (see run),
   * and was processed within `settleMs` (> the request timeout); `skewMs` covers the clocks. Every
   * page is read.
   * @param {any} flow @param {any} p @param {Record<string, unknown>} params @param {number} doubtAt
   */
  async function reconcile(flow, p, params, doubtAt) {
    const list = await flow.executions.list({
      dateCreatedFrom: new Date(doubtAt - skewMs),
      dateCreatedTo: new Date(doubtAt + startWithinMs + settleMs + skewMs),
      pageSize: 1000,
    });
    const candidates = list.filter((/** @type {any} */ x) => x.contactChannelAddress === p.to);
    for (const x of candidates) if (await isOurs(flow, x.sid, params)) return /** @type {string} */ (x.sid);
    return null;
  }

  /** @param {string} code @param {number} delayMs @param {boolean} inDoubt @param {import('./store.cjs').Job} job @param {Record<string, unknown>} [result] @returns {import('./store.cjs').Outcome} */
  function retry(code, delayMs, inDoubt, job, result) {
    if (job.attempts >= maxAttempts) return { status: 'dead', code: 'RETRIES_EXHAUSTED', inDoubt, result: { lastCode: code, ...result } };
    return { status: 'retry', code, delayMs, inDoubt, ...(result ? { result } : {}) };
  }

  /** The same outcome, marked in doubt when it is a retry or a dead letter. @param {import('./store.cjs').Outcome} o @returns {import('./store.cjs').Outcome} */
  const doubtful = (o) => (o.status === 'retry' || o.status === 'dead' ? { ...o, inDoubt: true } : o);

  /** twilio-node error → outcome. @param {any} e @param {import('./store.cjs').Job} job @returns {import('./store.cjs').Outcome} */
  function failure(e, job) {
    const status = typeof e?.status === 'number' ? e.status : 0;
    const twilioCode = typeof e?.code === 'number' ? e.code : undefined;
    const info = { twilioStatus: status || undefined, twilioCode };
    if (status === 429) return retry('TWILIO_RATE_LIMITED', backoffMs(job.attempts, b.rateLimitedMs, 60_000), false, job, info);
    // A 5xx may come after the execution was created: the next attempt reconciles first.
    if (status >= 500) return retry('TWILIO_SERVER_ERROR', backoffMs(job.attempts, b.serverErrorMs, b.capMs), true, job, info);
    if (status === 401 || status === 403) return { status: 'dead', code: 'TWILIO_AUTH_FAILED', result: info };
    if (status === 404) return { status: 'dead', code: 'TWILIO_NOT_FOUND', result: info };
    if (status >= 400) return { status: 'dead', code: 'TWILIO_REJECTED', result: info };
    const netCode = typeof e?.code === 'string' ? e.code : '';
    if (NOT_SENT.has(netCode)) return retry('TWILIO_UNREACHABLE', backoffMs(job.attempts, b.networkMs, b.capMs), false, job, { network: netCode });
    // Reset, timeout, no answer: the request may have been processed.
    return retry('TWILIO_NO_RESPONSE', backoffMs(job.attempts, b.networkMs, b.capMs), true, job, { network: netCode || 'unknown' });
  }

  return {
    kind: o.kind ?? STUDIO_KIND,
    concurrency: o.concurrency ?? opt.concurrency ?? 8,
    async run(job, ctx) {
      const p = job.payload;
      /** @type {Record<string, unknown>} */
      let params;
      try {
        params = JSON.parse(p.parameters);
      } catch {
        return { status: 'dead', code: 'ENGINE_BAD_PAYLOAD' };
      }
      const flow = flowOf(p);
      const meta = { conflicts: 0, ...job.meta };
      // Waits for a 409 are counted by maxConflictWaits, not by maxAttempts or the backoff.
      const counted = { ...job, attempts: Math.max(1, job.attempts - meta.conflicts) };
      const wasInDoubt = job.doubtAt !== null;
      // A request we gave up on may still be processed by Twilio: look only once it cannot be —
      // unless the only doubtful request was answered (a 5xx in the previous attempt).
      const answered = meta.answeredAttempt === job.attempts - 1;
      if (wasInDoubt && !answered && Date.now() < /** @type {number} */ (job.doubtAt) + settleMs) {
        return { status: 'release', delayMs: /** @type {number} */ (job.doubtAt) + settleMs - Date.now() };
      }
      if (wasInDoubt) {
        try {
          const sid = await reconcile(flow, p, params, /** @type {number} */ (job.doubtAt));
          if (sid) return { status: 'done', code: 'STUDIO_RECONCILED', result: { executionSid: sid } };
        } catch (e) {
          // Cannot tell yet: stay in doubt, try later.
          return doubtful(failure(e, counted));
        }
      }
      const early = o.precheck?.(job);
      if (early) return early;
      // A POST must start soon after the claim (its doubt window, see reconcile, starts there).
      const startBy = (job.attemptStartedAt ?? Date.now()) + startWithinMs;
      for (let tries = 0; ; tries++) {
        if (!ctx.alive() || ctx.signal.aborted) return { status: 'release', delayMs: 1000 };
        if (!(await o.rate.take(ctx.signal))) return { status: 'release', delayMs: 1000 };
        if (!ctx.alive() || Date.now() > startBy) return { status: 'release', delayMs: 1000 };
        /** @type {any} */
        let e;
        try {
          const execution = await flow.executions.create({ to: p.to, from: p.from, parameters: params });
          return { status: 'done', code: 'STUDIO_CREATED', result: { executionSid: execution.sid, ...(tries ? { endedExecutionSid: meta.ended } : {}) }, meta };
        } catch (err) {
          e = err;
        }
        if (e?.status !== 409) {
          const f = failure(e, counted);
          // A 5xx is an answer: the next attempt may reconcile at once (see `answered`).
          return e?.status >= 500 && f.status === 'retry' ? { ...f, meta: { ...meta, answeredAttempt: job.attempts } } : f;
        }
        // 409 / 20409: the contact has an active execution (PAM's 120 s reply window).
        const conflicting = typeof e?.details?.conflicting_execution_sid === 'string' ? e.details.conflicting_execution_sid : null;
        try {
          if (conflicting && wasInDoubt && (await isOurs(flow, conflicting, params))) {
            return { status: 'done', code: 'STUDIO_RECONCILED', result: { executionSid: conflicting } };
          }
        } catch (err) {
          return doubtful(failure(err, counted));
        }
        meta.conflicts += 1;
        if (meta.conflicts > maxConflictWaits) {
          return { status: 'dead', code: 'STUDIO_EXECUTION_ACTIVE_TOO_LONG', result: { conflictingExecutionSid: conflicting }, meta };
        }
        let waitMs = conflictWaitMs;
        if (onConflict === 'end-stale' && conflicting && tries === 0) {
          try {
            const other = await flow.executions(conflicting).fetch();
            const age = Date.now() - new Date(other.dateCreated).getTime();
            if (age >= staleAfterMs) {
              try {
                await flow.executions(conflicting).update({ status: 'ended' });
              } catch (err) {
                if (/** @type {any} */ (err)?.status !== 409) throw err; // 409: it had already ended
              }
              ctx.logger.warn('STUDIO_EXECUTION_ENDED', { jobId: job.id, endedExecutionSid: conflicting, ageMs: age });
              meta.ended = conflicting;
              continue;
            }
            waitMs = Math.max(1000, Math.min(conflictWaitMs, staleAfterMs - age));
          } catch (err) {
            return failure(err, counted);
          }
        }
        return { status: 'retry', code: 'STUDIO_EXECUTION_ACTIVE', delayMs: waitMs, inDoubt: false, result: { conflictingExecutionSid: conflicting }, meta };
      }
    },
  };
}

/**
 * twilio-node from credentials: an API key (recommended) or the auth token.
 * @param {{ twilio?: any, accountSid?: string, apiKey?: string, apiSecret?: string, authToken?: string, baseUrl?: string, timeoutMs?: number }} c
 */
function twilioClientFrom(c) {
  let twilio = c.twilio;
  if (!twilio) {
    try {
      twilio = peer('twilio');
    } catch {
      throw coded('ENGINE_TWILIO_UNAVAILABLE', 'delivery needs twilio-node: npm install twilio');
    }
  }
  if (!c.accountSid) throw coded('ENGINE_NO_CREDENTIALS', 'set TWILIO_ACCOUNT_SID and TWILIO_API_KEY + TWILIO_API_SECRET (or TWILIO_AUTH_TOKEN)');
  const opts = { accountSid: c.accountSid, timeout: c.timeoutMs ?? 15_000, autoRetry: false };
  const client =
    c.apiKey && c.apiSecret
      ? twilio(c.apiKey, c.apiSecret, opts)
      : c.authToken
        ? twilio(c.accountSid, c.authToken, opts)
        : null;
  if (!client) throw coded('ENGINE_NO_CREDENTIALS', 'set TWILIO_API_KEY + TWILIO_API_SECRET, or TWILIO_AUTH_TOKEN');
  if (c.baseUrl) client.studio.baseUrl = c.baseUrl;
  return client;
}

module.exports = { createStudioHandler, localBucket, storeBucket, twilioClientFrom, sameParameters };
