// @ts-check
// REMIND on Postgres with TWO `serve` replicas of one sender sharing the store (this file starts its
// own Postgres server: engine-postgres.mjs): both schedulers claim due reminders at the same clock
// instants (FOR UPDATE SKIP LOCKED), events arrive at either replica, and replicas are SIGKILLed
// while the fake Studio holds one of their REMIND creates. Every REMIND exactly once, at its stop.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { drivers, engineModules, startFakeStudio } from './engine-fakes.mjs';
import { postgresForFile } from './engine-postgres.mjs';
import { assertCoverage, processHarness, runWeek, weekScript } from './engine-remind-scenario.mjs';

const node = `Node ${process.versions.node}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-remind-pg-'));
const server = postgresForFile(tmp);

test(`${node} Postgres: two replicas, a week of one sender's events over both, 3 × SIGKILL during a REMIND create: every REMIND exactly once`, { timeout: 300_000 }, async (t) => {
  const { engine: E, api } = engineModules();
  await server.createDatabase('remind');
  const url = server.url('remind');
  const seed = process.env.EHR_REMIND_SEED ? Number(process.env.EHR_REMIND_SEED) : 20261027;
  const zones = [0];
  const events = weekScript({ seed, zones, patientsPerZone: 20 });
  const studio = await startFakeStudio({ activeConflicts: 1, activeEvents: ['BOOKED', 'REMIND'], createDelayMs: 30 });
  const work = fs.mkdtempSync(path.join(tmp, 'work-'));
  const p = await processHarness({
    tmp: work,
    studio,
    replicas: [{ zone: 0, store: url }, { zone: 0, store: url }],
    openStore: () => E.openStore(url, { pg: drivers.pg }),
    kills: 3,
    seed,
    log: (l) => t.diagnostic(l),
  });
  try {
    const summary = await runWeek({ api, studio, zones, events, harness: p.harness, idleTimeoutMs: 60_000 });
    t.diagnostic(JSON.stringify({ ...summary, sentAt: undefined, kills: p.kills, seed }));
    assert.equal(p.kills, 3, 'every SIGKILL landed with a REMIND create in flight');
    assertCoverage(summary);
    // Both replicas claimed reminders (the claims really were concurrent).
    const queuedBy = new Set(p.logs.filter((l) => l.includes('"REMIND_QUEUED"')).map((l) => l.split(' ')[0]));
    assert.equal(queuedBy.size, 2, 'both replicas claimed due reminders');
    const recovered = p.logs.filter((l) => l.includes('"JOB_RECOVERED_IN_DOUBT"') && l.includes('"kind":"remind"')).length;
    assert.ok(recovered >= 3, `each kill left its REMIND in doubt (${recovered})`);
  } finally {
    await p.stop();
    await studio.close();
  }
});
