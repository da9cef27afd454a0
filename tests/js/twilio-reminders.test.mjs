// @ts-check
// Reminders on Twilio Functions, in-process with a fake clock: ehr-studio-bridge/twilio from the
// installed tarball (createEventHandler with a reminder store, createDueRemindersHandler,
// createSyncReminderStore) against the local fake of Studio and of the Sync REST API
// (tests/js/twilio-fakes.mjs) through twilio-node. The lifecycle of one appointment — booked,
// booked again, reminded exactly once, a 409 and a retry, rescheduled, too late, cancelled — plus
// concurrent due runs, orphans and claims left in doubt, a store that is down, and PHI-free logs.
// The same handlers run for real in twilio-run in twilio-e2e.test.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, consumer } from './helpers.mjs';
import { ACCOUNT_SID, AUTH_TOKEN, CONFLICT_409, FLOW_SID, FROM, SYNC_SERVICE_SID, startFake } from './twilio-fakes.mjs';

const node = `Node ${process.versions.node}`;
const { dir } = consumer();
const req = createRequire(path.join(dir, 'package.json'));
const rootRequire = createRequire(import.meta.url);
const twilio = rootRequire('twilio');
const TwilioResponse = rootRequire(
  path.join(ROOT, 'node_modules', '@twilio', 'runtime-handler', 'dist', 'dev-runtime', 'internal', 'response.js'),
).Response;
/** @type {any} */ (globalThis).Twilio = { Response: TwilioResponse };

const api = req('ehr-studio-bridge');
const { createEventHandler, createDueRemindersHandler, createSyncReminderStore, syncReminderStoreFromContext } = req('ehr-studio-bridge/twilio');

const SAMPLE = fs.readFileSync(path.join(ROOT, 'samples', 'siu_s12_booked.hl7'), 'utf8');
const SAMPLE_PROFILE = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples', 'profile.json'), 'utf8'));
const CTX = { EHR_BRIDGE_EVENT_AUTH: 'none' };
const MIN = 60_000;
/** @param {string} iso */
const at = (iso) => Date.parse(iso);

/** @type {Awaited<ReturnType<typeof startFake>>} */
let fake;
/** @type {any} */
let profile;
/** @type {any} */
let client;

before(async () => {
  fake = await startFake({ api });
  profile = {
    ...SAMPLE_PROFILE,
    studio: { flowSid: FLOW_SID, from: FROM, baseUrl: fake.origin },
    // The sample is Tuesday 2026-12-15 10:15 PST; 24 h before is Monday 10:15, 2 h before 08:15.
    reminders: { offsets: ['24h', '2h'], window: { start: '08:00', end: '20:00' }, lateGrace: '30m' },
  };
  client = twilio(ACCOUNT_SID, AUTH_TOKEN);
});
after(async () => {
  await fake?.close();
});

/**
 * Call a handler like the runtime does.
 * @param {Function} handler @param {Record<string, unknown>} context @param {Record<string, unknown>} event
 * @returns {Promise<{ status: number, body: any }>}
 */
function invoke(handler, context, event) {
  return new Promise((resolve, reject) => {
    handler(context, event, (/** @type {unknown} */ err, /** @type {any} */ res) => (err ? reject(err) : resolve({ status: res.statusCode, body: res.body })));
  });
}

function memoryLogger() {
  /** @type {any[]} */
  const lines = [];
  const at = (/** @type {string} */ msg) => lines.push(JSON.parse(msg));
  return { lines, logger: { info: at, warn: at, error: at } };
}

/** Handlers on one store and one clock. @param {string} prefix @param {{ now: number }} clock @param {any} [logger] */
function harness(prefix, clock, logger = false) {
  const store = createSyncReminderStore({ client, serviceSid: SYNC_SERVICE_SID, prefix, baseUrl: fake.origin });
  const common = { profile, reminders: store, clock: () => clock.now, twilioClient: () => client, logger };
  return { store, onEvent: createEventHandler(common), onDue: createDueRemindersHandler(common) };
}

/** The Studio creates recorded since the last call. */
const studioCreates = () =>
  fake
    .take()
    .filter((r) => r.path === `/v2/Flows/${FLOW_SID}/Executions`)
    .map((r) => ({ to: r.form?.To, from: r.form?.From, params: JSON.parse(r.form?.Parameters ?? '{}') }));

/** The sample's Table B values (as mapped), for reschedules and cancellations. */
const sampleEvent = () => new api.Mapper(profile).mapHl7(SAMPLE).event;

test(`${node}: an appointment's reminders through the event and due handlers on Sync: each sent once, at its time`, async () => {
  const clock = { now: at('2026-12-02T17:15:00Z') };
  const { lines, logger } = memoryLogger();
  const { onEvent, onDue, store } = harness('life', clock, logger);
  const items = (/** @type {string} */ m) => fake.syncItems(`life-${m}`);

  // BOOKED: the plan is stored before the execution; the reminders are pending in both maps.
  const booked = await invoke(onEvent, CTX, { hl7: SAMPLE });
  assert.equal(booked.status, 201, JSON.stringify(booked.body));
  const plan = api.planReminders(api.mapHl7(SAMPLE, profile), profile, clock.now);
  assert.deepEqual(booked.body.reminders, { appointmentKey: plan.appointmentKey, actions: { create: 2 } });
  assert.deepEqual(studioCreates().map((c) => c.params.event_type), ['BOOKED']);
  const [r24, r2] = plan.reminders;
  assert.deepEqual([r24.dueAt, r2.dueAt], ['2026-12-14T18:15:00Z', '2026-12-15T16:15:00Z']);
  assert.deepEqual(items('due').map((i) => [i.key, i.data.status]), [
    [`${r24.dueAtMs}_${r24.id}`, 'pending'],
    [`${r2.dueAtMs}_${r2.id}`, 'pending'],
  ]);
  assert.deepEqual(items('appointments').map((i) => i.key), [plan.appointmentKey]);
  const loaded = await store.load(plan.appointmentKey);
  assert.deepEqual(loaded.reminders.map((/** @type {any} */ r) => [r.id, r.status]), [[r24.id, 'pending'], [r2.id, 'pending']]);

  // The same BOOKED again: the same reminders, updated in place.
  const again = await invoke(onEvent, CTX, { hl7: SAMPLE });
  assert.deepEqual(again.body.reminders.actions, { update: 2 });
  assert.equal(items('due').length, 2);
  studioCreates();

  // Nothing is due yet.
  assert.deepEqual((await invoke(onDue, CTX, {})).body, { status: 'done', claimed: 0, sent: 0, skipped: 0, retried: 0, failed: 0, storeErrors: 0, more: false });

  // The 24 h reminder's time: one REMIND, the stored snapshot with event_type REMIND and now.
  clock.now = r24.dueAtMs + 20_000;
  const due = await invoke(onDue, CTX, {});
  assert.deepEqual([due.status, due.body.claimed, due.body.sent], [200, 1, 1]);
  const [remind] = studioCreates();
  const expectedRemind = api.buildRemindExecution(r24, profile.studio, undefined, clock.now).request;
  assert.deepEqual(remind, { to: expectedRemind.form.To, from: FROM, params: JSON.parse(expectedRemind.form.Parameters) });
  assert.deepEqual([remind.params.event_type, remind.params.event_datetime_utc], ['REMIND', '2026-12-14T18:15:20Z']);
  assert.deepEqual({ ...remind.params, event_type: 'BOOKED', event_datetime_utc: r24.snapshot.event_datetime_utc }, r24.snapshot);
  // Exactly once: a second run finds nothing.
  assert.equal((await invoke(onDue, CTX, {})).body.sent, 0);
  assert.deepEqual(studioCreates(), []);
  const after24 = await store.load(plan.appointmentKey);
  const sent = after24.reminders.find((/** @type {any} */ r) => r.id === r24.id);
  assert.equal(sent.status, 'sent');
  assert.match(sent.executionSid, /^FN[0-9a-f]{32}$/);
  assert.equal(items('due').length, 1);

  // MODIFIED after the first reminder: the sent one is kept, the other updated.
  const modified = { ...sampleEvent(), event_type: 'MODIFIED', appointment_location: 'North Clinic' };
  assert.deepEqual((await invoke(onEvent, CTX, { json: JSON.stringify(modified) })).body.reminders.actions, { keep: 1, update: 1 });
  assert.equal(items('due')[0].data.reminder.snapshot.appointment_location, 'North Clinic');
  studioCreates();

  // RESCHEDULED to Thursday 09:00: new reminders, the pending old one cancelled.
  const moved = { ...sampleEvent(), event_type: 'RESCHEDULED', appointment_datetime: '2026-12-17T09:00:00' };
  const rs = await invoke(onEvent, CTX, { json: JSON.stringify(moved) });
  assert.equal(rs.status, 201, JSON.stringify(rs.body));
  assert.deepEqual(rs.body.reminders.actions, { create: 2, cancel: 1 });
  studioCreates();
  const plan2 = api.planReminders(moved, profile, clock.now);
  assert.deepEqual(items('due').map((i) => i.key), plan2.reminders.map((/** @type {any} */ r) => `${r.dueAtMs}_${r.id}`));
  const states = Object.fromEntries((await store.load(plan.appointmentKey)).reminders.map((/** @type {any} */ r) => [r.id, [r.status, r.code ?? null]]));
  assert.deepEqual(states[r2.id], ['canceled', 'REMIND_RESCHEDULED']);
  assert.deepEqual(states[r24.id][0], 'sent');

  // Studio refuses with 409 (the patient is in a reply window): the reminder comes back later.
  const [n24, n2] = plan2.reminders;
  clock.now = n24.dueAtMs;
  fake.scriptStudio({ status: 409, body: CONFLICT_409.body });
  const refused = await invoke(onDue, CTX, {});
  assert.deepEqual([refused.body.retried, refused.body.sent, refused.body.codes], [1, 0, { STUDIO_EXECUTION_ACTIVE: 1 }]);
  assert.equal(studioCreates().length, 1);
  clock.now += MIN; // still in the reply window: not handed out
  assert.equal((await invoke(onDue, CTX, {})).body.claimed, 0);
  clock.now = n24.dueAtMs + 121_000;
  assert.equal((await invoke(onDue, CTX, {})).body.sent, 1);
  assert.equal(studioCreates().length, 1);

  // The 2 h reminder (07:00 PST) was moved to 20:00 the evening before, the end of the window;
  // the scheduler was down then: recorded as skipped, not sent at night.
  assert.deepEqual([n2.dueLocal, n2.moved, n2.notAfter], ['2026-12-16T20:00:00', 'earlier', 'window']);
  clock.now = n2.dueAtMs + 31 * MIN;
  const late = await invoke(onDue, CTX, {});
  assert.deepEqual([late.body.skipped, late.body.sent, late.body.codes], [1, 0, { REMIND_WINDOW_CLOSED: 1 }]);
  assert.deepEqual(studioCreates(), []);
  assert.deepEqual(items('due'), []);

  // Logs: codes, counts and hashes only.
  const text = JSON.stringify(lines);
  const ev = sampleEvent();
  for (const v of [ev.patient_first_name, ev.patient_last_name, ev.patient_phone, ev.patient_id, 'North Clinic']) assert.ok(!text.includes(v), `a patient value in the logs (${v.length} chars)`);
  assert.ok(lines.some((l) => l.fn === 'remind-due' && l.sent === 1));
  assert.ok(lines.some((l) => l.fn === 'ehr-event' && l.reminders?.appointmentKey === plan.appointmentKey));
});

test(`${node}: concurrent due runs send each reminder once; CANCELED empties the schedule`, async () => {
  const clock = { now: at('2026-12-02T17:15:00Z') };
  const { onEvent, onDue } = harness('race', clock);
  // Three appointments (three patients), both reminders due at the same minutes.
  const base = sampleEvent();
  const events = [0, 1, 2].map((i) => ({ ...base, patient_id: `P${i}`, appointment_id: `A${i}`, patient_phone: `+1503555012${i}` }));
  for (const e of events) assert.equal((await invoke(onEvent, CTX, { json: JSON.stringify(e) })).status, 201);
  studioCreates();
  assert.equal(fake.syncItems('race-due').length, 6);
  clock.now = at('2026-12-15T16:20:00Z'); // both reminders of each: the 24 h one is late, the 2 h one due
  const runs = await Promise.all([0, 1, 2, 3].map(() => invoke(onDue, CTX, {})));
  const total = (/** @type {string} */ k) => runs.reduce((n, r) => n + r.body[k], 0);
  assert.equal(total('sent'), 3, JSON.stringify(runs.map((r) => r.body)));
  assert.equal(total('skipped'), 3);
  const creates = studioCreates();
  assert.deepEqual(creates.map((c) => c.to).sort(), ['+15035550120', '+15035550121', '+15035550122']);
  assert.ok(creates.every((c) => c.params.event_type === 'REMIND'));

  // A cancellation leaves nothing to send.
  const more = { ...base, patient_id: 'P9', appointment_id: 'A9', patient_phone: '+15035550129' };
  clock.now = at('2026-12-02T17:15:00Z');
  await invoke(onEvent, CTX, { json: JSON.stringify(more) });
  const canceled = await invoke(onEvent, CTX, { json: JSON.stringify({ ...more, event_type: 'CANCELED' }) });
  assert.deepEqual(canceled.body.reminders, { appointmentKey: api.planReminders(more, profile, clock.now).appointmentKey, code: 'REMIND_APPOINTMENT_CANCELED', actions: { cancel: 2 } });
  studioCreates();
  clock.now = at('2026-12-15T16:16:00Z');
  assert.equal((await invoke(onDue, CTX, {})).body.claimed, 0);
  assert.deepEqual(studioCreates(), []);
});

test(`${node}: orphans and claims in doubt are never sent; a store that is down answers 503 before any SMS`, async () => {
  const clock = { now: at('2026-12-02T17:15:00Z') };
  const { onEvent, onDue, store } = harness('doubt', clock);
  assert.equal((await invoke(onEvent, CTX, { hl7: SAMPLE })).status, 201);
  studioCreates();
  const plan = api.planReminders(api.mapHl7(SAMPLE, profile), profile, clock.now);
  // A due item no appointment lists (a plan that lost a race) is removed when it comes due.
  const ghost = { ...plan.reminders[0], id: 'rm1-ghost' };
  await client.sync.v1.services(SYNC_SERVICE_SID).syncMaps('doubt-due').syncMapItems.create({ key: `${ghost.dueAtMs}_rm1-ghost`, data: { v: 1, status: 'pending', reminder: ghost } });
  // A sender claims the 24 h reminder and dies before saying what happened.
  clock.now = plan.reminders[0].dueAtMs;
  const taken = await store.claimDue(clock.now, 1, 30_000);
  assert.deepEqual(taken.map((/** @type {any} */ r) => r.id), [plan.reminders[0].id]);
  const run = await invoke(onDue, CTX, {});
  assert.deepEqual([run.body.claimed, run.body.sent], [0, 0], 'the ghost is dropped, the claim is still leased');
  clock.now += 31_000;
  assert.deepEqual([(await invoke(onDue, CTX, {})).body.sent], [0]);
  assert.deepEqual(studioCreates(), []);
  const states = Object.fromEntries((await store.load(plan.appointmentKey)).reminders.map((/** @type {any} */ r) => [r.id, [r.status, r.code ?? null]]));
  assert.deepEqual(states[plan.reminders[0].id], ['failed', 'REMIND_OUTCOME_UNKNOWN']);
  assert.deepEqual(fake.syncItems('doubt-due').map((i) => i.data.reminder.id), [plan.reminders[1].id]);

  // Sync down: the event answers 503 (retry) and nothing reaches Studio; the due run too.
  fake.failSync(1);
  const down = await invoke(onEvent, CTX, { hl7: SAMPLE });
  assert.deepEqual([down.status, down.body.code], [503, 'REMINDER_STORE_UNAVAILABLE']);
  fake.failSync(1);
  assert.deepEqual((await invoke(onDue, CTX, {})).status, 503);
  assert.deepEqual(studioCreates(), []);
});

test(`${node}: the Sync store from the environment; the due handler refuses to run without a store or a token`, async () => {
  assert.equal(syncReminderStoreFromContext({}), null);
  const ctx = { TWILIO_SYNC_SERVICE_SID: SYNC_SERVICE_SID, EHR_BRIDGE_SYNC_PREFIX: 'env', EHR_BRIDGE_SYNC_BASE_URL: fake.origin, getTwilioClient: () => client };
  const store = syncReminderStoreFromContext(ctx);
  assert.equal(syncReminderStoreFromContext(ctx), store, 'one store per configuration per container');
  assert.deepEqual(await store.load('ak1-none'), { reminders: [], version: null });
  assert.deepEqual(fake.syncItems('env-appointments'), []);
  assert.throws(() => createSyncReminderStore({ client, serviceSid: 'IS1' }), { code: 'CONFIG_SYNC' });
  const noStore = await invoke(createDueRemindersHandler({ profile, logger: false }), CTX, {});
  assert.deepEqual([noStore.status, noStore.body.code], [500, 'CONFIG_NO_REMINDER_STORE']);
  const denied = await invoke(createDueRemindersHandler({ profile, reminders: store, logger: false }), { EHR_BRIDGE_EVENT_TOKEN: 't' }, { request: { headers: {} } });
  assert.equal(denied.status, 401);
  fake.take();
});
