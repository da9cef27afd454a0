// @ts-check
// The REMIND week, shared by engine-remind.test.mjs (engines in this process, a fake clock),
// engine-remind-crash.test.mjs (`serve` processes on SQLite, a clock file, SIGKILLs) and
// engine-remind-pg.test.mjs (two `serve` replicas on Postgres).
//
// A seeded script of HL7 events over 8 days that contain two DST changes (London 25 Oct, New York
// 1 Nov 2026): bookings, reschedules, modifications (new location), confirmations, cancellations,
// no-shows and resent duplicates, for patients of senders in several zones. The test moves the
// clock from stop to stop — every event, every instant a reminder is due, every restart — and at
// each stop waits until the engines are idle, then compares the REMIND executions Studio received
// at that stop with an oracle: the core's planReminders / remindDue / remindExecution applied to an
// in-memory store (what the engine must do durably). Each REMIND must arrive at its stop (the
// planned instant, or the restart for a late one), exactly once, with the snapshot of the latest
// event, and none for a cancelled or past appointment.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, rng, spawnServe } from './engine-crash-scenario.mjs';
import { FLOW_SID, FROM, SAMPLE_PROFILE, apiKey, engineModules, mllpConnect, msa } from './engine-fakes.mjs';
import { ROOT } from './helpers.mjs';

const SAMPLE = fs.readFileSync(path.join(ROOT, 'samples', 'siu_s12_booked.hl7'), 'utf8');

/** Saturday 24 Oct 2026 20:00 UTC; the week ends 8 days later. */
export const SIM_START = Date.UTC(2026, 9, 24, 20, 0, 0);
export const SIM_END = SIM_START + 8 * 86_400_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The senders: one zone each (an HL7 sender's zone is its profile's `sender.timeZone`). */
export const ZONES = [
  {
    timeZone: 'America/New_York',
    reminders: { offsets: ['1d@18:00', '2h'], window: { start: '09:00', end: '19:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] }, outsideWindow: 'earlier', minNotice: '1h', minSpacing: '1h', lateGrace: '1h' },
  },
  {
    timeZone: 'Europe/London',
    reminders: { offsets: ['48h', '3h'], window: { start: '08:00', end: '20:00' }, outsideWindow: 'later', minNotice: '2h', minSpacing: '1h', lateGrace: '2h', onConfirmed: 'cancel' },
  },
  {
    timeZone: 'Asia/Kolkata',
    reminders: { offsets: ['1d@10:00', '90m'], window: { start: '08:00', end: '21:00' }, outsideWindow: 'drop', minNotice: '1h', minSpacing: '2h', lateGrace: '30m' },
  },
];

/** The profile of zone `z` against a Studio at `baseUrl`. @param {number} z @param {string} [baseUrl] */
export function zoneProfile(z, baseUrl) {
  return {
    ...SAMPLE_PROFILE,
    sender: { ...SAMPLE_PROFILE.sender, timeZone: ZONES[z].timeZone },
    studio: { flowSid: FLOW_SID, from: FROM, ...(baseUrl ? { baseUrl } : {}) },
    reminders: ZONES[z].reminders,
  };
}

/** Wall-clock fields of instant `t` in `timeZone`. @param {number} t @param {string} timeZone */
function wall(t, timeZone) {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(t));
  /** @type {Record<string, number>} */
  const f = {};
  for (const p of parts) if (p.type !== 'literal') f[p.type] = Number(p.value);
  return { y: f.year, mo: f.month, d: f.day, h: f.hour, mi: f.minute, s: f.second };
}

/** `YYYYMMDDHHMMSS` of wall fields. @param {{ y: number, mo: number, d: number, h: number, mi: number, s?: number }} w */
const hl7ts = (w) => [w.y, w.mo, w.d, w.h, w.mi, w.s ?? 0].map((v, i) => String(v).padStart(i === 0 ? 4 : 2, '0')).join('');

/** The instant of a wall time in a zone (the earlier one in an overlap; gaps move forward). @param {{ y: number, mo: number, d: number, h: number, mi: number }} w @param {string} timeZone */
function instantOf(w, timeZone) {
  const naive = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi);
  const offsetAt = (/** @type {number} */ t) => {
    const v = wall(t, timeZone);
    return Date.UTC(v.y, v.mo - 1, v.d, v.h, v.mi, v.s) - Math.floor(t / 1000) * 1000;
  };
  let t = naive - offsetAt(naive);
  t = naive - offsetAt(t);
  return t;
}

/**
 * A SIU of the bundled sample with other ids, phone, trigger, start, event time and location;
 * `confirmed` puts "Confirmed" in SCH-25 (an S14 then maps to CONFIRMED).
 * @param {{ patient: number, appointment: number, trigger: string, start: string, eventTs: string, location: string, cid: string, confirmed?: boolean }} o
 */
export function remindSiu(o) {
  const phone = `${String(5550000 + o.patient).padStart(7, '0')}`;
  const start = o.start;
  const endMin = Number(start.slice(10, 12)) + 20;
  const end = `${start.slice(0, 8)}${String(Number(start.slice(8, 10)) + Math.floor(endMin / 60)).padStart(2, '0')}${String(endMin % 60).padStart(2, '0')}00`;
  return SAMPLE.replaceAll('20261215101500', `${start}00`)
    .replace('20261215103500', end)
    .replace('20261202091512', o.eventTs)
    .replace('SIU^S12^SIU_S12', `SIU^${o.trigger}^SIU_${o.trigger}`)
    .replace('OWL-000184223', o.cid)
    .replace('APT-104776^OWLHEALTH', `APT-${o.appointment}^OWLHEALTH`)
    .replace('880124^^^OWLHEALTH^MR', `P${o.patient}^^^OWLHEALTH^MR`)
    .replace('^PRN^CP^^1^971^5550123', `^PRN^CP^^1^971^${phone}`)
    .replaceAll('Owl Health Cardiology, 2nd floor', o.location)
    .replace('|||||Booked', o.confirmed ? '|||||Booked|||Confirmed' : '|||||Booked');
}

/**
 * @typedef {{ t: number, zone: number, patient: number, kind: string, text: string }} SimEvent
 * @typedef {{ zone: number, from: number, to: number }} Downtime
 */

/**
 * The week's events (sorted by time; every event at second 7 of a minute, so never at the instant
 * a reminder is due, which are whole minutes).
 * @param {{ seed: number, zones: number[], patientsPerZone: number, downtime?: Downtime[] }} o
 * @returns {SimEvent[]}
 */
export function weekScript(o) {
  const random = rng(o.seed);
  const pick = (/** @type {number} */ a, /** @type {number} */ b) => a + Math.floor(random() * (b - a + 1));
  const at7 = (/** @type {number} */ t) => Math.floor(t / MIN) * MIN + 7000;
  /** @type {SimEvent[]} */
  const events = [];
  let cid = 0;
  for (const z of o.zones) {
    const tz = ZONES[z].timeZone;
    for (let i = 0; i < o.patientsPerZone; i++) {
      const patient = 100 * (z + 1) + i;
      let appointment = 10_000 * (z + 1) + 10 * i;
      /** A start 0–3 local days after `t`, 08:00–17:45 on a 15-minute grid, at least 40 min after `t`. @param {number} t */
      const startAfter = (t) => {
        for (;;) {
          const w = wall(t + pick(0, 3) * DAY, tz);
          const s = { y: w.y, mo: w.mo, d: w.d, h: pick(8, 17), mi: 15 * pick(0, 3) };
          const ms = instantOf(s, tz);
          if (ms > t + 40 * MIN) return { s, ms };
        }
      };
      const tBook = at7(SIM_START + random() * 4.5 * DAY);
      let { s: start, ms: startMs } = startAfter(tBook);
      let location = `Clinic ${patient}, room 1`;
      /** @param {number} t @param {string} kind @param {string} trigger @param {boolean} [confirmed] */
      const push = (t, kind, trigger, confirmed = false) => {
        const eventTs = hl7ts(wall(t, tz));
        const text = remindSiu({ patient, appointment, trigger, start: hl7ts(start).slice(0, 12), eventTs, location, cid: `R${z}-${++cid}`, confirmed });
        events.push({ t, zone: z, patient, kind, text });
        return text;
      };
      const booked = push(tBook, 'BOOKED', 'S12');
      let t = tBook;
      const r = random();
      /** A time between `t` and the start (at least `margin` before it), or null. @param {number} margin */
      const before = (margin) => (startMs - margin > t + MIN ? at7(t + random() * (startMs - margin - t)) : null);
      if (r < 0.08) {
        // The interface engine resends the booking (a duplicate: same message, same key).
        const tDup = before(30 * MIN);
        if (tDup !== null) events.push({ t: tDup, zone: z, patient, kind: 'DUPLICATE', text: booked });
      } else if (r < 0.3) {
        const tRe = before(60 * MIN);
        if (tRe !== null) {
          t = tRe;
          ({ s: start, ms: startMs } = startAfter(t));
          push(t, 'RESCHEDULED', 'S13');
          if (random() < 0.3) {
            const tc = before(10 * MIN);
            if (tc !== null) push((t = tc), 'CANCELED', 'S15');
          }
        }
      } else if (r < 0.45) {
        const tm = before(20 * MIN);
        if (tm !== null) {
          location = `Clinic ${patient}, room ${pick(2, 9)}`;
          push((t = tm), 'MODIFIED', 'S14');
        }
      } else if (r < 0.58) {
        const tc = before(20 * MIN);
        if (tc !== null) push((t = tc), 'CONFIRMED', 'S14', true);
      } else if (r < 0.72) {
        const tc = before(5 * MIN);
        if (tc !== null) push((t = tc), 'CANCELED', 'S15');
      } else if (r < 0.82) {
        push(at7(startMs + pick(20, 90) * MIN), 'NOSHOWED', 'S26');
      }
      // A second appointment for some patients (another key, the same phone: the same lane).
      if (random() < 0.25) {
        appointment += 1;
        location = `Clinic ${patient}, room 1`;
        const t2 = at7(tBook + random() * 2 * DAY);
        ({ s: start, ms: startMs } = startAfter(t2));
        push(t2, 'BOOKED', 'S12');
      }
    }
  }
  const down = o.downtime ?? [];
  return events
    .filter((e) => e.t < SIM_END && !down.some((d) => d.zone === e.zone && e.t >= d.from - MIN && e.t <= d.to + MIN))
    .sort((a, b) => a.t - b.t || a.zone - b.zone);
}

/** Canonical text of a parameters object (sorted keys). @param {Record<string, unknown>} p */
export const canon = (p) => JSON.stringify(Object.keys(p).sort().map((k) => [k, p[k]]));

/**
 * The oracle: the core's planner and due rule over an in-memory store of one sender's reminders.
 * @param {any} api @param {any} mapper
 */
function oracle(api, mapper) {
  /** @type {Map<string, { status: string, stored: any, key: string, code?: string }>} */
  const rows = new Map();
  return {
    rows,
    /** @param {string} text @param {number} t */
    event(text, t) {
      const result = mapper.map(text, { kind: 'hl7' });
      const first = mapper.planReminders(result, t, []);
      if (first.unchanged || !first.appointmentKey) return first;
      const existing = [...rows.entries()]
        .filter(([, r]) => r.key === first.appointmentKey)
        .map(([id, r]) => ({ id, status: r.status, ...(r.stored?.appointmentStartMs !== undefined ? { appointmentStartMs: r.stored.appointmentStartMs } : {}) }));
      const plan = mapper.planReminders(result, t, existing);
      if (plan.unchanged) return plan;
      for (const p of plan.reminders) {
        const row = rows.get(p.id);
        if (p.action === 'create' || p.action === 'update') {
          if (!row || row.status !== 'sent') rows.set(p.id, { status: 'pending', stored: p, key: plan.appointmentKey });
        } else if (p.action === 'cancel' && row?.status === 'pending') rows.set(p.id, { ...row, status: 'canceled', code: p.code });
        else if (p.action === 'skip' && !row) rows.set(p.id, { status: 'skipped', stored: null, key: plan.appointmentKey, code: p.code });
      }
      return plan;
    },
    /** The earliest pending due instant after `t`. @param {number} t */
    nextDue(t) {
      let next = Infinity;
      for (const r of rows.values()) if (r.status === 'pending' && r.stored.dueAtMs > t && r.stored.dueAtMs < next) next = r.stored.dueAtMs;
      return next;
    },
    /** Settle what is due at `t`: the REMIND parameters expected now, and the skips. @param {number} t */
    due(t) {
      /** @type {{ id: string, params: Record<string, string>, late: boolean, startMs: number }[]} */
      const sends = [];
      /** @type {string[]} */
      const skips = [];
      const due = [...rows.entries()].filter(([, r]) => r.status === 'pending' && r.stored.dueAtMs <= t).sort((a, b) => a[1].stored.dueAtMs - b[1].stored.dueAtMs || (a[0] < b[0] ? -1 : 1));
      for (const [id, r] of due) {
        const d = api.remindDue(r.stored, t);
        if (d.action === 'send') {
          const params = JSON.parse(mapper.remindExecution(r.stored, undefined, t).request.form.Parameters);
          sends.push({ id, params, late: t > r.stored.dueAtMs, startMs: r.stored.appointmentStartMs });
          rows.set(id, { ...r, status: 'sent' });
        } else if (d.action === 'skip') {
          skips.push(d.code);
          rows.set(id, { ...r, status: 'skipped', code: d.code });
        }
      }
      return { sends, skips };
    },
  };
}

/**
 * @typedef {{
 *   setClock(t: number): Promise<void>,
 *   send(zone: number, text: string): Promise<void>,
 *   idle(zone: number, t: number): Promise<boolean>,
 *   down?(zone: number): Promise<void>,
 *   up?(zone: number): Promise<void>,
 *   atStop?(stop: { t: number, expected: number }): Promise<void>,
 * }} Harness
 */

/**
 * Drive the week through a harness and assert, stop by stop, what Studio received.
 * @param {{
 *   api: any, studio: { executions: { params: Record<string, string>, to: string }[] }, harness: Harness,
 *   zones: number[], events: SimEvent[], downtime?: Downtime[], tickMs?: number, idleTimeoutMs?: number,
 *   log?: (line: string) => void,
 * }} o
 */
export async function runWeek(o) {
  const { api, studio, harness: h } = o;
  const mappers = new Map(o.zones.map((z) => [z, new api.Mapper(zoneProfile(z))]));
  const models = new Map(o.zones.map((z) => [z, oracle(api, mappers.get(z))]));
  const down = o.downtime ?? [];
  const isDown = (/** @type {number} */ z, /** @type {number} */ t) => down.some((d) => d.zone === z && t >= d.from && t < d.to);
  let seen = 0;
  let t = SIM_START;
  let i = 0;
  const summary = { stops: 0, events: 0, reminders: 0, late: 0, skipped: /** @type {Record<string, number>} */ ({}), planned: 0, canceled: 0, executions: 0 };
  /** Every REMIND sent, by reminder id (exactly once). @type {Map<string, number>} */
  const sentAt = new Map();
  /** Appointments (patient+id) cancelled or no-showed, and when. @type {Map<string, number>} */
  const ended = new Map();
  try {
    for (;;) {
      // The next stop: an event, a reminder due in an engine that is up, a downtime edge.
      let next = i < o.events.length ? o.events[i].t : Infinity;
      for (const [z, m] of models) if (!isDown(z, t)) next = Math.min(next, m.nextDue(t));
      for (const d of down) for (const edge of [d.from, d.to]) if (edge > t) next = Math.min(next, edge);
      if (!Number.isFinite(next) || next >= SIM_END) break;
      t = next;
      summary.stops += 1;
      for (const d of down) if (d.from === t) await h.down?.(d.zone);
      await h.setClock(t);
      for (const d of down) if (d.to === t) await h.up?.(d.zone);
      /** @type {string[]} */
      const expected = [];
      for (const [z, m] of models) {
        if (isDown(z, t)) continue;
        const { sends, skips } = m.due(t);
        for (const s of sends) {
          assert.ok(!sentAt.has(s.id), `reminder ${s.id} is due twice`);
          sentAt.set(s.id, t);
          expected.push(canon(s.params));
          if (s.late) summary.late += 1;
          assert.ok(t < s.startMs, 'the oracle sends nothing at or after the start');
        }
        for (const c of skips) summary.skipped[c] = (summary.skipped[c] ?? 0) + 1;
      }
      while (i < o.events.length && o.events[i].t === t) {
        const e = o.events[i++];
        await h.send(e.zone, e.text);
        models.get(e.zone)?.event(e.text, t);
        summary.events += 1;
        if (e.kind === 'CANCELED' || e.kind === 'NOSHOWED') {
          const ev = mappers.get(e.zone).map(e.text, { kind: 'hl7' }).event;
          ended.set(`${ev.patient_id}|${ev.appointment_id}`, t);
        }
      }
      await h.atStop?.({ t, expected: expected.length });
      const live = o.zones.filter((z) => !isDown(z, t));
      const deadline = Date.now() + (o.idleTimeoutMs ?? 30_000);
      for (;;) {
        const idle = await Promise.all(live.map((z) => h.idle(z, t)));
        if (idle.every(Boolean)) break;
        if (Date.now() > deadline) throw new Error(`stop ${new Date(t).toISOString()}: the engines did not settle`);
        await new Promise((r) => setTimeout(r, 15));
      }
      const fresh = studio.executions.slice(seen);
      seen = studio.executions.length;
      const got = fresh.filter((e) => e.params.event_type === 'REMIND').map((e) => canon(e.params));
      assert.deepEqual(got.slice().sort(), expected.slice().sort(), `stop ${new Date(t).toISOString()}: the REMIND executions Studio received (the planned instant, once, the latest snapshot)`);
      summary.reminders += got.length;
    }
    summary.executions = studio.executions.length;
    for (const m of models.values()) {
      for (const r of m.rows.values()) {
        if (r.status === 'canceled') summary.canceled += 1;
        if (r.stored) summary.planned += 1;
      }
    }
    // No REMIND after the appointment was cancelled or missed (Studio's own record).
    for (const e of studio.executions.filter((x) => x.params.event_type === 'REMIND')) {
      const end = ended.get(`${e.params.patient_id}|${e.params.appointment_id}`);
      assert.ok(end === undefined || Date.parse(e.params.event_datetime_utc) < end, 'no REMIND after a cancellation or no-show');
    }
    return { ...summary, sentAt };
  } finally {
    for (const m of mappers.values()) m.free();
  }
}

/** What every week run must have covered (else the script proves less than it claims). @param {Awaited<ReturnType<typeof runWeek>>} s @param {{ late?: boolean }} [o] */
export function assertCoverage(s, o = {}) {
  assert.ok(s.reminders >= 20, `REMINDs sent (${s.reminders})`);
  assert.ok(s.canceled >= 3, `reminders cancelled (${s.canceled})`);
  assert.ok(Object.keys(s.skipped).length >= 1 || !o.late, `reminders skipped when due (${JSON.stringify(s.skipped)})`);
  if (o.late) assert.ok(s.late >= 1, `late reminders sent after a downtime (${s.late})`);
}

/**
 * `serve` processes (the CLI from the tarball) as the harness: one or more replicas per zone, each
 * on its store, all reading the clock from one file; events go over MLLP (round robin over the
 * zone's replicas, each ACK awaited; a failed send is resent, like an interface engine). With
 * `kills`, at stops where REMINDs are due, a replica is SIGKILLed while the fake Studio holds one
 * of its REMIND creates, and restarted. A downtime is a SIGKILL at its start and a restart at its
 * end. `stop()` ends every process it started (by pid). `logs`: each line prefixed with its replica.
 * @param {{
 *   tmp: string, studio: Awaited<ReturnType<typeof import('./engine-fakes.mjs').startFakeStudio>>,
 *   replicas: { zone: number, store: string }[], openStore: (zone: number) => Promise<any>,
 *   kills: number, seed: number, log?: (line: string) => void,
 * }} o
 */
export async function processHarness(o) {
  const { dir } = engineModules();
  const cli = path.join(dir, 'node_modules', 'ehr-studio-bridge', 'dist', 'cli.cjs');
  const random = rng(o.seed ^ 0x5eed);
  const say = o.log ?? (() => {});
  const clockFile = path.join(o.tmp, 'clock');
  fs.writeFileSync(clockFile, String(SIM_START));
  const zones = [...new Set(o.replicas.map((r) => r.zone))];
  const profiles = new Map(zones.map((z) => {
    const f = path.join(o.tmp, `profile-${z}.json`);
    fs.writeFileSync(f, JSON.stringify(zoneProfile(z, o.studio.baseUrl)));
    return [z, f];
  }));
  const stores = new Map();
  for (const z of zones) stores.set(z, await o.openStore(z));
  const ports = await Promise.all(o.replicas.map(() => freePort()));
  /** @type {(import('node:child_process').ChildProcess | null)[]} */
  const procs = o.replicas.map(() => null);
  /** @type {Promise<unknown>[]} */
  const exits = o.replicas.map(() => Promise.resolve());
  /** @type {(Awaited<ReturnType<typeof mllpConnect>> | null)[]} */
  const conns = o.replicas.map(() => null);
  /** @type {string[]} */
  const logs = [];
  const rr = new Map(zones.map((z) => [z, 0]));
  let kills = 0;

  /** @param {number} i */
  async function start(i) {
    const r = o.replicas[i];
    const args = [
      cli, 'serve', '--profile', /** @type {string} */ (profiles.get(r.zone)), '--store', r.store, '--mllp-port', String(ports[i]), '--http-port', 'off',
      '--host', '127.0.0.1', '--rate', '500', '--concurrency', '8', '--conflict-wait-ms', '40', '--backoff-base-ms', '40', '--poll-ms', '20',
      '--heartbeat-ms', '200', '--dead-after-ms', '1500', '--twilio-timeout-ms', '2000', '--reconcile-after-ms', '2500',
      '--clock-file', clockFile, '--remind-tick-ms', '3600000', '--log-level', 'info',
    ];
    const sp = await spawnServe(args, i, (l) => logs.push(`${i} ${l}`));
    procs[i] = sp.proc;
    exits[i] = sp.exit;
  }

  /** SIGKILL replica `i` (a process this harness started, by its pid) and wait for its exit. @param {number} i */
  async function kill(i) {
    conns[i]?.close();
    conns[i] = null;
    procs[i]?.kill('SIGKILL');
    await exits[i];
    procs[i] = null;
  }

  for (let i = 0; i < o.replicas.length; i++) await start(i);

  /** @type {Harness} */
  const harness = {
    async setClock(t) {
      const next = `${clockFile}.next`;
      fs.writeFileSync(next, String(t));
      fs.renameSync(next, clockFile);
    },
    async send(zone, text) {
      const mine = o.replicas.map((r, i) => (r.zone === zone ? i : -1)).filter((i) => i >= 0);
      const k = /** @type {number} */ (rr.get(zone));
      rr.set(zone, k + 1);
      const i = mine[k % mine.length];
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          if (!conns[i] || conns[i]?.closed) conns[i] = await mllpConnect(ports[i]);
          const ack = await conns[i]?.send(text);
          if (ack) {
            assert.equal(msa(ack).code, 'CA', 'the event is accepted');
            return;
          }
        } catch {
          // not listening (restarting) or no ACK: resend
        }
        conns[i]?.close();
        conns[i] = null;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('an event could not be delivered to its engine');
    },
    async idle(zone, t) {
      const s = stores.get(zone);
      const next = await s.nextReminderDue();
      if (next !== null && next <= t) return false;
      const c = await s.counts();
      return c.jobs.every((/** @type {any} */ j) => j.state === 'done' || j.state === 'dead');
    },
    async down(zone) {
      for (let i = 0; i < o.replicas.length; i++) if (o.replicas[i].zone === zone) await kill(i);
      say(`down: zone ${zone} SIGKILLed (stays down until the downtime ends)`);
    },
    async up(zone) {
      for (let i = 0; i < o.replicas.length; i++) if (o.replicas[i].zone === zone) await start(i);
    },
    async atStop(stop) {
      if (kills >= o.kills || stop.expected === 0 || random() < 0.5) return;
      // Kill the replica whose REMIND create the fake holds right now (the kill lands in flight).
      const users = o.replicas.map((_, i) => apiKey(i));
      const holder = () => [...o.studio.held].find((h) => h.eventType === 'REMIND' && users.includes(h.user));
      const end = Date.now() + 5000;
      while (!holder() && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
      const h = holder();
      if (!h) return;
      const i = users.indexOf(h.user);
      await kill(i);
      kills += 1;
      say(`SIGKILL ${kills}: replica ${i} with a REMIND create in flight at ${new Date(stop.t).toISOString()}`);
      await start(i);
    },
  };
  return {
    harness,
    logs,
    get kills() {
      return kills;
    },
    /** Stop every process (SIGTERM, graceful; SIGKILL if it does not exit) and close the stores. */
    async stop() {
      for (const c of conns) c?.close();
      for (let i = 0; i < procs.length; i++) {
        const p = procs[i];
        if (!p || p.exitCode !== null) continue;
        p.kill('SIGTERM');
        const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
        await exits[i];
        clearTimeout(t);
      }
      for (const s of stores.values()) await s.close();
    },
  };
}
