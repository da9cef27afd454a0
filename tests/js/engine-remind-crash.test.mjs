// @ts-check
// REMIND with `serve` processes (the CLI from the tarball) on SQLite, their clock in a file the test
// moves: the week of engine-remind-scenario.mjs for two senders' zones, with SIGKILLs while the
// fake Studio holds a REMIND create (the job is recovered in doubt and reconciled: never sent twice,
// never lost) and a crash that keeps an engine down for hours (late reminders per the rule).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { drivers, engineModules, startFakeStudio } from './engine-fakes.mjs';
import { assertCoverage, processHarness, runWeek, weekScript } from './engine-remind-scenario.mjs';

const node = `Node ${process.versions.node}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-remind-crash-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test(`${node}: SQLite, serve processes on a clock file, a week in 2 zones with 3 × SIGKILL during a REMIND create and a crash kept down 5 h: every REMIND exactly once`, { timeout: 300_000 }, async (t) => {
  const { engine: E, api } = engineModules();
  const seed = process.env.EHR_REMIND_SEED ? Number(process.env.EHR_REMIND_SEED) : 20261101;
  const zones = [0, 1];
  const downtime = [{ zone: 1, from: Date.UTC(2026, 9, 27, 8, 0, 30), to: Date.UTC(2026, 9, 27, 13, 30, 30) }];
  const events = weekScript({ seed, zones, patientsPerZone: 10, downtime });
  // Every create is held 30 ms (the kills land then); BOOKED and REMIND stay active like PAM's.
  const studio = await startFakeStudio({ activeConflicts: 1, activeEvents: ['BOOKED', 'REMIND'], createDelayMs: 30 });
  const files = new Map(zones.map((z) => [z, path.join(tmp, `zone-${z}.db`)]));
  const p = await processHarness({
    tmp,
    studio,
    replicas: zones.map((z) => ({ zone: z, store: /** @type {string} */ (files.get(z)) })),
    openStore: (z) => E.openStore(/** @type {string} */ (files.get(z)), { sqlite: drivers.sqlite }),
    kills: 3,
    seed,
    log: (l) => t.diagnostic(l),
  });
  try {
    const summary = await runWeek({ api, studio, zones, events, downtime, harness: p.harness, idleTimeoutMs: 60_000 });
    t.diagnostic(JSON.stringify({ ...summary, sentAt: undefined, kills: p.kills, seed }));
    assert.equal(p.kills, 3, 'every SIGKILL landed with a REMIND create in flight');
    assertCoverage(summary);
    const recovered = p.logs.filter((l) => l.includes('"JOB_RECOVERED_IN_DOUBT"') && l.includes('"kind":"remind"')).length;
    assert.ok(recovered >= 3, `each kill left its REMIND in doubt (${recovered})`);
    assert.ok(p.logs.some((l) => l.includes('"STUDIO_RECONCILED"')), 'an in-doubt REMIND was found at Studio, not sent again');
  } finally {
    await p.stop();
    await studio.close();
  }
});
