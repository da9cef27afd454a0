// @ts-check
// The crash scenario shared by engine-crash.test.mjs (SQLite, one engine) and
// engine-crash-pg.test.mjs (Postgres, two replicas): `serve` processes (the CLI from the tarball)
// receive N messages over MLLP from senders that behave like interface engines (wait for each ACK,
// reconnect and resend after a failure — or sometimes give up), while the test SIGKILLs an engine
// several times, each time while a Studio create is in flight (the fake holds it), and restarts it.
// Afterwards: every ACKed message was delivered exactly once; nothing was delivered twice; every
// delivery the store claims exists at Studio with the same parameters; an unACKed message is either
// unknown to the store and Studio, or delivered exactly once; each patient's events reached Studio in
// the order of their jobs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from './helpers.mjs';
import { ACCOUNT_SID, API_SECRET, FLOW_SID, FROM, SAMPLE_PROFILE, apiKey, engineModules, mllpConnect, msa, siu, startFakeStudio, until } from './engine-fakes.mjs';

/** A free TCP port on 127.0.0.1 (kept across restarts). */
export async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', () => r(undefined)));
  const port = /** @type {net.AddressInfo} */ (s.address()).port;
  await new Promise((r) => s.close(() => r(undefined)));
  return port;
}

/**
 * Start `serve` (the CLI from the tarball) as replica `i` (its API key `apiKey(i)`), hand each stdout
 * line to `onLine`, and wait until it logged ENGINE_STARTED. `exit` resolves with its exit.
 * @param {string[]} args @param {number} i @param {(line: string) => void} onLine
 */
export async function spawnServe(args, i, onLine) {
  const p = spawn(process.execPath, args, {
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), NODE_NO_WARNINGS: '1', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_API_KEY: apiKey(i), TWILIO_API_SECRET: API_SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let started = false;
  let partial = '';
  p.stdout?.on('data', (d) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      onLine(l);
      if (l.includes('"ENGINE_STARTED"')) started = true;
    }
  });
  let err = '';
  p.stderr?.on('data', (d) => (err += d));
  /** @type {Promise<unknown>} */
  const exit = new Promise((r) => p.on('exit', (code, signal) => r({ code, signal })));
  await until(() => started || p.exitCode !== null, 30_000, `replica ${i} to start`);
  if (p.exitCode !== null) throw new Error(`replica ${i} exited ${p.exitCode}: ${err}`);
  return { proc: p, exit };
}

/** Deterministic pseudo-random numbers (a failing run can be replayed with its seed). @param {number} seed */
export function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/**
 * @param {{
 *   label: string, store: string, replicas: number, messages: number, kills: number, tmp: string,
 *   openStore: () => Promise<any>, seed?: number, log?: (line: string) => void,
 * }} o
 */
export async function crashScenario(o) {
  const seed = o.seed ?? (Date.now() & 0xffff);
  const random = rng(seed);
  const say = o.log ?? (() => {});
  say(`${o.label}: seed ${seed}`);
  const { api, dir } = engineModules();
  const profileObj = { ...SAMPLE_PROFILE };
  // Each create is held 5–60 ms by the fake: the kills below land while one is in its hands.
  // Like PAM, a BOOKED execution stays active (here: until it has refused one create: a 409 for the
  // patient's next event); the others end at once.
  const studio = await startFakeStudio({ activeConflicts: 1, activeEvents: ['BOOKED'], createDelayMs: () => 5 + Math.floor(random() * 55) });
  const profile = path.join(o.tmp, 'profile.json');
  fs.writeFileSync(profile, JSON.stringify({ ...profileObj, studio: { flowSid: FLOW_SID, from: FROM, baseUrl: studio.baseUrl } }));
  const ports = await Promise.all(Array.from({ length: o.replicas }, () => freePort()));
  const cli = path.join(dir, 'node_modules', 'ehr-studio-bridge', 'dist', 'cli.cjs');
  /** @type {(import('node:child_process').ChildProcess | null)[]} */
  const procs = Array(o.replicas).fill(null);
  /** @type {Promise<unknown>[]} */
  const exits = Array(o.replicas).fill(Promise.resolve());
  /** @type {string[]} */
  const logs = [];

  /** @param {number} i */
  async function start(i) {
    const args = [
      cli, 'serve', '--profile', profile, '--store', o.store, '--mllp-port', String(ports[i]), '--http-port', 'off', '--host', '127.0.0.1',
      '--rate', '500', '--concurrency', '8', '--conflict-wait-ms', '40', '--backoff-base-ms', '40', '--poll-ms', '20',
      '--heartbeat-ms', '200', '--dead-after-ms', '1500', '--twilio-timeout-ms', '2000', '--reconcile-after-ms', '2500', '--log-level', 'info',
    ];
    const s = await spawnServe(args, i, (l) => logs.push(l));
    procs[i] = s.proc;
    exits[i] = s.exit;
  }

  // The messages: patients get BOOKED, RESCHEDULED, CANCELED in that order, in blocks of 24
  // patients (all three kinds of events flow from the start).
  const patients = Math.ceil(o.messages / 3);
  /** @type {{ text: string, patient: number, params: string, acked: boolean, sends: number }[]} */
  const msgs = [];
  const BLOCK = 24;
  for (let b = 0; b < patients; b += BLOCK) for (const trigger of /** @type {const} */ (['S12', 'S13', 'S15'])) {
    for (let p = b; p < Math.min(patients, b + BLOCK) && msgs.length < o.messages; p++) {
      const seq = msgs.length;
      const text = siu({ patient: 5000 + p, appointment: 70_000 + p, trigger, seq, cid: `X${seq}` });
      const mapper = new api.Mapper({ ...profileObj, studio: { flowSid: FLOW_SID, from: FROM } });
      const req = mapper.execution(text).request;
      mapper.free();
      msgs.push({ text, patient: p, params: new URLSearchParams(req.body).get('Parameters') ?? '', acked: false, sends: 0 });
    }
  }
  const keyOf = (/** @type {Record<string, unknown>} */ params) => JSON.stringify(Object.keys(params).sort().map((k) => [k, params[k]]));
  const paramsKey = (/** @type {string} */ json) => keyOf(JSON.parse(json));

  let aborted = false;
  /** @type {any} */
  let store = null;
  try {
    for (let i = 0; i < o.replicas; i++) await start(i);
    const t0 = Date.now();

    // Senders: 4 streams, a patient always on the same stream (and replica), each message sent and
    // its ACK awaited; after a failure the sender reconnects and resends (70%) or gives up (30%).
    const STREAMS = 4;
    const senders = Array.from({ length: STREAMS }, async (_, s) => {
      const replica = s % o.replicas;
      const mine = msgs.filter((m) => m.patient % STREAMS === s);
      /** @type {Awaited<ReturnType<typeof mllpConnect>> | null} */
      let conn = null;
      for (const m of mine) {
        while (!aborted) {
          if (!conn || conn.closed) {
            conn = null;
            try {
              conn = await mllpConnect(ports[replica]);
            } catch {
              await new Promise((r) => setTimeout(r, 50));
              continue;
            }
          }
          m.sends += 1;
          let ack = null;
          try {
            ack = await conn.send(m.text);
          } catch {
            ack = null;
          }
          if (ack !== null) {
            assert.equal(msa(ack).code, 'CA', 'every message of the scenario is accepted');
            m.acked = true;
            // A feed, not a bulk load: kills land while messages are still arriving.
            await new Promise((r) => setTimeout(r, 10));
            break;
          }
          conn.close();
          conn = null;
          if (random() < 0.3) break; // gave up: this message stays unACKed
        }
      }
      conn?.close();
    });
    const sending = Promise.all(senders);

    // The killer: after 0.4–1.4 s of work, wait until the fake holds a create of the victim's for an
    // event that does not keep the execution active (a re-POST would not get a 409 but a second
    // execution), SIGKILL, restart.
    let kills = 0;
    let killedInFlight = 0;
    while (kills < o.kills) {
      await new Promise((r) => setTimeout(r, 400 + random() * 1000));
      const victim = kills % o.replicas;
      // Poll tightly, and kill in the same turn as the check: the create is still held then.
      const victimKey = apiKey(victim);
      const holding = () => [...studio.held].some((h) => h.user === victimKey && h.eventType !== 'BOOKED');
      const end = Date.now() + 30_000;
      while (!holding() && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
      if (!holding()) break;
      killedInFlight += 1;
      procs[victim]?.kill('SIGKILL');
      await exits[victim];
      kills += 1;
      say(`${o.label}: SIGKILL ${kills} (replica ${victim}) at ${Date.now() - t0} ms, ${msgs.filter((m) => m.acked).length} ACKed, ${studio.counts.created} executions`);
      await start(victim);
    }
    await sending;

    // Drain: every committed job finished.
    store = await o.openStore();
    await until(
      async () => {
        const c = await store.counts();
        return c.jobs.every((/** @type {any} */ j) => j.state === 'done' || j.state === 'dead');
      },
      90_000,
      'all jobs to finish',
    );
    for (let i = 0; i < o.replicas; i++) {
      procs[i]?.kill('SIGTERM');
      assert.deepEqual(await exits[i], { code: 0, signal: null }, `replica ${i} stops gracefully`);
    }
    const elapsed = Date.now() - t0;

    // ---- assertions -------------------------------------------------------------------------
    assert.equal(kills, o.kills, 'every planned SIGKILL happened');
    assert.equal(killedInFlight, o.kills, 'each SIGKILL hit an engine with a create in flight');
    /** @type {Map<string, any[]>} */
    const byParams = new Map();
    for (const e of studio.executions) {
      const k = keyOf(e.params);
      byParams.set(k, [...(byParams.get(k) ?? []), e]);
    }
    const dupes = [...byParams.values()].filter((v) => v.length > 1);
    assert.equal(dupes.length, 0, `no event created two executions (${dupes.length} did)`);
    const sent = new Map(msgs.map((m) => [paramsKey(m.params), m]));
    for (const k of byParams.keys()) assert.ok(sent.has(k), 'every execution comes from a message we sent');
    const acked = msgs.filter((m) => m.acked);
    for (const m of acked) assert.equal(byParams.get(paramsKey(m.params))?.length, 1, 'an ACKed message was delivered exactly once');

    const jobs = await store.listJobs({ limit: 100_000 });
    const full = await Promise.all(jobs.map((/** @type {any} */ j) => store.getJob(j.id)));
    const dead = full.filter((j) => j.state === 'dead');
    assert.equal(dead.length, 0, `no dead letters (${dead.map((j) => j.resultCode).join(', ')})`);
    /** @type {Map<string, any>} */
    const jobByParams = new Map();
    for (const j of full) {
      const k = paramsKey(j.payload.parameters);
      assert.ok(!jobByParams.has(k), 'one job per event');
      jobByParams.set(k, j);
      const ex = studio.executions.find((/** @type {any} */ e) => e.sid === j.result?.executionSid);
      assert.ok(ex, `job ${j.id} (${j.resultCode}) claims ${j.result?.executionSid}, which Studio has`);
      assert.equal(keyOf(ex.params), k, `job ${j.id}: the claimed execution carries the job's parameters`);
    }
    for (const m of acked) assert.ok(jobByParams.has(paramsKey(m.params)), 'an ACKed message is in the store');
    const unacked = msgs.filter((m) => !m.acked);
    for (const m of unacked) {
      const k = paramsKey(m.params);
      const n = byParams.get(k)?.length ?? 0;
      assert.equal(n, jobByParams.has(k) ? 1 : 0, 'an unACKed message is delivered once if it was committed, else not at all');
    }
    // Per patient: executions in the order of the patient's jobs.
    /** @type {Map<string, any[]>} */
    const lanes = new Map();
    for (const j of full.sort((a, b) => a.id - b.id)) lanes.set(j.lane, [...(lanes.get(j.lane) ?? []), j]);
    for (const [lane, js] of lanes) {
      const order = js.map((j) => studio.executions.findIndex((/** @type {any} */ e) => e.sid === j.result.executionSid));
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `lane ${lane}: Studio saw the patient's events in job order`);
    }
    const reconciled = full.filter((j) => j.resultCode === 'STUDIO_RECONCILED').length;
    const recovered = logs.filter((l) => l.includes('"JOB_RECOVERED_IN_DOUBT"')).length;
    assert.ok(recovered >= o.kills, `every kill left a job in doubt (${recovered})`);
    assert.ok(reconciled >= 1, 'at least one in-doubt create was found at Studio instead of being sent again');
    const summary = {
      messages: msgs.length,
      acked: acked.length,
      unacked: unacked.length,
      resends: msgs.reduce((a, m) => a + m.sends, 0) - msgs.length,
      jobs: full.length,
      executions: studio.executions.length,
      kills,
      recoveredInDoubt: recovered,
      reconciled,
      conflicts409: studio.counts.conflict,
      ms: elapsed,
      seed,
    };
    say(`${o.label}: ${JSON.stringify(summary)}`);
    return summary;
  } finally {
    aborted = true;
    for (const p of procs) if (p && p.exitCode === null) p.kill('SIGKILL');
    await store?.close();
    await studio.close();
  }
}
