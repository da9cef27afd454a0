// @ts-check
// Benchmark (not a test): what the JS ↔ wasm boundary costs, piece by piece, through the built
// package (docs/performance.md, "The boundary"). Same method as the other benches.
//
//   node js/build.mjs && node benches/boundary.mjs [--pkg DIR]
//
// * input: `detectInput` does almost nothing after copying its input into wasm memory (it looks at
//   the first bytes), so its time is the call's fixed cost plus the copy: string (TextEncoder.
//   encodeInto straight into wasm memory) vs Buffer (one bulk copy), 2 KB vs 20 KB.
// * results: JSON.parse of the result texts the exports hand over, vs TextDecoder of the same bytes.
// * per-call conversions: credentials and profile objects.
import path from 'node:path';
import { createRequire } from 'node:module';
import { fmt, load, measure, perfMessages, pkgDir, ROOT } from './common.mjs';

const PKG = pkgDir();
const require = createRequire(import.meta.url);
const api = require(PKG);

const profile = {
  sender: { timeZone: 'America/New_York', defaultCountry: 'US' },
  studio: { flowSid: 'FW0123456789abcdef0123456789abcdef', from: '+15017122661' },
};
const creds = { username: 'SK0123456789abcdef0123456789abcdef', password: 'not-a-real-secret-0123456789abcd' };
const mapper = new api.Mapper(profile);
const td = new TextDecoder();
/** @type {[string, string, number][]} */
const rows = [];
const row = (/** @type {string} */ what, /** @type {string} */ input, /** @type {() => void} */ fn) => rows.push([what, input, measure(fn)]);

row('call fixed cost: `detectInput("{}")`', '2 B', () => api.detectInput('{}'));
for (const [f, text] of perfMessages()) {
  const buf = Buffer.from(text);
  const tag = `${f} (${buf.length.toLocaleString('en-US')} B)`;
  row('input: `detectInput(string)` (encodeInto into wasm memory)', tag, () => api.detectInput(text));
  row('input: `detectInput(Buffer)` (bulk copy)', tag, () => api.detectInput(buf));
  const enc = new TextEncoder();
  const into = new Uint8Array(buf.length);
  row('reference: `TextEncoder.encodeInto` alone into a reused JS buffer', tag, () => enc.encodeInto(text, into));
  const lean = JSON.stringify(mapper.execution(text));
  const full = JSON.stringify(mapper.studioRequest(text));
  const leanBytes = Buffer.from(lean);
  row(`result: JSON.parse of the \`execution\` result (${lean.length.toLocaleString('en-US')} B)`, tag, () => JSON.parse(lean));
  row(`result: TextDecoder of the same ${lean.length.toLocaleString('en-US')} B`, tag, () => td.decode(leanBytes));
  row(`result: JSON.parse of the \`studioRequest\` result (${full.length.toLocaleString('en-US')} B)`, tag, () => JSON.parse(full));
  row('`Mapper.execution(text)`', tag, () => mapper.execution(text));
  row('`Mapper.execution(text, credentials)`', tag, () => mapper.execution(text, creds));
  row('`Mapper.execution(text, undefined, { nowMs })`', tag, () => mapper.execution(text, undefined, { nowMs: 1741200000000 }));
  row('`Mapper.mapHl7(text)` (compiled profile)', tag, () => mapper.mapHl7(text));
  row('`mapHl7(text, profileObject)`', tag, () => api.mapHl7(text, profile));
  const profileText = JSON.stringify(profile);
  row('`mapHl7(text, profileJsonText)`', tag, () => api.mapHl7(text, profileText));
}
mapper.free();

console.log(`Node ${process.version}, ${path.relative(ROOT, PKG) || PKG} — µs per call (median of 5); load average ${await load()}`);
console.log('| what | input | µs |');
console.log('|---|---|---|');
for (const [what, input, v] of rows) console.log(`| ${what} | ${input} | ${fmt(v)} |`);
