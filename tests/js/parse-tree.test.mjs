// @ts-check
// parseHl7 from the PACKED package builds, in JS, from the packed tree the wasm side writes
// (js/glue/hl7-tree.js), exactly the tree the serde path of the Rust core gives: for every .hl7
// fixture and both offset modes, the SHA-256 of JSON.stringify(parseHl7(…)) equals the line of
// tests/golden/hl7_tree/sha256.tsv that `cargo test --test hl7_tree_golden` checks against
// `serde_json::to_string(&tree::build(…))`. Same text means same keys, key order and values; the
// walk below adds what JSON.stringify cannot see (no `undefined` or inherited properties, plain
// objects and arrays), so deep equality with the former JSON.parse result holds too.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { consumer, ROOT } from './helpers.mjs';

const require = createRequire(path.join(consumer().dir, 'package.json'));
const api = require('ehr-studio-bridge');

const FIXTURES = path.join(ROOT, 'tests', 'fixtures');
const GOLDEN = fs
  .readFileSync(path.join(ROOT, 'tests', 'golden', 'hl7_tree', 'sha256.tsv'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split('\t'));

/** @param {unknown} v */
const sha = (v) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

/** Plain JSON data only: plain objects and arrays, own enumerable keys, no undefined. @param {unknown} v @param {string} at */
function assertPlain(v, at) {
  if (Array.isArray(v)) {
    assert.equal(Object.getPrototypeOf(v), Array.prototype, at);
    v.forEach((x, i) => assertPlain(x, `${at}[${i}]`));
  } else if (v !== null && typeof v === 'object') {
    assert.equal(Object.getPrototypeOf(v), Object.prototype, at);
    for (const [k, x] of Object.entries(v)) {
      assert.notEqual(x, undefined, `${at}.${k} is undefined`);
      assertPlain(x, `${at}.${k}`);
    }
  } else {
    assert.ok(['string', 'number', 'boolean'].includes(typeof v) || v === null, `${at}: ${typeof v}`);
  }
}

test('parseHl7 gives the pinned tree for every fixture, bytes and string input, both offset modes', () => {
  assert.ok(GOLDEN.length >= 140, `golden lines: ${GOLDEN.length}`);
  let strings = 0;
  for (const [file, mode, want] of GOLDEN) {
    const bytes = fs.readFileSync(path.join(FIXTURES, file));
    const options = { offsets: /** @type {"utf16" | "bytes"} */ (mode) };
    /** @param {string | Uint8Array} input */
    const run = (input) => {
      try {
        const t = api.parseHl7(input, options);
        assertPlain(t, file);
        return sha(t);
      } catch (e) {
        if (!(e instanceof Error) || !('code' in e)) throw e;
        return `ERROR:${e.code}`;
      }
    };
    assert.equal(run(new Uint8Array(bytes)), want, `${file} (${mode}, bytes)`);
    // A string holds the same text when the file is valid UTF-8 (the MSH-18 rule applies to the
    // UTF-8 encoding of a string, as to the bytes).
    const text = bytes.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(bytes)) {
      assert.equal(run(text), want, `${file} (${mode}, string)`);
      strings++;
    }
  }
  assert.ok(strings >= 60, `string inputs compared: ${strings}`);
});

test('parseHl7: values sliced from the input, decoded escapes and non-ASCII text at the right places', () => {
  const msg = 'MSH|^~\\&|Zoë|中文\rPID|1||a\\T\\b~c^d&é||""|x^y\\F\\z\r';
  const t = api.parseHl7(msg);
  const pid = t.segments[1].fields;
  const at = (/** @type {[number, number]} */ r) => msg.slice(r[0], r[1]);
  assert.equal(t.segments[0].fields[2].value, 'Zoë');
  assert.equal(t.segments[0].fields[3].value, '中文');
  assert.equal(at(t.segments[0].fields[3].range), '中文');
  assert.deepEqual(pid[1].reps.map((/** @type {any} */ r) => r.value ?? null), ['a&b', null]);
  assert.equal(pid[1].reps[1].components[1].subcomponents[1].value, 'é');
  assert.equal(at(pid[1].reps[1].components[1].subcomponents[1].range), 'é');
  assert.deepEqual(pid[2], { n: 5, range: [pid[2].range[0], pid[2].range[1]], value: '', null: true });
  assert.equal(pid[3].components[1].value, 'y|z');
  // A second call reuses the wasm-side buffers: the first tree is unaffected.
  const before = JSON.stringify(t);
  api.parseHl7('MSH|^~\\&|OTHER\rPID|1||9\r');
  assert.equal(JSON.stringify(t), before);
});
