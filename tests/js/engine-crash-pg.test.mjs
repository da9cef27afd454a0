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
import { drivers, engineModules } from './engine-fakes.mjs';
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
