// @ts-check
// A local fake of the Twilio Studio v2 Executions API, of the Sync v1 Maps API (the reminder store)
// and of the EHR endpoints (HL7 over HTTP and a FHIR server), recording every request. Shared by
// tests/js/twilio-adapters.test.mjs (in-process) and tests/js/twilio-e2e.test.mjs (twilio-run).
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

/** The Sync service of the fake. */
export const SYNC_SERVICE_SID = 'IS0123456789abcdef0123456789abcdef';

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
 * - Sync v1 (`/v1/Services/{IS}/Maps…`, Basic auth): maps by unique name (fetch, create: 409 when
 *   it exists), map items (create: 409 54208 when the key exists; fetch / update / delete: 404
 *   54201, and 412 54205 when `If-Match` is not the current revision; list in key order with
 *   `Order`, `PageSize`, `PageToken` and `meta.next_page_url`), like the documented API; each
 *   write bumps the item's `revision`. `failSync(n)`: the next n Sync calls answer 503.
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
  /** @type {Map<string, { sid: string, items: Map<string, { data: unknown, revision: number, ttl: number | null, created: string, updated: string }> }>} */
  const syncMaps = new Map();
  let syncFailures = 0;
  let revisions = 0;
  /** @param {string} host @param {string} path @param {URLSearchParams} q */
  const absolute = (host, path, q) => `http://${host}${path}?${q.toString()}`;

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
      const sync = url.pathname.match(/^\/v1\/Services\/(IS[0-9a-f]{32})\/Maps(?:\/([^/]+)(?:\/Items(?:\/([^/]+))?)?)?$/);
      if (sync) {
        rec.form = Object.fromEntries(new URLSearchParams(raw));
        if (headers.authorization !== expectedAuth) return reply(401, { code: 20003, message: 'Authenticate', status: 401 });
        if (syncFailures > 0) {
          syncFailures--;
          return reply(503, { code: 20503, message: 'Service Unavailable', status: 503 });
        }
        if (sync[1] !== SYNC_SERVICE_SID) return reply(404, { code: 20404, message: 'service not found', status: 404 });
        const mapName = sync[2] === undefined ? undefined : decodeURIComponent(sync[2]);
        const itemKey = sync[3] === undefined ? undefined : decodeURIComponent(sync[3]);
        const notFound = (/** @type {number} */ code) => reply(404, { code, message: 'not found', status: 404 });
        const mapJson = (/** @type {string} */ name) => ({ sid: syncMaps.get(name)?.sid, unique_name: name, service_sid: sync[1], revision: '0' });
        if (mapName === undefined) {
          if (req.method !== 'POST') return reply(405, { message: 'method' });
          const name = rec.form.UniqueName;
          if (syncMaps.has(name)) return reply(409, { code: 54301, message: 'Unique name already exists', status: 409 });
          syncMaps.set(name, { sid: `MP${(syncMaps.size + 1).toString(16).padStart(32, '0')}`, items: new Map() });
          return reply(201, mapJson(name));
        }
        const map = syncMaps.get(mapName);
        if (!map) return notFound(54300);
        const itemJson = (/** @type {string} */ key) => {
          const it = map.items.get(key);
          return { key, service_sid: sync[1], map_sid: map.sid, url: `https://sync.twilio.com${url.pathname}`, revision: String(it?.revision), data: it?.data, date_expires: null, date_created: it?.created, date_updated: it?.updated, created_by: 'system' };
        };
        const now = new Date().toISOString();
        if (itemKey === undefined && sync[0].endsWith('/Items')) {
          if (req.method === 'POST') {
            const key = rec.form.Key;
            if (map.items.has(key)) return reply(409, { code: 54208, message: 'Map Item already exists', status: 409 });
            map.items.set(key, { data: JSON.parse(rec.form.Data), revision: ++revisions, ttl: rec.form.ItemTtl ? Number(rec.form.ItemTtl) : null, created: now, updated: now });
            return reply(201, itemJson(key));
          }
          // List in key order.
          const order = url.searchParams.get('Order') === 'desc' ? -1 : 1;
          const size = Number(url.searchParams.get('PageSize') ?? '50');
          const after = url.searchParams.get('PageToken');
          const keys = [...map.items.keys()].sort((a, b) => (a < b ? -order : a > b ? order : 0));
          const from = after === null ? 0 : keys.findIndex((k) => (order > 0 ? k > after : k < after));
          const pageKeys = from < 0 ? [] : keys.slice(from, from + size);
          const more = from >= 0 && from + size < keys.length;
          const host = req.headers.host ?? '127.0.0.1';
          const next = new URLSearchParams({ Order: order > 0 ? 'asc' : 'desc', PageSize: String(size), PageToken: pageKeys.at(-1) ?? '' });
          return reply(200, {
            items: pageKeys.map(itemJson),
            meta: { page: 0, page_size: size, first_page_url: absolute(host, url.pathname, new URLSearchParams({ PageSize: String(size) })), previous_page_url: null, url: absolute(host, url.pathname, url.searchParams), next_page_url: more ? absolute(host, url.pathname, next) : null, key: 'items' },
          });
        }
        if (itemKey === undefined) return reply(200, mapJson(mapName));
        const it = map.items.get(itemKey);
        if (!it) return notFound(54201);
        const ifMatch = headers['if-match'];
        if (req.method !== 'GET' && ifMatch !== undefined && ifMatch !== String(it.revision)) {
          return reply(412, { code: 54205, message: 'The revision of the Map Item does not match the expected revision', status: 412 });
        }
        if (req.method === 'GET') return reply(200, itemJson(itemKey));
        if (req.method === 'DELETE') {
          map.items.delete(itemKey);
          res.writeHead(204);
          return res.end();
        }
        if (rec.form.Data !== undefined) it.data = JSON.parse(rec.form.Data);
        if (rec.form.ItemTtl !== undefined) it.ttl = Number(rec.form.ItemTtl);
        it.revision = ++revisions;
        it.updated = now;
        return reply(200, itemJson(itemKey));
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
    /** The next `n` Sync calls answer 503. @param {number} n */
    failSync: (n) => {
      syncFailures = n;
    },
    /** The items of a Sync map, in key order (`[]` when the map does not exist). @param {string} name */
    syncItems: (name) =>
      [...(syncMaps.get(name)?.items.entries() ?? [])]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, v]) => ({ key, data: /** @type {any} */ (v.data), revision: String(v.revision), ttl: v.ttl })),
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
