// @ts-check
// REMIND in the engine (docs/engine.md, "Reminders"; docs/reminders.md): the event's reminders are
// planned by the core (Mapper.planReminders) and stored in the transaction that stores the event
// (store.cjs, planReminders); this scheduler claims the due ones (remindDue decides: send, wait, or
// skip with a code) and turns each `send` into ONE `remind` job — idempotency key = the reminder
// id, lane = the patient's To/From — that the delivery worker sends like any Studio execution (rate,
// 409 order, in-doubt reconciliation). What to send and when is the core's; this is scheduling.
'use strict';

const fs = require('node:fs');
const { coded, sleep } = require('./util.cjs');
const { studioLane } = require('./intake.cjs');
const { createStudioHandler } = require('./studio.cjs');

/** The job kind of REMIND executions. */
const REMIND_KIND = 'remind';

/** A package error's code, else INTERNAL (never a message: it may quote input). @param {unknown} e */
function errorCode(e) {
  const err = /** @type {any} */ (e);
  return err?.name === 'EhrStudioBridgeError' && typeof err.code === 'string' ? err.code : 'INTERNAL';
}

/**
 * Intake's half: for one inbound message, what the store must plan in the message's transaction.
 * `null` when the profile has no `reminders` section.
 * @param {any} mapper
 * @returns {((input: string | Uint8Array, kind: string, nowMs: number) => { remind?: import('./store.cjs').RemindPlanning, error?: string } | null) | null}
 */
function reminderPlanner(mapper) {
  if (!mapper.profile.reminders) return null;
  return (input, kind, nowMs) => {
    try {
      const result = mapper.map(input, { kind });
      // A first plan without the store gives the appointment key (and says whether to touch it).
      const first = mapper.planReminders(result, nowMs, []);
      if (first.unchanged || !first.appointmentKey) return null;
      return {
        remind: {
          appointmentKey: first.appointmentKey,
          now: nowMs,
          plan: (/** @type {any[]} */ existing) => mapper.planReminders(result, nowMs, existing),
        },
      };
    } catch (e) {
      return { error: errorCode(e) };
    }
  };
}

/**
 * The `remind` job handler: the Studio handler, plus the late rule at send time (a REMIND that
 * waited in the queue — Studio down, the patient's lane busy — past its `notAfterMs` is finished
 * with remindDue's code instead of being sent).
 * @param {{
 *   api: any, now: () => number, client: any, rate: import('./studio.cjs').RateLimiter,
 *   options?: import('./studio.cjs').DeliveryOptions, logger: import('./util.cjs').Logger, concurrency?: number,
 * }} o
 */
function createRemindHandler(o) {
  return createStudioHandler({
    client: o.client,
    rate: o.rate,
    options: o.options,
    logger: o.logger,
    kind: REMIND_KIND,
    concurrency: o.concurrency ?? 4,
    precheck(job) {
      const r = job.payload?.reminder;
      if (!r) return null;
      let due;
      try {
        due = o.api.remindDue(r, o.now());
      } catch {
        return null;
      }
      return due.action === 'skip' ? { status: 'done', code: due.code ?? 'REMIND_TOO_LATE', result: { reminderId: r.id } } : null;
    },
  });
}

/**
 * @typedef {{ tickMs?: number, batch?: number, concurrency?: number }} ReminderOptions
 *   `tickMs`: the longest the scheduler sleeps (default 30000; it also wakes for the next due
 *   reminder, new plans and clock changes); `batch`: reminders claimed per transaction (default 50);
 *   `concurrency`: REMIND calls in flight per engine (default 4).
 */

/**
 * The scheduler loop.
 * @param {{
 *   api: any, mapper: any, store: import('./store.cjs').Store, logger: import('./util.cjs').Logger,
 *   metrics: import('./metrics.cjs').Metrics, now: () => number, onQueued: () => void, options?: ReminderOptions,
 * }} o
 */
function createReminderScheduler(o) {
  const { api, mapper, store, logger, metrics } = o;
  const flowSid = mapper.profile.studio?.flowSid;
  if (!flowSid) throw coded('ENGINE_NO_STUDIO', 'the profile needs a studio section (flowSid, from)');
  const tickMs = o.options?.tickMs ?? 30_000;
  const batch = o.options?.batch ?? 50;
  const stopping = new AbortController();
  /** @type {(() => void) | null} */
  let wakeUp = null;
  /** @type {Promise<void> | null} */
  let loopDone = null;

  /**
   * What to do with a due reminder at `t` (runs inside the claim transaction: core calls only).
   * @param {number} t @returns {(r: any) => import('./store.cjs').RemindDecision}
   */
  const decider = (t) => (r) => {
    let due;
    try {
      due = api.remindDue(r, t);
    } catch (e) {
      return { action: 'fail', code: errorCode(e) };
    }
    if (due.action === 'wait') return { action: 'wait', untilMs: t + Math.max(1, Number(due.waitMs) || 0) };
    if (due.action === 'skip') return { action: 'skip', code: due.code ?? 'REMIND_TOO_LATE' };
    let request;
    try {
      request = mapper.remindExecution(r, undefined, t).request;
    } catch (e) {
      return { action: 'fail', code: errorCode(e) };
    }
    const f = request.form;
    const reminder = { id: r.id, dueAtMs: r.dueAtMs, notAfterMs: r.notAfterMs, notAfter: r.notAfter, appointmentStartMs: r.appointmentStartMs };
    return {
      action: 'send',
      job: { kind: REMIND_KIND, idemKey: request.idempotencyKey, lane: studioLane(f.From, f.To), payload: { flowSid, to: f.To, from: f.From, parameters: f.Parameters, reminder } },
    };
  };

  /** One claim transaction; the number of reminders it settled. */
  async function pass() {
    const t = o.now();
    const claimed = await store.claimReminders({ now: t, limit: batch, decide: decider(t) });
    let queued = 0;
    for (const c of claimed) {
      metrics.inc('ehr_bridge_reminders_total', { outcome: c.action, code: c.code ?? 'NONE' });
      if (c.action === 'queued') {
        queued += 1;
        logger.info('REMIND_QUEUED', { reminderId: c.id, appointmentKey: c.appointmentKey, jobId: c.jobId, at: t });
      } else if (c.action === 'skipped') logger.info('REMIND_SKIPPED', { reminderId: c.id, appointmentKey: c.appointmentKey, code: c.code, at: t });
      else if (c.action === 'failed') logger.error('REMIND_FAILED', { reminderId: c.id, appointmentKey: c.appointmentKey, code: c.code, at: t });
    }
    if (queued) o.onQueued();
    return claimed.length;
  }

  /** Sleep up to `ms`, or until woken or stopped. @param {number} ms */
  function nap(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(t);
        if (wakeUp === done) wakeUp = null;
        stopping.signal.removeEventListener('abort', done);
        resolve(undefined);
      }
      wakeUp = done;
      stopping.signal.addEventListener('abort', done, { once: true });
    });
  }

  async function loop() {
    while (!stopping.signal.aborted) {
      let n = 0;
      let next = null;
      try {
        n = await pass();
        if (n >= batch) continue;
        next = await store.nextReminderDue();
      } catch (e) {
        logger.error('REMIND_CLAIM_FAILED', { error: errorCode(e) === 'INTERNAL' ? (/** @type {any} */ (e)?.code ?? 'unknown') : errorCode(e) });
        await sleep(Math.min(tickMs, 1000), stopping.signal);
        continue;
      }
      if (stopping.signal.aborted) break;
      // Due now but not claimed: another replica holds those rows; look again shortly.
      const until = next === null ? tickMs : next - o.now();
      await nap(until <= 0 ? Math.min(tickMs, 250) : Math.min(tickMs, until));
    }
  }

  return {
    start() {
      loopDone = loop();
    },
    /** Look now (a plan was stored, the clock moved). */
    wake() {
      const w = wakeUp;
      wakeUp = null;
      w?.();
    },
    async stop() {
      stopping.abort();
      await loopDone;
    },
  };
}

/**
 * A clock read from a file (epoch ms, or an ISO 8601 instant): for simulations and tests that move
 * time for engine processes (`serve --clock-file`). Every `now()` reads the file (a message is
 * planned at the time the file says when it arrives); the file is also polled every `pollMs`, and
 * `onChange` listeners run when it changed (the engine wakes its scheduler).
 * @param {string} file @param {{ pollMs?: number }} [o]
 */
function fileClock(file, o = {}) {
  const read = () => {
    const text = fs.readFileSync(file, 'utf8').trim();
    const v = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (!Number.isFinite(v)) throw coded('ENGINE_BAD_OPTION', 'the clock file must hold epoch milliseconds or an ISO 8601 instant');
    return v;
  };
  /** @type {number} */
  let value;
  try {
    value = read();
  } catch (e) {
    if (/** @type {any} */ (e)?.code === 'ENGINE_BAD_OPTION') throw e;
    throw coded('ENGINE_BAD_OPTION', 'the clock file cannot be read');
  }
  /** @type {Set<() => void>} */
  const listeners = new Set();
  /** The file's time (the last one read when it cannot be read: being replaced). */
  const current = () => {
    try {
      return read();
    } catch {
      return value;
    }
  };
  let seen = value;
  const timer = setInterval(() => {
    value = current();
    if (value === seen) return;
    seen = value;
    for (const l of listeners) l();
  }, o.pollMs ?? 20);
  timer.unref();
  return {
    now: () => (value = current()),
    /** @param {() => void} fn */
    onChange: (fn) => listeners.add(fn),
    close: () => clearInterval(timer),
  };
}

module.exports = { REMIND_KIND, reminderPlanner, createRemindHandler, createReminderScheduler, fileClock };
