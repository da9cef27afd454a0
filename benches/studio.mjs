// @ts-check
// Benchmark (not a test): EHR event → Studio Executions request through the built npm package,
// the issue-12 table side by side in one Node process (rows compare as ratios):
//
//   Mapper.execution        the lean send path: map + request, only what a host sends
//   Mapper.studioRequest    values with provenance and warnings, request, curl (string and Buffer in)
//   mapHl7(text, profileObject) + buildStudioExecution   the free functions (the profile object is
//                           stringified per call; its compiled form is cached on its text)
//   parseHl7                the preview tree
//   medplum 4.5.2           Hl7Message.parse + read one field; parse + read the mapping's 17 source
//                           fields (no time zone, phone, sanitization or request building)
//   js-scan                 benches/js-scan.mjs: 13 fields converted + JSON.stringify
//
//   node js/build.mjs && node benches/studio.mjs [--pkg DIR] [--base DIR]
//
// `--base DIR`: also measure `Mapper.execution` and `studioRequest` of another build (e.g. the
// build before a change) in the same process, as rows "… — base".
//
// Same method as benches/hl7.mjs (benches/common.mjs). Native figures: cargo run --release
// --example bench_map; instruction counts: docs/performance.md.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EXPECTED, fmt, load, measure, perfMessages, pkgDir, ROOT } from './common.mjs';
import { jsScan } from './js-scan.mjs';

const require = createRequire(import.meta.url);
const ours = require(pkgDir());
const baseAt = process.argv.indexOf('--base');
const base = baseAt > 0 && process.argv[baseAt + 1] ? require(path.resolve(process.argv[baseAt + 1])) : null;
const { Hl7Message } = require('@medplum/core');

/** The source fields the mapping reads for the perf messages (see docs/siu-mapping.md). */
const FIELDS = /** @type {[string, number, number][]} */ ([
  ['MSH', 7, 1], ['MSH', 9, 2], ['SCH', 2, 1], ['SCH', 25, 1], ['TQ1', 7, 1], ['PID', 3, 1], ['PID', 3, 5],
  ['PID', 5, 1], ['PID', 5, 2], ['PID', 13, 1], ['PID', 13, 3], ['AIP', 3, 1], ['AIP', 3, 2], ['AIP', 3, 3],
  ['SCH', 17, 1], ['AIL', 3, 1], ['AIL', 3, 9],
]);

const profile = {
  sender: { timeZone: 'America/New_York', defaultCountry: 'US' },
  studio: { flowSid: 'FW0123456789abcdef0123456789abcdef', from: '+15017122661' },
};
const mapper = new ours.Mapper(profile);
const baseMapper = base ? new base.Mapper(profile) : null;
/** @type {Record<string, Record<string, number>>} */
const cells = {};
const cols = [];
for (const [f, text] of perfMessages()) {
  const bytes = Buffer.from(text);
  if (!mapper.execution(text).request || !mapper.studioRequest(text).request) throw new Error(`${f} did not map to a request`);
  if (jsScan(text) !== EXPECTED) throw new Error('js-scan does not give expected.json');
  const col = `${f} (${bytes.length.toLocaleString('en-US')} B)`;
  cols.push(col);
  const put = (/** @type {string} */ row, /** @type {number} */ v) => {
    cells[row] ??= {};
    cells[row][col] = v;
  };
  put('`Mapper.execution` (lean send path)', measure(() => mapper.execution(text)));
  if (baseMapper) {
    if (JSON.stringify(baseMapper.execution(text)) !== JSON.stringify(mapper.execution(text))) {
      throw new Error(`${f}: the base build's execution result differs`);
    }
    put('`Mapper.execution` — base', measure(() => baseMapper.execution(text)));
  }
  put('`Mapper.execution`, Buffer in', measure(() => mapper.execution(bytes)));
  put('`Mapper.studioRequest`', measure(() => mapper.studioRequest(text)));
  if (baseMapper) {
    if (JSON.stringify(baseMapper.studioRequest(text)) !== JSON.stringify(mapper.studioRequest(text))) {
      throw new Error(`${f}: the base build's studioRequest result differs`);
    }
    put('`Mapper.studioRequest` — base', measure(() => baseMapper.studioRequest(text)));
  }
  put('`Mapper.studioRequest`, Buffer in', measure(() => mapper.studioRequest(bytes)));
  put('`mapHl7(text, profileObject)` + `buildStudioExecution`', measure(() => {
    const r = ours.mapHl7(text, profile);
    ours.buildStudioExecution(r.event, profile.studio);
  }));
  put('`parseHl7` (the preview tree)', measure(() => ours.parseHl7(text)));
  put('@medplum/core 4.5.2 parse + read one field', measure(() => Hl7Message.parse(text).getSegment('PID')?.getComponent(5, 1)));
  put('@medplum/core 4.5.2 parse + read the 17 source fields', measure(() => {
    const m = Hl7Message.parse(text);
    for (const [s, fld, c] of FIELDS) m.getSegment(s)?.getComponent(fld, c);
  }));
  put('hand-written JS scan (13 fields + JSON)', measure(() => jsScan(text)));
}
mapper.free();
baseMapper?.free();

console.log(`Node ${process.version}, ehr-studio-bridge ${ours.version()}${base ? ` (base: ${process.argv[baseAt + 1]})` : ''}, @medplum/core 4.5.2 — µs per message (median of 5); load average ${await load()}`);
console.log(`| path | ${cols.join(' | ')} |`);
console.log(`|---|${cols.map(() => '---').join('|')}|`);
for (const [row, v] of Object.entries(cells)) console.log(`| ${row} | ${cols.map((c) => fmt(v[c])).join(' | ')} |`);

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
