// @ts-check
// Benchmark (not a test): HL7 v2 parsing through the built npm package (pkg/, release build) versus
// @medplum/core 4.5.2's Hl7Message, in the same Node process.
//
//   node js/build.mjs && node benches/hl7.mjs [--json]
//
// Workloads, each on the two reference messages (tests/fixtures/perf/siu_s12_{small,large}.hl7,
// the files every figure in reference/performance-anchors.md is measured on) and on every corpus
// SIU message (mean per message):
//   extract — parse + read the 13 fields of the perf study (PID-3.1, PID-5.1, …), values decoded.
//             medplum does not decode escapes, so its values are raw (it does less work).
//   tree    — our full preview tree (every element, decoded, with UTF-16 ranges) vs medplum's
//             parse + toString of every field (its eager structure); JSON-ready on our side.
// Method: warm-up ~0.5 s, then 5 timed runs of ~0.6 s each; the median µs/message is reported.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ours = require(path.join(ROOT, 'pkg'));
const { Hl7Message } = require('@medplum/core');

const PATHS = ['MSH-7', 'MSH-9.2', 'PID-3.1', 'PID-5.1', 'PID-5.2', 'PID-13.1', 'SCH-1.1', 'SCH-11.4', 'SCH-12.1', 'SCH-12.2', 'SCH-12.3', 'SCH-25.1', 'AIL-3.1'];
/** medplum equivalents: [segment, field, component] (1-based component; repetition 0). */
const MP = PATHS.map((p) => {
  const m = /^([A-Z0-9]{3})-(\d+)(?:\.(\d+))?$/.exec(p);
  if (!m) throw new Error(p);
  return /** @type {[string, number, number]} */ ([m[1], Number(m[2]), Number(m[3] ?? 1)]);
});

/** @param {() => void} fn @param {number} perCall messages per call */
function measure(fn, perCall = 1) {
  const until = (/** @type {number} */ ms) => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      fn();
      n++;
    }
    return n;
  };
  const warm = until(500);
  const iters = Math.max(5, Math.round(warm * (600 / 500)));
  const runs = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e3 / iters / perCall);
  }
  runs.sort((a, b) => a - b);
  return runs[2];
}

const perf = (/** @type {string} */ f) => fs.readFileSync(path.join(ROOT, 'tests/fixtures/perf', f), 'utf8');
const corpusDir = path.join(ROOT, 'tests/fixtures/corpus');
const siu = fs
  .readdirSync(corpusDir)
  .filter((f) => f.endsWith('.hl7'))
  .map((f) => fs.readFileSync(path.join(corpusDir, f), 'utf8'))
  // MSH-9 starts with SIU (read by splitting the first segment on its field separator).
  .filter((t) => t.startsWith('MSH') && (t.split(/[\r\n]/, 1)[0].split(t[3])[8] ?? '').startsWith('SIU'));

const veryLong = fs.readFileSync(path.join(corpusDir, 'synthetic', 'syn_siu_s12_very_long.hl7'), 'utf8');
const inputs = [
  ['siu_s12_small.hl7 (1,958 B)', [perf('siu_s12_small.hl7')]],
  ['siu_s12_large.hl7 (19,930 B)', [perf('siu_s12_large.hl7')]],
  [`syn_siu_s12_very_long.hl7 (${veryLong.length.toLocaleString('en-US')} B)`, [veryLong]],
  [`corpus SIU messages (${siu.length}, mean)`, siu],
];

const rows = [];
for (const [label, msgs] of /** @type {[string, string[]][]} */ (inputs)) {
  const oursExtract = measure(() => {
    for (const m of msgs) ours.queryHl7(m, PATHS);
  }, msgs.length);
  const mpExtract = measure(() => {
    for (const m of msgs) {
      const h = Hl7Message.parse(m);
      for (const [s, f, c] of MP) h.getSegment(s)?.getComponent(f, c);
    }
  }, msgs.length);
  const oursTree = measure(() => {
    for (const m of msgs) ours.parseHl7(m);
  }, msgs.length);
  const mpTree = measure(() => {
    for (const m of msgs) {
      const h = Hl7Message.parse(m);
      for (const s of h.segments) for (const f of s.fields) f.toString();
    }
  }, msgs.length);
  rows.push({ label, oursExtract, mpExtract, oursTree, mpTree });
}

const fmt = (/** @type {number} */ v) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, rows }, null, 2));
} else {
  console.log(`Node ${process.version}, ehr-studio-bridge ${ours.version()}, @medplum/core 4.5.2 — µs per message (median of 5)`);
  console.log('| input | extract 13 fields: ours | medplum | ratio | full tree: ours | medplum | ratio |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.label} | ${fmt(r.oursExtract)} | ${fmt(r.mpExtract)} | ${(r.mpExtract / r.oursExtract).toFixed(1)}× | ${fmt(r.oursTree)} | ${fmt(r.mpTree)} | ${(r.mpTree / r.oursTree).toFixed(1)}× |`,
    );
  }
}
