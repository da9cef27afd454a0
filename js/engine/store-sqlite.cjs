// @ts-check
// SQLite backend of the store: one file, WAL, better-sqlite3 when it loads (Node 20+ with the native
// module built for this Node), else node:sqlite (Node 22.5+). Both are synchronous, so a transaction
// body runs to completion between BEGIN and COMMIT without anything else interleaving.
//
// Durability: journal_mode=WAL with synchronous=FULL — every COMMIT fsyncs the WAL before it
// returns, so a message we ACK survives a process kill AND an OS crash or power loss. (NORMAL would
// survive a process kill but could lose the last commits on power loss, after the sender got AA.)
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { coded, peer } = require('./util.cjs');
// (store.cjs is fully loaded by then: it requires this file lazily, in openStore.)
const { schema, SCHEMA_VERSION } = require('./store.cjs');

const DDL = schema({ id: 'INTEGER PRIMARY KEY AUTOINCREMENT', int: 'INTEGER', blob: 'BLOB', real: 'REAL' });

/**
 * The database handle: better-sqlite3's Database or node:sqlite's DatabaseSync (same calls used).
 * @param {string} file @param {import('./store.cjs').StoreOptions} o
 * @returns {{ db: any, driver: string }}
 */
function openDatabase(file, o) {
  const want = o.sqliteDriver;
  /** @type {unknown} */
  let firstError;
  if (want !== 'node:sqlite') {
    try {
      const Database = o.sqlite ?? peer('better-sqlite3');
      return { db: new Database(file), driver: 'better-sqlite3' };
    } catch (e) {
      if (want === 'better-sqlite3') {
        throw coded('ENGINE_SQLITE_UNAVAILABLE', `better-sqlite3 could not be loaded for Node ${process.versions.node} (npm install better-sqlite3, or use node:sqlite on Node >= 22.5)`);
      }
      firstError = e;
    }
  }
  let sqlite;
  try {
    sqlite = require('node:sqlite');
  } catch {
    const why = firstError ? ' (better-sqlite3 could not be loaded either)' : '';
    throw coded('ENGINE_SQLITE_UNAVAILABLE', `no SQLite driver: npm install better-sqlite3, or run Node >= 22.5 for node:sqlite${why}`);
  }
  return { db: new sqlite.DatabaseSync(file), driver: 'node:sqlite' };
}

/**
 * @param {string} file @param {import('./store.cjs').StoreOptions} o
 */
function openSqlite(file, o) {
  const memory = file === ':memory:';
  const resolved = memory ? file : path.resolve(file);
  if (!memory) {
    fs.mkdirSync(path.dirname(resolved), { recursive: true });
    // The file holds PHI (raw messages, Studio parameters): owner-only from the first byte.
    fs.closeSync(fs.openSync(resolved, 'a', 0o600));
  }
  const { db, driver } = openDatabase(resolved, o);
  const synchronous = (o.synchronous ?? 'full').toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw coded('ENGINE_BAD_OPTION', 'synchronous must be full or normal');
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${synchronous}`);
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA foreign_keys = OFF');
  /** @type {Map<string, any>} */
  const statements = new Map();
  /** @param {string} sql */
  const prepared = (sql) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  /** @param {import('./store.cjs').Query} q */
  const exec = (q) => {
    const params = q.params.map((p) => (p === undefined ? null : p));
    const s = prepared(q.sql);
    if (q.op === 'all') return s.all(...params);
    const r = s.run(...params);
    return { changes: Number(r.changes) };
  };
  let open = true;
  /** @template T @param {() => Generator<import('./store.cjs').Query, T, any>} make @param {boolean} write @returns {T} */
  const txSync = (make, write) => {
    if (!open) throw coded('ENGINE_STORE_CLOSED', 'the store is closed');
    db.exec(write ? 'BEGIN IMMEDIATE' : 'BEGIN');
    try {
      const op = make();
      let step = op.next();
      while (!step.done) step = op.next(exec(step.value));
      db.exec('COMMIT');
      return step.value;
    } catch (e) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // no transaction left to roll back
      }
      throw e;
    }
  };

  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(DDL);
    const v = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").all();
    if (v.length === 0) db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
    else if (Number(v[0].value) > SCHEMA_VERSION) {
      throw coded('ENGINE_STORE_TOO_NEW', `the store's schema version ${v[0].value} is newer than this engine's (${SCHEMA_VERSION})`);
    } else if (Number(v[0].value) < SCHEMA_VERSION) {
      // The DDL above added what the older version lacked (new tables only).
      db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
    }
    db.exec('COMMIT');
  } catch (e) {
    db.exec('ROLLBACK');
    throw e;
  }

  return {
    kind: /** @type {const} */ ('sqlite'),
    driver,
    location: resolved,
    multiReplica: false,
    lock: '',
    lockRow: '',
    keyLock: '', // BEGIN IMMEDIATE already serialises writers
    now: o.now ?? Date.now,
    /** @template T @param {() => Generator<import('./store.cjs').Query, T, any>} make @param {boolean} write */
    tx: async (make, write) => txSync(make, write),
    close: async () => {
      if (!open) return;
      open = false;
      statements.clear();
      db.close();
    },
  };
}

module.exports = { openSqlite };
