// @ts-check
// Benchmark (not a test): cold start of the built package in fresh Node processes — `require()`
// (which reads the .wasm, compiles it synchronously and instantiates it), then the first call of
// each hot export (its lazy compilation and first-use costs). Median of N fresh processes (default
// 9), each timing itself with performance.now(); `node -e 0` wall time is printed for scale.
//
//   node js/build.mjs && node benches/cold-start.mjs [--runs N] [--pkg DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (/** @type {string} */ name, /** @type {string} */ dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
};
const RUNS = Number(arg('--runs', '9'));
const PKG = path.resolve(arg('--pkg', path.join(ROOT, 'pkg')));
const SMALL = path.join(ROOT, 'tests/fixtures/perf/siu_s12_small.hl7');

// The child: one cold process, prints its own timings as JSON.
const CHILD = `
const c0 = process.cpuUsage();
const t0 = performance.now();
const api = require(${JSON.stringify(PKG)});
const t1 = performance.now();
const c1 = process.cpuUsage(c0);
const text = require('fs').readFileSync(${JSON.stringify(SMALL)}, 'utf8');
const t2 = performance.now();
api.parseHl7(text);
const t3 = performance.now();
const mapper = new api.Mapper({ sender: { timeZone: 'America/New_York', defaultCountry: 'US' },
  studio: { flowSid: 'FW0123456789abcdef0123456789abcdef', from: '+15017122661' } });
if (!mapper.execution(text).request) throw new Error('no request');
const t4 = performance.now();
process.stdout.write(JSON.stringify({ require: t1 - t0, requireCpu: (c1.user + c1.system) / 1000, parseHl7: t3 - t2, mapperExecution: t4 - t3, rssMB: process.memoryUsage().rss / 2 ** 20 }));
`;

/** @param {number[]} v */
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const wall = [];
for (let i = 0; i < RUNS; i++) {
  const t = process.hrtime.bigint();
  execFileSync(process.execPath, ['-e', '0']);
  wall.push(Number(process.hrtime.bigint() - t) / 1e6);
}
/** @type {Record<string, number[]>} */
const cols = { require: [], requireCpu: [], parseHl7: [], mapperExecution: [], rssMB: [] };
const total = [];
for (let i = 0; i < RUNS; i++) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', CHILD], { encoding: 'utf8' });
  total.push(Number(process.hrtime.bigint() - t) / 1e6);
  if (r.status !== 0) throw new Error(r.stderr);
  const o = JSON.parse(r.stdout);
  for (const k of Object.keys(cols)) cols[k].push(o[k]);
}
const wasm = fs.readFileSync(path.join(PKG, 'dist', 'ehr_studio_bridge_bg.wasm'));
const f = (/** @type {number} */ v) => v.toFixed(1);
console.log(`Node ${process.version}, ${path.relative(ROOT, PKG) || PKG} (.wasm ${(wasm.length / 1024).toFixed(0)} KiB), median of ${RUNS} fresh processes`);
console.log('| `node -e 0` (wall) | process start → first Mapper.execution result (wall) | `require()` (read + compile + instantiate) | its CPU time (all threads) | first `parseHl7` | first `Mapper` + `execution` | RSS after |');
console.log('|---|---|---|---|---|---|---|');
console.log(`| ${f(median(wall))} ms | ${f(median(total))} ms | **${f(median(cols.require))} ms** | ${f(median(cols.requireCpu))} ms | ${f(median(cols.parseHl7))} ms | ${f(median(cols.mapperExecution))} ms | ${f(median(cols.rssMB))} MB |`);
