// @ts-check
// The CLI as installed from the tarball (`npx ehr-studio-bridge …` / node_modules/.bin).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { consumer, ROOT } from './helpers.mjs';

const fixture = (/** @type {string} */ f) => path.join(ROOT, 'tests', 'fixtures', f);

/** @param {string[]} args @param {string} [stdin] */
function cli(args, stdin) {
  const { dir } = consumer();
  const bin = path.join(dir, 'node_modules', '.bin', 'ehr-studio-bridge');
  return spawnSync(bin, args, { cwd: dir, encoding: 'utf8', input: stdin, timeout: 30_000 });
}

test('cli query prints decoded values by path', () => {
  const r = cli(['query', fixture('perf/siu_s12_small.hl7'), 'PID-5.1', 'AIL-3.1', 'ZZZ-1']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { 'PID-5.1': 'DOE', 'AIL-3.1': 'Cardiology & Vascular Clinic', 'ZZZ-1': null });
});

test('cli parse reads bytes (Latin-1 per MSH-18) and stdin', () => {
  const r = cli(['parse', fixture('corpus/synthetic/syn_siu_s14_latin1_bytes.hl7')]);
  assert.equal(r.status, 0, r.stderr);
  const t = JSON.parse(r.stdout);
  assert.equal(t.charset, 'ISO-8859-1');
  const s = cli(['parse', '-'], 'MSH|^~\\&|A\rPID|1\r');
  assert.equal(s.status, 0, s.stderr);
  assert.deepEqual(JSON.parse(s.stdout).segments.map((/** @type {any} */ x) => x.name), ['MSH', 'PID']);
});

test('cli ack prints the acknowledgement', () => {
  const r = cli(['ack', fixture('corpus/athena_siu_s12_405.hl7'), 'reject']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^MSH\|\^~\\&\|.*\|ACK\^S12\|/);
  assert.equal(lines[1], 'MSA|AR|405');
});

test('cli: coded errors exit 1 with JSON on stderr, bad usage exits 2', () => {
  const r = cli(['parse', '-'], 'PID|1|SECRET');
  assert.equal(r.status, 1);
  const err = JSON.parse(r.stderr).error;
  assert.equal(err.code, 'HL7_NO_MSH');
  assert.ok(!r.stderr.includes('SECRET'), 'no input values in errors');
  assert.equal(cli(['frobnicate', 'x']).status, 2);
  assert.equal(cli(['query', fixture('perf/siu_s12_small.hl7')]).status, 2);
});
