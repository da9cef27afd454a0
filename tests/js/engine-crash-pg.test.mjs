// @ts-check
// Postgres, for real: this file starts a Postgres server of its own (Debian's `postgresql` binaries,
// installed by scripts/setup.sh; as root, initdb/postgres run as the `postgres` OS user on a temp
// data directory it owns) on a free port, runs the Store contract on it, then the crash scenario
// with TWO `serve` replicas sharing the queue (claims with FOR UPDATE SKIP LOCKED, the shared rate
// bucket, per-patient order across replicas), and stops the server it started.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { crashScenario } from './engine-crash-scenario.mjs';
import { storeContract } from './engine-store-contract.mjs';
import { ACCOUNT_SID, AUTH_TOKEN, FLOW_SID, FROM, SAMPLE_PROFILE, drivers, engineModules, siu, startFakeStudio, until } from './engine-fakes.mjs';
import { postgresForFile } from './engine-postgres.mjs';

const node = `Node ${process.versions.node}`;
const { engine: E } = engineModules();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-pg-'));
const server = postgresForFile(tmp);
const { url, createDatabase } = server;

let n = 0;
storeContract(`${node} Postgres`, async (now) => {
  const db = `contract_${++n}`;
  await createDatabase(db);
  return E.openStore(url(db), { pg: drivers.pg, now });
});

test(`${node} Postgres: the store reports pg, hides credentials, and two engines may share it`, async () => {
  await createDatabase('shared');
  const s = await E.openStore(url('shared'), { pg: drivers.pg });
  try {
    assert.equal(s.kind, 'postgres');
    assert.equal(s.driver, 'pg');
    assert.equal(s.multiReplica, true);
    assert.equal(s.location, `postgres://127.0.0.1:${server.port}/shared`);
    // Two stores (two replicas) opening the same database at once: one schema, no error.
    const [a, b] = await Promise.all([E.openStore(url('shared'), { pg: drivers.pg }), E.openStore(url('shared'), { pg: drivers.pg })]);
    await Promise.all([a.close(), b.close()]);
  } finally {
    await s.close();
  }
  await assert.rejects(E.openStore(`postgres://postgres@127.0.0.1:${server.port}/missing_db`, { pg: drivers.pg }), { code: 'ENGINE_STORE_UNAVAILABLE' });
});

test(`${node} Postgres: concurrent claimers never hold two jobs of one lane, and take every job once`, async () => {
  await createDatabase('claims');
  const stores = await Promise.all(Array.from({ length: 4 }, () => E.openStore(url('claims'), { pg: drivers.pg })));
  try {
    for (let i = 0; i < 200; i++) await stores[0].enqueue({ kind: 'k', idemKey: `j${i}`, lane: `L${i % 20}`, payload: { i } });
    /** @type {Map<string, number>} */
    const runningLane = new Map();
    /** @type {number[]} */
    const taken = [];
    /** @type {Map<string, number[]>} */
    const laneOrder = new Map();
    await Promise.all(
      stores.map(async (s, w) => {
        const owner = `w${w}`;
        await s.heartbeat({ id: owner, role: 'engine', host: 'h', pid: w });
        for (;;) {
          const jobs = await s.claim({ owner, kinds: ['k'], limit: 5 });
          if (jobs.length === 0) {
            const c = await s.counts();
            if (c.jobs.every((/** @type {any} */ j) => j.state === 'done')) return;
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
          for (const j of jobs) {
            assert.ok(!runningLane.has(j.lane), `lane ${j.lane} already running`);
            runningLane.set(j.lane, j.id);
            taken.push(j.id);
            laneOrder.set(j.lane, [...(laneOrder.get(j.lane) ?? []), j.id]);
          }
          await new Promise((r) => setTimeout(r, 2));
          for (const j of jobs) {
            runningLane.delete(j.lane);
            assert.equal(await s.finish(j.id, owner, { status: 'done', code: 'OK' }), true);
          }
        }
      }),
    );
    assert.equal(taken.length, 200);
    assert.equal(new Set(taken).size, 200, 'every job claimed exactly once');
    for (const [lane, ids] of laneOrder) assert.deepEqual(ids, [...ids].sort((a, b) => a - b), `lane ${lane} in order`);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
});

test(`${node} Postgres: LISTEN/NOTIFY — a new job and a replayed dead letter wake the other replicas' subscribers; an idempotent no-op does not`, async () => {
  await createDatabase('notify');
  const [a, b] = await Promise.all([E.openStore(url('notify'), { pg: drivers.pg }), E.openStore(url('notify'), { pg: drivers.pg })]);
  try {
    assert.equal(typeof a.subscribe, 'function');
    let woken = 0;
    const unsubscribe = /** @type {NonNullable<typeof a.subscribe>} */ (a.subscribe)(() => woken++);
    // Subscribing wakes once when the LISTEN is in place (anything queued before it is not missed).
    await until(() => woken === 1, 10_000, 'the first wake-up after LISTEN');
    await b.enqueue({ kind: 'k', idemKey: 'n1', lane: 'L1', payload: {} });
    await until(() => woken === 2, 10_000, 'a wake-up for a new job');
    // The same idempotency key again inserts nothing: no NOTIFY. A later real insert is the next
    // wake-up, so a spurious one for the no-op would show as 4 below.
    assert.equal((await b.enqueue({ kind: 'k', idemKey: 'n1', lane: 'L1', payload: {} })).created, false);
    await b.enqueue({ kind: 'k', idemKey: 'n2', lane: 'L2', payload: {} });
    await until(() => woken >= 3, 10_000, 'a wake-up for the second job');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(woken, 3, 'the idempotent no-op did not notify');
    // A dead letter replayed by another process (the CLI's `replay`) wakes the engines too.
    await b.heartbeat({ id: 'w', role: 'engine', host: 'h', pid: 1 });
    const [job] = await b.claim({ owner: 'w', kinds: ['k'], limit: 1 });
    assert.ok(job);
    assert.equal(await b.finish(job.id, 'w', { status: 'dead', code: 'STUDIO_REJECTED' }), true);
    assert.equal(woken, 3, 'claiming and dead-lettering queue nothing');
    assert.equal(await b.requeue([job.id]), 1);
    await until(() => woken === 4, 10_000, 'a wake-up for the replayed dead letter');
    unsubscribe();
    await b.enqueue({ kind: 'k', idemKey: 'n3', lane: 'L3', payload: {} });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(woken, 4, 'no wake-up after unsubscribe');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test(`${node} Postgres: an intake-only replica's message is delivered by an idle replica at once (NOTIFY), not at its 10-minute poll`, async () => {
  await createDatabase('wake');
  const studio = await startFakeStudio();
  const profile = { ...SAMPLE_PROFILE, studio: { flowSid: FLOW_SID, from: FROM, baseUrl: studio.baseUrl } };
  const common = { profile, store: url('wake'), storeOptions: { pg: drivers.pg }, mllp: /** @type {false} */ (false), http: /** @type {false} */ (false), logger: /** @type {false} */ (false) };
  // A accepts and stores only; B delivers, and would look for work only every 10 minutes.
  const intakeOnly = await E.createEngine({ ...common, delivery: false, worker: { heartbeatMs: 100, deadAfterMs: 5000 } });
  const deliverer = await E.createEngine({
    ...common,
    twilio: { twilio: drivers.twilio, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, timeoutMs: 3000 },
    delivery: { ratePerSecond: 1000 },
    worker: { pollMs: 600_000, heartbeatMs: 100, deadAfterMs: 5000 },
  });
  try {
    await intakeOnly.start();
    await deliverer.start();
    // Let B's worker finish its first (empty) claim and go to sleep for its poll interval.
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 3; i++) assert.equal((await intakeOnly.accept(siu({ patient: 500 + i, appointment: 500 + i, seq: i }))).outcome, 'queued');
    await until(() => studio.executions.length === 3, 20_000, 'B to deliver the three executions');
    // Studio answered before B recorded the outcome: wait for the commits, then check exactly 3.
    await until(async () => (await deliverer.status()).jobs['studio.execution']?.sent === 3, 20_000, 'B to record three sent jobs');
    assert.equal(studio.executions.length, 3);
  } finally {
    await intakeOnly.stop({ graceMs: 1000 });
    await deliverer.stop({ graceMs: 1000 });
    await studio.close();
  }
});

test(`${node} Postgres: two replicas, 1,200 messages, 4 × SIGKILL with a create in flight: every ACKed message delivered exactly once`, { timeout: 300_000 }, async (t) => {
  await createDatabase('crash');
  const seed = process.env.EHR_CRASH_SEED ? Number(process.env.EHR_CRASH_SEED) : undefined;
  const summary = await crashScenario({
    label: 'postgres',
    store: url('crash'),
    replicas: 2,
    messages: 1200,
    kills: 4,
    tmp,
    seed,
    openStore: () => E.openStore(url('crash'), { pg: drivers.pg }),
    log: (l) => t.diagnostic(l),
  });
  t.diagnostic(JSON.stringify(summary));
});
