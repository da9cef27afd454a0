// @ts-check
// Twilio → EHR through the engine (installed tarball): the flow's IE_ENDPOINT request, signed like
// Studio signs it (X-Twilio-Signature over the public URL with ?bodySHA256=, computed here with
// twilio-node), is verified, stored and answered; the SRM goes to a fake EHR over MLLP and waits for
// its ACK (AE and timeouts retried, AR dead-lettered), or becomes a FHIR write. Also /healthz,
// /metrics and /status. MLLP over TLS to the EHR (tests/fixtures/tls/ehr-test-*: a test CA, the
// fake EHR's certificate, our client certificate): trusted, untrusted, wrong name, mutual TLS,
// startup errors, and `serve --ehr-tls…` end to end.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.mjs';
import { ACCOUNT_SID, AUTH_TOKEN, FLOW_SID, FROM, SAMPLE_PROFILE, drivers, engineModules, spawnServe, startFakeEhr, fakeStudioForFile, until } from './engine-fakes.mjs';

const node = `Node ${process.versions.node}`;
const { engine: E, api, dir: consumerDir } = engineModules();
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

// ---- MLLP over TLS to the EHR ----

const TLS_DIR = path.join(ROOT, 'tests', 'fixtures', 'tls');
const CA = path.join(TLS_DIR, 'ehr-test-ca.crt');
const CLIENT_CERT = path.join(TLS_DIR, 'ehr-test-client.crt');
const CLIENT_KEY = path.join(TLS_DIR, 'ehr-test-client.key');
/** The fake EHR's certificate (issued by the test CA for localhost and 127.0.0.1). */
const EHR_TLS = { cert: fs.readFileSync(path.join(TLS_DIR, 'ehr-test-server.crt')), key: fs.readFileSync(path.join(TLS_DIR, 'ehr-test-server.key')) };
/** The same EHR requiring a client certificate issued by the test CA (mutual TLS). */
const EHR_MTLS = { ...EHR_TLS, ca: fs.readFileSync(CA), requestCert: true, rejectUnauthorized: true };

/** The `ehr.reply` dead letters. @param {any} engine */
const deadReplies = (engine) => engine.store.listJobs({ kind: 'ehr.reply', state: 'dead' });
/** `[code, tlsCode]` of each JOB_RETRY of a reply. @param {any[]} lines */
const retries = (lines) => lines.filter((l) => l.event === 'JOB_RETRY' && l.kind === 'ehr.reply').map((l) => [l.code, l.tlsCode]);

test(`${node}: MLLP over TLS to the EHR (tls.ca: the CA file that signs its certificate): the SRM goes over TLS and the EHR's AA completes the reply`, async () => {
  const ehr = await startFakeEhr(api, { tls: EHR_TLS });
  const { engine, post, lines } = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: ehr.port, tls: { ca: CA } } });
  try {
    assert.equal((await post(widgetBody('Cancel'))).status, 200);
    await until(async () => (await replyJobs(engine))?.sent === 1, 10_000, 'the SRM to be acknowledged over TLS');
    assert.equal(ehr.received.length, 1);
    assert.match(ehr.received[0].split('\r')[0], /\|SRM\^S04\^SRM_S01\|/);
    assert.deepEqual(ehr.clients, [null], 'one TLS connection, no client certificate asked');
    assert.deepEqual(ehr.tlsErrors, []);
    assert.deepEqual((await replyJobs(engine)).sentByCode, { EHR_ACCEPTED: 1 });
    assert.deepEqual(retries(lines), []);
  } finally {
    await engine.stop();
    await ehr.close();
  }
});

test(`${node}: an EHR certificate the engine does not trust (tls: true, the default store) is EHR_TLS_ERROR (tlsCode UNABLE_TO_VERIFY_LEAF_SIGNATURE), retried with backoff, then dead-lettered; nothing is sent`, async () => {
  const ehr = await startFakeEhr(api, { tls: EHR_TLS });
  const { engine, post, lines } = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: ehr.port, tls: true }, maxAttempts: 3 });
  try {
    assert.equal((await post(widgetBody('Confirm'))).status, 200);
    await until(async () => (await replyJobs(engine))?.deadLettered === 1, 10_000, 'the reply to be dead-lettered');
    const [dead] = await deadReplies(engine);
    assert.deepEqual([dead.resultCode, dead.attempts, dead.result], ['RETRIES_EXHAUSTED', 3, { lastCode: 'EHR_TLS_ERROR', tlsCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }]);
    assert.deepEqual(retries(lines), [
      ['EHR_TLS_ERROR', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
      ['EHR_TLS_ERROR', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ]);
    assert.ok(lines.filter((l) => l.event === 'JOB_RETRY').every((l) => l.delayMs > 0), 'with backoff');
    assert.deepEqual((await replyJobs(engine)).deadByCode, { RETRIES_EXHAUSTED: 1 });
    await until(() => ehr.tlsErrors.length === 3, 5000, 'one refused handshake per attempt');
    assert.equal(ehr.received.length, 0, 'nothing sent without a verified certificate');
    assert.ok(!JSON.stringify(lines).includes('BEGIN CERTIFICATE') && !JSON.stringify(lines).includes('altnames'), 'codes only in the logs');
  } finally {
    await engine.stop();
    await ehr.close();
  }
});

test(`${node}: a servername the EHR's certificate does not carry is EHR_TLS_ERROR (ERR_TLS_CERT_ALTNAME_INVALID), shown by code in status while it retries; the name it carries works`, async () => {
  const ehr = await startFakeEhr(api, { tls: EHR_TLS });
  try {
    const wrong = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: ehr.port, tls: { ca: CA, servername: 'ehr.example.org' } }, maxAttempts: 50 });
    try {
      assert.equal((await wrong.post(widgetBody('Confirm'))).status, 200);
      await until(async () => (await replyJobs(wrong.engine))?.retryingByCode?.EHR_TLS_ERROR === 1, 10_000, 'status: retrying EHR_TLS_ERROR');
      assert.deepEqual(retries(wrong.lines)[0], ['EHR_TLS_ERROR', 'ERR_TLS_CERT_ALTNAME_INVALID']);
      assert.match(E.formatStatus(await wrong.engine.status()), /EHR_TLS_ERROR/);
      assert.equal(ehr.received.length, 0);
    } finally {
      await wrong.engine.stop();
    }
    const right = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: ehr.port, tls: { ca: CA, servername: 'localhost' } } });
    try {
      assert.equal((await right.post(widgetBody('Confirm'))).status, 200);
      await until(async () => (await replyJobs(right.engine))?.sent === 1, 10_000, 'delivery with the right name');
      assert.equal(ehr.received.length, 1);
    } finally {
      await right.engine.stop();
    }
  } finally {
    await ehr.close();
  }
});

test(`${node}: mutual TLS: an EHR that requires a client certificate gets ours (cert + key files; the CA as bytes) and answers AA; without it the handshake fails with EHR_TLS_ERROR`, async () => {
  const ehr = await startFakeEhr(api, { tls: EHR_MTLS });
  try {
    const withCert = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: ehr.port, tls: { ca: fs.readFileSync(CA), cert: CLIENT_CERT, key: CLIENT_KEY } } });
    try {
      assert.equal((await withCert.post(widgetBody('Cancel'))).status, 200);
      await until(async () => (await replyJobs(withCert.engine))?.sent === 1, 10_000, 'delivery with a client certificate');
      assert.deepEqual(ehr.clients, ['ehr-bridge-test-client']);
      assert.equal(ehr.received.length, 1);
    } finally {
      await withCert.engine.stop();
    }
    const without = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: ehr.port, tls: { ca: CA } }, maxAttempts: 2 });
    try {
      assert.equal((await without.post(widgetBody('Confirm'))).status, 200);
      await until(async () => (await replyJobs(without.engine))?.deadLettered === 1, 10_000, 'the reply to be dead-lettered');
      const [dead] = await deadReplies(without.engine);
      // TLS 1.3: our side of the handshake completes; the EHR then refuses with an alert.
      assert.deepEqual([dead.resultCode, dead.result], ['RETRIES_EXHAUSTED', { lastCode: 'EHR_TLS_ERROR', tlsCode: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }]);
      assert.deepEqual(retries(without.lines), [['EHR_TLS_ERROR', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED']]);
      assert.ok(ehr.tlsErrors.includes('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE'), ehr.tlsErrors.join());
      assert.equal(ehr.received.length, 1, 'the EHR processed nothing from the engine without a certificate');
    } finally {
      await without.engine.stop();
    }
  } finally {
    await ehr.close();
  }
});

test(`${node}: TLS to the EHR: a bad option or file fails createEngine with a code (before the store is opened); an EHR that is down stays EHR_UNREACHABLE, one that does not speak TLS is EHR_TLS_ERROR`, async () => {
  const profile = { ...PROFILE, studio: { ...PROFILE.studio, baseUrl: fx.studio.baseUrl } };
  /** @param {any} tls */
  const create = (tls) => {
    const store = path.join(tmp, `bad${++n}.db`);
    return {
      store,
      p: E.createEngine({ profile, store, storeOptions: { sqlite: drivers.sqlite }, twilio: { twilio: drivers.twilio, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, mllp: false, http: false, replies: { target: 'hl7', ehrMllp: { host: '127.0.0.1', port: 1, tls } }, logger: false }),
    };
  };
  const missing = path.join(tmp, 'no-such-ca.pem');
  /** @type {[unknown, string, RegExp][]} */
  const cases = [
    [{ cert: CLIENT_CERT }, 'ENGINE_BAD_OPTION', /both cert and key/],
    [{ key: CLIENT_KEY }, 'ENGINE_BAD_OPTION', /both cert and key/],
    [{ ca: missing }, 'ENGINE_TLS_FILE_UNREADABLE', /replies\.ehrMllp\.tls\.ca \(--ehr-tls-ca\) \(ENOENT\)/],
    [{ ca: TLS_DIR }, 'ENGINE_TLS_FILE_UNREADABLE', /\(EISDIR\)/],
    [{ ca: CLIENT_KEY }, 'ENGINE_TLS_INVALID', /no PEM certificate/],
    [{ cert: CLIENT_CERT, key: path.join(TLS_DIR, 'ehr-test-server.key') }, 'ENGINE_TLS_INVALID', /KEY_VALUES_MISMATCH/],
    [{ cert: CA, key: CLIENT_CERT }, 'ENGINE_TLS_INVALID', /OpenSSL refused/],
    [{ ca: fs.readFileSync(CA, 'utf8') }, 'ENGINE_BAD_OPTION', /not PEM text/],
    [{ minVersion: 'TLSv1.3' }, 'ENGINE_BAD_OPTION', /minVersion is not an option/],
    [{ servername: '127.0.0.1' }, 'ENGINE_BAD_OPTION', /servername \(--ehr-tls-servername\) must be a DNS name/],
    [{ rejectUnauthorized: 'no' }, 'ENGINE_BAD_OPTION', /rejectUnauthorized must be a boolean/],
    ['yes', 'ENGINE_BAD_OPTION', /must be true or/],
  ];
  for (const [tls, code, message] of cases) {
    const c = create(tls);
    await assert.rejects(c.p, (/** @type {any} */ e) => e.code === code && message.test(e.message) && !e.message.includes('BEGIN'), `${JSON.stringify(tls).slice(0, 60)} → ${code}`);
    assert.equal(fs.existsSync(c.store), false, 'refused before the store is opened');
  }

  // Down (nothing listens): no TCP connection, so not a TLS error. Plain MLLP: TCP connects, the
  // handshake never finishes (ETIMEDOUT after timeoutMs).
  const closed = await startFakeEhr(api);
  const downPort = closed.port;
  await closed.close();
  const plain = net.createServer((socket) => {
    socket.on('data', () => {});
    socket.on('error', () => {});
  });
  await new Promise((r) => plain.listen(0, '127.0.0.1', () => r(undefined)));
  const plainPort = /** @type {import('node:net').AddressInfo} */ (plain.address()).port;
  const down = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: downPort, tls: { ca: CA } }, maxAttempts: 1 });
  const noTls = await startEngine({ target: 'hl7', ehrMllp: { host: '127.0.0.1', port: plainPort, tls: { ca: CA } }, maxAttempts: 1 });
  try {
    assert.equal((await down.post(widgetBody('Confirm'))).status, 200);
    assert.equal((await noTls.post(widgetBody('Confirm'))).status, 200);
    await until(async () => (await replyJobs(down.engine))?.deadLettered === 1 && (await replyJobs(noTls.engine))?.deadLettered === 1, 10_000, 'both dead-lettered');
    assert.deepEqual((await deadReplies(down.engine))[0].result, { lastCode: 'EHR_UNREACHABLE' });
    assert.deepEqual((await deadReplies(noTls.engine))[0].result, { lastCode: 'EHR_TLS_ERROR', tlsCode: 'ETIMEDOUT' });
  } finally {
    await down.engine.stop();
    await noTls.engine.stop();
    await new Promise((r) => plain.close(() => r(undefined)));
  }
});

const CLI = path.join(consumerDir, 'node_modules', 'ehr-studio-bridge', 'dist', 'cli.cjs');
/** The CLI's environment (the drivers on NODE_PATH, the Twilio credentials). @param {Record<string, string>} [extra] */
const cliEnv = (extra = {}) => ({ ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), NODE_NO_WARNINGS: '1', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, ...extra });

test(`${node}: serve --ehr-tls…: startup errors by code (exit 1; a bad EHR_BRIDGE_EHR_TLS is a usage error), then replies over mutual TLS end to end (flags and EHR_BRIDGE_EHR_TLS_CA)`, async () => {
  const profile = path.join(tmp, 'tls-profile.json');
  fs.writeFileSync(profile, JSON.stringify({ ...PROFILE, studio: { ...PROFILE.studio, baseUrl: fx.studio.baseUrl } }));
  const base = ['serve', '--profile', profile, '--mllp-port', 'off', '--http-port', 'off', '--no-delivery'];
  /** @param {string[]} args @param {Record<string, string>} [env] */
  const refused = (args, env) => {
    const r = spawnSync(process.execPath, [CLI, ...base, '--store', path.join(tmp, `cli${++n}.db`), ...args], { encoding: 'utf8', timeout: 30_000, env: cliEnv(env) });
    return { status: r.status, code: r.status === 1 ? JSON.parse(r.stderr).error.code : null, stderr: r.stderr };
  };
  const ehrAt = ['--ehr-mllp', '127.0.0.1:1'];
  assert.deepEqual(refused(['--ehr-tls']).code, 'ENGINE_BAD_OPTION', '--ehr-tls without --ehr-mllp');
  assert.deepEqual(refused([], { EHR_BRIDGE_EHR_TLS_SERVERNAME: 'ehr.example.org' }).code, 'ENGINE_BAD_OPTION', 'a TLS option (env) without --ehr-mllp');
  assert.deepEqual(refused([], { EHR_BRIDGE_EHR_TLS: 'true' }).code, 'ENGINE_BAD_OPTION', 'EHR_BRIDGE_EHR_TLS=true without --ehr-mllp');
  const usage = refused([], { EHR_BRIDGE_EHR_TLS: 'maybe' });
  assert.deepEqual([usage.status, /EHR_BRIDGE_EHR_TLS must be true or false/.test(usage.stderr)], [2, true]);
  const noKey = refused([...ehrAt, '--ehr-tls-cert', CLIENT_CERT]);
  assert.deepEqual([noKey.status, noKey.code, /--ehr-tls-key/.test(noKey.stderr)], [1, 'ENGINE_BAD_OPTION', true]);
  assert.equal(refused([...ehrAt, '--ehr-tls-ca', path.join(tmp, 'missing.pem')]).code, 'ENGINE_TLS_FILE_UNREADABLE');
  assert.equal(refused([...ehrAt, '--ehr-tls-cert', CLIENT_CERT], { EHR_BRIDGE_EHR_TLS_KEY: path.join(TLS_DIR, 'ehr-test-server.key') }).code, 'ENGINE_TLS_INVALID');

  const ehr = await startFakeEhr(api, { tls: EHR_MTLS });
  const store = path.join(tmp, 'cli-tls.db');
  const serve = spawnServe(
    CLI,
    ['--profile', profile, '--store', store, '--mllp-port', 'off', '--http-port', '0', '--host', '127.0.0.1', '--public-url', PUBLIC_URL, '--no-delivery', '--poll-ms', '20',
      '--ehr-mllp', `127.0.0.1:${ehr.port}`, '--ehr-tls-cert', CLIENT_CERT, '--ehr-tls-key', CLIENT_KEY, '--ehr-tls-servername', 'localhost'],
    cliEnv({ EHR_BRIDGE_EHR_TLS_CA: CA }),
  );
  const { child, lines, exited } = serve;
  try {
    const started = await serve.started;
    const body = widgetBody('Cancel');
    const s = signed(body);
    const r = await fetch(`http://127.0.0.1:${started.httpPort}${s.path}`, { method: 'POST', headers: s.headers, body });
    assert.equal(r.status, 200);
    const done = await until(() => lines.find((l) => l.event === 'JOB_DONE' && l.kind === 'ehr.reply'), 10_000, `the reply over mutual TLS (${serve.stderr})`);
    assert.equal(done.code, 'EHR_ACCEPTED');
    assert.deepEqual(ehr.clients, ['ehr-bridge-test-client']);
    assert.equal(ehr.received.length, 1);
    assert.match(ehr.received[0].split('\r')[0], /\|SRM\^S04\^SRM_S01\|/);
    child.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null }, serve.stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await ehr.close();
  }
});
