// @ts-check
// The engine's CLI commands (called from dist/cli.cjs): serve, status, replay. docs/engine.md lists
// every option; each `--some-option` can also come from the environment as EHR_BRIDGE_SOME_OPTION.
'use strict';

const fs = require('node:fs');
const { createEngine, openStore, storeStatus, formatStatus, replayDeadLetters, fileClock } = require('./index.cjs');
const { coded, sleep } = require('./util.cjs');

const USAGE = `usage:
  ehr-studio-bridge serve --profile p.json [--store PATH|sqlite:PATH|postgres://…] [--mllp-port 2575]
        [--http-port 8080] [--host 0.0.0.0] [--tls-cert F --tls-key F [--tls-ca F]]
        [--public-url https://…/ie-endpoint] [--ehr-mllp host:port] [--replies hl7|fhir|off]
        [--ehr-tls] [--ehr-tls-ca F] [--ehr-tls-cert F --ehr-tls-key F] [--ehr-tls-servername NAME]
        [--rate 20] [--concurrency 8] [--on-conflict wait|end-stale] [--retain-days 30] [--log-level info]
        [--remind-tick-ms 30000] [--no-reminders] [--clock-file F]
                                   run the engine: MLLP in, Studio out, replies back to the EHR
                                   (--ehr-tls…: MLLP over TLS to it; a CA file instead of the
                                   system's, a client certificate for mutual TLS);
                                   REMIND executions when the profile has a reminders section
  ehr-studio-bridge status [--store …] [--json] [--dead] [--limit N]
                                   queued, in flight, retrying, sent, dead-lettered, skipped by code
  ehr-studio-bridge replay [--store …] (--all | --id N… | --code CODE | --kind KIND) [--wait]
                                   put dead letters back in the queue (a running engine sends them;
                                   --kind remind: dead-lettered reminders, still only if useful)
Credentials (serve): TWILIO_ACCOUNT_SID + TWILIO_API_KEY/TWILIO_API_SECRET or TWILIO_AUTH_TOKEN;
TWILIO_AUTH_TOKEN also verifies the reply endpoint's X-Twilio-Signature.
`;

const FLAGS = new Set(['json', 'dead', 'all', 'wait', 'no-delivery', 'no-reminders', 'help', 'ehr-tls']);

class UsageError extends Error {}

/**
 * `--name value` / `--name=value` / boolean flags; repeated options collect into arrays.
 * @param {string[]} args @returns {Record<string, string | boolean | string[]>}
 */
function parse(args) {
  /** @type {Record<string, string | boolean | string[]>} */
  const o = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (FLAGS.has(name)) {
      o[name] = true;
      continue;
    }
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    const prev = o[name];
    o[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
  }
  return o;
}

/** The environment variable of an option: `ehr-tls-ca` → `EHR_BRIDGE_EHR_TLS_CA`. @param {string} name */
const envName = (name) => `EHR_BRIDGE_${name.toUpperCase().replace(/-/g, '_')}`;

/**
 * An option from the command line, else the environment (EHR_BRIDGE_NAME), else the default.
 * @param {Record<string, any>} o @param {string} name @param {string} [dflt]
 */
function opt(o, name, dflt) {
  const v = o[name];
  if (Array.isArray(v)) return v[v.length - 1];
  if (typeof v === 'string') return v;
  const env = process.env[envName(name)];
  return env !== undefined && env !== '' ? env : dflt;
}

/**
 * A boolean flag from the command line, else the environment (EHR_BRIDGE_NAME: 1/true/yes/on or
 * 0/false/no/off).
 * @param {Record<string, any>} o @param {string} name
 */
function flag(o, name) {
  if (o[name] === true) return true;
  const env = process.env[envName(name)];
  if (env === undefined || env === '' || /^(0|false|no|off)$/i.test(env)) return false;
  if (/^(1|true|yes|on)$/i.test(env)) return true;
  throw new UsageError(`${envName(name)} must be true or false`);
}

/** @param {string | undefined} v @param {string} name */
function num(v, name) {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number`);
  return n;
}

/** @param {Record<string, any>} o */
const storeSpec = (o) => /** @type {string} */ (opt(o, 'store', './ehr-bridge.db'));

/** @param {Record<string, any>} o */
function storeOptions(o) {
  const driver = opt(o, 'sqlite-driver');
  const synchronous = opt(o, 'sqlite-synchronous');
  return {
    ...(driver ? { sqliteDriver: /** @type {any} */ (driver) } : {}),
    ...(synchronous ? { synchronous: /** @type {any} */ (synchronous) } : {}),
  };
}

/** @param {Record<string, any>} o */
function loadProfile(o) {
  const file = opt(o, 'profile');
  const preset = opt(o, 'preset');
  /** @type {Record<string, unknown>} */
  let p = {};
  if (file) {
    try {
      p = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read the profile ${file}: ${/** @type {Error} */ (e).message}`);
    }
  }
  if (preset) p = { ...p, preset };
  return p;
}

/** `host:port` → { host, port }. @param {string} v */
function hostPort(v) {
  const m = /^(.*):(\d+)$/.exec(v);
  if (!m || !m[1]) throw new UsageError('--ehr-mllp must be host:port');
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/**
 * `replies.ehrMllp.tls` from --ehr-tls, --ehr-tls-ca/-cert/-key/-servername (any of them turns TLS
 * on); createEngine checks them and reads the files (cert without key: ENGINE_BAD_OPTION…).
 * @param {Record<string, any>} o @param {string | undefined} ehrMllp
 * @returns {import('./mllp.cjs').EhrTls | undefined}
 */
function ehrTls(o, ehrMllp) {
  const files = { ca: opt(o, 'ehr-tls-ca'), cert: opt(o, 'ehr-tls-cert'), key: opt(o, 'ehr-tls-key'), servername: opt(o, 'ehr-tls-servername') };
  const set = Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined));
  if (!flag(o, 'ehr-tls') && Object.keys(set).length === 0) return undefined;
  if (!ehrMllp) throw coded('ENGINE_BAD_OPTION', '--ehr-tls and --ehr-tls-* configure the connection to the EHR: they need --ehr-mllp host:port');
  return Object.keys(set).length ? set : true;
}

/** @param {Record<string, any>} o */
async function serve(o) {
  const profile = loadProfile(o);
  const host = opt(o, 'host', '0.0.0.0');
  const tls = { cert: opt(o, 'tls-cert'), key: opt(o, 'tls-key'), ca: opt(o, 'tls-ca') };
  const httpPort = opt(o, 'http-port', '8080');
  const ehrMllp = opt(o, 'ehr-mllp');
  const tlsToEhr = ehrTls(o, ehrMllp);
  const repliesMode = opt(o, 'replies', ehrMllp ? 'hl7' : 'auto');
  const hasFhir = Boolean(/** @type {any} */ (profile).reply?.fhir);
  const replies =
    repliesMode === 'off' || (repliesMode === 'auto' && !hasFhir)
      ? false
      : {
          target: /** @type {'hl7' | 'fhir'} */ (repliesMode === 'auto' ? 'fhir' : repliesMode),
          ...(ehrMllp ? { ehrMllp: { ...hostPort(ehrMllp), ...(tlsToEhr ? { tls: tlsToEhr } : {}) } } : {}),
          timeoutMs: num(opt(o, 'ehr-timeout-ms'), 'ehr-timeout-ms'),
          maxAttempts: num(opt(o, 'ehr-max-attempts'), 'ehr-max-attempts'),
          backoffMs: num(opt(o, 'backoff-base-ms'), 'backoff-base-ms'),
        };
  const send = studioOptions(o);
  // Simulations and tests: the engine clock from a file (epoch ms or ISO), polled; a change wakes it.
  const clockFile = opt(o, 'clock-file');
  const clock = clockFile ? fileClock(clockFile) : null;
  const engine = await createEngine({
    api,
    profile,
    store: storeSpec(o),
    storeOptions: storeOptions(o),
    logLevel: /** @type {any} */ (opt(o, 'log-level', 'info')),
    mllp: opt(o, 'mllp-port', '2575') === 'off' ? false : { port: Number(opt(o, 'mllp-port', '2575')), host, tls, maxMessageBytes: num(opt(o, 'max-message-bytes'), 'max-message-bytes') },
    http: httpPort === 'off' ? false : { port: Number(httpPort), host, tls, publicUrl: opt(o, 'public-url'), replyPath: opt(o, 'reply-path') },
    twilio: send.twilio,
    delivery: o['no-delivery'] ? false : send.delivery,
    replies,
    worker: {
      pollMs: num(opt(o, 'poll-ms'), 'poll-ms'),
      heartbeatMs: num(opt(o, 'heartbeat-ms'), 'heartbeat-ms'),
      deadAfterMs: num(opt(o, 'dead-after-ms'), 'dead-after-ms'),
      retainDays: num(opt(o, 'retain-days'), 'retain-days'),
    },
    ack: { application: opt(o, 'ack-application'), facility: opt(o, 'ack-facility') },
    reminders: o['no-reminders'] ? false : { tickMs: num(opt(o, 'remind-tick-ms'), 'remind-tick-ms') },
    ...(clock ? { now: clock.now } : {}),
  });
  clock?.onChange(() => engine.wake());
  await engine.start();
  let signals = 0;
  return new Promise((resolve) => {
    /** @param {NodeJS.Signals} sig */
    const onSignal = (sig) => {
      signals += 1;
      if (signals > 1) {
        engine.logger.warn('ENGINE_FORCED_EXIT', { signal: sig });
        process.exit(1);
      }
      engine.logger.info('ENGINE_STOPPING', { signal: sig });
      engine.stop({ graceMs: num(opt(o, 'grace-ms'), 'grace-ms') }).then(
        () => {
          clock?.close();
          resolve(0);
        },
        (e) => {
          engine.logger.error('ENGINE_STOP_FAILED', { error: e?.code ?? 'unknown' });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/**
 * The Studio delivery options and Twilio credentials (the environment's) of `serve`, also used by
 * `map --send` over many messages (cli/batch.cjs).
 * @param {Record<string, any>} o
 * @returns {{ twilio: NonNullable<import('./index.cjs').EngineOptions['twilio']>, delivery: import('./studio.cjs').DeliveryOptions }}
 */
function studioOptions(o) {
  const env = process.env;
  const base = num(opt(o, 'backoff-base-ms'), 'backoff-base-ms');
  return {
    twilio: { accountSid: env.TWILIO_ACCOUNT_SID, apiKey: env.TWILIO_API_KEY, apiSecret: env.TWILIO_API_SECRET, authToken: env.TWILIO_AUTH_TOKEN, timeoutMs: num(opt(o, 'twilio-timeout-ms'), 'twilio-timeout-ms') },
    delivery: {
      ratePerSecond: num(opt(o, 'rate'), 'rate'),
      concurrency: num(opt(o, 'concurrency'), 'concurrency'),
      onConflict: /** @type {any} */ (opt(o, 'on-conflict')),
      conflictWaitMs: num(opt(o, 'conflict-wait-ms'), 'conflict-wait-ms'),
      staleAfterMs: num(opt(o, 'stale-after-ms'), 'stale-after-ms'),
      maxAttempts: num(opt(o, 'max-attempts'), 'max-attempts'),
      reconcileAfterMs: num(opt(o, 'reconcile-after-ms'), 'reconcile-after-ms'),
      reconcileSkewMs: num(opt(o, 'reconcile-skew-ms'), 'reconcile-skew-ms'),
      ...(base !== undefined ? { backoff: { rateLimitedMs: base, serverErrorMs: base, networkMs: base } } : {}),
    },
  };
}

/** @param {Record<string, any>} o */
async function status(o) {
  const store = await openStore(storeSpec(o), storeOptions(o));
  try {
    const s = await storeStatus(store);
    const dead = o.dead ? await store.listJobs({ state: 'dead', limit: num(opt(o, 'limit'), 'limit') ?? 50 }) : null;
    if (o.json) {
      process.stdout.write(`${JSON.stringify(dead ? { ...s, deadLetters: dead } : s, null, 2)}\n`);
    } else {
      process.stdout.write(formatStatus(s));
      if (dead) {
        process.stdout.write(`dead letters (newest first, ${dead.length} shown):\n`);
        for (const j of dead) {
          const age = ((Date.now() - j.updatedAt) / 1000).toFixed(0);
          process.stdout.write(`  #${j.id}  ${j.kind}  ${j.resultCode}  attempts ${j.attempts}  ${age} s ago  ${j.result ? JSON.stringify(j.result) : ''}\n`);
        }
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** @param {Record<string, any>} o */
async function replay(o) {
  const ids = [o.id ?? []].flat().map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError('--id must be a job number');
    return n;
  });
  const code = opt(o, 'code');
  const kind = opt(o, 'kind');
  if (!o.all && ids.length === 0 && !code && !kind) throw new UsageError('replay needs --all, --id, --code or --kind');
  const store = await openStore(storeSpec(o), storeOptions(o));
  const tty = Boolean(process.stdout.isTTY);
  /** @param {string} line @param {boolean} [final] */
  const show = (line, final = false) => {
    if (tty) process.stdout.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
    else if (final) process.stdout.write(`${line}\n`);
  };
  try {
    const r = await replayDeadLetters(store, { ...(ids.length ? { ids } : {}), ...(code ? { code } : {}), ...(kind ? { kind } : {}) }, (done, total) =>
      show(`replay: re-queued ${done}/${total} dead letters`),
    );
    show(`replay: re-queued ${r.requeued}/${r.ids.length} dead letters`, true);
    if (!o.wait || r.ids.length === 0) return 0;
    const deadline = Date.now() + (num(opt(o, 'timeout'), 'timeout') ?? 600) * 1000;
    for (;;) {
      const counts = { done: 0, dead: 0, pending: 0 };
      for (let i = 0; i < r.ids.length; i += 500) {
        for (const j of await store.listJobs({ ids: r.ids.slice(i, i + 500), limit: 500 })) {
          if (j.state === 'done') counts.done += 1;
          else if (j.state === 'dead') counts.dead += 1;
          else counts.pending += 1;
        }
      }
      const line = `replay: sent ${counts.done}, dead-lettered again ${counts.dead}, pending ${counts.pending} of ${r.ids.length}`;
      if (counts.pending === 0) {
        show(line, true);
        return counts.dead ? 4 : 0;
      }
      if (Date.now() > deadline) {
        show(`${line} (timed out)`, true);
        return 5;
      }
      show(line);
      await sleep(500);
    }
  } finally {
    await store.close();
  }
}

/** The package API (the CLI passes the one it loaded). @type {any} */
let api;

/**
 * @param {string} cmd @param {string[]} args @param {any} [packageApi] @returns {Promise<number>}
 */
async function main(cmd, args, packageApi) {
  api = packageApi;
  let o;
  try {
    o = parse(args);
    if (o.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (cmd === 'serve') return await serve(o);
    if (cmd === 'status') return await status(o);
    if (cmd === 'replay') return await replay(o);
    throw new UsageError(`unknown command ${cmd}`);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ehr-studio-bridge ${cmd}: ${e.message}\n${USAGE}`);
      return 2;
    }
    const err = /** @type {any} */ (e);
    if (err && typeof err.code === 'string' && err.name === 'EhrStudioBridgeError') {
      process.stderr.write(`${JSON.stringify({ error: { code: err.code, message: err.message, ...(err.position ? { position: err.position } : {}) } })}\n`);
      return 1;
    }
    throw e;
  }
}

module.exports = { main, parse, USAGE, UsageError, studioOptions, loadProfile, storeOptions, num, opt };
