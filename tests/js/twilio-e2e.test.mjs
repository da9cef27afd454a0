// @ts-check
// End to end in Twilio's own local runtime: the example service (examples/twilio-service) with the
// packed package, started with `twilio-run start` (root devDependency) under whichever Node runs
// this file (scripts/test.sh: Node 20, 22 and 24; twilio-run forks each invocation with the same
// binary). twilio-node inside the Functions talks to a local fake Studio/EHR server
// (tests/js/twilio-fakes.mjs) through `profile.studio.baseUrl`; every request it records is
// asserted exactly against what the package itself builds in-process for the same input.
//
// Run 1 (package from node_modules, profile as a private asset, replies → SRM over HTTP):
//   corpus SIU + the bundled sample (JSON / form / base64), FHIR + Redox + Table B JSON, bad input,
//   auth, Twilio 409 / 429 / 500 / 503, signed replies (valid, wrong token, tampered body, no
//   signature, no bodySHA256, other flow), EHR rejection, and PHI-free logs.
// Run 2 (.wasm as a private asset, removed from node_modules; profile inline in the environment;
//   EHR_BRIDGE_ON_CONFLICT=end-and-retry; replies → FHIR read-then-write).
// Run 3 (reminders in the fake's Sync API: /ehr-event plans them, parallel /remind-due calls send
//   each exactly once when it comes due, with the stored snapshot as REMIND).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, consumer } from './helpers.mjs';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  CONFLICT_409,
  ERROR_500,
  ETAG,
  FHIR_TOKEN,
  FLOW_SID,
  FROM,
  HL7_AUTH,
  RATE_LIMITED_429,
  SYNC_SERVICE_SID,
  UNAVAILABLE_503,
  freePort,
  startFake,
} from './twilio-fakes.mjs';

const node = `Node ${process.versions.node}`;
const EXAMPLE = path.join(ROOT, 'examples', 'twilio-service');
const TWILIO_RUN = path.join(ROOT, 'node_modules', 'twilio-run', 'bin', 'twilio-run.js');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures');
const EVENT_TOKEN = 'e2e-event-token-7f3a9c';
const BASIC = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;

const { dir: consumerDir } = consumer();
const consumerRequire = createRequire(path.join(consumerDir, 'package.json'));
/** The package as installed from the packed tarball: the oracle for every expected request. */
const api = consumerRequire('ehr-studio-bridge');
/** twilio-node (root devDependency): computes Studio's signatures independently of the package. */
const twilio = createRequire(import.meta.url)('twilio');

const SAMPLE_PROFILE = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples', 'profile.json'), 'utf8'));
const SAMPLE_SIU = fs.readFileSync(path.join(ROOT, 'samples', 'siu_s12_booked.hl7'));
const WIDGETS = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'twilio', 'ie-endpoint-requests.json'), 'utf8')).widgets;

/** HTTP status the adapter documents for a coded error (docs/twilio-functions.md). @param {string} code */
function documentedStatus(code) {
  if (code === 'UNKNOWN_INPUT_KIND' || code === 'UNSUPPORTED_CONTENT_TYPE') return 415;
  if (code === 'INPUT_TOO_LARGE') return 413;
  if (/^(MAP|FHIR|REDOX|STUDIO)_/.test(code)) return 422;
  return 400;
}

/**
 * What the event Function must answer for `input`, computed in-process with the same profile.
 * @param {any} mapper @param {string | Uint8Array} input
 */
function expectEvent(mapper, input) {
  try {
    const { result, request } = mapper.studioRequest(input);
    if (!request) return { status: 200, skip: result.skip.code, request: null, result };
    return { status: 201, skip: null, request, result };
  } catch (e) {
    const code = /** @type {any} */ (e).code;
    return { status: documentedStatus(code), code, request: null, result: null };
  }
}

/** A copy of the example service wired to the installed package. @param {{ env: Record<string, string>, profileAsset?: object, wasmAsset?: boolean }} o */
function makeService({ env, profileAsset, wasmAsset }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-twilio-svc-'));
  fs.cpSync(EXAMPLE, dir, {
    recursive: true,
    filter: (src) => !/[\\/](node_modules|\.env)$/.test(src) && !src.endsWith('.wasm'),
  });
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(nm, '@twilio'), { recursive: true });
  // The package exactly as npm installed it from the packed tarball (tests/js/prepare.mjs)…
  fs.cpSync(path.join(consumerDir, 'node_modules', 'ehr-studio-bridge'), path.join(nm, 'ehr-studio-bridge'), { recursive: true });
  // …and the service's other dependencies from the root devDependencies (locked versions, offline).
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'twilio'), path.join(nm, 'twilio'), 'dir');
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@twilio', 'runtime-handler'), path.join(nm, '@twilio', 'runtime-handler'), 'dir');
  if (profileAsset) fs.writeFileSync(path.join(dir, 'assets', 'profile.private.json'), JSON.stringify(profileAsset, null, 2));
  if (wasmAsset) {
    const r = spawnSync(process.execPath, ['scripts/copy-wasm.cjs'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `copy-wasm failed: ${r.stderr}`);
    // Prove the .wasm comes from the asset: the npm copy is gone.
    fs.rmSync(path.join(nm, 'ehr-studio-bridge', 'dist', 'ehr_studio_bridge_bg.wasm'));
  }
  const envText = Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n');
  fs.writeFileSync(path.join(dir, '.env'), `${envText}\n`);
  return dir;
}

/** `twilio-run start` on a free port; resolves once it answers HTTP. @param {string} dir */
async function startTwilioRun(dir) {
  const port = await freePort();
  const t0 = Date.now();
  const child = spawn(process.execPath, [TWILIO_RUN, 'start', '--port', String(port)], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  for (;;) {
    if (child.exitCode !== null) throw new Error(`twilio-run exited (${child.exitCode}):\n${output}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/__not_a_function`);
      await r.text();
      break;
    } catch {
      // not listening yet
    }
    if (Date.now() - t0 > 60_000) {
      await stop();
      throw new Error(`twilio-run did not start within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, base: `http://127.0.0.1:${port}`, startMs: Date.now() - t0, output: () => output, stop };
}

/**
 * POST and parse the JSON answer.
 * @param {string} url @param {{ json?: unknown, form?: Record<string, string>, raw?: string, contentType?: string, headers?: Record<string, string>, token?: string | null }} o
 */
async function post(url, o) {
  /** @type {Record<string, string>} */
  const headers = { ...o.headers };
  if (o.token !== null) headers.Authorization = `Bearer ${o.token ?? EVENT_TOKEN}`;
  let body;
  if (o.json !== undefined) {
    body = JSON.stringify(o.json);
    headers['Content-Type'] = 'application/json';
  } else if (o.form) {
    body = new URLSearchParams(o.form).toString();
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else {
    body = o.raw ?? '';
    headers['Content-Type'] = o.contentType ?? 'text/plain';
  }
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { unparsed: text.slice(0, 300) };
  }
  return { status: res.status, headers: res.headers, body: json };
}

/** The one Studio create the fake must have recorded for `request` (exact). @param {any} rec @param {any} request */
function assertCreate(rec, request, where) {
  assert.deepEqual(
    { method: rec.method, path: rec.path, query: rec.query, basicAuth: rec.basicAuth, contentType: rec.headers['content-type'], accept: rec.headers.accept, form: rec.form },
    {
      method: 'POST',
      path: `/v2/Flows/${FLOW_SID}/Executions`,
      query: '',
      basicAuth: BASIC,
      contentType: 'application/x-www-form-urlencoded',
      accept: 'application/json',
      form: request.form,
    },
    `${where}: the recorded Studio request`,
  );
  // The raw form body, byte for byte as twilio-node encodes it (application/x-www-form-urlencoded).
  assert.deepEqual([...new URLSearchParams(rec.body).keys()], ['To', 'From', 'Parameters'], `${where}: form fields`);
}

/** Signed PAM widget request (what Studio sends to IE_ENDPOINT). @param {number} port @param {string} body @param {{ token?: string, signedBody?: string, noHash?: boolean }} [o] */
function signedReply(port, body, o = {}) {
  const hash = crypto.createHash('sha256').update(o.signedBody ?? body, 'utf8').digest('hex');
  const publicUrl = `https://localhost:${port}/ie-endpoint${o.noHash ? '' : `?bodySHA256=${hash}`}`;
  const signature = twilio.getExpectedTwilioSignature(o.token ?? AUTH_TOKEN, publicUrl, {});
  // twilio-node's own validator agrees (sanity check of the test itself).
  if (!o.token && !o.signedBody && !o.noHash) assert.equal(twilio.validateRequestWithBody(AUTH_TOKEN, signature, publicUrl, body), true);
  return {
    url: `http://127.0.0.1:${port}/ie-endpoint${o.noHash ? '' : `?bodySHA256=${hash}`}`,
    raw: body,
    contentType: 'application/json;charset=utf-8',
    headers: { 'X-Twilio-Signature': signature },
    token: /** @type {null} */ (null),
  };
}

/** The PAM widget body for these ids, rendered from the template in the fixture (raw values, as Studio does). @param {string} widget @param {Record<string, string>} ids */
function widgetBody(widget, ids) {
  return WIDGETS[widget].template_body
    .replace('{{flow.flow_sid}}', ids.flow_sid ?? FLOW_SID)
    .replace('{{flow.data.appointment_id}}', ids.appointment_id)
    .replace('{{flow.data.provider_id}}', ids.provider_id)
    .replace('{{flow.data.patient_id}}', ids.patient_id);
}

/** @param {string} msg @param {string} path */
const hl7Field = (msg, path) => api.queryHl7(msg, path)?.value ?? null;

/** Our Functions' log lines in twilio-run's output. @param {string} out */
const adapterLogs = (out) =>
  out
    .split('\n')
    .map((l) => l.slice(l.indexOf('{')))
    .filter((l) => l.startsWith('{"fn":'))
    .map((l) => JSON.parse(l));

const TIMINGS = /** @type {Record<string, number>} */ ({});
after(() => {
  console.log(`# ${node} twilio e2e timings (ms): ${JSON.stringify(TIMINGS)}`);
});

// ---- run 1 -----------------------------------------------------------------------------------

describe(`${node}: twilio-run, package from node_modules, profile asset, replies → HL7`, () => {
  /** @type {Awaited<ReturnType<typeof startFake>>} */
  let fake;
  /** @type {Awaited<ReturnType<typeof startTwilioRun>>} */
  let tr;
  /** @type {string} */
  let dir;
  /** @type {any} */
  let mapper;
  /** @type {any} */
  let profile;
  /** Patient names/phones/MRNs that went through the Functions: must never show up in logs. */
  const phi = new Set();

  before(async () => {
    fake = await startFake({ api });
    const asset = { ...SAMPLE_PROFILE, studio: { ...SAMPLE_PROFILE.studio, baseUrl: fake.origin } };
    profile = { ...asset, studio: { ...asset.studio, flowSid: FLOW_SID, from: FROM } }; // what the env overrides make of it
    mapper = new api.Mapper(profile);
    dir = makeService({
      profileAsset: asset,
      env: {
        ACCOUNT_SID,
        AUTH_TOKEN,
        STUDIO_FLOW_SID: FLOW_SID,
        TWILIO_PHONE_NUMBER: FROM,
        EHR_BRIDGE_PROFILE_ASSET: '/profile.json',
        EHR_BRIDGE_EVENT_TOKEN: EVENT_TOKEN,
        EHR_REPLY_TARGET: 'hl7',
        EHR_HL7_ENDPOINT: `${fake.origin}/ehr/hl7`,
        EHR_HL7_AUTHORIZATION: HL7_AUTH,
      },
    });
    tr = await startTwilioRun(dir);
    TIMINGS.run1Start = tr.startMs;
  });

  after(async () => {
    mapper?.free();
    await tr?.stop();
    await fake?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** POST an EHR event and check the answer + recorded requests against the in-process oracle. @param {string} where @param {Parameters<typeof post>[1]} req @param {string | Uint8Array} input */
  async function checkEvent(where, req, input) {
    const exp = expectEvent(mapper, input);
    const res = await post(`${tr.base}/ehr-event`, req);
    const rec = fake.take();
    assert.equal(res.status, exp.status, `${where}: status (body ${JSON.stringify(res.body)})`);
    if (exp.status === 201) {
      assert.equal(rec.length, 1, `${where}: exactly one Studio request`);
      assertCreate(rec[0], exp.request, where);
      assert.deepEqual(res.body, {
        status: 'created',
        executionSid: res.body.executionSid,
        idempotencyKey: exp.request.idempotencyKey,
        eventType: exp.result.event.event_type,
        warnings: [...new Set(exp.result.warnings.map((/** @type {any} */ w) => w.code))],
      });
      assert.match(res.body.executionSid, /^FN[0-9a-f]{32}$/);
      const ev = exp.result.event;
      for (const v of [ev.patient_first_name, ev.patient_last_name, ev.patient_phone]) if (v.length >= 4) phi.add(v);
    } else {
      assert.deepEqual(rec, [], `${where}: no Studio request`);
      if (exp.status === 200) assert.equal(res.body.skip?.code, exp.skip, `${where}: skip code`);
      else assert.equal(res.body.code, exp.code, `${where}: error code`);
    }
    return res;
  }

  test('bundled sample SIU^S12 as JSON {hl7}, form hl7=, and JSON {hl7Base64} → 201 and the exact Studio request', async () => {
    const t0 = Date.now();
    const text = SAMPLE_SIU.toString('utf8');
    for (const [where, req, input] of /** @type {const} */ ([
      ['json', { json: { hl7: text } }, text],
      ['form', { form: { hl7: text } }, text],
      ['base64', { json: { hl7Base64: SAMPLE_SIU.toString('base64') } }, new Uint8Array(SAMPLE_SIU)],
    ])) {
      await checkEvent(`sample via ${where}`, req, input);
    }
    // Independent of the oracle: the values the sample must produce.
    const { request } = mapper.studioRequest(text);
    assert.equal(request.form.To, '+19715550123');
    assert.equal(request.form.From, FROM);
    const p = JSON.parse(request.form.Parameters);
    assert.deepEqual(
      [p.event_type, p.appointment_id, p.appointment_datetime, p.appointment_timezone, p.patient_id],
      ['BOOKED', 'APT-104776', '2026-12-15T10:15:00', '-0800', '880124'],
    );
    TIMINGS.sampleRequestsAvg = Math.round((Date.now() - t0) / 3);
  });

  test('corpus: every SIU message (real and synthetic) → 201 / 200 skip / 4xx exactly as the package maps it', async () => {
    const t0 = Date.now();
    const dirs = [path.join(FIXTURES, 'corpus'), path.join(FIXTURES, 'corpus', 'synthetic')];
    const files = dirs.flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.hl7')).map((f) => path.join(d, f)));
    const siu = files.filter((f) => fs.readFileSync(f).includes('SIU'));
    assert.ok(siu.length >= 25, `found ${siu.length} SIU files`);
    const statuses = /** @type {Record<number, number>} */ ({});
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    for (const f of siu) {
      const bytes = fs.readFileSync(f);
      let text = null;
      try {
        text = utf8.decode(bytes);
      } catch {
        // not UTF-8 (e.g. Latin-1 bytes): send the exact bytes
      }
      const res =
        text === null
          ? await checkEvent(path.basename(f), { json: { hl7Base64: bytes.toString('base64') } }, new Uint8Array(bytes))
          : await checkEvent(path.basename(f), { json: { hl7: text } }, text);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
    // With the sample's US profile, foreign and landline-only numbers are skipped (SKIP_NO_MOBILE_PHONE).
    assert.ok((statuses[201] ?? 0) >= 5 && (statuses[200] ?? 0) >= 5, `both outcomes exercised: ${JSON.stringify(statuses)}`);
    TIMINGS.corpusRequests = siu.length;
    TIMINGS.corpusAvg = Math.round((Date.now() - t0) / siu.length);
  });

  test('FHIR, Redox and Table B JSON (merged into event) → exactly what Mapper.map says for the reconstructed JSON', async () => {
    const roots = ['fhir', 'redox'].map((d) => path.join(FIXTURES, d));
    /** @param {string} d @returns {string[]} */
    const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
    const files = roots
      .flatMap(walk)
      .filter((f) => f.endsWith('.json') && !f.includes('expected') && !f.includes(`${path.sep}outbound${path.sep}`) && !f.includes('hl7v2-mapping'))
      .filter((f) => {
        const v = JSON.parse(fs.readFileSync(f, 'utf8'));
        return v && typeof v === 'object' && !Array.isArray(v); // Functions merge only objects into event
      });
    assert.ok(files.length >= 20, `found ${files.length} JSON payloads`);
    for (const f of files) {
      const payload = JSON.parse(fs.readFileSync(f, 'utf8'));
      await checkEvent(path.relative(FIXTURES, f), { json: payload }, JSON.stringify(payload));
    }
    // The same Appointment wrapped as JSON text (no reconstruction).
    const appt = fs.readFileSync(path.join(FIXTURES, 'fhir', 'r4-core', 'appointment-example.json'), 'utf8');
    await checkEvent('json field', { json: { json: appt } }, appt);
    // Table B as a form post (every value a string).
    const tableB = JSON.parse(mapper.studioRequest(SAMPLE_SIU.toString('utf8')).request.form.Parameters);
    await checkEvent('Table B form', { form: tableB }, JSON.stringify(tableB));
  });

  test('bad input and auth: 4xx with a code, nothing sent to Studio', async () => {
    const url = `${tr.base}/ehr-event`;
    const cases = /** @type {const} */ ([
      ['no token', { json: { hl7: 'MSH|^~\\&|' }, token: null }, 401, 'UNAUTHORIZED'],
      ['wrong token', { json: { hl7: 'MSH|^~\\&|' }, token: 'nope' }, 401, 'UNAUTHORIZED'],
      ['empty JSON', { json: {} }, 400, 'EMPTY_INPUT'],
      ['raw HL7 body (not parsed by Functions)', { raw: SAMPLE_SIU.toString('utf8'), contentType: 'x-application/hl7-v2+er7' }, 415, 'UNSUPPORTED_CONTENT_TYPE'],
      ['FHIR as application/fhir+json (not parsed by Functions)', { raw: '{"resourceType":"Appointment"}', contentType: 'application/fhir+json' }, 415, 'UNSUPPORTED_CONTENT_TYPE'],
      ['bad base64', { json: { hl7Base64: '***' } }, 400, 'BAD_BASE64'],
      ['not HL7', { json: { hl7: 'hello' } }, 415, 'UNKNOWN_INPUT_KIND'],
      ['HL7 without MSH fields', { json: { hl7: 'MSH|' } }, 400, null],
    ]);
    for (const [where, req, status, code] of cases) {
      const res = await post(url, req);
      assert.equal(res.status, status, `${where}: ${JSON.stringify(res.body)}`);
      if (code) assert.equal(res.body.code, code, where);
      else assert.match(res.body.code, /^HL7_/, where);
      assert.deepEqual(fake.take(), [], `${where}: nothing recorded`);
    }
  });

  test('Twilio 409 (active execution) → 409 with the conflicting SID and Retry-After: 120, never ended; 429 / 500 / 503', async () => {
    const url = `${tr.base}/ehr-event`;
    const text = SAMPLE_SIU.toString('utf8');
    const { request } = mapper.studioRequest(text);
    const key = request.idempotencyKey;
    const cases = [
      [{ status: 409, body: CONFLICT_409.body }, 409, '120', { status: 'conflict', code: 'STUDIO_EXECUTION_ACTIVE', twilioStatus: 409, twilioCode: 20409, moreInfo: 'https://www.twilio.com/docs/errors/20409', conflictingExecutionSid: 'FNf11d38169ef8920ae5e2b10acbb0374d', retryAfterSeconds: 120 }],
      [RATE_LIMITED_429, 429, '2', { status: 'error', code: 'TWILIO_RATE_LIMITED', twilioStatus: 429, twilioCode: 20429, moreInfo: 'https://www.twilio.com/docs/errors/20429', retryAfterSeconds: 2 }],
      [ERROR_500, 502, null, { status: 'error', code: 'TWILIO_ERROR', twilioStatus: 500, twilioCode: 20500, moreInfo: 'https://www.twilio.com/docs/errors/20500' }],
      [UNAVAILABLE_503, 503, '30', { status: 'error', code: 'TWILIO_UNAVAILABLE', twilioStatus: 503, twilioCode: 20503, moreInfo: 'https://www.twilio.com/docs/errors/20503', retryAfterSeconds: 30 }],
    ];
    for (const [scripted, status, retryAfter, body] of /** @type {any[]} */ (cases)) {
      fake.scriptStudio(scripted);
      const res = await post(url, { json: { hl7: text } });
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.headers.get('retry-after'), retryAfter);
      assert.deepEqual(res.body, { ...body, idempotencyKey: key, eventType: 'BOOKED' });
      const rec = fake.take();
      assert.equal(rec.length, 1, `Twilio ${scripted.status}: one create, no end/retry`);
      assertCreate(rec[0], request, `Twilio ${scripted.status}`);
    }
  });

  test('IE_ENDPOINT: signed PAM widget bodies (template + to_json variant) → SRM^S03/S04 POSTed to the engine, exactly', async () => {
    const t0 = Date.now();
    const ids = { appointment_id: 'APT-104776', provider_id: '1982', patient_id: '880124' };
    const bodies = [
      ['confirm_remind', widgetBody('confirm_remind', ids), 'CONFIRM'],
      ['cancel_remind', widgetBody('cancel_remind', ids), 'CANCEL'],
      ['confirm_booked', widgetBody('confirm_booked', ids), 'CONFIRM'],
      ['samples/reply_cancel.json', fs.readFileSync(path.join(ROOT, 'samples', 'reply_cancel.json'), 'utf8').replace(/FW0{32}/, FLOW_SID), 'CANCEL'],
      // Patched flow (patchStudioFlow: values through to_json): an id with a quote arrives escaped.
      ['to_json', `{\n"flow_sid": "${FLOW_SID}",\n"event_type": "Cancel",\n"appointment_id": "A\\"7",\n"provider_id": "dr/1",\n"patient_id": "P-9"\n}`, 'CANCEL'],
    ];
    for (const [where, body, eventType] of bodies) {
      const res = await post(...withUrl(signedReply(tr.port, body)));
      assert.equal(res.status, 200, `${where}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body, {
        ok: true,
        action: 'forwarded',
        eventType,
        target: 'hl7',
        ehr: { accepted: true, code: 'AA', httpStatus: 200, retryable: false },
      });
      const rec = fake.take();
      assert.equal(rec.length, 1, `${where}: one request to the engine`);
      const srm = rec[0].body;
      const reply = api.parseReply(body, { contentType: 'application/json;charset=utf-8', profile });
      const expected = api.replyToHl7(reply, profile, { controlId: hl7Field(srm, 'MSH-10'), timestamp: hl7Field(srm, 'MSH-7') });
      assert.deepEqual(
        { method: rec[0].method, path: rec[0].path, contentType: rec[0].headers['content-type'], authorization: rec[0].headers.authorization, body: srm },
        { method: 'POST', path: '/ehr/hl7', contentType: 'application/hl7-v2; charset=utf-8', authorization: HL7_AUTH, body: expected },
        where,
      );
      assert.equal(hl7Field(srm, 'MSH-9.2'), eventType === 'CONFIRM' ? 'S03' : 'S04');
    }
    TIMINGS.replyAvg = Math.round((Date.now() - t0) / bodies.length);
  });

  test('IE_ENDPOINT: wrong token, tampered body, no signature, no bodySHA256, another flow → 401/403, nothing forwarded', async () => {
    const ids = { appointment_id: 'APT-104776', provider_id: '1982', patient_id: '880124' };
    const body = widgetBody('cancel_remind', ids);
    const tampered = widgetBody('cancel_remind', { ...ids, appointment_id: 'APT-999999' });
    const other = widgetBody('cancel_remind', { ...ids, flow_sid: `FW${'e'.repeat(32)}` });
    const unsigned = signedReply(tr.port, body);
    const cases = [
      ['signed with another auth token', signedReply(tr.port, body, { token: 'f'.repeat(32) }), 403, { ok: false, code: 'SIGNATURE_INVALID', reason: 'SIGNATURE_MISMATCH' }],
      ['body changed after signing', signedReply(tr.port, tampered, { signedBody: body }), 403, { ok: false, code: 'SIGNATURE_INVALID', reason: 'BODY_HASH_MISMATCH' }],
      ['no X-Twilio-Signature', { ...unsigned, headers: {} }, 401, { ok: false, code: 'SIGNATURE_MISSING' }],
      ['URL signed without bodySHA256', signedReply(tr.port, body, { noHash: true }), 403, { ok: false, code: 'SIGNATURE_INVALID', reason: 'MISSING_BODY_HASH' }],
      ['valid signature, another flow', signedReply(tr.port, other), 403, { ok: false, code: 'REPLY_FLOW_MISMATCH' }],
    ];
    for (const [where, req, status, expected] of /** @type {any[]} */ (cases)) {
      const res = await post(...withUrl(req));
      assert.equal(res.status, status, `${where}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body, expected, where);
      assert.deepEqual(fake.take(), [], `${where}: nothing forwarded`);
    }
  });

  test('IE_ENDPOINT: the engine answers AE → 502 EHR_REJECTED (codes only)', async () => {
    const body = widgetBody('confirm_remind', { appointment_id: 'APT-104776', provider_id: '1982', patient_id: '880124' });
    fake.scriptEhr({ status: 200, body: 'MSH|^~\\&|EPIC||TWILIO_BRIDGE||20260101||ACK^S03^ACK|A1|P|2.5.1\rMSA|AE|WRONG|Patient MRN 880124 unknown\rERR||ARQ^1|204^Unknown key identifier^HL70357|E\r' });
    const res = await post(...withUrl(signedReply(tr.port, body)));
    assert.equal(res.status, 502);
    assert.deepEqual(res.body, { ok: false, code: 'EHR_REJECTED', eventType: 'CONFIRM', target: 'hl7', ehr: { accepted: false, code: 'AE', httpStatus: 200, retryable: false, errors: ['204'] } });
    assert.equal(fake.take().length, 1);
  });

  test('logs: one JSON line per invocation with codes, SIDs and durations only — no names, phones or MRNs', () => {
    const out = tr.output();
    const logs = adapterLogs(out);
    assert.ok(logs.length >= 40, `adapter log lines: ${logs.length}`);
    const allowed = new Set(['fn', 'status', 'ms', 'code', 'outcome', 'executionSid', 'idempotencyKey', 'via', 'twilioStatus', 'twilioCode', 'conflictingExecutionSid', 'verify', 'urlVariant', 'eventType', 'warnings', 'target', 'ehr', 'reason', 'error', 'steps', 'endedExecutionSid', 'while']);
    for (const l of logs) for (const k of Object.keys(l)) assert.ok(allowed.has(k), `unexpected log key ${k}`);
    assert.ok(phi.size >= 20, `PHI values collected: ${phi.size}`);
    for (const v of [...phi, '880124', 'Patient MRN']) assert.ok(!out.includes(v), `the logs contain a patient value (${v.length} chars)`);
  });
});

// ---- run 2 -----------------------------------------------------------------------------------

describe(`${node}: twilio-run, .wasm as a private asset, inline profile, end-and-retry, replies → FHIR`, () => {
  /** @type {Awaited<ReturnType<typeof startFake>>} */
  let fake;
  /** @type {Awaited<ReturnType<typeof startTwilioRun>>} */
  let tr;
  /** @type {string} */
  let dir;
  /** @type {any} */
  let mapper;
  /** @type {any} */
  let profile;
  /** @param {string} id */
  const appointment = (id) => ({
    resourceType: 'Appointment',
    id,
    meta: { versionId: '7' },
    status: 'booked',
    start: '2026-12-15T18:15:00Z',
    end: '2026-12-15T18:45:00Z',
    participant: [
      { actor: { reference: 'Patient/880124' }, status: 'accepted' },
      { actor: { reference: 'Practitioner/1982' }, status: 'accepted' },
    ],
  });

  before(async () => {
    fake = await startFake({ api, fhirAppointment: appointment });
    profile = {
      ...SAMPLE_PROFILE,
      studio: { flowSid: FLOW_SID, from: FROM, baseUrl: fake.origin },
      reply: { ...SAMPLE_PROFILE.reply, fhir: { baseUrl: `${fake.origin}/fhir`, style: 'put' } },
    };
    mapper = new api.Mapper(profile);
    dir = makeService({
      wasmAsset: true,
      env: {
        ACCOUNT_SID,
        AUTH_TOKEN,
        EHR_BRIDGE_PROFILE: JSON.stringify(profile),
        EHR_BRIDGE_WASM_ASSET: '/ehr_studio_bridge_bg.wasm',
        EHR_BRIDGE_EVENT_TOKEN: EVENT_TOKEN,
        EHR_BRIDGE_ON_CONFLICT: 'end-and-retry',
        EHR_REPLY_TARGET: 'fhir',
        EHR_FHIR_ACCESS_TOKEN: FHIR_TOKEN,
      },
    });
    tr = await startTwilioRun(dir);
    TIMINGS.run2Start = tr.startMs;
  });

  after(async () => {
    mapper?.free();
    await tr?.stop();
    await fake?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the .wasm is only in assets/ (private), not in node_modules', () => {
    assert.ok(fs.existsSync(path.join(dir, 'assets', 'ehr_studio_bridge_bg.private.wasm')));
    assert.ok(!fs.existsSync(path.join(dir, 'node_modules', 'ehr-studio-bridge', 'dist', 'ehr_studio_bridge_bg.wasm')));
  });

  test('sample SIU → 201 and the exact Studio request (slim glue + initSync from the asset)', async () => {
    const text = SAMPLE_SIU.toString('utf8');
    const { request } = mapper.studioRequest(text);
    const res = await post(`${tr.base}/ehr-event`, { json: { hl7: text } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const rec = fake.take();
    assert.equal(rec.length, 1);
    assertCreate(rec[0], request, 'asset mode');
  });

  test('409 with EHR_BRIDGE_ON_CONFLICT=end-and-retry → ends the conflicting execution, creates again: 201', async () => {
    const text = SAMPLE_SIU.toString('utf8');
    const { request } = mapper.studioRequest(text);
    fake.scriptStudio({ status: 409, body: CONFLICT_409.body });
    const res = await post(`${tr.base}/ehr-event`, { json: { hl7: text } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.endedExecutionSid, 'FNf11d38169ef8920ae5e2b10acbb0374d');
    const rec = fake.take();
    assert.equal(rec.length, 3, 'create (409), end, create');
    assertCreate(rec[0], request, 'first create');
    assert.deepEqual(
      { method: rec[1].method, path: rec[1].path, basicAuth: rec[1].basicAuth, form: rec[1].form },
      { method: 'POST', path: `/v2/Flows/${FLOW_SID}/Executions/FNf11d38169ef8920ae5e2b10acbb0374d`, basicAuth: BASIC, form: { Status: 'ended' } },
    );
    assertCreate(rec[2], request, 'retry');
    assert.equal(res.body.executionSid, JSON.parse(JSON.stringify(res.body)).executionSid);
  });

  test('IE_ENDPOINT → FHIR: GET the Appointment, then PUT it with If-Match (bearer token substituted)', async () => {
    const body = widgetBody('cancel_remind', { appointment_id: 'APT-104776', provider_id: '1982', patient_id: '880124' });
    const res = await post(...withUrl(signedReply(tr.port, body)));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { ok: true, action: 'forwarded', eventType: 'CANCEL', target: 'fhir', ehr: { accepted: true, httpStatus: 200, retryable: false } });
    const rec = fake.take();
    const reply = api.parseReply(body, { profile });
    const read = api.replyToFhir(reply, profile);
    const write = api.replyToFhir(reply, profile, { resource: appointment('APT-104776'), etag: ETAG });
    assert.equal(read.action, 'read');
    assert.equal(write.action, 'write');
    const bearer = `Bearer ${FHIR_TOKEN}`;
    assert.deepEqual(
      rec.map((r) => ({ method: r.method, path: r.path, authorization: r.headers.authorization, ifMatch: r.headers['if-match'], contentType: r.headers['content-type'], body: r.body ? JSON.parse(r.body) : null })),
      [
        { method: 'GET', path: '/fhir/Appointment/APT-104776', authorization: bearer, ifMatch: undefined, contentType: undefined, body: null },
        { method: write.request.method, path: '/fhir/Appointment/APT-104776', authorization: bearer, ifMatch: write.request.headers['If-Match'], contentType: write.request.headers['Content-Type'], body: write.request.body },
      ],
    );
    assert.equal(write.request.method, 'PUT');
    assert.equal(write.request.headers['If-Match'], ETAG);
    assert.equal(write.request.body.status, 'cancelled');
  });
});

// ---- run 3 -----------------------------------------------------------------------------------

describe(`${node}: twilio-run, reminders in Sync: /ehr-event plans, parallel /remind-due send each once`, () => {
  /** @type {Awaited<ReturnType<typeof startFake>>} */
  let fake;
  /** @type {Awaited<ReturnType<typeof startTwilioRun>>} */
  let tr;
  /** @type {string} */
  let dir;
  /** @type {any} */
  let profile;
  const ZONE = 'America/Los_Angeles';

  before(async () => {
    fake = await startFake({ api });
    profile = {
      ...SAMPLE_PROFILE,
      studio: { flowSid: FLOW_SID, from: FROM, baseUrl: fake.origin },
      reminders: { offsets: ['2h'], minNotice: '0m', lateGrace: '10m' },
    };
    dir = makeService({
      env: {
        ACCOUNT_SID,
        AUTH_TOKEN,
        EHR_BRIDGE_PROFILE: JSON.stringify(profile),
        EHR_BRIDGE_EVENT_TOKEN: EVENT_TOKEN,
        TWILIO_SYNC_SERVICE_SID: SYNC_SERVICE_SID,
        EHR_BRIDGE_SYNC_BASE_URL: fake.origin,
      },
    });
    tr = await startTwilioRun(dir);
    TIMINGS.run3Start = tr.startMs;
  });

  after(async () => {
    await tr?.stop();
    await fake?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Wall time and ±HHMM offset in ZONE at an instant (whole seconds). @param {number} ms */
  function local(ms) {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
        .formatToParts(ms)
        .map((p) => [p.type, p.value]),
    );
    const wall = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
    const off = Math.round((Date.parse(`${wall}Z`) - Math.floor(ms / 1000) * 1000) / 60_000);
    const a = Math.abs(off);
    return { wall, offset: `${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}${String(a % 60).padStart(2, '0')}` };
  }

  test('three bookings due in seconds: planned into Sync, sent once each by four concurrent /remind-due calls', async () => {
    const base = new api.Mapper(profile).mapHl7(SAMPLE_SIU).event;
    const start = Date.now() + 2 * 3_600_000 + 9_000;
    const { wall, offset } = local(start);
    const events = [0, 1, 2].map((i) => ({
      ...base,
      event_datetime_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      patient_id: `E2E-P${i}`,
      appointment_id: `E2E-A${i}`,
      patient_phone: `+1971555012${i}`,
      appointment_datetime: wall,
      appointment_timezone: offset,
    }));
    for (const e of events) {
      const res = await post(`${tr.base}/ehr-event`, { json: e });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.reminders.actions, { create: 1 });
      assert.match(res.body.reminders.appointmentKey, /^ak1-[0-9a-f]{32}$/);
    }
    assert.equal(fake.take().filter((r) => r.path.includes('/Executions')).length, 3, 'the three BOOKED executions');
    const due = fake.syncItems('ehr-bridge-reminders-due');
    assert.equal(due.length, 3);
    assert.equal(fake.syncItems('ehr-bridge-reminders-appointments').length, 3);
    const dueAt = Math.max(...due.map((i) => i.data.reminder.dueAtMs));
    const early = await post(`${tr.base}/remind-due`, { json: {} });
    if (Date.now() < dueAt - 500) assert.equal(early.body.claimed, 0, JSON.stringify(early.body));
    await new Promise((r) => setTimeout(r, Math.max(0, dueAt - Date.now() + 200)));
    const runs = await Promise.all([0, 1, 2, 3].map(() => post(`${tr.base}/remind-due`, { json: {} })));
    for (const r of runs) assert.equal(r.status, 200, JSON.stringify(r.body));
    const sent = runs.reduce((n, r) => n + r.body.sent, 0) + (early.body.sent ?? 0);
    assert.equal(sent, 3, JSON.stringify(runs.map((r) => r.body)));
    const creates = fake.take().filter((r) => r.path === `/v2/Flows/${FLOW_SID}/Executions`);
    assert.equal(creates.length, 3, 'exactly one REMIND per reminder');
    for (const c of creates) {
      const p = JSON.parse(c.form?.Parameters ?? '{}');
      const e = events.find((x) => x.patient_id === p.patient_id);
      assert.ok(e, 'a planned appointment');
      assert.equal(c.form?.To, e.patient_phone);
      assert.equal(p.event_type, 'REMIND');
      assert.match(p.event_datetime_utc, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.deepEqual({ ...p, event_type: e.event_type, event_datetime_utc: e.event_datetime_utc }, e);
    }
    assert.deepEqual(fake.syncItems('ehr-bridge-reminders-due'), []);
    const states = fake.syncItems('ehr-bridge-reminders-appointments').flatMap((i) => Object.values(i.data.reminders).map((/** @type {any} */ x) => x.status));
    assert.deepEqual(states, ['sent', 'sent', 'sent']);
    const again = await post(`${tr.base}/remind-due`, { json: {} });
    assert.deepEqual([again.status, again.body.claimed, again.body.sent], [200, 0, 0]);
    assert.deepEqual(fake.take().filter((r) => r.path.includes('/Executions')), []);
    // Logs: counts and codes; no patient values.
    const out = tr.output();
    const logs = adapterLogs(out).filter((l) => l.fn === 'remind-due');
    assert.ok(logs.length >= 5 && logs.every((l) => l.status === 200));
    for (const e of events) for (const v of [e.patient_phone, e.patient_first_name, e.patient_last_name]) assert.ok(!out.includes(v), 'no PHI in the logs');
  });
});

/** @param {{ url: string } & Record<string, any>} r @returns {[string, any]} */
function withUrl(r) {
  const { url, ...rest } = r;
  return [url, rest];
}
