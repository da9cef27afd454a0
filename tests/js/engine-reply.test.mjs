// @ts-check
// Twilio → EHR through the engine (installed tarball): the flow's IE_ENDPOINT request, signed like
// Studio signs it (X-Twilio-Signature over the public URL with ?bodySHA256=, computed here with
// twilio-node), is verified, stored and answered; the SRM goes to a fake EHR over MLLP and waits for
// its ACK (AE and timeouts retried, AR dead-lettered), or becomes a FHIR write. Also /healthz,
// /metrics and /status.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ACCOUNT_SID, AUTH_TOKEN, FLOW_SID, FROM, SAMPLE_PROFILE, drivers, engineModules, startFakeEhr, fakeStudioForFile, until } from './engine-fakes.mjs';

const node = `Node ${process.versions.node}`;
const { engine: E, api } = engineModules();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-reply-'));
const PUBLIC_URL = 'https://bridge.example.org/ie-endpoint';
const PROFILE = { ...SAMPLE_PROFILE, studio: { flowSid: FLOW_SID, from: FROM } };
const fx = fakeStudioForFile(tmp);
let n = 0;

/** The exact body the PAM widget sends for these ids. @param {'Confirm' | 'Cancel'} eventType @param {string} [flowSid] */
function widgetBody(eventType, flowSid = FLOW_SID) {
  return api.replyBodyCandidates({ flow_sid: flowSid, event_type: eventType, appointment_id: 'APT-104776', provider_id: '1982', patient_id: '880124' })[0];
}

/** Headers and path of a Studio-signed JSON post of `body` (signature by twilio-node). @param {string} body @param {string} [token] */
function signed(body, token = AUTH_TOKEN) {
  const hash = crypto.createHash('sha256').update(body).digest('hex');
  const url = `${PUBLIC_URL}?bodySHA256=${hash}`;
  const signature = drivers.twilio.getExpectedTwilioSignature(token, url, {});
  return { path: `/ie-endpoint?bodySHA256=${hash}`, headers: { 'Content-Type': 'application/json;charset=utf-8', 'X-Twilio-Signature': signature } };
}

/** @param {Record<string, any>} replies @param {Record<string, any>} [profile] */
async function startEngine(replies, profile = PROFILE) {
  /** @type {any[]} */
  const lines = [];
  const engine = await E.createEngine({
    profile: { ...profile, studio: { ...profile.studio, baseUrl: fx.studio.baseUrl } },
    store: path.join(tmp, `r${++n}.db`),
    storeOptions: { sqlite: drivers.sqlite },
    twilio: { twilio: drivers.twilio, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
    mllp: false,
    http: { port: 0, host: '127.0.0.1', publicUrl: PUBLIC_URL },
    replies: { timeoutMs: 400, backoffMs: 30, capMs: 200, maxAttempts: 8, ...replies },
    worker: { pollMs: 20, heartbeatMs: 100, deadAfterMs: 1000 },
    logger: E.createLogger({ level: 'debug', write: (/** @type {string} */ l) => lines.push(JSON.parse(l)) }),
  });
  const addr = await engine.start();
  const base = `http://127.0.0.1:${addr.http?.port}`;
  /** @param {string} body @param {{ path: string, headers: Record<string, string> }} [s] */
  const post = async (body, s = signed(body)) => {
    const r = await fetch(`${base}${s.path}`, { method: 'POST', headers: s.headers, body });
    return { status: r.status, body: await r.json() };
  };
  return { engine, base, post, lines };
}

/** @param {any} engine */
const replyJobs = async (engine) => (await engine.status()).jobs['ehr.reply'];

test(`${node}: a signed reply is stored and answered 200; its SRM^S04 goes over MLLP and the EHR's AA completes it`, async () => {
  const ehr = await startFakeEhr(api);
  const { engine, post, lines } = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: ehr.port } });
  try {
    const body = widgetBody('Cancel');
    const r = await post(body);
    assert.deepEqual([r.status, r.body.ok, r.body.status, r.body.eventType], [200, true, 'queued', 'CANCEL']);
    await until(async () => (await replyJobs(engine))?.sent === 1, 10_000, 'the SRM to be acknowledged');
    assert.equal(ehr.received.length, 1);
    const srm = ehr.received[0];
    assert.match(srm.split('\r')[0], /\|SRM\^S04\^SRM_S01\|/);
    assert.ok(srm.split('\r').includes('PID|1||880124^^^^MR'), srm);
    assert.deepEqual((await replyJobs(engine)).sentByCode, { EHR_ACCEPTED: 1 });
    // The same signed request again (a replay): acknowledged, not sent twice.
    const again = await post(body);
    assert.deepEqual([again.status, again.body.status], [200, 'duplicate']);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(ehr.received.length, 1);
    assert.ok(!JSON.stringify(lines).includes('880124'), 'no patient id in the logs');
  } finally {
    await engine.stop();
    await ehr.close();
  }
});

test(`${node}: missing, wrong or replayed-with-another-body signatures and a foreign flow are refused; nothing is stored`, async () => {
  const ehr = await startFakeEhr(api);
  const { engine, post } = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: ehr.port } });
  try {
    const body = widgetBody('Confirm');
    const s = signed(body);
    const none = await post(body, { path: s.path, headers: { 'Content-Type': s.headers['Content-Type'] } });
    assert.deepEqual([none.status, none.body.code], [401, 'SIGNATURE_MISSING']);
    const wrong = await post(body, signed(body, 'another-token'));
    assert.deepEqual([wrong.status, wrong.body.code, wrong.body.reason], [403, 'SIGNATURE_INVALID', 'SIGNATURE_MISMATCH']);
    const tampered = await post(widgetBody('Cancel'), s);
    assert.deepEqual([tampered.status, tampered.body.code, tampered.body.reason], [403, 'SIGNATURE_INVALID', 'BODY_HASH_MISMATCH']);
    const other = widgetBody('Cancel', 'FW0123456789abcdef0123456789abcdef');
    const foreign = await post(other);
    assert.deepEqual([foreign.status, foreign.body.code], [403, 'REPLY_FLOW_MISMATCH']);
    const notJson = 'flow_sid=x';
    const bad = await post(notJson);
    assert.equal(bad.status >= 400 && bad.status < 500, true);
    assert.equal((await engine.status()).jobs['ehr.reply'], undefined, 'no job stored');
  } finally {
    await engine.stop();
    await ehr.close();
  }
});

test(`${node}: AE, AR, no answer and a dropped connection are retried with the same message (same MSH-10); an unknown-key AE dead-letters`, async () => {
  const ehr = await startFakeEhr(api);
  ehr.script.push('AE', 'AR', 'silent', 'close');
  const { engine, post } = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: ehr.port } });
  try {
    assert.equal((await post(widgetBody('Confirm'))).status, 200);
    await until(async () => (await replyJobs(engine))?.sent === 1, 15_000, 'delivery after retries');
    assert.equal(ehr.received.length, 5, 'AE, AR, no answer, connection closed, then AA');
    const ids = ehr.received.map((m) => api.queryHl7(m, 'MSH-10').value);
    assert.equal(new Set(ids).size, 1, 'every retry resends the same message');
    assert.match(ehr.received[0].split('\r')[0], /\|SRM\^S03\^SRM_S01\|/);
    ehr.script.push('AE:204');
    assert.equal((await post(widgetBody('Cancel'))).status, 200);
    await until(async () => (await replyJobs(engine))?.deadLettered === 1, 10_000, 'the rejection to dead-letter');
    const dead = await engine.store.listJobs({ kind: 'ehr.reply', state: 'dead' });
    assert.equal(dead[0].resultCode, 'EHR_REJECTED');
    assert.deepEqual(dead[0].result, { ackCode: 'AE', errors: ['204'] });
    assert.equal(ehr.received.length, 6, 'not retried');
  } finally {
    await engine.stop();
    await ehr.close();
  }
});

test(`${node}: replies to a FHIR server (the profile's reply.fhir): JSON Patch with the bearer token; a 503 is retried`, async () => {
  /** @type {{ method: string, url: string, auth: string | undefined }[]} */
  const calls = [];
  const answers = [503, 200];
  /** @param {string} url @param {any} init */
  const fetchFake = async (url, init) => {
    calls.push({ method: init.method, url, auth: init.headers.Authorization });
    const status = answers.shift() ?? 200;
    return new Response(JSON.stringify(status === 200 ? { resourceType: 'Appointment', id: 'APT-104776', status: 'cancelled' } : { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient' }] }), { status });
  };
  const profile = { ...PROFILE, reply: { ...PROFILE.reply, fhir: { baseUrl: 'https://fhir.example.org/r4', style: 'json-patch' } } };
  const { engine, post } = await startEngine({ target: 'fhir', fetch: fetchFake, accessToken: async () => 'tok-1' }, profile);
  try {
    assert.equal((await post(widgetBody('Cancel'))).status, 200);
    await until(async () => (await replyJobs(engine))?.sent === 1, 10_000, 'the FHIR write');
    assert.deepEqual(calls, [
      { method: 'PATCH', url: 'https://fhir.example.org/r4/Appointment/APT-104776', auth: 'Bearer tok-1' },
      { method: 'PATCH', url: 'https://fhir.example.org/r4/Appointment/APT-104776', auth: 'Bearer tok-1' },
    ]);
  } finally {
    await engine.stop();
  }
});

test(`${node}: /healthz, /metrics (Prometheus text) and /status (JSON) carry codes and counts only`, async () => {
  const ehr = await startFakeEhr(api);
  const { engine, base, post } = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: ehr.port } });
  try {
    await post(widgetBody('Confirm'));
    await engine.accept('MSH|^~\\&|A|B|C|D|20260101||ADT^A08|1|P|2.5.1\rPID|1\r');
    const h = await fetch(`${base}/healthz`);
    assert.equal(h.status, 200);
    assert.equal((await h.json()).status, 'ok');
    const m = await (await fetch(`${base}/metrics`)).text();
    assert.match(m, /^# TYPE ehr_bridge_messages_total counter$/m);
    assert.match(m, /^ehr_bridge_messages_total\{outcome="skipped"\} 1$/m);
    assert.match(m, /^ehr_bridge_replies_total\{code="REPLY_QUEUED"\} 1$/m);
    assert.match(m, /^ehr_bridge_jobs\{kind="ehr.reply",state="(sent|queued|running)"\} 1$/m);
    const s = await (await fetch(`${base}/status`)).json();
    assert.equal(s.messages.skipped.SKIP_NOT_SCHEDULING_EVENT, 1);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    assert.equal((await fetch(`${base}/ie-endpoint`)).status, 405);
  } finally {
    await engine.stop();
    await ehr.close();
  }
});
