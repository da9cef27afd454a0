// @ts-check
// Postgres, for real: this file starts a Postgres server of its own (Debian's `postgresql` binaries,
// installed by scripts/setup.sh; as root, initdb/postgres run as the `postgres` OS user on a temp
// data directory it owns) on a free port, runs the Store contract on it, then the crash scenario
// with TWO `serve` replicas sharing the queue (claims with FOR UPDATE SKIP LOCKED, the shared rate
// bucket, per-patient order across replicas), and stops the server it started.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { crashScenario, freePort } from './engine-crash-scenario.mjs';
import { storeContract } from './engine-store-contract.mjs';
import { drivers, engineModules } from './engine-fakes.mjs';

const node = `Node ${process.versions.node}`;
const { engine: E } = engineModules();

/** The newest Postgres server binaries on this machine (Debian layout), else pg_config's. */
function pgBin() {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'postgres'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length) return path.join(base, versions[0], 'bin');
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('no Postgres server binaries (/usr/lib/postgresql/*/bin): run scripts/setup.sh (apt-get install postgresql)');
  }
}

const root = process.getuid?.() === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-pg-'));
const data = path.join(tmp, 'data');
const sockets = path.join(tmp, 'run');
let port = 0;
let bin = '';

/** Run a Postgres tool, as the postgres OS user when we are root (initdb/postgres refuse root). @param {string} tool @param {string[]} args */
function pg(tool, args) {
  const cmd = root ? 'runuser' : path.join(bin, tool);
  const argv = root ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args;
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A connection string for a database of this server. @param {string} db */
const url = (db) => `postgres://postgres@127.0.0.1:${port}/${db}`;

/** Create a database through a short-lived admin connection. @param {string} name */
async function createDatabase(name) {
  const client = new drivers.pg.Client({ connectionString: url('postgres') });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
}

before(async () => {
  bin = pgBin();
  port = await freePort();
  fs.mkdirSync(data, { mode: 0o700 });
  fs.mkdirSync(sockets);
  if (root) execFileSync('chown', ['-R', 'postgres', tmp]);
  pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  pg('pg_ctl', ['-D', data, '-l', path.join(tmp, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c max_connections=200`, 'start']);
});

after(() => {
  try {
    if (fs.existsSync(path.join(data, 'postmaster.pid'))) pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

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
    assert.equal(s.location, `postgres://127.0.0.1:${port}/shared`);
    // Two stores (two replicas) opening the same database at once: one schema, no error.
    const [a, b] = await Promise.all([E.openStore(url('shared'), { pg: drivers.pg }), E.openStore(url('shared'), { pg: drivers.pg })]);
    await Promise.all([a.close(), b.close()]);
  } finally {
    await s.close();
  }
  await assert.rejects(E.openStore(`postgres://postgres@127.0.0.1:${port}/missing_db`, { pg: drivers.pg }), { code: 'ENGINE_STORE_UNAVAILABLE' });
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
