// @ts-check
// Small shared pieces of the engine: coded errors, JSON-line logs without PHI, hashing, backoff.
'use strict';

const crypto = require('node:crypto');

/**
 * An engine error with a stable code. Never put input values (PHI) in `message`.
 * @param {string} code @param {string} message @returns {Error & { code: string }}
 */
function coded(code, message) {
  const e = /** @type {Error & { code: string }} */ (new Error(message));
  e.name = 'EhrStudioBridgeError';
  e.code = code;
  return e;
}

/**
 * A short, stable, non-reversible reference for a value that must not be logged (a phone number,
 * a lane key): the first 16 hex digits of its SHA-256.
 * @param {string | Uint8Array} value
 */
function hashRef(value) {
  return crypto.createHash('sha256').update(value).digest('hex').slice(0, 16);
}

/** @typedef {'debug' | 'info' | 'warn' | 'error'} LogLevel */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * @typedef {{
 *   debug(event: string, fields?: Record<string, unknown>): void,
 *   info(event: string, fields?: Record<string, unknown>): void,
 *   warn(event: string, fields?: Record<string, unknown>): void,
 *   error(event: string, fields?: Record<string, unknown>): void,
 * }} Logger
 */

/**
 * JSON lines: `{"ts":…,"level":"info","event":"MLLP_ACK", …fields}`. Fields must be codes, counts,
 * durations, SIDs, hashes and ids of our own rows — never message content.
 * @param {{ level?: LogLevel, write?: (line: string) => void, base?: Record<string, unknown> }} [opts]
 * @returns {Logger}
 */
function createLogger(opts = {}) {
  const min = LEVELS[opts.level ?? 'info'] ?? LEVELS.info;
  const write = opts.write ?? ((/** @type {string} */ line) => process.stdout.write(`${line}\n`));
  const base = opts.base ?? {};
  /** @param {LogLevel} level */
  const at = (level) => (/** @type {string} */ event, /** @type {Record<string, unknown>} */ fields = {}) => {
    if (LEVELS[level] < min) return;
    write(JSON.stringify({ ts: new Date().toISOString(), level, event, ...base, ...fields }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A logger that drops everything. @type {Logger} */
const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Exponential backoff with "equal jitter": half the exponential delay, plus a random half.
 * `attempt` counts from 1.
 * @param {number} attempt @param {number} baseMs @param {number} capMs @param {() => number} [random]
 */
function backoffMs(attempt, baseMs, capMs, random = Math.random) {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/**
 * Resolve after `ms`, or earlier when `signal` aborts (never rejects).
 * @param {number} ms @param {AbortSignal} [signal]
 */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(undefined);
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve(undefined);
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Wait for `p` at most `ms`: true when it settled in time. The timer is cleared either way (no
 * pending timer keeps the process alive after a graceful stop).
 * @param {Promise<unknown>} p @param {number} ms
 */
async function settledWithin(p, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let t;
  const timeout = new Promise((resolve) => {
    t = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(t);
  }
}

/**
 * An optional peer dependency (twilio, pg, better-sqlite3), resolved from the host project. The
 * name is not a literal on purpose: the package does not depend on them, nor on their types.
 * @param {string} name @returns {any}
 */
function peer(name) {
  return require(name);
}

/**
 * Listen on a port; resolves with the bound address, rejects on EADDRINUSE and the like.
 * @param {import('node:net').Server} server @param {number} port @param {string} [host]
 * @returns {Promise<import('node:net').AddressInfo>}
 */
function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(/** @type {import('node:net').AddressInfo} */ (server.address()));
    });
  });
}

/** A unique id for this process's worker rows: host, pid and a random suffix. */
function workerId() {
  return `${require('node:os').hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
}

/** Integer option with bounds, or the default. @param {unknown} v @param {number} dflt @param {number} min @param {string} name */
function intOption(v, dflt, min, name) {
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < min) throw coded('ENGINE_BAD_OPTION', `${name} must be a number >= ${min}`);
  return n;
}

module.exports = { coded, hashRef, createLogger, silentLogger, backoffMs, sleep, settledWithin, listen, peer, workerId, intOption };
