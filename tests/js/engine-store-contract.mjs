// @ts-check
// The Store contract (ehr-studio-bridge/engine, store.cjs), run against every backend: SQLite with
// the driver this Node loads (engine-store.test.mjs) and Postgres (engine-crash-pg.test.mjs).
// `open(now)` must return a new, empty store whose clock is `now()`.
import assert from 'node:assert/strict';
import { test } from 'node:test';

const raw = Buffer.from('MSH|^~\\&|A|B|C|D|20260101||SIU^S12|1|P|2.5.1\r');

/** @param {string} idemKey @param {string} lane @param {Partial<{ kind: string, dueAt: number, payload: unknown }>} [o] */
const job = (idemKey, lane, o = {}) => ({ kind: o.kind ?? 'k', idemKey, lane, payload: o.payload ?? { n: idemKey }, ...(o.dueAt !== undefined ? { dueAt: o.dueAt } : {}) });

/** @param {string} controlId @param {ReturnType<typeof job> | undefined} j @param {'queued' | 'skipped' | 'rejected'} [outcome] @param {string | null} [code] */
const item = (controlId, j, outcome = 'queued', code = null) => ({ receivedAt: 1000, source: 'test', controlId, raw, outcome, code, ...(j ? { job: j } : {}) });

/**
 * @param {string} label
 * @param {(now: () => number) => Promise<any>} open
 */
export function storeContract(label, open) {
  /** @param {(s: any, clock: { t: number }) => Promise<void>} fn */
  const withStore = (fn) => async () => {
    const clock = { t: 1_000_000 };
    const s = await open(() => clock.t);
    try {
      await fn(s, clock);
    } finally {
      await s.close();
    }
  };

  test(`${label}: ingest stores messages and jobs in one transaction; a second job with the same key is a duplicate`, withStore(async (s) => {
    const r = await s.ingest([
      item('c1', job('a', 'L1')),
      item('c2', undefined, 'skipped', 'SKIP_NO_MOBILE_PHONE'),
      item('c3', job('a', 'L1')),
      item('c4', undefined, 'rejected', 'HL7_NO_MSH'),
      item('c5', job('a', 'L1', { kind: 'other' })),
    ]);
    assert.equal(r.length, 5);
    assert.equal(r[0].duplicate, false);
    assert.equal(r[2].duplicate, true);
    assert.equal(r[2].jobId, r[0].jobId, 'the duplicate points at the first job');
    assert.equal(r[1].jobId, null);
    assert.equal(r[4].duplicate, false, 'keys are unique per kind');
    const again = await s.enqueue(job('a', 'L1'));
    assert.deepEqual(again, { id: r[0].jobId, created: false, state: 'queued' });
    const c = await s.counts();
    const byOutcome = Object.fromEntries(c.messages.map((/** @type {any} */ m) => [`${m.outcome}:${m.code}`, m.n]));
    assert.deepEqual(byOutcome, { 'duplicate:null': 1, 'queued:null': 2, 'rejected:HL7_NO_MSH': 1, 'skipped:SKIP_NO_MOBILE_PHONE': 1 });
    const j = await s.getJob(r[0].jobId);
    assert.deepEqual(j.payload, { n: 'a' });
    assert.equal(j.state, 'queued');
  }));

  test(`${label}: a lane runs one job at a time, oldest first; other lanes run in parallel`, withStore(async (s) => {
    await s.ingest([item('1', job('a1', 'A')), item('2', job('a2', 'A')), item('3', job('b1', 'B')), item('4', job('a3', 'A'))]);
    await s.heartbeat({ id: 'w1', role: 'engine', host: 'h', pid: 1 });
    const first = await s.claim({ owner: 'w1', kinds: ['k'], limit: 10 });
    assert.deepEqual(first.map((/** @type {any} */ j) => j.idemKey), ['a1', 'b1']);
    assert.ok(first.every((/** @type {any} */ j) => j.state === 'running' && j.attempts === 1));
    assert.deepEqual(await s.claim({ owner: 'w1', kinds: ['k'], limit: 10 }), [], 'a2 waits while a1 runs');
    // a1 waits out a 409: the lane stays blocked until it is done.
    assert.equal(await s.finish(first[0].id, 'w1', { status: 'retry', code: 'STUDIO_EXECUTION_ACTIVE', delayMs: 0 }), true);
    const again = await s.claim({ owner: 'w1', kinds: ['k'], limit: 10 });
    assert.deepEqual(again.map((/** @type {any} */ j) => j.idemKey), ['a1'], 'the retried head goes first, not a2');
    assert.equal(again[0].attempts, 2);
    assert.equal(await s.finish(again[0].id, 'w1', { status: 'done', code: 'OK', result: { executionSid: 'FN1' } }), true);
    const next = await s.claim({ owner: 'w1', kinds: ['k'], limit: 10 });
    assert.deepEqual(next.map((/** @type {any} */ j) => j.idemKey), ['a2']);
    // A dead letter does not block its lane.
    assert.equal(await s.finish(next[0].id, 'w1', { status: 'dead', code: 'TWILIO_REJECTED' }), true);
    const last = await s.claim({ owner: 'w1', kinds: ['k'], limit: 10 });
    assert.deepEqual(last.map((/** @type {any} */ j) => j.idemKey), ['a3']);
    assert.deepEqual(await s.claim({ owner: 'w1', kinds: ['other'], limit: 10 }), [], 'kinds filter');
  }));

  test(`${label}: due times, release, and ownership of outcomes`, withStore(async (s, clock) => {
    await s.enqueue(job('later', 'L', { dueAt: clock.t + 5000 }));
    await s.enqueue(job('now', 'M'));
    const c1 = await s.claim({ owner: 'w1', kinds: ['k'], limit: 10 });
    assert.deepEqual(c1.map((/** @type {any} */ j) => j.idemKey), ['now']);
    assert.equal(await s.finish(c1[0].id, 'w2', { status: 'done', code: 'OK' }), false, 'not the owner');
    assert.equal(await s.finish(c1[0].id, 'w1', { status: 'release', delayMs: 100 }), true);
    const released = await s.getJob(c1[0].id);
    assert.equal(released.state, 'queued');
    assert.equal(released.attempts, 0, 'a release is not an attempt');
    assert.deepEqual(await s.claim({ owner: 'w1', kinds: ['k'], limit: 10 }), []);
    clock.t += 5000;
    const c2 = await s.claim({ owner: 'w1', kinds: ['k'], limit: 10 });
    assert.deepEqual(c2.map((/** @type {any} */ j) => j.idemKey).sort(), ['later', 'now']);
    assert.equal(await s.nextDue(['k']), null);
  }));

  test(`${label}: jobs of a dead worker come back in doubt (doubtAt = that attempt's start); done clears the doubt`, withStore(async (s, clock) => {
    await s.enqueue(job('x', 'X'));
    await s.enqueue(job('y', 'Y'));
    await s.heartbeat({ id: 'dead', role: 'engine', host: 'h', pid: 1 });
    await s.heartbeat({ id: 'live', role: 'engine', host: 'h', pid: 2 });
    const [x] = await s.claim({ owner: 'dead', kinds: ['k'], limit: 1 });
    const [y] = await s.claim({ owner: 'live', kinds: ['k'], limit: 1 });
    const started = clock.t;
    clock.t += 20_000;
    await s.heartbeat({ id: 'live', role: 'engine', host: 'h', pid: 2 });
    const rec = await s.recover(10_000);
    assert.deepEqual(rec.map((/** @type {any} */ r) => r.id), [x.id]);
    const rx = await s.getJob(x.id);
    assert.equal(rx.state, 'retrying');
    assert.equal(rx.doubtAt, started);
    assert.equal((await s.getJob(y.id)).state, 'running', "a live worker's job stays");
    const live = await s.liveWorkers('nobody', 10_000);
    assert.deepEqual(live.map((/** @type {any} */ w) => w.id), ['live']);
    const [again] = await s.claim({ owner: 'live', kinds: ['k'], limit: 1 });
    assert.equal(again.id, x.id);
    assert.equal(again.doubtAt, started);
    // A timeout in doubt keeps the earliest doubt; done clears it.
    await s.finish(again.id, 'live', { status: 'retry', code: 'TWILIO_NO_RESPONSE', delayMs: 0, inDoubt: true });
    assert.equal((await s.getJob(x.id)).doubtAt, started);
    const [third] = await s.claim({ owner: 'live', kinds: ['k'], limit: 1 });
    await s.finish(third.id, 'live', { status: 'done', code: 'STUDIO_RECONCILED', result: { executionSid: 'FN2' } });
    const done = await s.getJob(x.id);
    assert.equal(done.doubtAt, null);
    assert.deepEqual(done.result, { executionSid: 'FN2' });
  }));

  test(`${label}: token bucket: a burst, then the rate`, withStore(async (s, clock) => {
    assert.deepEqual(await s.takeTokens('studio:AC1', 20, 20, 20), { granted: 20, waitMs: 0 });
    const empty = await s.takeTokens('studio:AC1', 1, 20, 20);
    assert.equal(empty.granted, 0);
    assert.equal(empty.waitMs, 50);
    clock.t += 100;
    assert.equal((await s.takeTokens('studio:AC1', 5, 20, 20)).granted, 2);
    clock.t += 10_000;
    assert.equal((await s.takeTokens('studio:AC1', 100, 20, 20)).granted, 20, 'never more than the burst');
    assert.equal((await s.takeTokens('studio:AC2', 1, 20, 20)).granted, 1, 'buckets are per name');
  }));

  test(`${label}: dead letters: listed without payload, re-queued with attempts reset and the doubt kept`, withStore(async (s) => {
    await s.enqueue(job('d1', 'D'));
    await s.enqueue(job('d2', 'E'));
    const jobs = await s.claim({ owner: 'w', kinds: ['k'], limit: 5 });
    await s.finish(jobs[0].id, 'w', { status: 'dead', code: 'TWILIO_REJECTED', result: { twilioStatus: 400 } });
    await s.finish(jobs[1].id, 'w', { status: 'dead', code: 'RETRIES_EXHAUSTED', inDoubt: true });
    const listed = await s.listJobs({ state: 'dead' });
    assert.equal(listed.length, 2);
    assert.ok(listed.every((/** @type {any} */ j) => j.payload === undefined), 'no payload (PHI) in listings');
    assert.deepEqual(await s.deadIds({ code: 'TWILIO_REJECTED' }), [jobs[0].id]);
    assert.equal(await s.requeue(await s.deadIds({})), 2);
    const r = await s.getJob(jobs[1].id);
    assert.equal(r.state, 'queued');
    assert.equal(r.attempts, 0);
    assert.equal(r.resultCode, 'REPLAYED');
    assert.notEqual(r.doubtAt, null, 'a replayed in-doubt job still reconciles first');
    assert.equal(await s.requeue([jobs[0].id]), 0, 'only dead jobs are re-queued');
  }));

  test(`${label}: purge removes old messages and finished jobs, keeps dead letters and pending jobs`, withStore(async (s, clock) => {
    await s.ingest([item('1', job('p1', 'P')), item('2', job('p2', 'Q')), item('3', job('p3', 'R'))]);
    const [a, b] = await s.claim({ owner: 'w', kinds: ['k'], limit: 2 });
    await s.finish(a.id, 'w', { status: 'done', code: 'OK' });
    await s.finish(b.id, 'w', { status: 'dead', code: 'X' });
    clock.t += 1000;
    const p = await s.purge(clock.t);
    assert.deepEqual(p, { messages: 3, jobs: 1, reminders: 0 });
    assert.equal(await s.getJob(a.id), null);
    assert.equal((await s.getJob(b.id)).state, 'dead');
    assert.equal((await s.listJobs({ state: 'queued' })).length, 1);
  }));
}
