// @ts-check
// The engine's SQLite store from the installed tarball, with the driver this Node loads:
// better-sqlite3 under Node 20 (the native module is built for it), node:sqlite under Node 22/24
// (scripts/test.sh runs this file under all three). The Postgres store runs the same contract in
// engine-crash-pg.test.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { storeContract } from './engine-store-contract.mjs';
import { engineModules, expectedSqliteDriver, drivers, SAMPLE_PROFILE, FLOW_SID, FROM } from './engine-fakes.mjs';

const node = `Node ${process.versions.node}`;
const { engine } = engineModules();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-store-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;

storeContract(`${node} SQLite (${expectedSqliteDriver})`, (now) =>
  engine.openStore(path.join(tmp, `c${++n}.db`), { sqlite: drivers.sqlite, now }),
);

test(`${node}: the SQLite driver is ${expectedSqliteDriver}; WAL; the file is owner-only; synchronous=FULL by default`, async () => {
  const file = path.join(tmp, 'driver.db');
  const s = await engine.openStore(`sqlite:${file}`, { sqlite: drivers.sqlite });
  try {
    assert.equal(s.kind, 'sqlite');
    assert.equal(s.driver, expectedSqliteDriver);
    assert.equal(s.location, file);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.ok(fs.existsSync(`${file}-wal`), 'journal_mode=WAL');
  } finally {
    await s.close();
  }
  await assert.rejects(engine.openStore(path.join(tmp, 'x.db'), { synchronous: /** @type {any} */ ('off'), sqlite: drivers.sqlite }), { code: 'ENGINE_BAD_OPTION' });
  await assert.rejects(engine.openStore(''), { code: 'ENGINE_BAD_STORE' });
});

test(`${node}: one engine per SQLite store (ENGINE_STORE_IN_USE); the heartbeat row goes on a graceful stop`, async () => {
  const file = path.join(tmp, 'single.db');
  const options = {
    profile: { ...SAMPLE_PROFILE, studio: { flowSid: FLOW_SID, from: FROM } },
    store: file,
    storeOptions: { sqlite: drivers.sqlite },
    logger: /** @type {false} */ (false),
    delivery: /** @type {false} */ (false),
  };
  const a = await engine.createEngine(options);
  await a.start();
  const b = await engine.createEngine(options);
  await assert.rejects(b.start(), { code: 'ENGINE_STORE_IN_USE' });
  await b.stop();
  const s = await a.status();
  assert.equal(s.engines.length, 1);
  await a.stop();
  const c = await engine.createEngine(options);
  await c.start();
  await c.stop();
});
