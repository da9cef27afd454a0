// @ts-check
// A Postgres server of the test file's own, for the engine's Postgres tests (engine-crash-pg,
// engine-remind-pg): Debian's `postgresql` binaries (installed by scripts/setup.sh; as root,
// initdb/postgres run as the `postgres` OS user on a temp data directory it owns), on a free port,
// started before the file's first test and stopped (and its directory removed) after its last.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { freePort } from './engine-crash-scenario.mjs';
import { drivers } from './engine-fakes.mjs';

/** The newest Postgres server binaries on this machine (Debian layout), else pg_config's. */
function pgBin() {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'postgres'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length) return path.join(base, versions[0], 'bin');
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('no Postgres server binaries (/usr/lib/postgresql/*/bin): run scripts/setup.sh (apt-get install postgresql)');
  }
}

/**
 * Register the server's start and stop for this test file. `tmp` is the file's temp directory
 * (removed after the last test, with the data directory inside it).
 * @param {string} tmp
 */
export function postgresForFile(tmp) {
  const root = process.getuid?.() === 0;
  const data = path.join(tmp, 'data');
  const sockets = path.join(tmp, 'run');
  const server = { port: 0, bin: '' };

  /** Run a Postgres tool, as the postgres OS user when we are root (initdb/postgres refuse root). @param {string} tool @param {string[]} args */
  function pg(tool, args) {
    const cmd = root ? 'runuser' : path.join(server.bin, tool);
    const argv = root ? ['-u', 'postgres', '--', path.join(server.bin, tool), ...args] : args;
    const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  before(async () => {
    server.bin = pgBin();
    server.port = await freePort();
    fs.mkdirSync(data, { mode: 0o700 });
    fs.mkdirSync(sockets);
    if (root) execFileSync('chown', ['-R', 'postgres', tmp]);
    pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    pg('pg_ctl', ['-D', data, '-l', path.join(tmp, 'server.log'), '-w', '-t', '60', '-o', `-p ${server.port} -k ${sockets} -c listen_addresses=127.0.0.1 -c max_connections=200`, 'start']);
  });

  after(() => {
    try {
      if (fs.existsSync(path.join(data, 'postmaster.pid'))) pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  /** A connection string for a database of this server. @param {string} db */
  const url = (db) => `postgres://postgres@127.0.0.1:${server.port}/${db}`;

  return {
    url,
    get port() {
      return server.port;
    },
    /** Create a database through a short-lived admin connection. @param {string} name */
    async createDatabase(name) {
      const client = new drivers.pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
    },
  };
}
