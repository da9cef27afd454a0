// @ts-check
// Shared by the Node benchmarks (benches/*.mjs): the timing loop and the perf inputs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Median µs per message of 5 timed runs of ~0.6 s, after ~0.5 s of warm-up (which also picks the
 * iteration count). Same method for every row, in one process, so rows compare as ratios.
 * @param {() => void} fn @param {number} [perCall] messages per call
 */
export function measure(fn, perCall = 1) {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 500) {
    fn();
    n++;
  }
  const iters = Math.max(5, Math.round(n * 1.2));
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn();
    runs.push(Number(process.hrtime.bigint() - t) / 1e3 / iters / perCall);
  }
  runs.sort((a, b) => a - b);
  return runs[2];
}

/** The package to measure: `--pkg DIR` (e.g. a copy of an earlier build, for before/after), default pkg/. */
export function pkgDir() {
  const i = process.argv.indexOf('--pkg');
  return path.resolve(i > 0 && process.argv[i + 1] ? process.argv[i + 1] : path.join(ROOT, 'pkg'));
}

/** The two reference messages of reference/performance-anchors.md. @returns {[string, string][]} */
export function perfMessages() {
  return ['siu_s12_small.hl7', 'siu_s12_large.hl7'].map((f) => [
    f,
    fs.readFileSync(path.join(ROOT, 'tests/fixtures/perf', f), 'utf8'),
  ]);
}

/** The perf study's expected extraction (tests/fixtures/perf/expected.json) as compact JSON. */
export const EXPECTED = JSON.stringify(JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/perf/expected.json'), 'utf8')));

/** @param {number} v µs */
export const fmt = (v) => (v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US'));

/** Load average, for the record (wall-clock figures on a loaded machine are inflated). */
export async function load() {
  const os = await import('node:os');
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}
