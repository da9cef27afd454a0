// @ts-check
// ehr-studio-bridge/engine: a Node HL7 engine around the package (docs/engine.md).
//
//   const { createEngine } = require('ehr-studio-bridge/engine');
//   const engine = await createEngine({ profile, store: 'sqlite:/var/lib/ehr-bridge/queue.db',
//     twilio: { accountSid, apiKey, apiSecret }, mllp: { port: 2575 }, http: { port: 8080, publicUrl } });
//   await engine.start();   …   await engine.stop();
//
// Transport, storage and scheduling only: mapping, ACKs, framing, signatures and EHR messages are
// the wasm core's.
'use strict';

const os = require('node:os');
const { openStore } = require('./store.cjs');
const { createIntake, studioLane, STUDIO_KIND } = require('./intake.cjs');
const { createMetrics } = require('./metrics.cjs');
const { createWorker } = require('./worker.cjs');
const { createStudioHandler, localBucket, storeBucket, twilioClientFrom } = require('./studio.cjs');
const { createMllpServer, createMllpClient, tlsOptions, ehrTlsOptions } = require('./mllp.cjs');
const { createHttpServer } = require('./http.cjs');
const { createReplyIntake, createReplyHandler, REPLY_KIND } = require('./reply.cjs');
const { REMIND_KIND, reminderPlanner, createRemindHandler, createReminderScheduler, fileClock } = require('./remind.cjs');
const { storeStatus, formatStatus, statusMetrics } = require('./status.cjs');
const { nodeHl7ServerHandler, medplumHl7Handler } = require('./adapters.cjs');
const { coded, createLogger, silentLogger, workerId, intOption } = require('./util.cjs');

/**
 * @typedef {import('./store.cjs').Store} Store
 * @typedef {{
 *   profile: object | string,
 *   store: string | Store,
 *   storeOptions?: import('./store.cjs').StoreOptions,
 *   api?: any,
 *   logger?: import('./util.cjs').Logger | false,
 *   logLevel?: import('./util.cjs').LogLevel,
 *   mllp?: { port: number, host?: string, tls?: { cert?: string, key?: string, ca?: string }, maxMessageBytes?: number } | false,
 *   http?: { port: number, host?: string, tls?: { cert?: string, key?: string }, replyPath?: string, publicUrl?: string } | false,
 *   twilio?: { client?: any, twilio?: any, accountSid?: string, apiKey?: string, apiSecret?: string, authToken?: string, timeoutMs?: number },
 *   delivery?: import('./studio.cjs').DeliveryOptions | false,
 *   replies?: {
 *     target?: 'hl7' | 'fhir', verify?: 'signature' | 'none',
 *     ehrMllp?: { host: string, port: number, tls?: import('./mllp.cjs').EhrTls },
 *     fetch?: any, accessToken?: () => string | Promise<string>,
 *   } & import('./reply.cjs').ReplyDeliveryOptions | false,
 *   worker?: { pollMs?: number, heartbeatMs?: number, deadAfterMs?: number, retainDays?: number } | false,
 *   ack?: { application?: string, facility?: string },
 *   reminders?: import('./remind.cjs').ReminderOptions | false,
 *   now?: () => number,
 * }} EngineOptions
 *   `reminders`: the REMIND scheduler, on when the profile has a `reminders` section and this engine
 *   delivers (`false`: plan only; another replica sends). `now`: the engine clock (epoch ms) that
 *   reminders are planned, claimed and stamped by (default Date.now; a simulation moves it and
 *   calls `engine.wake()`). Leases, heartbeats and backoff keep the process clock.
 */

/**
 * Build an engine (nothing listens until `start()`).
 * @param {EngineOptions} options
 */
async function createEngine(options) {
  if (!options || typeof options !== 'object') throw coded('ENGINE_BAD_OPTION', 'createEngine needs an options object');
  const api = options.api ?? require('../ehr_studio_bridge.cjs');
  const logger = options.logger === false ? silentLogger : (options.logger ?? createLogger({ level: options.logLevel ?? 'info' }));
  const metrics = createMetrics();
  const mapper = new api.Mapper(options.profile); // validates: PROFILE_* errors
  const profile = mapper.profile;
  if (!profile.studio) throw coded('ENGINE_NO_STUDIO', 'the profile needs a studio section (flowSid, from)');
  const r = options.replies === false || options.replies === undefined ? null : options.replies;
  // MLLP over TLS to the EHR: its PEM files are read and checked once, here (a bad file fails the
  // start, before the store is opened), not at each connection.
  const ehrTls = r?.ehrMllp ? ehrTlsOptions(r.ehrMllp.tls) : null;
  if (ehrTls?.rejectUnauthorized === false) logger.warn('EHR_TLS_UNVERIFIED', { hint: 'replies.ehrMllp.tls.rejectUnauthorized is false: the EHR certificate is not checked (tests only)' });
  const ownStore = typeof options.store === 'string';
  const store = typeof options.store === 'string' ? await openStore(options.store, options.storeOptions) : options.store;
  if (!store) throw coded('ENGINE_BAD_STORE', 'a store is required (a path, sqlite:PATH or postgres://…)');
  const now = options.now ?? Date.now;
  const id = workerId();
  const wk = options.worker === false ? null : (options.worker ?? {});
  const deadAfterMs = intOption(wk?.deadAfterMs, 10_000, 100, 'worker.deadAfterMs');

  /** @type {import('./worker.cjs').Handler[]} */
  const handlers = [];
  /** @type {{ worker: ReturnType<typeof createWorker> | null, scheduler: ReturnType<typeof createReminderScheduler> | null }} */
  const state = { worker: null, scheduler: null };
  const wake = () => {
    state.worker?.wake();
    state.scheduler?.wake();
  };

  const intake = createIntake({
    api,
    mapper,
    store,
    logger,
    metrics,
    ackApplication: options.ack?.application,
    ackFacility: options.ack?.facility,
    onQueued: wake,
    now,
    planner: reminderPlanner(mapper),
  });
  let remindOn = false;

  // Studio delivery.
  if (options.delivery !== false && wk) {
    const t = options.twilio ?? {};
    const client = t.client ?? twilioClientFrom({ ...t, baseUrl: profile.studio.baseUrl });
    if (t.client && profile.studio.baseUrl) client.studio.baseUrl = profile.studio.baseUrl;
    const d = options.delivery ?? {};
    const rate = intOption(d.ratePerSecond, 20, 0.001, 'delivery.ratePerSecond');
    // Burst 1 by default: at most `rate` creates in any one-second window, never 2 × rate.
    const burst = intOption(d.burst, 1, 1, 'delivery.burst');
    const account = t.accountSid ?? client.accountSid ?? 'default';
    const bucket = store.multiReplica ? storeBucket(store, `studio:${account}`, rate, burst) : localBucket(rate, burst);
    handlers.push(createStudioHandler({ client, rate: bucket, options: d, logger }));
    // REMIND executions: the same client, rate bucket and delivery rules, their own kind.
    if (profile.reminders && options.reminders !== false) {
      remindOn = true;
      handlers.push(createRemindHandler({ api, now, client, rate: bucket, options: d, logger, concurrency: options.reminders?.concurrency }));
    }
  }

  // Replies (IE_ENDPOINT) and their delivery to the EHR.
  const httpOpt = options.http === false || options.http === undefined ? null : options.http;
  let replyIntake = null;
  /** @type {ReturnType<typeof createMllpClient> | null} */
  let ehrClient = null;
  if (r) {
    const target = r.target ?? (profile.reply?.fhir && !r.ehrMllp ? 'fhir' : 'hl7');
    if (target !== 'hl7' && target !== 'fhir') throw coded('ENGINE_BAD_OPTION', 'replies.target must be hl7 or fhir');
    if (target === 'hl7' && !r.ehrMllp) throw coded('ENGINE_NO_EHR_ENDPOINT', 'replies over HL7 need replies.ehrMllp { host, port } (--ehr-mllp host:port)');
    if (httpOpt) {
      replyIntake = createReplyIntake({
        api,
        profile,
        store,
        logger,
        metrics,
        authToken: options.twilio?.authToken,
        publicUrl: httpOpt.publicUrl,
        target,
        verify: r.verify,
        onQueued: wake,
      });
    }
    if (wk) {
      if (target === 'hl7' && r.ehrMllp) ehrClient = createMllpClient({ api, host: r.ehrMllp.host, port: r.ehrMllp.port, tls: ehrTls, timeoutMs: r.timeoutMs });
      handlers.push(createReplyHandler({ api, profile, mllp: ehrClient, fhir: { fetch: r.fetch, accessToken: r.accessToken }, options: r }));
    }
  }

  /** @type {ReturnType<typeof createMllpServer> | null} */
  let mllpServer = null;
  /** @type {ReturnType<typeof createHttpServer> | null} */
  let httpServer = null;
  let started = false;
  let stopping = false;
  /** @type {(() => void) | null} */
  let unsubscribe = null;

  const status = () => storeStatus(store, { deadAfterMs });

  const engine = {
    store,
    metrics,
    logger,
    profile,
    /** Feed one message (bytes or decoded text) as if it came from a listener. */
    accept: intake.accept,
    status,
    /**
     * Add a job handler (e.g. a reminder scheduler's) before `start()`. @param {import('./worker.cjs').Handler} h
     */
    addHandler(h) {
      if (started) throw coded('ENGINE_STARTED', 'add handlers before start()');
      handlers.push(h);
    },
    wake,
    /** Listen and start delivering. Resolves with the bound addresses. */
    async start() {
      if (started) throw coded('ENGINE_STARTED', 'the engine is already started');
      started = true;
      if (!store.multiReplica && wk) {
        // A row of a process that is gone (same host, pid not running: it was killed) does not count.
        const others = (await store.liveWorkers(id, deadAfterMs)).filter((w) => w.role === 'engine' && !(w.host === os.hostname() && !pidAlive(w.pid)));
        if (others.length) {
          throw coded('ENGINE_STORE_IN_USE', `another engine (pid ${others[0].pid} on ${others[0].host}) is using this SQLite store; use Postgres for several engines`);
        }
      }
      if (wk) {
        state.worker = createWorker({
          store,
          id,
          handlers,
          logger,
          metrics,
          pollMs: wk.pollMs,
          heartbeatMs: wk.heartbeatMs,
          deadAfterMs,
          retainMs: wk.retainDays === undefined ? 30 * 86_400_000 : wk.retainDays * 86_400_000,
        });
        await state.worker.start();
        // Postgres: wake on work queued by any replica (LISTEN/NOTIFY); the poll is the fallback.
        unsubscribe = store.subscribe ? store.subscribe(wake) : null;
        if (remindOn) {
          state.scheduler = createReminderScheduler({ api, mapper, store, logger, metrics, now, onQueued: wake, options: options.reminders || {} });
          state.scheduler.start();
        }
      }
      /** @type {{ mllp?: import('node:net').AddressInfo, http?: import('node:net').AddressInfo }} */
      const addresses = {};
      if (options.mllp) {
        mllpServer = createMllpServer({
          api,
          intake,
          logger,
          metrics,
          maxMessageBytes: options.mllp.maxMessageBytes,
          tls: tlsOptions(options.mllp.tls ?? {}),
        });
        addresses.mllp = await mllpServer.listen(options.mllp.port, options.mllp.host);
      }
      if (httpOpt) {
        httpServer = createHttpServer({
          replyPath: httpOpt.replyPath ?? '/ie-endpoint',
          reply: replyIntake,
          logger,
          tls: tlsOptions(httpOpt.tls ?? {}),
          health: async () => {
            try {
              await store.nextDue([STUDIO_KIND]);
              const ok = !stopping && (!state.worker || state.worker.alive());
              return { ok, detail: { store: store.kind, stopping, worker: state.worker ? state.worker.alive() : null } };
            } catch {
              return { ok: false, detail: { store: 'unavailable' } };
            }
          },
          metrics: async () => metrics.render(statusMetrics(await status())),
          status,
        });
        addresses.http = await httpServer.listen(httpOpt.port, httpOpt.host);
      }
      logger.info('ENGINE_STARTED', {
        engine: id,
        store: store.kind,
        driver: store.driver,
        mllpPort: addresses.mllp?.port,
        httpPort: addresses.http?.port,
        handlers: handlers.map((h) => h.kind),
        reminders: remindOn ? 'scheduler' : profile.reminders ? 'plan only' : 'off',
        node: process.versions.node,
        core: api.version(),
      });
      return addresses;
    },
    /**
     * Graceful stop: stop accepting connections, ACK what was received, finish in-flight deliveries
     * (up to `graceMs`), close the store.
     * @param {{ graceMs?: number }} [o]
     */
    async stop(o = {}) {
      if (stopping) return;
      stopping = true;
      const t0 = Date.now();
      const grace = o.graceMs ?? 30_000;
      await mllpServer?.close(Math.min(grace, 10_000));
      await httpServer?.close(Math.min(grace, 10_000));
      await intake.drain();
      unsubscribe?.();
      await state.scheduler?.stop();
      await state.worker?.stop({ graceMs: Math.max(1000, grace - (Date.now() - t0)) });
      ehrClient?.close();
      if (ownStore) await store.close();
      logger.info('ENGINE_STOPPED', { engine: id, ms: Date.now() - t0 });
    },
  };
  return engine;
}

/** Whether a local process exists (signal 0 only checks). @param {number} pid */
function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return /** @type {any} */ (e)?.code === 'EPERM';
  }
}

/**
 * Re-queue dead letters in batches, reporting progress. @param {Store} store
 * @param {{ kind?: string, code?: string, ids?: number[] }} filter
 * @param {(done: number, total: number) => void} [progress]
 */
async function replayDeadLetters(store, filter, progress) {
  const ids = await store.deadIds(filter);
  let done = 0;
  progress?.(0, ids.length);
  for (let i = 0; i < ids.length; i += 100) {
    done += await store.requeue(ids.slice(i, i + 100));
    progress?.(Math.min(ids.length, i + 100), ids.length);
  }
  return { ids, requeued: done };
}

module.exports = {
  createEngine,
  openStore,
  storeStatus,
  formatStatus,
  replayDeadLetters,
  studioLane,
  nodeHl7ServerHandler,
  medplumHl7Handler,
  createLogger,
  STUDIO_KIND,
  REPLY_KIND,
  REMIND_KIND,
  fileClock,
};
