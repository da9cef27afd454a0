// @ts-check
// REMIND in the engine, in this process (the tarball's engine, SQLite, a fake Studio, a fake
// clock): the week simulation across three senders' zones and two DST changes, with one engine
// down for hours (late reminders sent or skipped per the core's rule); then the send-time rules one
// by one: a REMIND that waited in the queue past its usefulness is not sent, a queued REMIND is
// cancelled with its appointment, a dead-lettered one is replayed, and logs and status carry codes
// and hashes, never the patient.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ACCOUNT_SID, AUTH_TOKEN, drivers, engineModules, startFakeStudio, until } from './engine-fakes.mjs';
import { SIM_START, ZONES, assertCoverage, remindSiu, runWeek, weekScript, zoneProfile } from './engine-remind-scenario.mjs';

const node = `Node ${process.versions.node}`;
const { engine: E, api } = engineModules();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-remind-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;

const FAST = {
  conflictWaitMs: 30,
  backoff: { rateLimitedMs: 30, serverErrorMs: 30, networkMs: 30, capMs: 200 },
  ratePerSecond: 1000,
  maxAttempts: 4,
  reconcileAfterMs: 0,
  reconcileSkewMs: 5000,
};

/**
 * An engine of zone `z` on `file` (a fresh store unless given), against `studio`, on `clock`.
 * The scheduler's tick is an hour: in these tests only the clock's wake-ups move it.
 * @param {{ baseUrl: string }} studio @param {{ t: number }} clock @param {number} z @param {{ file?: string, lines?: any[], delivery?: Record<string, unknown> }} [o]
 */
async function zoneEngine(studio, clock, z, o = {}) {
  const file = o.file ?? path.join(tmp, `r${++n}.db`);
  const engine = await E.createEngine({
    profile: zoneProfile(z, studio.baseUrl),
    store: file,
    storeOptions: { sqlite: drivers.sqlite },
    twilio: { twilio: drivers.twilio, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, timeoutMs: 3000 },
    mllp: false,
    http: false,
    delivery: { ...FAST, ...o.delivery },
    worker: { pollMs: 20, heartbeatMs: 100, deadAfterMs: 1000 },
    reminders: { tickMs: 3_600_000 },
    now: () => clock.t,
    logger: o.lines ? E.createLogger({ level: 'debug', write: (/** @type {string} */ l) => o.lines?.push(l) }) : false,
  });
  await engine.start();
  return { engine, file };
}

/** No pending reminder due at `t`, no unfinished job. @param {any} store @param {number} t */
async function idle(store, t) {
  const next = await store.nextReminderDue();
  if (next !== null && next <= t) return false;
  const c = await store.counts();
  return c.jobs.every((/** @type {any} */ j) => j.state === 'done' || j.state === 'dead');
}

test(`${node}: a week of bookings, reschedules, modifications, confirmations, cancellations and no-shows in 3 zones (2 DST changes), engines down for hours: every REMIND exactly once at its planned instant with the latest snapshot`, { timeout: 240_000 }, async (t) => {
  // Like PAM, BOOKED and REMIND executions stay active (here: until they refused one create), so
  // a patient's next execution meets a 409 and waits in its lane.
  const studio = await startFakeStudio({ activeConflicts: 1, activeEvents: ['BOOKED', 'REMIND'] });
  const clock = { t: SIM_START };
  const zones = [0, 1, 2];
  // Downtimes: London for 5.5 h (what was due more than lateGrace = 2 h before the restart is
  // skipped), Kolkata for 45 min around its 10:00 reminders (lateGrace 30 min: sent late), and
  // New York for 2 h on the evening of the US change.
  const downtime = [
    { zone: 1, from: Date.UTC(2026, 9, 27, 8, 0, 30), to: Date.UTC(2026, 9, 27, 13, 30, 30) },
    { zone: 2, from: Date.UTC(2026, 9, 29, 4, 0, 30), to: Date.UTC(2026, 9, 29, 4, 45, 30) },
    { zone: 2, from: Date.UTC(2026, 9, 30, 4, 20, 30), to: Date.UTC(2026, 9, 30, 4, 40, 30) },
    { zone: 0, from: Date.UTC(2026, 10, 1, 21, 30, 30), to: Date.UTC(2026, 10, 1, 23, 30, 30) },
  ];
  const seed = process.env.EHR_REMIND_SEED ? Number(process.env.EHR_REMIND_SEED) : 20261025;
  const events = weekScript({ seed, zones, patientsPerZone: 14, downtime });
  /** @type {Map<number, { engine: any, file: string }>} */
  const engines = new Map();
  /** @type {Map<number, string>} */
  const files = new Map();
  /** @type {string[]} */
  const lines = [];
  const up = async (/** @type {number} */ z) => {
    const e = await zoneEngine(studio, clock, z, { file: files.get(z), lines });
    files.set(z, e.file);
    engines.set(z, e);
  };
  try {
    for (const z of zones) await up(z);
    const summary = await runWeek({
      api,
      studio,
      zones,
      events,
      downtime,
      harness: {
        async setClock(v) {
          clock.t = v;
          for (const e of engines.values()) e.engine.wake();
        },
        async send(z, text) {
          const r = await engines.get(z)?.engine.accept(text);
          assert.ok(['queued', 'duplicate', 'skipped'].includes(r.outcome), `accepted (${r.outcome} ${r.code})`);
        },
        idle: async (z, v) => idle(engines.get(z)?.engine.store, v),
        async down(z) {
          await engines.get(z)?.engine.stop();
          engines.delete(z);
        },
        up,
      },
    });
    t.diagnostic(JSON.stringify({ ...summary, sentAt: undefined, seed }));
    assertCoverage(summary, { late: true });
    assert.ok(studio.counts.conflict >= 1, 'some sends met a 409 and waited in their lane');
    // Status agrees with Studio.
    let sent = 0;
    for (const { engine } of engines.values()) {
      const s = await engine.status();
      sent += s.reminders.sent;
      assert.deepEqual([s.reminders.claimed, s.reminders.failed], [0, 0], 'nothing left in the queue, nothing failed');
      assert.equal(s.jobs.remind?.deadLettered ?? 0, 0);
    }
    assert.equal(sent, summary.reminders, 'status counts every REMIND Studio received as sent');
    // No PHI in any log line: names, phones, locations of the script never appear.
    const phi = ['NGUYEN', 'Thi Mai', '+1971555', 'Clinic 1', 'room'];
    for (const l of lines) for (const word of phi) assert.ok(!l.includes(word), `a log line carries ${word}: ${l.slice(0, 120)}`);
    assert.ok(lines.some((l) => l.includes('"REMIND_QUEUED"')) && lines.some((l) => l.includes('"reminders"')), 'plans and sends are logged (codes and hashes)');
  } finally {
    for (const e of engines.values()) await e.engine.stop();
    await studio.close();
  }
});

/** One New York booking (Tuesday 27 Oct 15:15 EDT): its reminders are due Monday 18:00 EDT (1d@18:00) and Tuesday 13:15 EDT (2h). */
const NY = {
  bookedAt: Date.UTC(2026, 9, 24, 20, 0, 7),
  remindAt: Date.UTC(2026, 9, 26, 22, 0, 0),
  /** @param {string} trigger @param {number} t @param {number} [patient] */
  siu: (trigger, t, patient = 901) =>
    remindSiu({ patient, appointment: 90_000 + patient, trigger, start: '202610271515', eventTs: new Date(t - 4 * 3_600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14), location: 'Annex', cid: `${trigger}-${t}` }),
};

/**
 * Book, move the clock to the first reminder, and let `script` answer its create.
 * @param {import('./engine-fakes.mjs').Scripted[]} script @param {Record<string, unknown>} [delivery]
 */
async function bookedAndDue(script, delivery) {
  const studio = await startFakeStudio();
  const clock = { t: NY.bookedAt };
  /** @type {string[]} */
  const lines = [];
  const { engine } = await zoneEngine(studio, clock, 0, { lines, delivery });
  const r = await engine.accept(NY.siu('S12', clock.t));
  assert.equal(r.outcome, 'queued');
  await until(() => studio.executions.length === 1, 10_000, 'the booking');
  studio.script.push(...script);
  clock.t = NY.remindAt;
  engine.wake();
  return { studio, clock, engine, lines };
}

test(`${node}: a REMIND refused with 429 is cancelled in the queue by the appointment's cancellation (never sent); status counts it cancelled`, async () => {
  // The retry of a 429 comes 2.5–5 s later: the cancellation lands while the REMIND waits.
  const { studio, clock, engine } = await bookedAndDue([{ status: 429 }], { maxAttempts: 50, backoff: { rateLimitedMs: 5000, capMs: 10_000 } });
  try {
    await until(async () => (await engine.status()).jobs.remind?.retrying, 10_000, 'the REMIND retrying');
    clock.t += 60_000;
    const c = await engine.accept(NY.siu('S15', clock.t));
    assert.equal(c.outcome, 'queued');
    studio.script.length = 0;
    await until(async () => idle(engine.store, clock.t), 10_000, 'idle');
    assert.deepEqual(studio.executions.map((e) => e.params.event_type), ['BOOKED', 'CANCELED'], 'the REMIND never reached Studio');
    const s = await engine.status();
    assert.deepEqual({ canceled: s.reminders.canceled, sent: s.reminders.sent, claimed: s.reminders.claimed }, { canceled: 2, sent: 0, claimed: 0 });
    assert.deepEqual(s.reminders.canceledByCode, { REMIND_APPOINTMENT_CANCELED: 2 });
  } finally {
    await engine.stop();
    await studio.close();
  }
});

test(`${node}: a REMIND that waited out a Studio outage past its usefulness is finished with remindDue's code at send time, not sent`, async () => {
  // The retry of the 503 comes 0.5–1 s later (after reconciling: nothing was created).
  const { studio, clock, engine } = await bookedAndDue([{ status: 503 }], { backoff: { serverErrorMs: 1000, capMs: 2000 } });
  try {
    await until(() => studio.counts.create >= 2, 10_000, 'the refused create');
    // 18:00 EDT, lateGrace 1 h and a window ending 19:00: at 19:01 the reminder is no use any more.
    clock.t = NY.remindAt + 61 * 60_000;
    await until(async () => idle(engine.store, clock.t), 15_000, 'idle');
    assert.deepEqual(studio.executions.map((e) => e.params.event_type), ['BOOKED'], 'no REMIND after its time');
    const s = await engine.status();
    assert.equal(s.reminders.skipped, 1);
    assert.match(Object.keys(s.reminders.skippedByCode).join(), /^REMIND_(WINDOW_CLOSED|TOO_LATE)$/);
    assert.equal(s.jobs.remind.sent, 1, 'the job is finished (done), not dead');
    assert.equal(s.reminders.pending, 1, 'the 2h reminder is still pending');
  } finally {
    await engine.stop();
    await studio.close();
  }
});

test(`${node}: a REMIND Studio rejects (400) is dead-lettered, shown as failed, and sent by replay while still useful`, async () => {
  const { studio, clock, engine } = await bookedAndDue([{ status: 400 }]);
  try {
    await until(async () => (await engine.status()).reminders.failed === 1, 10_000, 'the dead letter');
    const s = await engine.status();
    assert.deepEqual(s.reminders.failedByCode, { TWILIO_REJECTED: 1 });
    assert.deepEqual(s.jobs.remind.deadByCode, { TWILIO_REJECTED: 1 });
    assert.match(E.formatStatus(s), /reminders {2}2: pending 1, next due 2026-10-27T17:15:00.000Z, in the queue 0, sent 0, skipped 0, cancelled 0, failed 1\n {2}failed by code: TWILIO_REJECTED 1/);
    clock.t += 10 * 60_000;
    const r = await E.replayDeadLetters(engine.store, { kind: 'remind' });
    assert.equal(r.requeued, 1);
    engine.wake();
    await until(async () => (await engine.status()).reminders.sent === 1, 10_000, 'the replayed REMIND');
    const remind = studio.executions.filter((e) => e.params.event_type === 'REMIND');
    assert.equal(remind.length, 1);
    // The request was built when the reminder came due (its event time), and is sent as built.
    assert.equal(remind[0].params.event_datetime_utc, '2026-10-26T22:00:00Z');
  } finally {
    await engine.stop();
    await studio.close();
  }
});

test(`${node}: reminders planned by an engine that does not send (reminders: false) are sent by the next engine on the store, late ones per the rule`, async () => {
  const studio = await startFakeStudio();
  const clock = { t: NY.bookedAt };
  const file = path.join(tmp, `r${++n}.db`);
  const planner = await E.createEngine({
    profile: zoneProfile(0, studio.baseUrl),
    store: file,
    storeOptions: { sqlite: drivers.sqlite },
    twilio: { twilio: drivers.twilio, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
    mllp: false,
    http: false,
    delivery: FAST,
    reminders: false,
    now: () => clock.t,
    logger: false,
  });
  await planner.start();
  assert.equal((await planner.accept(NY.siu('S12', clock.t, 902))).outcome, 'queued');
  assert.equal((await planner.accept(NY.siu('S12', clock.t, 903))).outcome, 'queued');
  await until(async () => idle(planner.store, clock.t), 10_000, 'bookings sent');
  clock.t = NY.remindAt + 30 * 60_000; // 30 min late: inside the window (until 19:00) → sent
  await until(async () => (await planner.status()).reminders.pending === 4, 5000, 'planned');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await planner.status()).reminders.pending, 4, 'an engine with reminders: false never claims');
  await planner.stop();
  const { engine } = await zoneEngine(studio, clock, 0, { file });
  try {
    await until(async () => idle(engine.store, clock.t), 10_000, 'idle');
    const remind = studio.executions.filter((e) => e.params.event_type === 'REMIND');
    assert.deepEqual(remind.map((e) => e.params.event_datetime_utc), ['2026-10-26T22:30:00Z', '2026-10-26T22:30:00Z']);
    clock.t = Date.UTC(2026, 9, 27, 18, 30); // the 2h reminders (17:15Z) are past lateGrace (1 h)
    engine.wake();
    await until(async () => (await engine.status()).reminders.skipped === 2, 10_000, 'late skips');
    assert.deepEqual((await engine.status()).reminders.skippedByCode, { REMIND_TOO_LATE: 2 });
    assert.equal(studio.executions.filter((e) => e.params.event_type === 'REMIND').length, 2);
  } finally {
    await engine.stop();
    await studio.close();
  }
});

test(`${node}: the store lists reminders with their due instants and without snapshots`, async () => {
  const studio = await startFakeStudio();
  const clock = { t: NY.bookedAt };
  const { engine } = await zoneEngine(studio, clock, 0);
  try {
    await engine.accept(NY.siu('S12', clock.t, 904));
    const rows = await engine.store.listReminders({});
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.match(r.id, /^rm1-[0-9a-f]{32}$/);
      assert.equal(r.status, 'pending');
      assert.ok(!JSON.stringify(r).includes('Annex'), 'no snapshot in the listing');
    }
    assert.deepEqual(
      rows.map((r) => new Date(/** @type {number} */ (r.dueAt)).toISOString()).sort(),
      ['2026-10-26T22:00:00.000Z', '2026-10-27T17:15:00.000Z'],
      '1d@18:00 and 2h before Tuesday 15:15 EDT',
    );
    assert.equal(ZONES[0].timeZone, 'America/New_York');
  } finally {
    await engine.stop();
    await studio.close();
  }
});
