// @ts-check
// Benchmark (not a test): SIU → full Studio Executions request through the built npm package
// (Mapper.studioRequest: parse, map the 14 values with provenance and warnings, sanitize, build URL,
// form body and curl, return a plain object; Mapper.execution: the same work, returning only what a
// host needs to send) versus @medplum/core 4.5.2 parse + read of the same
// source fields (no time zone, phone, sanitization or request building), in the same Node process.
//
//   node js/build.mjs && node benches/studio.mjs
//
// Same method as benches/hl7.mjs (warm-up, 5 timed runs, median µs/message).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ours = require(path.join(ROOT, 'pkg'));
const { Hl7Message } = require('@medplum/core');

/** The source fields the mapping reads for the perf messages (see docs/siu-mapping.md). */
const FIELDS = /** @type {[string, number, number][]} */ ([
  ['MSH', 7, 1], ['MSH', 9, 2], ['SCH', 2, 1], ['SCH', 25, 1], ['TQ1', 7, 1], ['PID', 3, 1], ['PID', 3, 5],
  ['PID', 5, 1], ['PID', 5, 2], ['PID', 13, 1], ['PID', 13, 3], ['AIP', 3, 1], ['AIP', 3, 2], ['AIP', 3, 3],
  ['SCH', 17, 1], ['AIL', 3, 1], ['AIL', 3, 9],
]);

/** @param {() => void} fn */
function measure(fn) {
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
    runs.push(Number(process.hrtime.bigint() - t) / 1e3 / iters);
  }
  runs.sort((a, b) => a - b);
  return runs[2];
}

const mapper = new ours.Mapper({
  sender: { timeZone: 'America/New_York', defaultCountry: 'US' },
  studio: { flowSid: 'FW0123456789abcdef0123456789abcdef', from: '+15017122661' },
});
const rows = [];
for (const f of ['siu_s12_small.hl7', 'siu_s12_large.hl7']) {
  const text = fs.readFileSync(path.join(ROOT, 'tests/fixtures/perf', f), 'utf8');
  const bytes = Buffer.from(text);
  if (!mapper.studioRequest(text).request) throw new Error(`${f} did not map to a request`);
  const str = measure(() => mapper.studioRequest(text));
  const buf = measure(() => mapper.studioRequest(bytes));
  const lean = measure(() => mapper.execution(text));
  const mp = measure(() => {
    const m = Hl7Message.parse(text);
    for (const [s, fld, c] of FIELDS) m.getSegment(s)?.getComponent(fld, c);
  });
  rows.push({ f, bytes: bytes.length, str, buf, lean, mp });
}
mapper.free();

const fmt = (/** @type {number} */ v) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
console.log(`Node ${process.version}, ehr-studio-bridge ${ours.version()}, @medplum/core 4.5.2 — µs per message (median of 5)`);
console.log('| message | ours: `studioRequest` (string in) | (Buffer in) | ours: `execution` (lean) | medplum: parse + read the same fields | ratio (medplum / lean) |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.f} (${r.bytes.toLocaleString('en-US')} B) | ${fmt(r.str)} | ${fmt(r.buf)} | ${fmt(r.lean)} | ${fmt(r.mp)} | ${(r.mp / r.lean).toFixed(1)}× |`);
}

// ---- FHIR and Redox inputs → Studio request (no peer to compare with) ----------------------------
const jsonMapper = new ours.Mapper({
  sender: { timeZone: 'America/Chicago', defaultCountry: 'US' },
  studio: { flowSid: 'FW0123456789abcdef0123456789abcdef', from: '+15017122661' },
});
const jsonRows = [];
for (const [label, file, options] of /** @type {[string, string, object][]} */ ([
  ['FHIR searchset Bundle with _include (Appointment, Patient, Practitioner, Location)', 'fhir/synthetic/r4-searchset-appointment-include.json', { nowMs: 1709300000000 }],
  ['FHIR Appointment with contained resources', 'fhir/synthetic/r4-appointment-contained.json', { nowMs: 1709300000000 }],
  ['Redox Scheduling Modification', 'redox/scheduling-modification.json', { nowMs: 1622000000000 }],
])) {
  const text = fs.readFileSync(path.join(ROOT, 'tests/fixtures', file), 'utf8');
  const obj = JSON.parse(text);
  if (!jsonMapper.studioRequest(text, undefined, undefined, options).request) throw new Error(`${file} did not map to a request`);
  jsonRows.push({
    label,
    bytes: Buffer.byteLength(text),
    text: measure(() => jsonMapper.studioRequest(text, undefined, undefined, options)),
    object: measure(() => jsonMapper.studioRequest(obj, undefined, undefined, options)),
    lean: measure(() => jsonMapper.execution(text, undefined, options)),
  });
}
jsonMapper.free();
console.log('\n| input → Studio request | JSON text in: `studioRequest` | object in | `execution` (lean) |');
console.log('|---|---|---|---|');
for (const r of jsonRows) {
  console.log(`| ${r.label} (${r.bytes.toLocaleString('en-US')} B) | ${fmt(r.text)} | ${fmt(r.object)} | ${fmt(r.lean)} |`);
}
