// @ts-check
// ehr-studio-bridge/twilio and ehr-studio-bridge/slim from the installed tarball, in-process: the
// factories called like the Functions runtime calls them (context, event, callback, the runtime's
// own Twilio.Response class), twilio-node 6 with a custom `httpClient` that records requests, and an
// injected fetch for the EHR side. The same flows run for real in twilio-run in twilio-e2e.test.mjs;
// this file covers the options and failure paths that need injection (idempotency store, logger,
// network errors, timeouts, profile sources, re-reads, slim loading).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ROOT, consumer } from './helpers.mjs';
import { ACCOUNT_SID, AUTH_TOKEN, CONFLICT_409, CREATED_201, ETAG, FLOW_SID, FROM, executionSid } from './twilio-fakes.mjs';

const node = `Node ${process.versions.node}`;
const { dir } = consumer();
const req = createRequire(path.join(dir, 'package.json'));
const rootRequire = createRequire(import.meta.url);
const twilio = rootRequire('twilio');
// The runtime's own Response class (what `Twilio.Response` is inside Functions).
// (not in the package's exports map: required by file path)
const TwilioResponse = rootRequire(
  path.join(ROOT, 'node_modules', '@twilio', 'runtime-handler', 'dist', 'dev-runtime', 'internal', 'response.js'),
).Response;

const SAMPLE = fs.readFileSync(path.join(ROOT, 'samples', 'siu_s12_booked.hl7'), 'utf8');
const SAMPLE_PROFILE = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples', 'profile.json'), 'utf8'));
const PROFILE = { ...SAMPLE_PROFILE, studio: { flowSid: FLOW_SID, from: FROM } };
const WIDGETS = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'twilio', 'ie-endpoint-requests.json'), 'utf8')).widgets;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-twilio-unit-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// ---- slim: must run before anything initializes it in this process -----------------------------

test(`${node}: ehr-studio-bridge/slim throws NOT_INITIALIZED until initSync, then works; a second initSync is a no-op`, () => {
  const slim = req('ehr-studio-bridge/slim');
  assert.equal(path.basename(req.resolve('ehr-studio-bridge/slim')), 'ehr_studio_bridge_slim.cjs');
  assert.equal(slim.isInitialized(), false);
  assert.throws(() => slim.version(), (/** @type {any} */ e) => e instanceof Error && e.code === 'NOT_INITIALIZED');
  const { loadApiFromAsset } = req('ehr-studio-bridge/twilio');
  assert.throws(() => loadApiFromAsset('/nope.wasm', { getAssets: () => ({}) }), { code: 'CONFIG_WASM_ASSET_MISSING' });
  // A private asset as the Functions runtime describes it: { path, open } (open() reads utf8: unused).
  const wasmFile = path.join(tmp, 'ZN0123.wasm');
  fs.copyFileSync(req.resolve('ehr-studio-bridge/ehr_studio_bridge_bg.wasm'), wasmFile);
  const runtime = { getAssets: () => ({ '/ehr_studio_bridge_bg.wasm': { path: wasmFile, open: () => fs.readFileSync(wasmFile, 'utf8') } }) };
  const api = loadApiFromAsset(undefined, runtime);
  assert.equal(api, slim);
  assert.equal(slim.isInitialized(), true);
  slim.initSync({ module: new Uint8Array(0) }); // no-op
  assert.equal(slim.version(), req('ehr-studio-bridge').version());
  const full = req('ehr-studio-bridge');
  assert.deepEqual(new slim.Mapper(PROFILE).studioRequest(SAMPLE).request, new full.Mapper(PROFILE).studioRequest(SAMPLE).request);
});

// ---- harness -------------------------------------------------------------------------------------

const { createEventHandler, createReplyHandler, eventPayload, replyBodyCandidates } = req('ehr-studio-bridge/twilio');

/** @type {any} */ (globalThis).Twilio = { Response: TwilioResponse };

/**
 * Call a handler like the runtime does; resolves with { status, headers, body }.
 * @param {Function} handler @param {Record<string, unknown>} context @param {Record<string, unknown>} event
 * @returns {Promise<{ status: number, headers: Record<string, any>, body: any }>}
 */
function invoke(handler, context, event) {
  return new Promise((resolve, reject) => {
    let calls = 0;
    handler(context, event, (/** @type {unknown} */ err, /** @type {any} */ res) => {
      calls++;
      if (calls > 1) reject(new Error('callback called twice'));
      if (err) return reject(err);
      assert.ok(res instanceof TwilioResponse, 'answers with Twilio.Response');
      assert.equal(res.headers['Content-Type'], 'application/json');
      resolve({ status: res.statusCode, headers: res.headers, body: res.body });
    });
  });
}

/** A logger that keeps lines. */
function memoryLogger() {
  /** @type {{ level: string, line: any }[]} */
  const lines = [];
  const at = (/** @type {string} */ level) => (/** @type {string} */ msg) => lines.push({ level, line: JSON.parse(msg) });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

/**
 * twilio-node with a custom httpClient answering from a script (default 201), recording requests.
 * @param {({ statusCode: number, body: unknown } | Error)[]} [script]
 */
function fakeTwilio(script = []) {
  /** @type {any[]} */
  const requests = [];
  let n = 0;
  const httpClient = {
    /** @param {any} opts */
    async request(opts) {
      requests.push({ method: opts.method, uri: opts.uri, username: opts.username, password: opts.password, data: opts.data });
      const next = script.shift();
      if (next instanceof Error) throw next;
      if (next) return { statusCode: next.statusCode, body: JSON.stringify(next.body), headers: {} };
      return { statusCode: 201, body: JSON.stringify({ ...CREATED_201.body, sid: executionSid(++n) }), headers: {} };
    },
  };
  const client = twilio(ACCOUNT_SID, AUTH_TOKEN, { httpClient });
  return { client, requests, twilioClient: () => client };
}

const CTX = { EHR_BRIDGE_EVENT_AUTH: 'none' };
const full = req('ehr-studio-bridge');
const expected = new full.Mapper(PROFILE).studioRequest(SAMPLE).request;

// ---- event handler -------------------------------------------------------------------------------

test(`${node}: event → twilio-node (custom httpClient): v2 Executions create with the package's To/From/Parameters`, async () => {
  const t = fakeTwilio();
  const { lines, logger } = memoryLogger();
  const h = createEventHandler({ profile: PROFILE, twilioClient: t.twilioClient, logger });
  const r = await invoke(h, CTX, { request: { headers: {} }, hl7: SAMPLE });
  assert.equal(r.status, 201);
  assert.equal(r.body.executionSid, executionSid(1));
  assert.deepEqual(t.requests, [
    {
      method: 'post',
      uri: `https://studio.twilio.com/v2/Flows/${FLOW_SID}/Executions`,
      username: ACCOUNT_SID,
      password: AUTH_TOKEN,
      data: { To: expected.form.To, From: expected.form.From, Parameters: expected.form.Parameters },
    },
  ]);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].level, 'info');
  const { ms, ...rest } = lines[0].line;
  assert.ok(typeof ms === 'number' && ms >= 0);
  assert.deepEqual(rest, { fn: 'ehr-event', status: 201, outcome: 'created', executionSid: executionSid(1), idempotencyKey: expected.idempotencyKey, via: 'hl7' });
});

test(`${node}: event: profile from EHR_BRIDGE_PROFILE, from a private asset, env overrides; one Mapper per profile per container`, async () => {
  let constructed = 0;
  const api = { ...full, Mapper: new Proxy(full.Mapper, { construct: (T, args) => (constructed++, new T(...args)) }) };
  const t = fakeTwilio();
  const h = createEventHandler({ api, twilioClient: t.twilioClient, logger: false });
  const envCtx = { ...CTX, EHR_BRIDGE_PROFILE: JSON.stringify(SAMPLE_PROFILE), STUDIO_FLOW_SID: FLOW_SID, TWILIO_PHONE_NUMBER: FROM };
  for (let i = 0; i < 3; i++) assert.equal((await invoke(h, envCtx, { hl7: SAMPLE })).status, 201);
  assert.equal(constructed, 1, 'the Mapper is reused while the profile is unchanged');
  const file = path.join(tmp, 'profile.json');
  fs.writeFileSync(file, JSON.stringify(SAMPLE_PROFILE));
  /** @type {any} */ (globalThis).Runtime = { getAssets: () => ({ '/profile.json': { path: file } }) };
  try {
    const assetCtx = { ...CTX, EHR_BRIDGE_PROFILE_ASSET: '/profile.json', STUDIO_FLOW_SID: FLOW_SID, TWILIO_PHONE_NUMBER: '+15035550199' };
    assert.equal((await invoke(h, assetCtx, { hl7: SAMPLE })).status, 201);
    assert.equal(constructed, 2, 'a changed profile builds a new Mapper');
    assert.equal(t.requests.at(-1).data.From, '+15035550199', 'TWILIO_PHONE_NUMBER overrides studio.from');
    const missing = await invoke(h, { ...CTX, EHR_BRIDGE_PROFILE_ASSET: '/other.json' }, { hl7: SAMPLE });
    assert.deepEqual([missing.status, missing.body.code], [500, 'CONFIG_PROFILE_ASSET_MISSING']);
  } finally {
    delete (/** @type {any} */ (globalThis).Runtime);
  }
  const bad = await invoke(h, { ...CTX, EHR_BRIDGE_PROFILE: '{nope' }, { hl7: SAMPLE });
  assert.deepEqual([bad.status, bad.body.code], [500, 'CONFIG_BAD_PROFILE']);
  const unknownKey = await invoke(h, { ...CTX, EHR_BRIDGE_PROFILE: '{"bogus":1}' }, { hl7: SAMPLE });
  assert.deepEqual([unknownKey.status, unknownKey.body.code, unknownKey.body.pointer], [500, 'PROFILE_UNKNOWN_KEY', '/bogus']);
  const noStudio = await invoke(h, CTX, { hl7: SAMPLE });
  assert.deepEqual([noStudio.status, noStudio.body.code], [500, 'STUDIO_BAD_CONFIG']);
});

test(`${node}: event: bearer token (Authorization or X-Ehr-Bridge-Token), custom authenticate, refusing to run unconfigured`, async () => {
  const t = fakeTwilio();
  const h = createEventHandler({ profile: PROFILE, twilioClient: t.twilioClient, logger: false });
  const ctx = { EHR_BRIDGE_EVENT_TOKEN: 's3cret-token' };
  const ev = (/** @type {Record<string, string>} */ headers) => ({ request: { headers }, hl7: SAMPLE });
  assert.equal((await invoke(h, ctx, ev({ authorization: 'Bearer s3cret-token' }))).status, 201);
  assert.equal((await invoke(h, ctx, ev({ 'x-ehr-bridge-token': 's3cret-token' }))).status, 201);
  const denied = await invoke(h, ctx, ev({ authorization: 'Bearer s3cret-tokeN' }));
  assert.deepEqual([denied.status, denied.body.code, denied.headers['WWW-Authenticate']], [401, 'UNAUTHORIZED', 'Bearer']);
  assert.equal((await invoke(h, ctx, ev({}))).status, 401);
  const unconfigured = await invoke(h, {}, ev({}));
  assert.deepEqual([unconfigured.status, unconfigured.body.code], [500, 'CONFIG_NO_EVENT_AUTH']);
  const custom = createEventHandler({ profile: PROFILE, twilioClient: t.twilioClient, logger: false, authenticate: (_c, e) => e.request.headers['x-k'] === '1' });
  assert.equal((await invoke(custom, {}, ev({ 'x-k': '1' }))).status, 201);
  assert.equal((await invoke(custom, {}, ev({ 'x-k': '2' }))).status, 401);
  assert.equal(t.requests.length, 3);
});

test(`${node}: event: idempotency store — duplicates answered 200 without a Twilio call; an unavailable store answers 503`, async () => {
  const t = fakeTwilio();
  /** @type {Map<string, string>} */
  const store = new Map();
  const idempotency = { check: (/** @type {string} */ k) => store.get(k), record: (/** @type {string} */ k, /** @type {string} */ sid) => void store.set(k, sid) };
  const h = createEventHandler({ profile: PROFILE, twilioClient: t.twilioClient, logger: false, idempotency });
  const first = await invoke(h, CTX, { hl7: SAMPLE });
  assert.equal(first.status, 201);
  assert.equal(store.get(expected.idempotencyKey), first.body.executionSid);
  const again = await invoke(h, CTX, { hl7: SAMPLE });
  assert.deepEqual(again, {
    status: 200,
    headers: again.headers,
    body: { status: 'duplicate', executionSid: first.body.executionSid, idempotencyKey: expected.idempotencyKey, eventType: 'BOOKED' },
  });
  assert.equal(t.requests.length, 1);
  // A reserving store: check() claims the key atomically; release() frees it when nothing was created.
  /** @type {Map<string, string>} */
  const reserved = new Map();
  const reserving = {
    check: (/** @type {string} */ k) => (reserved.has(k) ? reserved.get(k) || true : (reserved.set(k, ''), null)),
    record: (/** @type {string} */ k, /** @type {string} */ sid) => void reserved.set(k, sid),
    release: (/** @type {string} */ k) => void reserved.delete(k),
  };
  const t409 = fakeTwilio([{ statusCode: 409, body: CONFLICT_409.body }]);
  const r409 = await invoke(createEventHandler({ profile: PROFILE, twilioClient: t409.twilioClient, logger: false, idempotency: reserving }), CTX, { hl7: SAMPLE });
  assert.equal(r409.status, 409);
  assert.equal(reserved.has(expected.idempotencyKey), false, 'released after the 409: the engine may retry');
  const retry = await invoke(createEventHandler({ profile: PROFILE, twilioClient: t409.twilioClient, logger: false, idempotency: reserving }), CTX, { hl7: SAMPLE });
  assert.equal(retry.status, 201);
  assert.equal(reserved.get(expected.idempotencyKey), retry.body.executionSid);
  const down = createEventHandler({ profile: PROFILE, twilioClient: t.twilioClient, logger: false, idempotency: { check: () => Promise.reject(new Error('redis down')), record() {} } });
  const r = await invoke(down, CTX, { hl7: SAMPLE });
  assert.deepEqual([r.status, r.body.code, r.headers['Retry-After']], [503, 'IDEMPOTENCY_UNAVAILABLE', '2']);
  assert.equal(t.requests.length, 1);
});

test(`${node}: event: 409 default answers 409 and never ends the execution; end-and-retry ends it once (already-ended tolerated)`, async () => {
  const conflict = { statusCode: 409, body: CONFLICT_409.body };
  const sid = CONFLICT_409.body.details.conflicting_execution_sid;
  {
    const t = fakeTwilio([conflict]);
    const r = await invoke(createEventHandler({ profile: PROFILE, twilioClient: t.twilioClient, logger: false, conflictRetryAfterSeconds: 150 }), CTX, { hl7: SAMPLE });
    assert.deepEqual([r.status, r.body.conflictingExecutionSid, r.body.retryAfterSeconds, r.headers['Retry-After']], [409, sid, 150, '150']);
    assert.equal(t.requests.length, 1);
  }
  {
    // end → 409 (it had just ended), retry → 201
    const t = fakeTwilio([conflict, { statusCode: 409, body: { code: 20409, message: 'already ended', status: 409 } }]);
    const h = createEventHandler({ profile: PROFILE, twilioClient: t.twilioClient, logger: false, onConflict: 'end-and-retry' });
    const r = await invoke(h, CTX, { hl7: SAMPLE });
    assert.deepEqual([r.status, r.body.endedExecutionSid], [201, sid]);
    assert.deepEqual(
      t.requests.map((/** @type {any} */ q) => [q.uri.replace(`https://studio.twilio.com/v2/Flows/${FLOW_SID}`, ''), q.data]),
      [
        ['/Executions', { To: expected.form.To, From: expected.form.From, Parameters: expected.form.Parameters }],
        [`/Executions/${sid}`, { Status: 'ended' }],
        ['/Executions', { To: expected.form.To, From: expected.form.From, Parameters: expected.form.Parameters }],
      ],
    );
  }
  {
    // the retry conflicts again (another event raced in): 409, no second end
    const t = fakeTwilio([conflict, { statusCode: 200, body: { sid, status: 'ended' } }, conflict]);
    const r = await invoke(createEventHandler({ profile: PROFILE, twilioClient: t.twilioClient, logger: false }), { ...CTX, EHR_BRIDGE_ON_CONFLICT: 'end-and-retry' }, { hl7: SAMPLE });
    assert.deepEqual([r.status, r.body.endedExecutionSid, t.requests.length], [409, sid, 3]);
  }
  {
    const t = fakeTwilio();
    const r = await invoke(createEventHandler({ profile: PROFILE, twilioClient: t.twilioClient, logger: false }), { ...CTX, EHR_BRIDGE_ON_CONFLICT: 'always' }, { hl7: SAMPLE });
    assert.deepEqual([r.status, r.body.code, t.requests.length], [500, 'CONFIG_BAD_ON_CONFLICT', 0]);
  }
});

test(`${node}: event: Twilio unreachable → 502, timeout → 504, 401 from Twilio → 502 TWILIO_REJECTED; logs stay PHI-free`, async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443 for +19715550123'), { code: 'ECONNREFUSED' });
  const timeout = Object.assign(new Error('timeout of 5000ms exceeded'), { code: 'ECONNABORTED' });
  const t = fakeTwilio([refused, timeout, { statusCode: 401, body: { code: 20003, message: 'Authenticate', status: 401 } }]);
  const { lines, logger } = memoryLogger();
  const h = createEventHandler({ profile: PROFILE, twilioClient: t.twilioClient, logger });
  const a = await invoke(h, CTX, { hl7: SAMPLE });
  const b = await invoke(h, CTX, { hl7: SAMPLE });
  const c = await invoke(h, CTX, { hl7: SAMPLE });
  assert.deepEqual([a.status, a.body.code], [502, 'TWILIO_UNREACHABLE']);
  assert.deepEqual([b.status, b.body.code], [504, 'TWILIO_TIMEOUT']);
  assert.deepEqual([c.status, c.body.code, c.body.twilioCode], [502, 'TWILIO_REJECTED', 20003]);
  assert.deepEqual(lines.map((l) => l.level), ['error', 'error', 'error']);
  const text = JSON.stringify(lines) + JSON.stringify([a.body, b.body, c.body]);
  const event = new full.Mapper(PROFILE).mapHl7(SAMPLE).event;
  for (const v of [event.patient_phone, event.patient_first_name, event.patient_last_name, event.patient_id, '10.0.0.1']) {
    assert.ok(!text.includes(v), 'no patient data or error text in logs/answers');
  }
});

test(`${node}: event: skip → 200 with the coded reason; unexpected exceptions → 500 INTERNAL; no Twilio global → plain object`, async () => {
  const t = fakeTwilio();
  const filtered = { ...PROFILE, filters: { smsConsent: { path: 'PD1-12', values: ['Y'], whenMissing: 'skip' } } };
  const h = createEventHandler({ profile: filtered, twilioClient: t.twilioClient, logger: false });
  const skip = await invoke(h, CTX, { hl7: SAMPLE });
  assert.deepEqual([skip.status, skip.body], [
    200,
    {
      status: 'skipped',
      skip: { code: 'SKIP_FILTERED', reason: new full.Mapper(filtered).mapHl7(SAMPLE).skip.reason, rule: 'filters.smsConsent.whenMissing' },
      warnings: skip.body.warnings,
    },
  ]);
  assert.equal(t.requests.length, 0);
  const boom = createEventHandler({ profile: PROFILE, logger: false, twilioClient: () => { throw new TypeError('bug'); } });
  const r = await invoke(boom, CTX, { hl7: SAMPLE });
  assert.deepEqual([r.status, r.body], [500, { status: 'error', code: 'INTERNAL', message: 'internal error' }]);
  const T = /** @type {any} */ (globalThis).Twilio;
  delete (/** @type {any} */ (globalThis).Twilio);
  try {
    const plain = await new Promise((resolve) => createEventHandler({ profile: PROFILE, logger: false })(CTX, {}, (/** @type {unknown} */ _e, /** @type {any} */ res) => resolve(res)));
    assert.deepEqual(plain, { statusCode: 400, headers: { 'Content-Type': 'application/json' }, body: { status: 'error', code: 'EMPTY_INPUT', message: plain.body.message } });
  } finally {
    /** @type {any} */ (globalThis).Twilio = T;
  }
});

test(`${node}: eventPayload: hl7 / hl7Base64 / json / merged fields (Twilio's request key and ignoreKeys removed)`, () => {
  assert.deepEqual(eventPayload({ request: { headers: {} }, hl7: 'MSH|x', other: 1 }), { input: 'MSH|x', via: 'hl7' });
  const b = eventPayload({ hl7Base64: Buffer.from([0x4d, 0x53, 0x48, 0xdc]).toString('base64') });
  assert.deepEqual([b.via, [...b.input]], ['hl7Base64', [0x4d, 0x53, 0x48, 0xdc]]);
  assert.deepEqual(eventPayload({ json: '{"a":1}' }), { input: '{"a":1}', via: 'json' });
  assert.deepEqual(eventPayload({ request: {}, resourceType: 'Appointment', id: 'x', token: 't' }, ['token']), {
    input: '{"resourceType":"Appointment","id":"x"}',
    via: 'fields',
  });
  // The documented limit: a payload's own top-level "request" key cannot be told from Twilio's.
  assert.deepEqual(eventPayload({ request: { method: 'POST' }, resourceType: 'Bundle' }), { input: '{"resourceType":"Bundle"}', via: 'fields' });
  assert.equal(eventPayload({ request: {} }), null);
  assert.throws(() => eventPayload({ hl7Base64: 'a' }), { code: 'BAD_BASE64' });
});

// ---- reply handler -------------------------------------------------------------------------------

const IDS = { appointment_id: 'APT-104776', provider_id: '1982', patient_id: '880124' };
/** @param {string} widget @param {Record<string, string>} [ids] */
const widgetBody = (widget, ids = IDS) =>
  WIDGETS[widget].template_body
    .replace('{{flow.flow_sid}}', FLOW_SID)
    .replace('{{flow.data.appointment_id}}', ids.appointment_id)
    .replace('{{flow.data.provider_id}}', ids.provider_id)
    .replace('{{flow.data.patient_id}}', ids.patient_id);

/**
 * The Functions context + event for a Studio widget POST of `body` to `publicBase` (signed).
 * @param {string} body @param {{ publicBase?: string, query?: Record<string, string>, ctx?: Record<string, unknown> }} [o]
 */
function studioCall(body, o = {}) {
  const publicBase = o.publicBase ?? 'https://svc-1234-dev.twil.io/ie-endpoint';
  const hash = crypto.createHash('sha256').update(body).digest('hex');
  const query = new URLSearchParams({ ...o.query, bodySHA256: hash }).toString();
  const url = `${publicBase}?${query}`;
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, {});
  const event = {
    request: { headers: { 'content-type': 'application/json;charset=utf-8', 'x-twilio-signature': signature } },
    ...o.query,
    bodySHA256: hash,
    ...JSON.parse(body),
  };
  const context = { DOMAIN_NAME: 'svc-1234-dev.twil.io', PATH: '/ie-endpoint', AUTH_TOKEN, ...o.ctx };
  return { context, event };
}

/**
 * An injected fetch answering from a script and recording requests.
 * @param {((req: { url: string, init: any }) => Promise<Response> | Response)[]} script
 */
function fakeFetch(script) {
  /** @type {{ url: string, method: string, headers: Record<string, string>, body: any }[]} */
  const calls = [];
  /** @type {typeof fetch} */
  const f = async (url, init) => {
    calls.push({ url: String(url), method: String(init?.method), headers: /** @type {any} */ (init?.headers), body: init?.body });
    const next = script.shift();
    if (!next) throw new Error('unexpected fetch');
    return next({ url: String(url), init });
  };
  return { calls, fetch: f };
}

test(`${node}: replyBodyCandidates: the widget template byte for byte, plus the to_json variants`, () => {
  for (const w of Object.values(WIDGETS)) {
    const c = replyBodyCandidates(/** @type {any} */ (w).example_rendering.parsed);
    assert.deepEqual(c, [/** @type {any} */ (w).example_rendering.body], 'plain ids: all variants coincide with the rendering');
  }
  const c = replyBodyCandidates({ flow_sid: FLOW_SID, event_type: 'Cancel', appointment_id: 'A"1', provider_id: 'Dr Zoë', patient_id: 'p1' });
  assert.deepEqual(c, [
    `{\n"flow_sid": "${FLOW_SID}",\n"event_type": "Cancel",\n"appointment_id": "A"1",\n"provider_id": "Dr Zoë",\n"patient_id": "p1"\n}`,
    `{\n"flow_sid": "${FLOW_SID}",\n"event_type": "Cancel",\n"appointment_id": "A\\"1",\n"provider_id": "Dr Zoë",\n"patient_id": "p1"\n}`,
    `{\n"flow_sid": "${FLOW_SID}",\n"event_type": "Cancel",\n"appointment_id": "A\\"1",\n"provider_id": "Dr Zo\\u00eb",\n"patient_id": "p1"\n}`,
  ]);
  assert.deepEqual(replyBodyCandidates({ flow_sid: FLOW_SID, event_type: 'Cancel' }), []);
});

test(`${node}: reply: signature over EHR_REPLY_PUBLIC_URL or DOMAIN_NAME+PATH (+ extra query keys); non-ASCII to_json body`, async () => {
  const ok = () => new Response('MSH|^~\\&|E||T||20260101||ACK|1|P|2.5.1\rMSA|AA|\r', { status: 200 });
  const f = fakeFetch([ok, ok, ok]);
  const h = createReplyHandler({ profile: PROFILE, fetch: f.fetch, hl7Endpoint: 'https://engine.example.org/srm', logger: false });
  const body = widgetBody('cancel_remind');
  const a = studioCall(body);
  assert.equal((await invoke(h, a.context, a.event)).status, 200);
  const b = studioCall(body, { publicBase: 'https://reply.example.org/pam', ctx: { EHR_REPLY_PUBLIC_URL: 'https://reply.example.org/pam' } });
  assert.equal((await invoke(h, b.context, b.event)).status, 200);
  const c = studioCall(body, { query: { tenant: 'owl' } });
  assert.equal((await invoke(h, c.context, c.event)).status, 200);
  // A to_json-rendered body with a non-ASCII id, \u-escaped: found among the candidates.
  const escaped = `{\n"flow_sid": "${FLOW_SID}",\n"event_type": "Cancel",\n"appointment_id": "A-1",\n"provider_id": "Zo\\u00eb",\n"patient_id": "p1"\n}`;
  const f2 = fakeFetch([ok]);
  const h2 = createReplyHandler({ profile: PROFILE, fetch: f2.fetch, hl7Endpoint: 'https://engine.example.org/srm', logger: false });
  const d = studioCall(escaped);
  assert.equal(d.event.provider_id, 'Zoë');
  assert.equal((await invoke(h2, d.context, d.event)).status, 200);
  assert.equal(f.calls.length + f2.calls.length, 4);
  // The wrong public URL (custom domain not configured) fails closed.
  const e = studioCall(body, { publicBase: 'https://reply.example.org/pam' });
  const r = await invoke(h, e.context, e.event);
  assert.deepEqual([r.status, r.body.reason], [403, 'SIGNATURE_MISMATCH']);
  const noToken = await invoke(h, { ...a.context, AUTH_TOKEN: undefined }, a.event);
  assert.deepEqual([noToken.status, noToken.body.code], [500, 'CONFIG_NO_AUTH_TOKEN']);
});

test(`${node}: reply: gateway mode (protected Function) skips the in-code check; return mode answers with the SRM`, async () => {
  const body = widgetBody('confirm_remind');
  const { event } = studioCall(body);
  delete event.request.headers['x-twilio-signature'];
  const h = createReplyHandler({ profile: PROFILE, verify: 'gateway', mode: 'return', hl7Options: () => ({ controlId: 'C1', timestamp: '20260101000000' }), logger: false });
  const r = await invoke(h, {}, event);
  const reply = full.parseReply(body, { profile: PROFILE });
  assert.deepEqual(r.body, { ok: true, action: 'returned', eventType: 'CONFIRM', target: 'hl7', kind: 'hl7', message: full.replyToHl7(reply, PROFILE, { controlId: 'C1', timestamp: '20260101000000' }) });
  const sig = createReplyHandler({ profile: PROFILE, logger: false });
  assert.deepEqual((await invoke(sig, { AUTH_TOKEN }, event)).body, { ok: false, code: 'SIGNATURE_MISSING' });
  const noEndpoint = await invoke(createReplyHandler({ profile: PROFILE, verify: 'gateway', logger: false }), {}, event);
  assert.deepEqual([noEndpoint.status, noEndpoint.body.code], [500, 'CONFIG_NO_ENDPOINT']);
  const missing = await invoke(createReplyHandler({ profile: PROFILE, verify: 'gateway', logger: false }), {}, { flow_sid: FLOW_SID, event_type: 'Confirm' });
  assert.deepEqual([missing.status, missing.body.code], [422, 'REPLY_MISSING_FIELD']);
});

test(`${node}: reply: EHR timeout → 504 within the budget, unreachable → 502, HTTP 500 → 502 retryable, 2xx without ACK → accepted`, async () => {
  const body = widgetBody('cancel_remind');
  const hang = (/** @type {{ init: any }} */ { init }) =>
    new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
  const f = fakeFetch([hang, () => Promise.reject(new TypeError('fetch failed')), () => new Response('oops', { status: 500 }), () => new Response('', { status: 202 })]);
  const h = createReplyHandler({ profile: PROFILE, fetch: f.fetch, hl7Endpoint: 'https://engine.example.org/srm', timeoutMs: 300, logger: false });
  const t0 = Date.now();
  const a = await invoke(h, studioCall(body).context, studioCall(body).event);
  const took = Date.now() - t0;
  assert.deepEqual([a.status, a.body.code], [504, 'EHR_TIMEOUT']);
  assert.ok(took >= 250 && took < 3000, `timed out after ${took} ms`);
  const b = await invoke(h, studioCall(body).context, studioCall(body).event);
  assert.deepEqual([b.status, b.body.code], [502, 'EHR_UNREACHABLE']);
  const c = await invoke(h, studioCall(body).context, studioCall(body).event);
  assert.deepEqual([c.status, c.body.code, c.body.ehr], [502, 'EHR_REJECTED', { accepted: false, httpStatus: 500, retryable: true }]);
  const d = await invoke(h, studioCall(body).context, studioCall(body).event);
  assert.deepEqual([d.status, d.body.ehr], [200, { accepted: true, httpStatus: 202, retryable: false }]);
  assert.deepEqual(f.calls.map((x) => [x.method, x.url, x.headers['Content-Type']]), Array(4).fill(['POST', 'https://engine.example.org/srm', 'application/hl7-v2; charset=utf-8']));
});

test(`${node}: reply → FHIR: JSON Patch in one call; PUT re-read after 412; already cancelled → no write; token required`, async () => {
  const body = widgetBody('cancel_remind');
  const appt = (/** @type {string} */ status) => ({ resourceType: 'Appointment', id: 'APT-104776', status, participant: [{ actor: { reference: 'Patient/880124' }, status: 'accepted' }] });
  const json = (/** @type {unknown} */ v, /** @type {number} */ status = 200, /** @type {Record<string, string>} */ headers = {}) => () => new Response(JSON.stringify(v), { status, headers });
  const base = 'https://fhir.example.org/r4';
  {
    const profile = { ...PROFILE, reply: { ...PROFILE.reply, fhir: { baseUrl: base, style: 'json-patch' } } };
    const f = fakeFetch([json(appt('cancelled'))]);
    const h = createReplyHandler({ profile, fetch: f.fetch, accessToken: async () => 'tok-1', logger: false });
    const r = await invoke(h, studioCall(body).context, studioCall(body).event);
    assert.deepEqual([r.status, r.body.target, r.body.ehr.accepted], [200, 'fhir', true]);
    const expectedReq = full.replyToFhir(full.parseReply(body, { profile }), profile).request;
    assert.deepEqual(f.calls, [{ url: expectedReq.url, method: 'PATCH', headers: { ...expectedReq.headers, Authorization: 'Bearer tok-1' }, body: JSON.stringify(expectedReq.body) }]);
  }
  {
    const profile = { ...PROFILE, reply: { ...PROFILE.reply, fhir: { baseUrl: base, style: 'put' } } };
    const conflict = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'conflict' }] };
    const f = fakeFetch([json(appt('booked'), 200, { ETag: ETAG }), json(conflict, 412), json(appt('booked'), 200, { ETag: 'W/"9"' }), json(appt('cancelled'), 200)]);
    const { lines, logger } = memoryLogger();
    const h = createReplyHandler({ profile, fetch: f.fetch, logger });
    const r = await invoke(h, { ...studioCall(body).context, EHR_FHIR_ACCESS_TOKEN: 'tok-2' }, studioCall(body).event);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(f.calls.map((c) => [c.method, c.headers['If-Match'] ?? null]), [['GET', null], ['PUT', ETAG], ['GET', null], ['PUT', 'W/"9"']]);
    assert.deepEqual(lines[0].line.steps, ['read', 'write', 'read', 'write']);
  }
  {
    const profile = { ...PROFILE, reply: { ...PROFILE.reply, fhir: { baseUrl: base, style: 'put' } } };
    const f = fakeFetch([json(appt('cancelled'), 200, { ETag: ETAG })]);
    const h = createReplyHandler({ profile, fetch: f.fetch, logger: false });
    const r = await invoke(h, { ...studioCall(body).context, EHR_FHIR_ACCESS_TOKEN: 'tok' }, studioCall(body).event);
    assert.deepEqual([r.status, r.body.action, r.body.reason, f.calls.length], [200, 'none', 'ALREADY_CANCELLED', 1]);
    const noTok = await invoke(h, studioCall(body).context, studioCall(body).event);
    assert.deepEqual([noTok.status, noTok.body.code], [500, 'CONFIG_NO_ACCESS_TOKEN']);
  }
});
