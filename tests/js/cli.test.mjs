// @ts-check
// The CLI as installed from the tarball (`npx ehr-studio-bridge …` / node_modules/.bin).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { consumer, ROOT } from './helpers.mjs';

const fixture = (/** @type {string} */ f) => path.join(ROOT, 'tests', 'fixtures', f);

/** @param {string[]} args @param {string} [stdin] */
function cli(args, stdin) {
  const { dir } = consumer();
  const bin = path.join(dir, 'node_modules', '.bin', 'ehr-studio-bridge');
  return spawnSync(bin, args, { cwd: dir, encoding: 'utf8', input: stdin, timeout: 30_000 });
}

test('cli query prints decoded values by path', () => {
  const r = cli(['query', fixture('perf/siu_s12_small.hl7'), 'PID-5.1', 'AIL-3.1', 'ZZZ-1']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { 'PID-5.1': 'DOE', 'AIL-3.1': 'Cardiology & Vascular Clinic', 'ZZZ-1': null });
});

test('cli parse reads bytes (Latin-1 per MSH-18) and stdin', () => {
  const r = cli(['parse', fixture('corpus/synthetic/syn_siu_s14_latin1_bytes.hl7')]);
  assert.equal(r.status, 0, r.stderr);
  const t = JSON.parse(r.stdout);
  assert.equal(t.charset, 'ISO-8859-1');
  const s = cli(['parse', '-'], 'MSH|^~\\&|A\rPID|1\r');
  assert.equal(s.status, 0, s.stderr);
  assert.deepEqual(JSON.parse(s.stdout).segments.map((/** @type {any} */ x) => x.name), ['MSH', 'PID']);
});

test('cli ack prints the acknowledgement', () => {
  const r = cli(['ack', fixture('corpus/athena_siu_s12_405.hl7'), 'reject']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^MSH\|\^~\\&\|.*\|ACK\^S12\|/);
  assert.equal(lines[1], 'MSA|AR|405');
});

test('cli: coded errors exit 1 with JSON on stderr, bad usage exits 2', () => {
  const r = cli(['parse', '-'], 'PID|1|SECRET');
  assert.equal(r.status, 1);
  const err = JSON.parse(r.stderr).error;
  assert.equal(err.code, 'HL7_NO_MSH');
  assert.ok(!r.stderr.includes('SECRET'), 'no input values in errors');
  assert.equal(cli(['frobnicate', 'x']).status, 2);
  assert.equal(cli(['query', fixture('perf/siu_s12_small.hl7')]).status, 2);
});

const SAMPLES = path.join(ROOT, 'samples');

test('cli map: dry run prints the values with their sources, the request and curl', () => {
  const r = cli(['map', path.join(SAMPLES, 'siu_s12_booked.hl7'), '--profile', path.join(SAMPLES, 'profile.json')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^BOOKED: Studio execution/);
  assert.match(r.stdout, /appointment_datetime\s+"2026-12-15T10:15:00"\s+<- TQ1-7/);
  assert.match(r.stdout, /POST https:\/\/studio\.twilio\.com\/v2\/Flows\/FW0{32}\/Executions/);
  assert.match(r.stdout, /curl -X POST/);
  const j = cli(['map', path.join(SAMPLES, 'siu_s12_booked.hl7'), '--profile', path.join(SAMPLES, 'profile.json'), '--json']);
  const out = JSON.parse(j.stdout);
  assert.equal(out.result.event.patient_phone, '+19715550123');
  assert.equal(new URLSearchParams(out.request.body).get('To'), '+19715550123');
});

test('cli map: a skip is reported with its code and exit 0', () => {
  const r = cli(['map', '-', '--preset', 'generic'], 'MSH|^~\\&|A|B|C|D|20250101||ADT^A08|1|P|2.5.1\rPID|1\r');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^SKIP SKIP_NOT_SCHEDULING_EVENT: /);
});

test('cli reply: SRM^S04 for the sample cancel body', () => {
  const r = cli(['reply', path.join(SAMPLES, 'reply_cancel.json'), '--profile', path.join(SAMPLES, 'profile.json')]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /\|SRM\^S04\^SRM_S01\|/);
  assert.match(lines[1], /^ARQ\|APT-104776\|APT-104776\|/);
  assert.ok(lines.includes('PID|1||880124^^^^MR'), r.stdout);
});

test('cli map --send: creates the execution through twilio-node (fake Studio server), 409 exits 3', async () => {
  /** @type {{ method?: string, url?: string, auth?: string, body: string }[]} */
  const seen = [];
  let answer = 201;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      const fixture = answer === 201 ? 'studio-execution-create-201.json' : 'studio-execution-409-conflict.json';
      const doc = JSON.parse(fs.readFileSync(fixture_(fixture), 'utf8'));
      res.writeHead(answer, { 'content-type': 'application/json' });
      res.end(JSON.stringify(doc.response_body ?? doc.body ?? doc));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-send-'));
  const profile = JSON.parse(fs.readFileSync(path.join(SAMPLES, 'profile.json'), 'utf8'));
  profile.studio.baseUrl = `http://127.0.0.1:${port}`;
  fs.writeFileSync(path.join(dir, 'p.json'), JSON.stringify(profile));
  const env = {
    ...process.env,
    NODE_PATH: path.join(ROOT, 'node_modules'),
    TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000',
    TWILIO_AUTH_TOKEN: 'token-for-tests',
  };
  const run = () =>
    new Promise((resolve) => {
      const bin = path.join(consumer().dir, 'node_modules', '.bin', 'ehr-studio-bridge');
      const p = spawn(bin, ['map', path.join(SAMPLES, 'siu_s12_booked.hl7'), '--profile', path.join(dir, 'p.json'), '--send'], { env });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      p.on('close', (code) => resolve({ code, out, err }));
    });
  try {
    const ok = /** @type {any} */ (await run());
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /created execution FN[0-9a-f]{32}/);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].method, 'POST');
    assert.equal(seen[0].url, '/v2/Flows/FW00000000000000000000000000000000/Executions');
    assert.equal(seen[0].auth, `Basic ${Buffer.from('AC00000000000000000000000000000000:token-for-tests').toString('base64')}`);
    const form = new URLSearchParams(seen[0].body);
    assert.equal(form.get('To'), '+19715550123');
    assert.equal(form.get('From'), '+15035550100');
    assert.equal(JSON.parse(form.get('Parameters') ?? '{}').appointment_id, 'APT-104776');
    answer = 409;
    const conflict = /** @type {any} */ (await run());
    assert.equal(conflict.code, 3);
    assert.match(conflict.err, /conflictingExecutionSid":"FN[0-9a-f]{32}"/);
  } finally {
    server.close();
  }
});

/** @param {string} f */
function fixture_(f) {
  return path.join(ROOT, 'tests', 'fixtures', 'twilio', f);
}

test('cli reminders: the plan in local and UTC time, moves and codes; --json; --now in the past', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-cli-remind-'));
  try {
    const profile = JSON.parse(fs.readFileSync(path.join(SAMPLES, 'profile.json'), 'utf8'));
    profile.reminders = {
      offsets: ['48h', '1d@18:00'],
      window: { start: '09:00', end: '19:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
    };
    const p = path.join(dir, 'profile.json');
    fs.writeFileSync(p, JSON.stringify(profile));
    const siu = path.join(SAMPLES, 'siu_s12_booked.hl7');
    const r = cli(['reminders', siu, '--profile', p, '--now', '2026-12-02T17:15:00Z']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'BOOKED: appointment 2026-12-15T10:15:00 -0800 (America/Los_Angeles) = 2026-12-15T18:15:00Z');
    assert.match(lines[1], /^appointment key ak1-[0-9a-f]{32}$/);
    assert.match(lines[2], /^ {2}offset +action +local \(America\/Los_Angeles\) +UTC +code \/ note$/);
    // 48 h before Tuesday 10:15 is a Sunday (no Sundays): Saturday 19:00. The day before at 18:00 is in the window.
    assert.match(lines[3], /^ {2}48h +create +2026-12-12 19:00 -0800 Sat +2026-12-13T03:00:00Z +moved earlier; not after 2026-12-13T03:00:00Z \(window\)$/);
    assert.match(lines[4], /^ {2}1d@18:00 +create +2026-12-14 18:00 -0800 Mon +2026-12-15T02:00:00Z +not after 2026-12-15T03:00:00Z \(window\)$/);
    assert.equal(lines.length, 5);
    const j = cli(['reminders', siu, '--profile', p, '--now', '2026-12-02T17:15:00Z', '--json']);
    assert.equal(j.status, 0, j.stderr);
    const plan = JSON.parse(j.stdout);
    assert.deepEqual(plan.reminders.map((/** @type {any} */ x) => [x.offset, x.action, x.dueAt]), [
      ['48h', 'create', '2026-12-13T03:00:00Z'],
      ['1d@18:00', 'create', '2026-12-15T02:00:00Z'],
    ]);
    const existing = path.join(dir, 'existing.json');
    fs.writeFileSync(existing, JSON.stringify(plan.reminders.map((/** @type {any} */ x) => ({ id: x.id, status: 'pending' }))));
    const past = cli(['reminders', siu, '--profile', p, '--now', '2026-12-16T00:00:00Z', '--existing', existing]);
    assert.equal(past.status, 0, past.stderr);
    assert.match(past.stdout, /\nplan: REMIND_APPOINTMENT_PAST \(the appointment starts before now\)\n/);
    assert.equal((past.stdout.match(/ cancel +REMIND_APPOINTMENT_PAST/g) ?? []).length, 2);
    assert.equal(cli(['reminders', siu, '--profile', p, '--now', 'tomorrow']).status, 2);
    assert.equal(cli(['reminders', siu]).status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
