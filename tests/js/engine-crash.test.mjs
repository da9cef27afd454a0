// @ts-check
// Crash test, SQLite: `serve` (the CLI from the tarball) is SIGKILLed 4 times while 1,200 messages
// arrive and are delivered, each time with a Studio create in flight, and restarted. See
// engine-crash-scenario.mjs for the assertions (exactly once per ACKed message, no false claims,
// per-patient order). The SQLite driver is this Node's (better-sqlite3 on 20, node:sqlite on 22/24).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { crashScenario } from './engine-crash-scenario.mjs';
import { drivers, engineModules } from './engine-fakes.mjs';

const node = `Node ${process.versions.node}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-crash-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test(`${node}: SQLite, 1,200 messages, 4 × SIGKILL with a create in flight: every ACKed message delivered exactly once`, { timeout: 240_000 }, async (t) => {
  const { engine } = engineModules();
  const file = path.join(tmp, 'crash.db');
  const seed = process.env.EHR_CRASH_SEED ? Number(process.env.EHR_CRASH_SEED) : undefined;
  const summary = await crashScenario({
    label: 'sqlite',
    store: file,
    replicas: 1,
    messages: 1200,
    kills: 4,
    tmp,
    seed,
    openStore: () => engine.openStore(file, { sqlite: drivers.sqlite }),
    log: (l) => t.diagnostic(l),
  });
  t.diagnostic(JSON.stringify(summary));
});
