// @ts-check
// Benchmark (not a test): HL7 v2 parsing through the built npm package (pkg/, release build) versus
// @medplum/core 4.5.2's Hl7Message and a hand-written JS scan (benches/js-scan.mjs), in the same
// Node process (rows compare as ratios).
//
//   node js/build.mjs && node benches/hl7.mjs [--json] [--pkg DIR]
//
// Rows, on the two reference messages (tests/fixtures/perf/siu_s12_{small,large}.hl7, the files
// every figure in reference/performance-anchors.md is measured on), the 558 KB synthetic message
// and every corpus SIU message (mean per message):
//   parseHl7          our full preview tree (every element decoded, UTF-16 ranges, plain objects)
//   medplum parse     Hl7Message.parse + read one field (PID-5.1)
//   medplum all       parse + toString of every field (its eager structure)
//   queryHl7 13       parse + the 13 fields of the perf study, values decoded
//   medplum 13        parse + the same 13 components (raw: medplum does not decode escapes)
//   js-scan           the hand-written scan: the 13 fields converted + JSON.stringify (perf
//                     messages only: it knows their shape)
// Method: benches/common.mjs (warm-up, 5 timed runs, median µs per message).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EXPECTED, fmt, load, measure, perfMessages, pkgDir, ROOT } from './common.mjs';
import { jsScan } from './js-scan.mjs';

const require = createRequire(import.meta.url);
const ours = require(pkgDir());
const { Hl7Message } = require('@medplum/core');

const PATHS = ['MSH-7', 'MSH-9.2', 'PID-3.1', 'PID-5.1', 'PID-5.2', 'PID-13.1', 'SCH-1.1', 'SCH-11.4', 'SCH-12.1', 'SCH-12.2', 'SCH-12.3', 'SCH-25.1', 'AIL-3.1'];
/** medplum equivalents: [segment, field, component] (1-based component; repetition 0). */
const MP = PATHS.map((p) => {
  const m = /^([A-Z0-9]{3})-(\d+)(?:\.(\d+))?$/.exec(p);
  if (!m) throw new Error(p);
  return /** @type {[string, number, number]} */ ([m[1], Number(m[2]), Number(m[3] ?? 1)]);
});

const corpusDir = path.join(ROOT, 'tests/fixtures/corpus');
const siu = fs
  .readdirSync(corpusDir)
  .filter((f) => f.endsWith('.hl7'))
  .map((f) => fs.readFileSync(path.join(corpusDir, f), 'utf8'))
  // MSH-9 starts with SIU (read by splitting the first segment on its field separator).
  .filter((t) => t.startsWith('MSH') && (t.split(/[\r\n]/, 1)[0].split(t[3])[8] ?? '').startsWith('SIU'));
const veryLong = fs.readFileSync(path.join(corpusDir, 'synthetic', 'syn_siu_s12_very_long.hl7'), 'utf8');

/** @type {[string, string[], boolean][]} label, messages, is a perf message */
const inputs = [
  ...perfMessages().map(([f, t]) => /** @type {[string, string[], boolean]} */ ([`${f} (${t.length.toLocaleString('en-US')} B)`, [t], true])),
  [`syn_siu_s12_very_long.hl7 (${veryLong.length.toLocaleString('en-US')} B)`, [veryLong], false],
  [`corpus SIU messages (${siu.length}, mean)`, siu, false],
];

for (const [, [t], perf] of inputs) if (perf && jsScan(t) !== EXPECTED) throw new Error('js-scan does not give expected.json');

const rows = [];
for (const [label, msgs, perf] of inputs) {
  const each = (/** @type {(m: string) => void} */ f) => measure(() => {
    for (const m of msgs) f(m);
  }, msgs.length);
  rows.push({
    label,
    parseHl7: each((m) => ours.parseHl7(m)),
    medplumParse: each((m) => Hl7Message.parse(m).getSegment('PID')?.getComponent(5, 1)),
    medplumAll: each((m) => {
      for (const s of Hl7Message.parse(m).segments) for (const f of s.fields) f.toString();
    }),
    query13: each((m) => ours.queryHl7(m, PATHS)),
    medplum13: each((m) => {
      const h = Hl7Message.parse(m);
      for (const [s, f, c] of MP) h.getSegment(s)?.getComponent(f, c);
    }),
    jsScan: perf ? each((m) => jsScan(m)) : null,
  });
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, load: await load(), rows }, null, 2));
} else {
  const r = (/** @type {number} */ a, /** @type {number} */ b) => `${(a / b).toFixed(1)}×`;
  console.log(`Node ${process.version}, ehr-studio-bridge ${ours.version()}, @medplum/core 4.5.2 — µs per message (median of 5); load average ${await load()}`);
  console.log('| input | `parseHl7` (full tree) | medplum parse + read one field | ratio | medplum parse + every field | `queryHl7` 13 fields | medplum 13 fields | ratio | js-scan 13 fields + JSON |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const x of rows) {
    console.log(
      `| ${x.label} | **${fmt(x.parseHl7)}** | ${fmt(x.medplumParse)} | ${r(x.medplumParse, x.parseHl7)} | ${fmt(x.medplumAll)} | ${fmt(x.query13)} | ${fmt(x.medplum13)} | ${r(x.medplum13, x.query13)} | ${x.jsScan === null ? '—' : fmt(x.jsScan)} |`,
    );
  }
}
