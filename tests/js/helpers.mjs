// @ts-check
// Shared plumbing for the packed-tarball tests. Run `node tests/js/prepare.mjs` first (scripts/test.sh
// does): it packs pkg/ and installs the tarball into a fresh temp consumer project.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cases } from './api-cases.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PKG_DIR = path.join(ROOT, 'pkg');
export const STATE_FILE = path.join(ROOT, '.tmp', 'consumer.json');
export const API_CASES_URL = pathToFileURL(path.join(ROOT, 'tests', 'js', 'api-cases.mjs')).href;
export const PKG_NAME = 'ehr-studio-bridge';

/**
 * The prepared consumer project: { dir, tarball, packageJson } (see prepare.mjs).
 * @returns {{ dir: string, tarball: string, installed: string, packageJson: any }}
 */
export function consumer() {
  if (!fs.existsSync(STATE_FILE)) {
    throw new Error(`${STATE_FILE} missing: run \`node js/build.mjs && node tests/js/prepare.mjs\` first`);
  }
  const state = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  const installed = path.join(state.dir, 'node_modules', PKG_NAME);
  const packageJson = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  return { ...state, installed, packageJson };
}

/**
 * Run a Node script with THIS Node binary (so the whole suite runs under Node 20 or 22 alike).
 * @param {string[]} args @param {string} cwd
 */
export function runNode(args, cwd) {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    throw new Error(`node ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

/**
 * Copy a probe from tests/js/probes into the consumer project and run it; returns its JSON output.
 * @param {string} probe file name in tests/js/probes
 */
export function runProbe(probe) {
  const { dir } = consumer();
  const dest = path.join(dir, probe);
  fs.copyFileSync(path.join(ROOT, 'tests', 'js', 'probes', probe), dest);
  const r = runNode([dest, API_CASES_URL], dir);
  // Node must not print warnings (experimental features, deprecations) for normal use.
  assert.equal(r.stderr.trim(), '', `unexpected stderr from ${probe}`);
  return JSON.parse(r.stdout);
}

/**
 * Assert the output of runCases() against the expectations in api-cases.mjs.
 * @param {{ results: { name: string, value?: unknown, thrown?: Record<string, unknown> }[] }} out
 * @param {string} where label for messages
 */
export function assertCases(out, where) {
  assert.deepEqual(
    out.results.map((r) => r.name),
    cases.map((c) => c.name),
    `${where}: every case ran`,
  );
  for (const [i, c] of cases.entries()) {
    const r = out.results[i];
    if (c.throws) {
      assert.ok(r.thrown, `${where}: "${c.name}" should throw, returned ${JSON.stringify(r.value)}`);
      const subset = Object.fromEntries(Object.keys(c.throws).map((k) => [k, r.thrown?.[k]]));
      assert.deepEqual(subset, c.throws, `${where}: "${c.name}" threw ${JSON.stringify(r.thrown)}`);
    } else {
      assert.equal(r.thrown, undefined, `${where}: "${c.name}" threw ${JSON.stringify(r.thrown)}`);
      assert.deepEqual(r.value, c.expected, `${where}: "${c.name}"`);
    }
  }
}
