// @ts-check
// Delivery to Studio from the installed tarball, against a fake Studio (local HTTP) that answers
// 201 / 409 / 429 / 5xx / 4xx in scripted patterns; every test asserts exact request counts:
// retries with backoff, 409 waits in order per patient, dead letters (never retried), replay,
// reconciliation of requests in doubt (no second execution), ending a stale execution when
// configured, the 20/s token bucket, idempotency of resent messages, and the CLI (status, replay,
// graceful shutdown of `serve`).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ROOT } from './helpers.mjs';
import { ACCOUNT_SID, AUTH_TOKEN, FLOW_SID, FROM, SAMPLE_PROFILE, drivers, engineModules, mllpConnect, msa, siu, spawnServe, startFakeStudio, until } from './engine-fakes.mjs';

const node = `Node ${process.versions.node}`;
const { engine: E, dir: consumerDir } = engineModules();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-delivery-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** Fast timers for tests (the defaults are seconds to minutes). */
const FAST = {
  conflictWaitMs: 50,
  backoff: { rateLimitedMs: 40, serverErrorMs: 40, networkMs: 40, capMs: 400 },
  ratePerSecond: 1000,
  maxAttempts: 6,
  reconcileAfterMs: 0,
  reconcileSkewMs: 5000,
};

/**
 * An engine (no listener) on a fresh SQLite store against `studio`; `accept` feeds it directly.
 * @param {Awaited<ReturnType<typeof startFakeStudio>>} studio @param {Record<string, any>} [delivery] @param {Record<string, any>} [extra]
 */
async function startEngine(studio, delivery = {}, extra = {}) {
  /** @type {any[]} */
  const lines = [];
  const file = path.join(tmp, `d${++n}.db`);
  const engine = await E.createEngine({
    profile: { ...SAMPLE_PROFILE, studio: { flowSid: FLOW_SID, from: FROM, baseUrl: studio.baseUrl } },
    store: file,
    storeOptions: { sqlite: drivers.sqlite },
    twilio: { twilio: drivers.twilio, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, timeoutMs: extra.timeoutMs ?? 3000 },
    mllp: false,
    http: false,
    delivery: { ...FAST, ...delivery },
    worker: { pollMs: 20, heartbeatMs: 100, deadAfterMs: 1000 },
    logger: E.createLogger({ level: 'debug', write: (/** @type {string} */ l) => lines.push(JSON.parse(l)) }),
  });
  await engine.start();
  return { engine, file, lines };
}

/** @param {any} engine */
const kindStatus = async (engine) => (await engine.status()).jobs['studio.execution'];

/** Wait until no job is queued, running or retrying. @param {any} engine */
async function drained(engine, timeoutMs = 20_000) {
  await until(
    async () => {
      const k = await kindStatus(engine);
      return k && k.queued + k.inFlight + k.retrying + k.waitingForActiveExecution === 0;
    },
    timeoutMs,
    'the queue to drain',
  );
  return kindStatus(engine);
}

/** The event_type of each execution the fake created for a patient's phone. @param {any} studio @param {string} to */
const eventsFor = (studio, to) => studio.executions.filter((/** @type {any} */ e) => e.to === to).map((/** @type {any} */ e) => e.params.event_type);

test(`${node}: 429, 500 and 503 are retried with backoff; the 5xx ones are reconciled first (list, no duplicate); exact counts`, async () => {
  const studio = await startFakeStudio();
  studio.script.push({ status: 429 }, { status: 500 }, { status: 503 });
  // A 5xx is an answer: its retry does not wait out reconcileAfterMs (only unanswered requests do).
  const { engine, lines } = await startEngine(studio, { concurrency: 1, reconcileAfterMs: 60_000 });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await engine.accept(siu({ patient: i, appointment: i, seq: i }))).outcome, 'queued');
    const k = await drained(engine, 15_000);
    assert.equal(k.sent, 3);
    assert.deepEqual(k.sentByCode, { STUDIO_CREATED: 3 });
    assert.equal(studio.counts.create, 6, '3 refused + 3 created');
    assert.equal(studio.counts.created, 3);
    assert.equal(studio.counts.list, 2, 'one reconciliation per 5xx, none for the 429');
    assert.equal(studio.counts.context, 0, 'no execution of that contact to compare');
    assert.deepEqual(
      lines.filter((l) => l.event === 'JOB_RETRY').map((l) => [l.code, l.inDoubt]),
      [
        ['TWILIO_RATE_LIMITED', false],
        ['TWILIO_SERVER_ERROR', true],
        ['TWILIO_SERVER_ERROR', true],
      ],
    );
  } finally {
    await engine.stop();
    await studio.close();
  }
});

test(`${node}: 409 (active execution for the contact): the patient's events wait and go out in order; other patients are not blocked`, async () => {
  // Each execution stays active until it has refused two creates (deterministic 409 counts).
  const studio = await startFakeStudio({ activeConflicts: 2 });
  const { engine } = await startEngine(studio);
  try {
    await engine.accept(siu({ patient: 1, appointment: 10, trigger: 'S12', seq: 1 }));
    await engine.accept(siu({ patient: 1, appointment: 10, trigger: 'S13', seq: 2 }));
    await engine.accept(siu({ patient: 1, appointment: 10, trigger: 'S15', seq: 3 }));
    await engine.accept(siu({ patient: 2, appointment: 20, trigger: 'S12', seq: 4 }));
    const k = await drained(engine);
    assert.equal(k.sent, 4);
    assert.deepEqual(eventsFor(studio, '+19715550001'), ['BOOKED', 'RESCHEDULED', 'CANCELED']);
    assert.deepEqual(eventsFor(studio, '+19715550002'), ['BOOKED']);
    assert.equal(studio.counts.conflict, 4, 'two 409s before each of the two later events');
    assert.equal(studio.counts.create, 8);
    assert.equal(studio.counts.end, 0, 'the patient’s execution is never ended by default');
    const p2 = studio.executions.findIndex((/** @type {any} */ e) => e.to === '+19715550002');
    const last1 = studio.executions.findLastIndex((/** @type {any} */ e) => e.to === '+19715550001');
    assert.ok(p2 < last1, 'patient 2 went out while patient 1 was waiting');
  } finally {
    await engine.stop();
    await studio.close();
  }
});

test(`${node}: 4xx other than 409/429 dead-letters with its code after one call (never retried); replay delivers it once`, async () => {
  const studio = await startFakeStudio();
  studio.script.push({ status: 400, body: { code: 21211, message: 'Invalid To', status: 400 } }, { status: 401 });
  const { engine, file } = await startEngine(studio, { concurrency: 1 });
  try {
    await engine.accept(siu({ patient: 3, appointment: 30, seq: 5 }));
    await engine.accept(siu({ patient: 4, appointment: 40, seq: 6 }));
    const k = await drained(engine);
    assert.equal(k.deadLettered, 2);
    assert.deepEqual(k.deadByCode, { TWILIO_REJECTED: 1, TWILIO_AUTH_FAILED: 1 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(studio.counts.create, 2, 'dead letters are not retried');
    const dead = await engine.store.listJobs({ state: 'dead' });
    assert.deepEqual(dead.map((/** @type {any} */ j) => j.result).sort((a, b) => a.twilioStatus - b.twilioStatus), [
      { twilioStatus: 400, twilioCode: 21211 },
      { twilioStatus: 401, twilioCode: 40100 },
    ]);
    // The CLI, on the same store while the engine runs: status (text and JSON), then replay.
    const status = cli(['status', '--store', file, '--dead']);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /dead-lettered 2 \((TWILIO_REJECTED 1, TWILIO_AUTH_FAILED 1|TWILIO_AUTH_FAILED 1, TWILIO_REJECTED 1)\)/);
    assert.match(status.stdout, /#\d+ {2}studio\.execution {2}TWILIO_REJECTED {2}attempts 1/);
    assert.ok(!/\+1971|NGUY/.test(status.stdout), 'no PHI in status');
    const replay = await cliAsync(['replay', '--store', file, '--code', 'TWILIO_REJECTED', '--wait', '--timeout', '20']);
    assert.equal(replay.status, 0, replay.stderr);
    assert.match(replay.stdout, /replay: re-queued 1\/1 dead letters\nreplay: sent 1, dead-lettered again 0, pending 0 of 1\n$/);
    assert.equal(studio.counts.created, 1);
    assert.equal(cli(['replay', '--store', file]).status, 2, 'replay needs a filter');
    const json = JSON.parse(cli(['status', '--store', file, '--json']).stdout);
    assert.equal(json.jobs['studio.execution'].sent, 1);
    assert.equal(json.jobs['studio.execution'].deadLettered, 1);
    assert.equal(json.engines.length, 1);
  } finally {
    await engine.stop();
    await studio.close();
  }
});

test(`${node}: a request in doubt (execution created, answer lost) is reconciled: no second execution`, async () => {
  const studio = await startFakeStudio();
  studio.script.push({ status: 201, drop: 'after' });
  const { engine, lines } = await startEngine(studio);
  try {
    await engine.accept(siu({ patient: 5, appointment: 50, seq: 7 }));
    const k = await drained(engine);
    assert.equal(k.sent, 1);
    assert.deepEqual(k.sentByCode, { STUDIO_RECONCILED: 1 });
    assert.equal(studio.counts.create, 1, 'never re-POSTed');
    assert.equal(studio.counts.created, 1);
    assert.equal(studio.counts.list, 1);
    assert.equal(studio.counts.context, 1);
    const done = lines.find((l) => l.event === 'JOB_DONE');
    assert.equal(done.executionSid, studio.executions[0].sid);
    assert.equal(lines.find((l) => l.event === 'JOB_RETRY').code, 'TWILIO_NO_RESPONSE');
  } finally {
    await engine.stop();
    await studio.close();
  }
});

test(`${node}: a timed-out request is reconciled only after it can no longer be processed (reconcileAfterMs)`, async () => {
  const studio = await startFakeStudio();
  // Twilio answers (and creates) after 900 ms; the client gives up after 300 ms.
  studio.script.push({ status: 201, delayMs: 900 });
  const { engine } = await startEngine(studio, { reconcileAfterMs: 1500 }, { timeoutMs: 300 });
  try {
    await engine.accept(siu({ patient: 6, appointment: 60, seq: 8 }));
    const k = await drained(engine);
    assert.deepEqual(k.sentByCode, { STUDIO_RECONCILED: 1 });
    assert.equal(studio.counts.create, 1);
    assert.equal(studio.counts.created, 1);
  } finally {
    await engine.stop();
    await studio.close();
  }
});

test(`${node}: onConflict "end-stale" ends the contact's execution once it is older than staleAfterMs, then creates`, async () => {
  const studio = await startFakeStudio({ activeMs: 600_000 });
  const { engine, lines } = await startEngine(studio, { onConflict: 'end-stale', staleAfterMs: 5000 });
  try {
    await engine.accept(siu({ patient: 7, appointment: 70, trigger: 'S12', seq: 9 }));
    await drained(engine);
    studio.age(10_000); // the BOOKED execution is now 10 s old: stale
    await engine.accept(siu({ patient: 7, appointment: 70, trigger: 'S15', seq: 10 }));
    const k = await drained(engine);
    assert.equal(k.sent, 2);
    assert.deepEqual(eventsFor(studio, '+19715550007'), ['BOOKED', 'CANCELED']);
    assert.deepEqual({ conflict: studio.counts.conflict, fetch: studio.counts.fetch, end: studio.counts.end, create: studio.counts.create }, { conflict: 1, fetch: 1, end: 1, create: 3 });
    assert.equal(lines.find((l) => l.event === 'STUDIO_EXECUTION_ENDED').endedExecutionSid, studio.executions[0].sid);
  } finally {
    await engine.stop();
    await studio.close();
  }
});

test(`${node}: the token bucket keeps Studio creates at the configured rate (20/s: never more than 20 in any second)`, async () => {
  const studio = await startFakeStudio();
  const { engine } = await startEngine(studio, { ratePerSecond: 20 });
  try {
    for (let i = 0; i < 50; i++) await engine.accept(siu({ patient: 100 + i, appointment: 100 + i, seq: 100 + i }));
    await drained(engine, 30_000);
    const times = studio.executions.map((/** @type {any} */ e) => e.created).sort((a, b) => a - b);
    assert.equal(times.length, 50);
    let max = 0;
    for (let i = 0; i < times.length; i++) max = Math.max(max, times.filter((t) => t >= times[i] && t < times[i] + 1000).length);
    assert.ok(max <= 21, `at most 20 (+1 at the window edge) per second, saw ${max}`);
    assert.ok(times[49] - times[0] >= 2300, `50 creates at 20/s take ≥ 2.45 s (${times[49] - times[0]} ms)`);
  } finally {
    await engine.stop();
    await studio.close();
  }
});

test(`${node}: a resent message and a replayed one never create a second execution`, async () => {
  const studio = await startFakeStudio();
  const { engine } = await startEngine(studio);
  try {
    const m = siu({ patient: 8, appointment: 80, seq: 11 });
    const first = await engine.accept(m);
    await drained(engine);
    const again = await engine.accept(m);
    assert.equal(first.outcome, 'queued');
    assert.equal(again.outcome, 'duplicate');
    assert.equal(again.ackCode, 'CA', 'a duplicate is acknowledged');
    assert.equal(again.jobId, first.jobId);
    // The same event with another control id (an interface engine's resend) is the same event.
    const resent = await engine.accept(m.replace('|C11|', '|RESENT-11|'));
    assert.equal(resent.outcome, 'duplicate');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(studio.counts.create, 1);
    const s = await engine.status();
    assert.equal(s.messages.duplicate, 2);
  } finally {
    await engine.stop();
    await studio.close();
  }
});

const CLI = path.join(consumerDir, 'node_modules', 'ehr-studio-bridge', 'dist', 'cli.cjs');
const CLI_ENV = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), NODE_NO_WARNINGS: '1' };

/** The CLI from the tarball, run with this Node (the engine commands need the drivers on NODE_PATH). @param {string[]} args */
function cli(args) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: CLI_ENV });
}

/**
 * The same without blocking this process (whose engine must keep delivering meanwhile).
 * @param {string[]} args @returns {Promise<{ status: number | null, stdout: string, stderr: string }>}
 */
function cliAsync(args) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: CLI_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test(`${node}: serve stops gracefully on SIGTERM: no new connections, in-flight messages ACKed and deliveries finished, exit 0`, async () => {
  const studio = await startFakeStudio({ createDelayMs: 400 });
  const file = path.join(tmp, 'serve.db');
  const profile = path.join(tmp, 'serve-profile.json');
  fs.writeFileSync(profile, JSON.stringify({ ...SAMPLE_PROFILE, studio: { flowSid: FLOW_SID, from: FROM, baseUrl: studio.baseUrl } }));
  const serve = spawnServe(
    path.join(consumerDir, 'node_modules', 'ehr-studio-bridge', 'dist', 'cli.cjs'),
    ['--profile', profile, '--store', file, '--mllp-port', '0', '--http-port', '0', '--host', '127.0.0.1', '--poll-ms', '20'],
    { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), NODE_NO_WARNINGS: '1', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN },
  );
  const { child, lines, exited } = serve;
  try {
    const started = await serve.started;
    const health = await fetch(`http://127.0.0.1:${started.httpPort}/healthz`);
    assert.equal(health.status, 200);
    const c = await mllpConnect(started.mllpPort);
    for (let i = 0; i < 3; i++) assert.equal(msa(/** @type {string} */ (await c.send(siu({ patient: 20 + i, appointment: 20 + i, seq: 20 + i, cid: `G${i}` })))).code, 'CA');
    await until(() => studio.counts.create >= 1, 10_000, 'a delivery in flight');
    child.kill('SIGTERM');
    const res = /** @type {any} */ (await exited);
    assert.deepEqual(res, { code: 0, signal: null }, serve.stderr);
    assert.ok(lines.some((l) => l.event === 'ENGINE_STOPPED'));
    assert.equal(studio.counts.created, 3, 'in-flight and queued deliveries finished before exit');
    await assert.rejects(mllpConnect(started.mllpPort), 'the port is closed');
    const s = JSON.parse(cli(['status', '--store', file, '--json']).stdout);
    assert.equal(s.jobs['studio.execution'].sent, 3);
    assert.equal(s.engines.length, 0, 'the engine removed its heartbeat row');
    const metricsSeen = lines.filter((l) => l.event === 'JOB_DONE').length;
    assert.equal(metricsSeen, 3);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await studio.close();
  }
});
