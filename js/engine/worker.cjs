// @ts-check
// The generic job worker: claims runnable jobs of the kinds it has handlers for, runs them with a
// per-kind concurrency limit, records each outcome, heartbeats, and recovers the jobs of workers
// that died (they come back IN DOUBT, see store.cjs). Handlers decide what an outcome means
// (done / retry with a delay / dead letter); the worker only moves jobs.
'use strict';

const os = require('node:os');
const { settledWithin, sleep } = require('./util.cjs');

/**
 * @typedef {{ alive(): boolean, signal: AbortSignal, logger: import('./util.cjs').Logger }} JobContext
 * @typedef {{
 *   kind: string, concurrency: number,
 *   run(job: import('./store.cjs').Job, ctx: JobContext): Promise<import('./store.cjs').Outcome>,
 * }} Handler
 */

/**
 * @param {{
 *   store: import('./store.cjs').Store, id: string, role?: string, handlers: Handler[],
 *   logger: import('./util.cjs').Logger, metrics: import('./metrics.cjs').Metrics,
 *   pollMs?: number, heartbeatMs?: number, deadAfterMs?: number, retainMs?: number, purgeEveryMs?: number,
 * }} o
 */
function createWorker(o) {
  const { store, id, logger, metrics } = o;
  const pollMs = o.pollMs ?? 250;
  const heartbeatMs = o.heartbeatMs ?? 1000;
  const deadAfterMs = o.deadAfterMs ?? 10_000;
  const handlers = new Map(o.handlers.map((h) => [h.kind, h]));
  /** @type {Map<string, number>} */
  const inflight = new Map(o.handlers.map((h) => [h.kind, 0]));
  /** @type {Set<Promise<void>>} */
  const running = new Set();
  const stopping = new AbortController();
  const hardStop = new AbortController();
  let lastBeatOk = 0;
  /** @type {(() => void) | null} */
  let wakeUp = null;
  /** @type {NodeJS.Timeout | null} */
  let beatTimer = null;
  /** @type {Promise<void> | null} */
  let loopDone = null;
  let lastRecover = 0;
  let lastPurge = Date.now();

  /** The lease is ours only while our heartbeat is fresh: never start an external call otherwise. */
  const alive = () => Date.now() - lastBeatOk < deadAfterMs / 2;

  async function beat() {
    try {
      await store.heartbeat({ id, role: o.role ?? 'engine', host: os.hostname(), pid: process.pid });
      lastBeatOk = Date.now();
      if (Date.now() - lastRecover >= 2 * heartbeatMs) {
        lastRecover = Date.now();
        const recovered = await store.recover(deadAfterMs);
        for (const r of recovered) logger.warn('JOB_RECOVERED_IN_DOUBT', { jobId: r.id, kind: r.kind });
        if (recovered.length) wake();
      }
      if (o.retainMs && Date.now() - lastPurge >= (o.purgeEveryMs ?? 3_600_000)) {
        lastPurge = Date.now();
        const p = await store.purge(Date.now() - o.retainMs);
        if (p.messages || p.jobs) logger.info('STORE_PURGED', p);
      }
    } catch (e) {
      logger.error('HEARTBEAT_FAILED', { error: /** @type {any} */ (e)?.code ?? 'unknown' });
    }
  }

  function wake() {
    const w = wakeUp;
    wakeUp = null;
    w?.();
  }

  /** @param {Handler} h @param {import('./store.cjs').Job} job */
  function launch(h, job) {
    inflight.set(h.kind, (inflight.get(h.kind) ?? 0) + 1);
    const t0 = Date.now();
    const p = (async () => {
      /** @type {import('./store.cjs').Outcome} */
      let outcome;
      try {
        outcome = await h.run(job, { alive, signal: hardStop.signal, logger });
      } catch (e) {
        logger.error('JOB_HANDLER_FAILED', { jobId: job.id, kind: job.kind, error: /** @type {any} */ (e)?.code ?? 'unknown' });
        outcome = { status: 'retry', code: 'INTERNAL', delayMs: 30_000, inDoubt: true };
      }
      const code = outcome.status === 'release' ? 'RELEASED' : outcome.code;
      metrics.inc('ehr_bridge_attempts_total', { kind: job.kind, code });
      let recorded = false;
      for (let i = 0; i < 5 && !recorded; i++) {
        try {
          recorded = await store.finish(job.id, id, outcome);
          if (!recorded) {
            logger.warn('JOB_LEASE_LOST', { jobId: job.id, kind: job.kind, code });
            break;
          }
        } catch (e) {
          logger.error('STORE_FINISH_FAILED', { jobId: job.id, error: /** @type {any} */ (e)?.code ?? 'unknown' });
          await sleep(200 * (i + 1));
        }
      }
      const fields = { jobId: job.id, kind: job.kind, code, attempt: job.attempts, ms: Date.now() - t0 };
      const result = outcome.status === 'release' ? undefined : /** @type {any} */ (outcome).result;
      if (outcome.status === 'done') logger.info('JOB_DONE', { ...fields, ...result });
      else if (outcome.status === 'dead') logger.error('JOB_DEAD_LETTERED', { ...fields, ...result });
      else if (outcome.status === 'retry') logger.warn('JOB_RETRY', { ...fields, delayMs: outcome.delayMs, inDoubt: Boolean(outcome.inDoubt), ...result });
    })().finally(() => {
      inflight.set(h.kind, (inflight.get(h.kind) ?? 1) - 1);
      running.delete(p);
      wake();
    });
    running.add(p);
  }

  async function loop() {
    while (!stopping.signal.aborted) {
      let claimed = 0;
      if (alive()) {
        for (const h of handlers.values()) {
          const free = h.concurrency - (inflight.get(h.kind) ?? 0);
          if (free <= 0) continue;
          try {
            const jobs = await store.claim({ owner: id, kinds: [h.kind], limit: free });
            for (const job of jobs) launch(h, job);
            claimed += jobs.length;
          } catch (e) {
            logger.error('STORE_CLAIM_FAILED', { kind: h.kind, error: /** @type {any} */ (e)?.code ?? 'unknown' });
            await sleep(pollMs * 4, stopping.signal);
          }
          if (stopping.signal.aborted) break;
        }
      }
      if (claimed === 0 && !stopping.signal.aborted) {
        await new Promise((resolve) => {
          const t = setTimeout(done, pollMs);
          function done() {
            clearTimeout(t);
            wakeUp = null;
            stopping.signal.removeEventListener('abort', done);
            resolve(undefined);
          }
          wakeUp = done;
          stopping.signal.addEventListener('abort', done, { once: true });
        });
      }
    }
  }

  return {
    id,
    alive,
    /** Heartbeat, then start claiming. */
    async start() {
      await beat();
      beatTimer = setInterval(beat, heartbeatMs);
      loopDone = loop();
    },
    /** A job may be runnable now (new job, lane unblocked). */
    wake,
    /** In-flight attempts per kind. */
    inflight: () => Object.fromEntries(inflight),
    /**
     * Stop claiming; let in-flight attempts finish (up to `graceMs`, then abort them: they end
     * "released" or are recovered in doubt by the next worker); remove our heartbeat row.
     * @param {{ graceMs?: number }} [opts]
     */
    async stop(opts = {}) {
      stopping.abort();
      wake();
      await loopDone;
      const grace = opts.graceMs ?? 30_000;
      if (!(await settledWithin(Promise.allSettled([...running]), grace))) {
        logger.warn('WORKER_STOP_TIMEOUT', { inflight: running.size });
        hardStop.abort();
        await settledWithin(Promise.allSettled([...running]), 5000);
      }
      if (beatTimer) clearInterval(beatTimer);
      if (running.size === 0) {
        try {
          await store.retire(id, deadAfterMs);
        } catch {
          // the row ages out
        }
      }
    },
  };
}

module.exports = { createWorker };
