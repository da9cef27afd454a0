// @ts-check
// Test doubles for the engine tests: a fake Twilio Studio v2 Executions API (create, list, fetch,
// context, end) that enforces one active execution per To/From like Studio does, a fake EHR MLLP
// endpoint answering SRM with scripted ACKs, synthetic SIU messages, and small MLLP helpers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before } from 'node:test';
import { ROOT, consumer } from './helpers.mjs';
import { ACCOUNT_SID, AUTH_TOKEN, FLOW_SID, FROM } from './twilio-fakes.mjs';

/** Resolves from the repository (dev dependencies: twilio, pg, better-sqlite3, HL7 servers). */
export const rootRequire = createRequire(import.meta.url);

/** The engine and the package API as installed from the tarball in the consumer project. */
export function engineModules() {
  const { dir } = consumer();
  const req = createRequire(path.join(dir, 'package.json'));
  return { engine: req('ehr-studio-bridge/engine'), api: req('ehr-studio-bridge'), dir };
}

/** better-sqlite3 when its native module loads in this Node (built for Node 20 here), else none. */
function loadBetterSqlite() {
  try {
    const Database = rootRequire('better-sqlite3');
    new Database(':memory:').close();
    return Database;
  } catch {
    return undefined;
  }
}

/** Drivers handed to the engine (the consumer project does not install them). */
export const drivers = { sqlite: loadBetterSqlite(), twilio: rootRequire('twilio'), pg: rootRequire('pg') };
/** The SQLite driver the store must pick in this Node. */
export const expectedSqliteDriver = drivers.sqlite ? 'better-sqlite3' : 'node:sqlite';

// The same test account and flow as the Twilio Functions tests.
export { ACCOUNT_SID, AUTH_TOKEN, FLOW_SID, FROM };
/** API keys the fake accepts (one per engine replica, so it can tell whose create it holds). */
export const API_SECRET = 'test-api-secret';
/** @param {number} i */
export const apiKey = (i) => `SK${i.toString(16).padStart(32, '0')}`;

const SAMPLE = fs.readFileSync(path.join(ROOT, 'samples', 'siu_s12_booked.hl7'), 'utf8');
export const SAMPLE_PROFILE = JSON.parse(fs.readFileSync(path.join(ROOT, 'samples', 'profile.json'), 'utf8'));

/**
 * @typedef {{ sid: string, to: string, from: string, params: Record<string, string>, created: number, ended: boolean, refused: number }} FakeExecution
 * @typedef {{ status: number, body?: unknown, delayMs?: number, drop?: 'before' | 'after' }} Scripted
 */

/**
 * Start the fake Studio on 127.0.0.1.
 * - Create: Basic auth (401 otherwise); the next scripted answer if any (`drop: 'after'` creates the
 *   execution then destroys the socket without answering; `'before'` drops without creating);
 *   else 409 when the To/From pair has an active execution, else 201.
 * - An execution stays active for `activeMs` after creation (0: ends at once), or — with
 *   `activeConflicts` — until it has caused that many 409s (deterministic), or until it is ended.
 *   With `activeEvents`, only executions of those event types stay active (PAM: BOOKED waits for a
 *   reply; CANCELED, RESCHEDULED… send one SMS and end).
 * @param {{ activeMs?: number, activeConflicts?: number, activeEvents?: string[], createDelayMs?: number | (() => number) }} [opts]
 */
export async function startFakeStudio(opts = {}) {
  /** @type {FakeExecution[]} */
  const executions = [];
  /** @type {Scripted[]} */
  const script = [];
  const counts = { create: 0, created: 0, conflict: 0, list: 0, context: 0, fetch: 0, end: 0, inflight: 0, byStatus: /** @type {Record<number, number>} */ ({}) };
  /** Creates held right now: who sent them (the API key or account) and their event type. @type {Set<{ user: string, eventType: string }>} */
  const held = new Set();
  /** @type {Map<string, string>} Authorization header → user (the account, or one of `apiKey(i)`) */
  const users = new Map([[`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`, ACCOUNT_SID]]);
  for (let i = 0; i < 8; i++) users.set(`Basic ${Buffer.from(`${apiKey(i)}:${API_SECRET}`).toString('base64')}`, apiKey(i));
  let n = 0;
  const activeMs = opts.activeMs ?? 0;
  let base = '';

  /** @param {FakeExecution} e */
  const isActive = (e) =>
    !e.ended &&
    (!opts.activeEvents || opts.activeEvents.includes(e.params.event_type)) &&
    (opts.activeConflicts ? e.refused < opts.activeConflicts : Date.now() - e.created < activeMs);
  /** @param {FakeExecution} e */
  const resource = (e) => ({
    sid: e.sid,
    account_sid: ACCOUNT_SID,
    flow_sid: FLOW_SID,
    context: {},
    contact_channel_address: e.to,
    contact_sid: `FC${e.sid.slice(2)}`,
    flow_version: 1,
    status: isActive(e) ? 'active' : 'ended',
    date_created: new Date(e.created).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    date_updated: new Date(e.created).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    initiated_by: 'RQ00000000000000000000000000000000',
    url: `${base}/v2/Flows/${FLOW_SID}/Executions/${e.sid}`,
    links: {},
  });

  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      /** @param {number} status @param {unknown} body */
      const answer = (status, body) => {
        counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const user = users.get(req.headers.authorization ?? '');
      if (!user) return answer(401, { code: 20003, message: 'Authenticate', status: 401 });
      const m = /^\/v2\/Flows\/(FW[0-9a-f]{32})\/Executions(?:\/(FN[0-9a-f]{32}))?(\/Context)?$/.exec(url.pathname);
      if (!m || m[1] !== FLOW_SID) return answer(404, { code: 20404, message: 'Not found', status: 404 });
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const sid = m[2];
      if (req.method === 'POST' && !sid) {
        counts.create += 1;
        const s = script.shift();
        const delay = s?.delayMs ?? (typeof opts.createDelayMs === 'function' ? opts.createDelayMs() : (opts.createDelayMs ?? 0));
        const h = { user, eventType: String(JSON.parse(form.get('Parameters') ?? '{}').event_type ?? '') };
        counts.inflight += 1;
        held.add(h);
        if (delay) await new Promise((r) => setTimeout(r, delay));
        counts.inflight -= 1;
        held.delete(h);
        if (s?.drop === 'before') return req.socket.destroy();
        const to = form.get('To') ?? '';
        const from = form.get('From') ?? '';
        if (s && !s.drop && s.status !== 201) return answer(s.status, s.body ?? { code: s.status * 100, message: 'scripted', status: s.status });
        const active = executions.find((e) => e.to === to && e.from === from && isActive(e));
        if (active) {
          counts.conflict += 1;
          active.refused += 1;
          return answer(409, {
            code: 20409,
            details: { conflicting_execution_sid: active.sid },
            message: `Execution ${active.sid} is already active for this contact. End the active Execution before creating a new one`,
            more_info: 'https://www.twilio.com/docs/errors/20409',
            status: 409,
          });
        }
        /** @type {FakeExecution} */
        const e = { sid: `FN${(++n).toString(16).padStart(32, '0')}`, to, from, params: JSON.parse(form.get('Parameters') ?? '{}'), created: Date.now(), ended: false, refused: 0 };
        executions.push(e);
        counts.created += 1;
        if (s?.drop === 'after') return req.socket.destroy();
        return answer(201, resource(e));
      }
      if (req.method === 'GET' && !sid) {
        counts.list += 1;
        const from = url.searchParams.get('DateCreatedFrom');
        const to = url.searchParams.get('DateCreatedTo');
        const fromMs = from ? Date.parse(from) : 0;
        const toMs = to ? Date.parse(to) : Infinity;
        const pageSize = Number(url.searchParams.get('PageSize') ?? 50);
        const page = Number(url.searchParams.get('Page') ?? 0);
        // Second precision, like Twilio's dates; newest first.
        const all = executions.filter((e) => Math.floor(e.created / 1000) * 1000 >= fromMs && Math.floor(e.created / 1000) * 1000 < toMs).reverse();
        const items = all.slice(page * pageSize, (page + 1) * pageSize);
        const query = `${from ? `&DateCreatedFrom=${encodeURIComponent(from)}` : ''}${to ? `&DateCreatedTo=${encodeURIComponent(to)}` : ''}`;
        const next = (page + 1) * pageSize < all.length ? `${base}/v2/Flows/${FLOW_SID}/Executions?PageSize=${pageSize}&Page=${page + 1}${query}` : null;
        return answer(200, { executions: items.map(resource), meta: { page, page_size: pageSize, key: 'executions', next_page_url: next, previous_page_url: null, url: `${base}${url.pathname}${url.search}`, first_page_url: null } });
      }
      const e = executions.find((x) => x.sid === sid);
      if (!e) return answer(404, { code: 20404, message: 'Not found', status: 404 });
      if (req.method === 'GET' && m[3]) {
        counts.context += 1;
        return answer(200, {
          account_sid: ACCOUNT_SID,
          flow_sid: FLOW_SID,
          execution_sid: e.sid,
          context: { flow: { data: e.params, channel: { address: e.from }, flow_sid: FLOW_SID }, contact: { channel: { address: e.to } }, widgets: {} },
          url: `${base}/v2/Flows/${FLOW_SID}/Executions/${e.sid}/Context`,
        });
      }
      if (req.method === 'GET') {
        counts.fetch += 1;
        return answer(200, resource(e));
      }
      if (req.method === 'POST' && form.get('Status') === 'ended') {
        counts.end += 1;
        if (!isActive(e)) return answer(409, { code: 20409, message: 'already ended', status: 409 });
        e.ended = true;
        return answer(200, resource(e));
      }
      return answer(400, { code: 20001, message: 'bad request', status: 400 });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  base = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  return {
    baseUrl: base,
    executions,
    counts,
    held,
    script,
    /** Make the contact's executions older (tests of end-stale). @param {number} ms */
    age(ms) {
      for (const e of executions) e.created -= ms;
    },
    close: () => new Promise((r) => server.close(() => r(undefined))),
  };
}

/**
 * One fake Studio for a whole test file: started before its first test; closed, and `tmp` removed,
 * after its last. Read `.studio` inside tests.
 * @param {string} tmp
 */
export function fakeStudioForFile(tmp) {
  const f = { studio: /** @type {Awaited<ReturnType<typeof startFakeStudio>>} */ (/** @type {unknown} */ (null)) };
  before(async () => {
    f.studio = await startFakeStudio();
  });
  after(async () => {
    await f.studio.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  return f;
}

/**
 * A synthetic SIU (the bundled sample with other ids, phone, event and times): patient `p`,
 * appointment `a`, trigger S12/S13/S15, event time `t` (seconds offset), control id `cid`.
 * @param {{ patient: number, appointment: number, trigger?: 'S12' | 'S13' | 'S14' | 'S15', seq: number, cid?: string }} o
 */
export function siu(o) {
  const trigger = o.trigger ?? 'S12';
  const phone = `971${String(5550000 + (o.patient % 10000)).padStart(7, '0')}`;
  const t = new Date(Date.UTC(2026, 11, 2, 9, 0, 0) + o.seq * 1000);
  const ts = t.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const status = trigger === 'S15' ? 'Cancelled' : 'Booked';
  return SAMPLE.replace('20261202091512', ts)
    .replace('SIU^S12^SIU_S12', `SIU^${trigger}^SIU_${trigger}`)
    .replace('OWL-000184223', o.cid ?? `C${o.seq}`)
    .replace('APT-104776^OWLHEALTH', `APT-${o.appointment}^OWLHEALTH`)
    .replace('880124^^^OWLHEALTH^MR', `P${o.patient}^^^OWLHEALTH^MR`)
    .replace('^PRN^CP^^1^971^5550123', `^PRN^CP^^1^${phone.slice(0, 3)}^${phone.slice(3)}`)
    .replace('|||||Booked', `|||||${status}`);
}

/** @param {string | Uint8Array} m */
export const frame = (m) => Buffer.concat([Buffer.from([0x0b]), Buffer.from(m), Buffer.from([0x1c, 0x0d])]);

/**
 * A minimal MLLP client for tests: send frames, read ACK frames (payload text) in order.
 * @param {number} port @param {{ host?: string }} [o]
 */
export async function mllpConnect(port, o = {}) {
  const socket = net.connect({ port, host: o.host ?? '127.0.0.1' });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  /** @type {string[]} */
  const acks = [];
  /** @type {((v: string | null) => void)[]} */
  const waiters = [];
  let buf = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const s = buf.indexOf(0x0b);
      const e = buf.indexOf(0x1c, s + 1);
      if (s < 0 || e < 0) break;
      const msg = buf.subarray(s + 1, e).toString('utf8');
      buf = buf.subarray(e + 1 + (buf[e + 1] === 0x0d ? 1 : 0));
      const w = waiters.shift();
      if (w) w(msg);
      else acks.push(msg);
    }
  });
  const onGone = () => {
    closed = true;
    for (const w of waiters.splice(0)) w(null);
  };
  socket.on('close', onGone);
  socket.on('error', () => {});
  return {
    socket,
    get closed() {
      return closed;
    },
    /** @param {Uint8Array | string} bytes */
    write: (bytes) => socket.write(bytes),
    /** The next ACK (null: connection closed). @param {number} [timeoutMs] @returns {Promise<string | null>} */
    next(timeoutMs = 10_000) {
      const a = acks.shift();
      if (a !== undefined) return Promise.resolve(a);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no ACK in time')), timeoutMs);
        waiters.push((v) => {
          clearTimeout(t);
          resolve(v);
        });
      });
    },
    /** @param {string} message */
    async send(message) {
      socket.write(frame(message));
      return this.next();
    },
    close: () => socket.destroy(),
  };
}

/** MSA-1 and MSA-2 of an ACK. @param {string} ack */
export function msa(ack) {
  const seg = ack.split('\r').find((s) => s.startsWith('MSA'));
  const f = (seg ?? '').split('|');
  return { code: f[1] ?? '', controlId: f[2] ?? '', err: ack.split('\r').find((s) => s.startsWith('ERR')) ?? null };
}

/**
 * A fake EHR MLLP endpoint: answers each SRM with an ACK from `api.buildAck` (MSA-2 = its MSH-10),
 * or the next scripted behaviour: 'AE' / 'AR' (ERR 207), 'AE:204' (ERR 204, unknown key),
 * 'silent' (no answer), 'close' (drop the connection). With `tls` (node:tls server options) it is
 * MLLP over TLS: `tlsErrors` collects the codes of failed handshakes, `clients` the CN of each
 * client certificate presented (null: none).
 * @param {any} api @param {{ tls?: import('node:tls').TlsOptions }} [o]
 */
export async function startFakeEhr(api, o = {}) {
  /** @type {string[]} */
  const received = [];
  /** @type {('AE' | 'AR' | 'AE:204' | 'silent' | 'close')[]} */
  const script = [];
  /** @type {string[]} */
  const tlsErrors = [];
  /** @type {(string | null)[]} */
  const clients = [];
  /** @param {import('node:net').Socket} socket */
  const onConnection = (socket) => {
    if (socket instanceof tls.TLSSocket) clients.push(String(socket.getPeerCertificate()?.subject?.CN ?? '') || null);
    let buf = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const split = api.mllpSplit(buf);
      buf = Buffer.from(split.rest);
      for (const f of split.frames) {
        const text = Buffer.from(f).toString('utf8');
        received.push(text);
        const s = script.shift();
        if (s === 'silent') continue;
        if (s === 'close') {
          socket.destroy();
          return;
        }
        const code = s === 'AE' || s === 'AE:204' ? 'error' : s === 'AR' ? 'reject' : 'accept';
        const ack = api.buildAck(text, { code, level: 'application', ...(s ? { error: { hl7Code: s === 'AE:204' ? 204 : 207 } } : {}) }).message;
        socket.write(api.mllpFrame(ack));
      }
    });
  };
  const server = o.tls ? tls.createServer(o.tls, onConnection) : net.createServer(onConnection);
  server.on('tlsClientError', (e) => tlsErrors.push(String(/** @type {any} */ (e)?.code ?? 'unknown')));
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  return {
    port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
    received,
    script,
    tlsErrors,
    clients,
    close: () => new Promise((r) => server.close(() => r(undefined))),
  };
}

/** Poll `fn` until it returns truthy (or throw after `timeoutMs`). @template T @param {() => Promise<T> | T} fn @param {number} [timeoutMs] @param {string} [what] */
export async function until(fn, timeoutMs = 20_000, what = 'condition') {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Start `<cli> serve …` in a child process whose JSON log lines (stdout) are collected as objects.
 * `started` resolves with the ENGINE_STARTED line (its bound ports); `exited` with the exit.
 * @param {string} cli @param {string[]} args @param {NodeJS.ProcessEnv} env
 */
export function spawnServe(cli, args, env) {
  const child = spawn(process.execPath, [cli, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  /** @type {any[]} */
  const lines = [];
  let stderr = '';
  let partial = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) lines.push(JSON.parse(p));
  });
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return {
    child,
    lines,
    exited,
    get stderr() {
      return stderr;
    },
    started: until(() => lines.find((l) => l.event === 'ENGINE_STARTED'), 20_000, 'serve to start').catch((e) => {
      throw new Error(`${e.message} (${stderr})`);
    }),
  };
}
