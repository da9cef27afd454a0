// @ts-check
// A local fake of the Twilio Studio v2 Executions API and of the EHR endpoints (HL7 over HTTP and a
// FHIR server), recording every request. Shared by tests/js/twilio-adapters.test.mjs (in-process)
// and tests/js/twilio-e2e.test.mjs (twilio-run).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from './helpers.mjs';

const TWILIO_FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'twilio');
/** @param {string} name */
const fixture = (name) => JSON.parse(fs.readFileSync(path.join(TWILIO_FIXTURES, name), 'utf8'));

export const CREATED_201 = fixture('studio-execution-create-201.json');
export const CONFLICT_409 = fixture('studio-execution-409-conflict.json');
export const RATE_LIMITED_429 = {
  status: 429,
  body: { code: 20429, message: 'Too Many Requests', more_info: 'https://www.twilio.com/docs/errors/20429', status: 429 },
};
export const ERROR_500 = {
  status: 500,
  body: { code: 20500, message: 'Internal Server Error', more_info: 'https://www.twilio.com/docs/errors/20500', status: 500 },
};
export const UNAVAILABLE_503 = {
  status: 503,
  body: { code: 20503, message: 'Service Unavailable', more_info: 'https://www.twilio.com/docs/errors/20503', status: 503 },
};

/** Test credentials (format-valid, not real). */
export const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const AUTH_TOKEN = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
export const FLOW_SID = 'FW5c1d0e0a4b3c2d1e0f9a8b7c6d5e4f3a';
export const FROM = '+15035550100';
export const FHIR_TOKEN = 'fhir-test-token';
export const HL7_AUTH = 'Basic ZW5naW5lOnRlc3Q=';
/** ETag of the Appointment the fake FHIR server serves. */
export const ETAG = 'W/"7"';

/** `FN` + 32 hex digits from a counter. @param {number} n */
export const executionSid = (n) => `FN${n.toString(16).padStart(32, '0')}`;

/**
 * @typedef {{ method: string, path: string, query: string, headers: Record<string, string>, body: string,
 *   form?: Record<string, string>, basicAuth?: string | null }} Recorded
 * @typedef {{ status: number, body?: unknown, headers?: Record<string, string> }} Scripted
 */

/**
 * Start the fake on 127.0.0.1 (random port).
 * - `POST /v2/Flows/{FW}/Executions` (form): Basic auth checked (401 otherwise); answers the next
 *   scripted response, else 201 with the documented body and a fresh `FN` sid.
 * - `POST /v2/Flows/{FW}/Executions/{FN}` (form, `Status=ended`): 200, or the next scripted response.
 * - `POST /ehr/hl7`: an `ACK` built with the package's `buildAck` (MSA-2 = the SRM's MSH-10), or scripted.
 * - `GET /fhir/Appointment/{id}` → the Appointment with `ETag`; `PUT|PATCH` → 200 (or scripted).
 * @param {{ api: any, fhirAppointment?: (id: string) => object }} opts
 */
export async function startFake({ api, fhirAppointment }) {
  /** @type {Recorded[]} */
  const recorded = [];
  /** @type {Scripted[]} */
  const studioScript = [];
  /** @type {Scripted[]} */
  const ehrScript = [];
  let counter = 0;
  const expectedAuth = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;

  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://fake');
      /** @type {Record<string, string>} */
      const headers = {};
      for (const h of ['authorization', 'content-type', 'accept', 'if-match']) {
        const v = req.headers[h];
        if (typeof v === 'string') headers[h] = v;
      }
      /** @type {Recorded} */
      const rec = { method: req.method ?? '', path: url.pathname, query: url.search, headers, body: raw };
      recorded.push(rec);
      /** @param {number} status @param {unknown} body @param {Record<string, string>} [extra] */
      const reply = (status, body, extra = {}) => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json', ...extra });
        res.end(text);
      };
      const studio = url.pathname.match(/^\/v2\/Flows\/(FW[0-9a-f]{32})\/Executions(?:\/(FN[0-9a-f]{32}))?$/);
      if (studio) {
        rec.basicAuth = headers.authorization ?? null;
        rec.form = Object.fromEntries(new URLSearchParams(raw));
        if (headers.authorization !== expectedAuth) {
          return reply(401, { code: 20003, message: 'Authenticate', status: 401 });
        }
        if (!headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
          return reply(400, { code: 20001, message: 'form body expected', status: 400 });
        }
        const next = studioScript.shift();
        if (next) return reply(next.status, next.body ?? '', next.headers);
        if (studio[2]) return reply(200, { ...CREATED_201.body, sid: studio[2], flow_sid: studio[1], status: 'ended' });
        const sid = executionSid(++counter);
        return reply(201, { ...CREATED_201.body, sid, flow_sid: studio[1], contact_channel_address: rec.form.To });
      }
      if (url.pathname === '/ehr/hl7' && req.method === 'POST') {
        const next = ehrScript.shift();
        if (next) return reply(next.status, next.body ?? '', next.headers);
        const ack = api.buildAck(raw, { code: 'accept', controlId: `ACK${recorded.length}`, timestamp: '20260101120000+0000' });
        return reply(200, ack.message, { 'Content-Type': 'application/hl7-v2' });
      }
      const fhir = url.pathname.match(/^\/fhir\/Appointment\/([^/]+)$/);
      if (fhir && fhirAppointment) {
        const next = ehrScript.shift();
        if (next) return reply(next.status, next.body ?? '', next.headers);
        const id = decodeURIComponent(fhir[1]);
        if (req.method === 'GET') return reply(200, fhirAppointment(id), { ETag: ETAG, 'Content-Type': 'application/fhir+json' });
        return reply(200, raw ? JSON.parse(raw) : {}, { ETag: 'W/"8"', 'Content-Type': 'application/fhir+json' });
      }
      return reply(404, { message: 'not found' });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    recorded,
    /** Responses for the next Studio calls, in order. @param {...Scripted} r */
    scriptStudio: (...r) => studioScript.push(...r),
    /** Responses for the next EHR calls, in order. @param {...Scripted} r */
    scriptEhr: (...r) => ehrScript.push(...r),
    /** Take (and clear) what was recorded. */
    take() {
      return recorded.splice(0, recorded.length);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

/** A free TCP port on localhost (released before returning; twilio-run binds it next). */
export async function freePort() {
  const s = http.createServer();
  await new Promise((resolve) => s.listen(0, resolve));
  const a = s.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  await new Promise((resolve) => s.close(resolve));
  return port;
}
