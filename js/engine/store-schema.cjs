// @ts-check
// The store's SQL vocabulary: the schema both dialects create, its version, and the query values
// every operation yields to a dialect runner (store-sqlite.cjs, store-postgres.cjs); store.cjs says
// how operations and runners fit together.
'use strict';

/**
 * The schema, written once; `{id}`, `{int}`, `{blob}`, `{real}` are the dialect's types. Times are
 * epoch milliseconds. See docs/engine.md, "Store schema".
 * @param {{ id: string, int: string, blob: string, real: string }} t
 */
function schema(t) {
  return `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  id ${t.id},
  received_at ${t.int} NOT NULL,
  source TEXT NOT NULL,
  control_id TEXT,
  outcome TEXT NOT NULL,
  code TEXT,
  job_id ${t.int},
  idem_key TEXT,
  raw ${t.blob} NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_received ON messages (received_at);
CREATE TABLE IF NOT EXISTS jobs (
  id ${t.id},
  kind TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  lane TEXT NOT NULL,
  state TEXT NOT NULL,
  due_at ${t.int} NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  meta TEXT,
  result_code TEXT,
  result TEXT,
  owner TEXT,
  lease_until ${t.int},
  attempt_started_at ${t.int},
  doubt_at ${t.int},
  created_at ${t.int} NOT NULL,
  updated_at ${t.int} NOT NULL,
  done_at ${t.int},
  UNIQUE (kind, idem_key)
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (due_at, id) WHERE state IN ('queued', 'retrying');
CREATE INDEX IF NOT EXISTS jobs_lane ON jobs (lane, id) WHERE state IN ('queued', 'retrying', 'running');
CREATE INDEX IF NOT EXISTS jobs_running ON jobs (owner) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS jobs_done ON jobs (done_at) WHERE state = 'done';
CREATE TABLE IF NOT EXISTS workers (
  id TEXT PRIMARY KEY, role TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
  started_at ${t.int} NOT NULL, heartbeat_at ${t.int} NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_buckets (name TEXT PRIMARY KEY, tokens ${t.real} NOT NULL, updated_at ${t.int} NOT NULL);
CREATE TABLE IF NOT EXISTS reminders (
  id TEXT PRIMARY KEY,
  appointment_key TEXT NOT NULL,
  status TEXT NOT NULL,
  code TEXT,
  due_at ${t.int},
  not_after ${t.int},
  appointment_start ${t.int},
  job_id ${t.int},
  reminder TEXT,
  created_at ${t.int} NOT NULL,
  updated_at ${t.int} NOT NULL
);
CREATE INDEX IF NOT EXISTS reminders_due ON reminders (due_at, id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS reminders_appointment ON reminders (appointment_key);
`;
}

/** The version the schema above is; a store with a newer one is refused (2: reminders). */
const SCHEMA_VERSION = 2;

/**
 * @typedef {{ op: 'all' | 'run', sql: string, params: unknown[] }} Query
 * @typedef {Generator<Query, any, any>} Op
 */

/** @param {string} sql @param {...unknown} params @returns {Query} */
const all = (sql, ...params) => ({ op: 'all', sql, params });
/** @param {string} sql @param {...unknown} params @returns {Query} */
const run = (sql, ...params) => ({ op: 'run', sql, params });

/** `?, ?, ?` for n values. @param {number} n */
const marks = (n) => Array.from({ length: n }, () => '?').join(', ');

module.exports = { schema, SCHEMA_VERSION, all, run, marks };
