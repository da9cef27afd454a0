// @ts-check
// `ehr-studio-bridge map` over many messages (docs/cli.md): folders, batch files, MLLP captures,
// pcap/pcapng, JSON lines, standard input. Each message is mapped by the core (`Mapper.map`, or
// `Mapper.studioRequest` with --send); the results are counted (summary), written one line each
// (--out), and with --send handed to the engine's delivery (its store, worker, rate limiter and
// 409/429/5xx/4xx rules — js/engine/, not repeated here). An adapter: no mapping logic.
'use strict';

const fs = require('node:fs');
const { listSources, openSource, holdsMany, InputError, FORMATS } = require('./inputs.cjs');
const { createProgress, size } = require('./progress.cjs');
const engineCli = require('../engine/cli.cjs');

const { UsageError } = engineCli;

/** Options that take a value. */
const VALUED = new Set([
  'profile', 'preset', 'out', 'summary-json', 'ext', 'glob', 'format', 'mllp-port', 'store', 'now', 'window', 'log',
  'log-level', 'grace-ms', 'dead-after-ms', 'rate', 'concurrency', 'on-conflict', 'conflict-wait-ms', 'stale-after-ms',
  'max-attempts', 'backoff-base-ms', 'twilio-timeout-ms', 'reconcile-after-ms', 'reconcile-skew-ms', 'sqlite-driver',
  'sqlite-synchronous',
]);
/** Flags. */
const FLAGS = new Set(['batch', 'send', 'dry-run', 'quiet', 'with-values', 'retry-dead', 'json']);
/** Options that only make sense over many messages: any of them selects the batch mode. */
const BATCH_ONLY = new Set([...VALUED, ...FLAGS].filter((k) => !['profile', 'preset', 'now', 'send', 'json'].includes(k)));

/** Exit statuses (docs/cli.md). */
const EXIT = { ok: 0, errors: 1, usage: 2, interrupted: 130 };

/**
 * `--name value`, `--name=value`, flags; the rest are inputs.
 * @param {string[]} args @returns {{ o: Record<string, string | boolean>, inputs: string[] }}
 */
function parseArgs(args) {
  /** @type {Record<string, string | boolean>} */
  const o = {};
  const inputs = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-' || !a.startsWith('--')) {
      inputs.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (FLAGS.has(name) && eq < 0) o[name] = true;
    else if (VALUED.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      o[name] = v;
    } else throw new UsageError(`unknown option ${a}`);
  }
  return { o, inputs };
}

/** A single file larger than this is read as many messages without looking (single mode reads whole). */
const SINGLE_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Whether `map` runs over many messages, from the arguments alone: a folder, several inputs, a
 * batch-only option, or a file too large to be one message. (A smaller input holding several
 * messages is recognized once read: see `holdsMany`.)
 * @param {string[]} args
 */
function isBatch(args) {
  let parsed;
  try {
    parsed = parseArgs(args);
  } catch {
    return args.some((a) => BATCH_ONLY.has(a.replace(/^--/, '').replace(/=.*$/, '')));
  }
  if (Object.keys(parsed.o).some((k) => BATCH_ONLY.has(k))) return true;
  if (parsed.inputs.length > 1) return true;
  const [only] = parsed.inputs;
  try {
    if (only === undefined || only === '-') return false;
    const st = fs.statSync(only);
    return st.isDirectory() || st.size > SINGLE_MAX_BYTES;
  } catch {
    return false;
  }
}

/** `{ code: n }` maps, incremented. @param {Record<string, number>} m @param {string} k @param {number} [by] */
const bump = (m, k, by = 1) => {
  m[k] = (m[k] ?? 0) + by;
};

/**
 * @typedef {{
 *   path: string, format: string | null, bytes: number, messages: number, events: number, skips: number,
 *   errors: number, errorCodes: Record<string, number>, issues: import('./inputs.cjs').Issue[],
 * }} FileSummary
 * @typedef {{
 *   seq: number, file: string, index: number, offset: number | null, stream?: number, kind: string,
 *   outcome: 'event' | 'skip' | 'error', eventType?: string, skip?: { code: string, reason?: string, rule?: string },
 *   error?: { code: string, position?: unknown }, warnings: string[], idempotencyKey: string | null, duplicate?: boolean,
 *   delivery?: Record<string, unknown>, values?: unknown, provenance?: unknown, warningDetails?: unknown,
 * }} ResultLine
 */

/** The summary, built as results come in. @param {'dry-run' | 'send'} mode */
function createSummary(mode) {
  return {
    mode,
    interrupted: false,
    exitCode: 0,
    elapsedMs: 0,
    inputs: { files: 0, bytes: 0 },
    totals: { messages: 0, events: 0, skips: 0, errors: 0, duplicates: 0 },
    /** @type {Record<string, number>} */
    events: {},
    /** @type {Record<string, number>} */
    skips: {},
    /** Messages with each warning code. @type {Record<string, number>} */
    warnings: {},
    /** @type {Record<string, number>} */
    errors: {},
    /** Problems of the inputs themselves (not of one message): inputs with each code. */
    inputErrors: /** @type {Record<string, number>} */ ({}),
    inputWarnings: /** @type {Record<string, number>} */ ({}),
    /** @type {null | { sent: number, reconciled: number, alreadySent: number, deadLettered: Record<string, number>, notSent: number, retries: Record<string, number>, store: string }} */
    send: null,
    /** @type {FileSummary[]} */
    files: [],
  };
}

/** A plain-text summary (counts and codes, never values). @param {ReturnType<typeof createSummary>} s */
function formatSummary(s) {
  const lines = [];
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? ` (${Math.round(s.totals.messages / secs)} messages/s)` : '';
  lines.push(
    `${s.mode === 'send' ? 'send' : 'dry run'}${s.interrupted ? ' (interrupted)' : ''}: ${s.totals.messages} messages from ${s.inputs.files} input${s.inputs.files === 1 ? '' : 's'} (${size(s.inputs.bytes)}) in ${secs.toFixed(1)} s${rate}`,
  );
  /** @param {string} title @param {number} total @param {Record<string, number>} byCode */
  const block = (title, total, byCode) => {
    lines.push(`${title.padEnd(10)} ${total}`);
    for (const [k, v] of Object.entries(byCode).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) lines.push(`  ${k.padEnd(36)} ${v}`);
  };
  block('events', s.totals.events, s.events);
  block('skips', s.totals.skips, s.skips);
  block('errors', s.totals.errors, s.errors);
  block('warnings', Object.values(s.warnings).reduce((a, b) => a + b, 0), s.warnings);
  if (s.totals.duplicates) lines.push(`duplicates ${s.totals.duplicates} (an idempotency key seen before in this run: sent once)`);
  if (Object.keys(s.inputErrors).length) lines.push('inputs with errors');
  for (const [k, v] of Object.entries(s.inputErrors)) lines.push(`  ${k.padEnd(36)} ${v}`);
  if (Object.keys(s.inputWarnings).length) lines.push('inputs with warnings');
  for (const [k, v] of Object.entries(s.inputWarnings)) lines.push(`  ${k.padEnd(36)} ${v}`);
  if (s.send) {
    const dead = Object.values(s.send.deadLettered).reduce((a, b) => a + b, 0);
    lines.push(`studio     sent ${s.send.sent}, reconciled ${s.send.reconciled}, already sent ${s.send.alreadySent}, dead-lettered ${dead}, not sent ${s.send.notSent} (store: ${s.send.store})`);
    for (const [k, v] of Object.entries(s.send.deadLettered)) lines.push(`  dead-lettered ${k.padEnd(22)} ${v}`);
    for (const [k, v] of Object.entries(s.send.retries)) lines.push(`  retried after ${k.padEnd(22)} ${v}`);
  }
  const shown = s.files.length <= 20 ? s.files : s.files.filter((f) => f.errors || f.issues.some((i) => i.level === 'error')).slice(0, 50);
  if (shown.length) {
    lines.push(s.files.length <= 20 ? 'inputs' : `inputs with errors (${shown.length} of ${s.files.length} shown; --summary-json lists all)`);
    for (const f of shown) {
      const issues = f.issues.map((i) => `${i.code}${i.bytes !== undefined ? ` ${i.bytes} B` : i.count > 1 ? ` ×${i.count}` : ''}`).join(', ');
      lines.push(`  ${f.path}  ${f.format ?? '?'}  ${size(f.bytes)}  ${f.messages} messages: ${f.events} events, ${f.skips} skips, ${f.errors} errors${issues ? `  [${issues}]` : ''}`);
    }
  }
  lines.push(`exit ${s.exitCode}${s.exitCode === EXIT.ok ? '' : s.exitCode === EXIT.interrupted ? ' (interrupted)' : ' (some messages or inputs had errors, or were not sent)'}`);
  return `${lines.join('\n')}\n`;
}

/** A JSON-lines writer that honours backpressure. @param {NodeJS.WritableStream} stream */
function lineWriter(stream) {
  return {
    /** @param {unknown} v */
    async write(v) {
      if (!stream.write(`${JSON.stringify(v)}\n`)) await new Promise((r) => stream.once('drain', r));
    },
    async close() {
      if (stream === process.stdout) return;
      await new Promise((r) => stream.end(() => r(undefined)));
    },
  };
}

/**
 * The engine, set up to deliver this run's events: its store (--store, else in memory), worker,
 * rate limiter and Studio rules. Jobs are followed by id in the store until done or dead.
 * @param {{ api: any, profile: any, o: Record<string, any>, log: import('../engine/util.cjs').Logger }} a
 */
async function createSender(a) {
  const { createEngine, openStore } = require('../engine/index.cjs');
  const { studioJob } = require('../engine/intake.cjs');
  const spec = typeof a.o.store === 'string' ? a.o.store : ':memory:';
  const deadAfterMs = engineCli.num(typeof a.o['dead-after-ms'] === 'string' ? a.o['dead-after-ms'] : undefined, 'dead-after-ms') ?? 10_000;
  const store = await openStore(spec, engineCli.storeOptions(a.o));
  const send = engineCli.studioOptions(a.o);
  let engine;
  try {
    engine = await createEngine({
      api: a.api,
      profile: a.profile,
      store,
      twilio: send.twilio,
      delivery: send.delivery,
      mllp: false,
      http: false,
      replies: false,
      logger: a.log,
      worker: { deadAfterMs, heartbeatMs: Math.min(1000, deadAfterMs / 4) },
    });
    await engine.start();
  } catch (e) {
    await store.close();
    throw e;
  }
  const flowSid = engine.profile.studio.flowSid;
  return {
    store,
    engine,
    location: spec === ':memory:' ? 'memory (not resumable)' : store.kind,
    /** @param {{ body: string, idempotencyKey: string }} request */
    async enqueue(request) {
      const r = await store.enqueue(studioJob(request, flowSid));
      engine.wake();
      return r;
    },
  };
}

/**
 * @param {string[]} args the arguments after `map` @param {any} api the package
 * @param {{ stdin?: Buffer }} [pre] standard input, when already read
 * @returns {Promise<number>} the exit status
 */
async function main(args, api, pre = {}) {
  const t0 = Date.now();
  const { o, inputs } = parseArgs(args);
  // `--json` (the single-message option) means the summary as JSON on stdout.
  if (o.json && o['summary-json'] === undefined) o['summary-json'] = '-';
  if (inputs.length === 0) throw new UsageError('map needs at least one input (a file, a folder, or - for standard input)');
  if (o.send && o['dry-run']) throw new UsageError('--send and --dry-run exclude each other');
  const format = typeof o.format === 'string' ? o.format : 'auto';
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  if (o.store && !o.send) throw new UsageError('--store is for --send (it records what was sent)');
  if (o['retry-dead'] && !o.send) throw new UsageError('--retry-dead is for --send');
  const mllpPort = engineCli.num(typeof o['mllp-port'] === 'string' ? o['mllp-port'] : undefined, 'mllp-port');
  const readAhead = engineCli.num(typeof o.window === 'string' ? o.window : undefined, 'window') ?? 1000;
  if (readAhead < 1) throw new UsageError('--window must be at least 1');
  if (inputs.filter((i) => i === '-').length > 1) throw new UsageError('standard input (-) can be read once');
  /** @type {number | undefined} */
  let nowMs;
  if (typeof o.now === 'string') {
    nowMs = Date.parse(o.now);
    if (!Number.isFinite(nowMs) || !/T\d{2}:\d{2}.*(Z|[+-]\d{2}:\d{2})$/.test(o.now)) throw new UsageError('--now must be an ISO 8601 instant with Z or an offset');
  }
  let sources;
  try {
    sources = listSources(inputs, { ext: typeof o.ext === 'string' ? o.ext : undefined, glob: typeof o.glob === 'string' ? o.glob : undefined, stdin: pre.stdin });
  } catch (e) {
    if (e instanceof InputError) throw new UsageError(e.message);
    throw e;
  }
  const profile = engineCli.loadProfile(o);
  const mapper = new api.Mapper(profile);
  const sending = Boolean(o.send);
  if (sending && !mapper.profile.studio) throw new UsageError('--send needs the profile\'s studio section ({ "studio": { "flowSid", "from" } })');
  const withValues = Boolean(o['with-values']);
  const summary = createSummary(sending ? 'send' : 'dry-run');
  summary.inputs.files = sources.length;
  const known = sources.every((s) => s.size !== null);
  let queued = 0;
  let sent = 0;
  let seq = 0;
  let bytesRead = 0;
  let fileNo = 0;
  const t = summary.totals;
  const progress = createProgress({
    stream: process.stderr,
    enabled: Boolean(process.stderr.isTTY) && !o.quiet,
    totalBytes: known ? sources.reduce((n, s) => n + (s.size ?? 0), 0) : null,
    files: sources.length,
    counters: () => ({ bytes: bytesRead, messages: t.messages, events: t.events, skips: t.skips, errors: t.errors, sending, sent, queued, file: fileNo }),
  });

  // Engine log lines: to --log (JSON lines), else errors only on stderr. Retries are counted.
  /** @type {Record<string, number>} */
  const retries = {};
  const logFile = typeof o.log === 'string' ? fs.createWriteStream(o.log, { flags: 'a', mode: 0o600 }) : null;
  const { createLogger } = require('../engine/util.cjs');
  const fileLogger = logFile ? createLogger({ level: /** @type {any} */ (o['log-level'] ?? 'info'), write: (l) => logFile.write(`${l}\n`) }) : null;
  /** @param {'debug' | 'info' | 'warn' | 'error'} level */
  const at = (level) => (/** @type {string} */ event, /** @type {Record<string, unknown>} */ fields = {}) => {
    if (event === 'JOB_RETRY' && typeof fields.code === 'string') bump(retries, fields.code);
    if (fileLogger) fileLogger[level](event, fields);
    else if (level === 'error' && !event.startsWith('JOB_')) progress.log(JSON.stringify({ level, event, ...fields }));
  };
  const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };

  /** @type {Awaited<ReturnType<typeof createSender>> | null} */
  let sender = null;
  if (sending) {
    try {
      sender = await createSender({ api, profile, o, log });
    } catch (e) {
      // Set-up problems (credentials, twilio-node or a SQLite driver missing, a bad option): usage.
      const code = /** @type {any} */ (e)?.code;
      if (['ENGINE_NO_CREDENTIALS', 'ENGINE_TWILIO_UNAVAILABLE', 'ENGINE_SQLITE_UNAVAILABLE', 'ENGINE_BAD_OPTION', 'ENGINE_BAD_STORE'].includes(code)) {
        throw new UsageError(`--send: ${/** @type {Error} */ (e).message}`);
      }
      throw e;
    }
    summary.send = { sent: 0, reconciled: 0, alreadySent: 0, deadLettered: {}, notSent: 0, retries, store: sender.location };
  }

  const outStream = typeof o.out === 'string' ? (o.out === '-' ? process.stdout : fs.createWriteStream(o.out, { mode: 0o600 })) : null;
  const out = outStream ? lineWriter(outStream) : null;
  // The text summary goes where the results do not.
  const summaryTo = o.out === '-' || o['summary-json'] === '-' ? process.stderr : process.stdout;

  // Ctrl-C / SIGTERM: stop reading, let the Studio calls in flight finish, report. A second one exits.
  let stopping = false;
  const onSignal = () => {
    if (stopping) {
      progress.stop();
      process.stderr.write('ehr-studio-bridge: interrupted again, exiting now (a re-run with --store reconciles what was in flight)\n');
      process.exit(EXIT.interrupted);
    }
    stopping = true;
    progress.log('ehr-studio-bridge: stopping (Ctrl-C again to exit at once)…');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  /** Jobs of this run still in the store's queue: id → records waiting for its outcome. @type {Map<number, { rec: ResultLine, existing: string | null }[]>} */
  const pending = new Map();
  /** Job ids of this run (a second message with the same key is a duplicate). @type {Set<number>} */
  const jobIds = new Set();
  /**
   * Dry run: the idempotency keys seen, as their first 52 bits (a number: ~30 bytes per event, not
   * ~90 for the string; two events taken for one: about 1 in 10^5 over 10 million events). --send
   * tells duplicates by the store's job ids (exact).
   * @type {Set<number>}
   */
  const keys = new Set();

  /** Final delivery outcome of a record, from its job row. @param {ResultLine} rec @param {any} job @param {string | null} existing */
  async function settled(rec, job, existing) {
    const s = /** @type {NonNullable<typeof summary.send>} */ (summary.send);
    const result = job.result ?? {};
    if (job.state === 'done') {
      const status = existing === 'done' ? 'already-sent' : job.resultCode === 'STUDIO_RECONCILED' ? 'reconciled' : 'sent';
      if (status === 'already-sent') s.alreadySent += 1;
      else if (status === 'reconciled') s.reconciled += 1;
      else s.sent += 1;
      rec.delivery = { status, code: job.resultCode, jobId: job.id, executionSid: result.executionSid ?? null };
      sent += 1;
    } else {
      bump(s.deadLettered, job.resultCode ?? 'DEAD');
      rec.delivery = { status: 'dead-lettered', code: job.resultCode, jobId: job.id, ...(existing === 'dead' ? { earlier: true } : {}), ...codesOf(result) };
    }
    await out?.write(rec);
  }

  /** Read the states of pending jobs; finish the records of jobs that are done or dead. */
  async function poll() {
    if (!sender) return;
    const ids = [...pending.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      for (const job of await sender.store.listJobs({ ids: chunk, limit: chunk.length })) {
        if (job.state !== 'done' && job.state !== 'dead') continue;
        const recs = pending.get(job.id) ?? [];
        pending.delete(job.id);
        for (const r of recs) await settled(r.rec, job, r.existing);
      }
    }
  }

  /**
   * One message: map, count, record; with --send, enqueue its event.
   * @param {import('./inputs.cjs').Item} item @param {FileSummary} file
   */
  async function handle(item, file) {
    /** @type {ResultLine} */
    // Keys in the order of the line (undefined ones are left out).
    const rec = {
      seq: seq++,
      file: file.path,
      index: item.index,
      offset: item.offset,
      stream: item.stream,
      kind: 'hl7',
      outcome: /** @type {ResultLine['outcome']} */ ('error'),
      eventType: undefined,
      skip: undefined,
      error: undefined,
      warnings: /** @type {string[]} */ ([]),
      idempotencyKey: null,
      duplicate: undefined,
      delivery: undefined,
      values: undefined,
      provenance: undefined,
      warningDetails: undefined,
    };
    summary.totals.messages += 1;
    file.messages += 1;
    /** @type {any} */
    let result = null;
    /** @type {any} */
    let request = null;
    if (item.error) {
      rec.error = { code: item.error.code };
    } else {
      const bytes = /** @type {Uint8Array} */ (item.bytes);
      const hl7 = file.format !== 'json' && file.format !== 'jsonl';
      const options = { ...(hl7 ? { kind: 'hl7' } : {}), ...(nowMs !== undefined ? { nowMs } : {}) };
      if (!hl7) rec.kind = api.detectInput(bytes);
      try {
        if (sending) ({ result, request } = mapper.studioRequest(bytes, undefined, undefined, options));
        else result = mapper.map(bytes, options);
      } catch (e) {
        const err = /** @type {any} */ (e);
        if (!(err && err.name === 'EhrStudioBridgeError' && typeof err.code === 'string')) throw e;
        rec.error = { code: err.code, ...(err.position ? { position: err.position } : {}) };
      }
    }
    if (rec.error) {
      summary.totals.errors += 1;
      file.errors += 1;
      bump(summary.errors, rec.error.code);
      bump(file.errorCodes, rec.error.code);
      await out?.write(rec);
      return;
    }
    rec.warnings = [...new Set(result.warnings.map((/** @type {any} */ w) => w.code))];
    for (const w of rec.warnings) bump(summary.warnings, w);
    rec.idempotencyKey = result.idempotencyKey ?? null;
    if (withValues) {
      rec.values = result.event ?? result.draft;
      rec.provenance = result.provenance;
      rec.warningDetails = result.warnings;
    }
    if (result.skip) {
      rec.outcome = 'skip';
      rec.skip = { code: result.skip.code, ...(result.skip.reason ? { reason: result.skip.reason } : {}), ...(result.skip.rule ? { rule: result.skip.rule } : {}) };
      summary.totals.skips += 1;
      file.skips += 1;
      bump(summary.skips, result.skip.code);
      await out?.write(rec);
      return;
    }
    rec.outcome = 'event';
    rec.eventType = result.event.event_type;
    summary.totals.events += 1;
    file.events += 1;
    bump(summary.events, String(result.event.event_type));
    if (!sender || !request) {
      const k = rec.idempotencyKey === null ? NaN : parseInt(rec.idempotencyKey.slice(4, 17), 16);
      const duplicate = Number.isFinite(k) && keys.has(k);
      if (Number.isFinite(k)) keys.add(k);
      if (duplicate) {
        summary.totals.duplicates += 1;
        rec.duplicate = true;
      }
      await out?.write(rec);
      return;
    }
    const job = await sender.enqueue(request);
    if (jobIds.has(job.id)) {
      summary.totals.duplicates += 1;
      rec.duplicate = true;
      rec.delivery = { status: 'duplicate', jobId: job.id };
      await out?.write(rec);
      return;
    }
    jobIds.add(job.id);
    let existing = job.created ? null : job.state;
    if (existing === 'dead' && o['retry-dead']) {
      await sender.store.requeue([job.id]);
      sender.engine.wake();
      existing = null;
    }
    queued += 1;
    pending.set(job.id, [{ rec, existing }]);
    if (existing === 'done' || existing === 'dead') await poll();
    while (pending.size >= readAhead && !stopping) {
      await new Promise((r) => setTimeout(r, 100));
      await poll();
    }
  }

  progress.start();
  const poller = sender ? setInterval(() => void poll().catch(() => undefined), 250) : null;
  try {
    for (const source of sources) {
      if (stopping) break;
      fileNo += 1;
      /** @type {FileSummary} */
      const file = { path: source.display, format: null, bytes: 0, messages: 0, events: 0, skips: 0, errors: 0, errorCodes: {}, issues: [] };
      summary.files.push(file);
      const input = openSource(source, {
        api,
        format,
        mllpPort,
        onBytes: (n) => {
          bytesRead += n;
          file.bytes += n;
        },
      });
      try {
        for await (const item of input.items()) {
          file.format = input.format();
          await handle(item, file);
          if (stopping) break;
        }
      } catch (e) {
        if (/** @type {any} */ (e)?.name === 'EhrStudioBridgeError' || !(/** @type {any} */ (e)?.syscall)) throw e;
        input.readFailed();
      }
      file.format = input.format();
      file.issues = input.issues();
      for (const i of file.issues) bump(i.level === 'error' ? summary.inputErrors : summary.inputWarnings, i.code);
    }
    summary.inputs.bytes = bytesRead;
    // Wait for this run's jobs (they are in the store: a re-run with --store picks up the rest).
    while (sender && pending.size && !stopping) {
      await new Promise((r) => setTimeout(r, 100));
      await poll();
    }
  } finally {
    if (poller) clearInterval(poller);
    if (sender) {
      await sender.engine.stop({ graceMs: engineCli.num(typeof o['grace-ms'] === 'string' ? o['grace-ms'] : undefined, 'grace-ms') ?? 20_000 });
      try {
        await poll();
        // Still queued or retrying: not sent by this run (kept in the store with --store).
        for (const [id, recs] of pending) {
          for (const r of recs) {
            /** @type {NonNullable<typeof summary.send>} */ (summary.send).notSent += 1;
            r.rec.delivery = { status: 'not-sent', jobId: id, kept: sender.location !== 'memory (not resumable)' };
            await out?.write(r.rec);
          }
        }
        pending.clear();
      } finally {
        await sender.store.close();
      }
    }
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    mapper.free();
    await out?.close();
    await new Promise((r) => (logFile ? logFile.end(r) : r(undefined)));
  }
  summary.inputs.bytes = bytesRead;
  summary.interrupted = stopping;
  summary.elapsedMs = Date.now() - t0;
  const failed =
    summary.totals.errors > 0 ||
    Object.keys(summary.inputErrors).length > 0 ||
    (summary.send !== null && (summary.send.notSent > 0 || Object.keys(summary.send.deadLettered).length > 0));
  summary.exitCode = stopping ? EXIT.interrupted : failed ? EXIT.errors : EXIT.ok;
  if (typeof o['summary-json'] === 'string') {
    const text = `${JSON.stringify(summary, null, 2)}\n`;
    if (o['summary-json'] === '-') process.stdout.write(text);
    else fs.writeFileSync(o['summary-json'], text);
  }
  if (!o.quiet || summaryTo === process.stdout) summaryTo.write(formatSummary(summary));
  return summary.exitCode;
}

/** The codes of a dead letter's result (no values: statuses and codes only). @param {any} r */
function codesOf(r) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const k of ['twilioStatus', 'twilioCode', 'lastCode', 'network', 'conflictingExecutionSid']) if (r[k] !== undefined) out[k] = r[k];
  return out;
}

module.exports = { main, isBatch, holdsMany, parseArgs, formatSummary, EXIT };
