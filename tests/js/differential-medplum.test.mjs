// @ts-check
// Differential test: for every corpus message, the field values from the PACKED package equal those
// of @medplum/core's Hl7Message (4.5.2, the version that loads on Node 20) wherever both claim to
// support the message. Compared at component level on raw (still escaped) text, because medplum does
// not decode escape sequences (documented in reference/performance-anchors.md).
//
// Deliberate differences (each is asserted below, so the list cannot go stale):
//  D1 medplum only accepts text starting with "MSH" (no MLLP start block, no FHS/BHS batch header):
//     such files are outside its support and skipped.
//  D2 Segment separators: medplum splits on any run of CR/LF; we split on CR when CR separates
//     segments and keep a LF inside a segment as data (NTE/OBX text with line feeds). Files where a LF
//     occurs inside a CR-separated segment are compared segment-by-segment only where both agree on
//     the segment text. No corpus file has one (cerner_oru_r01_elr's LF ends the file, which both
//     treat as a terminator), so a separate test below pins the difference.
//  D3 Blank lines / a trailing separator: medplum yields an empty segment, we skip it.
//  D4 MLLP end block: athenahealth files end in 0x1C 0x0D; medplum keeps "\x1c" as a last segment,
//     we strip the framing.
//  D5 MSH-2 with 5 characters (v2.7 truncation character, or LinuxForHealth's doubled escape): medplum
//     reports only the first 4 characters, we report MSH-2 as written.
//  D7 A malformed segment start (a line broken inside a field, e.g. remoteops_mdm_t04_broken_line):
//     medplum names the segment by its whole first field, we by its first three characters and warn
//     HL7_BAD_SEGMENT_NAME. Fields are still compared.
//  D6 Latin-1 bytes: medplum takes a JS string, so it is given the Latin-1-decoded text; we are given
//     the raw bytes (and decode them by the MSH-18 rule). Values must then agree.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { consumer, ROOT } from './helpers.mjs';

const require = createRequire(path.join(consumer().dir, 'package.json'));
const api = require('ehr-studio-bridge');
const { Hl7Message } = createRequire(import.meta.url)('@medplum/core');

const CORPUS = path.join(ROOT, 'tests', 'fixtures', 'corpus');

/** @returns {string[]} */
function corpusFiles() {
  /** @type {string[]} */
  const out = [];
  for (const dir of [CORPUS, path.join(CORPUS, 'synthetic')]) {
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.hl7')) out.push(path.join(dir, f));
  }
  return out.sort();
}

/** Our component-level raw values: [segmentName, fields: Map<n, string[][]>][] @param {string} text @param {any} tree */
function ours(text, tree) {
  const slice = (/** @type {[number, number]} */ r) => text.slice(r[0], r[1]);
  return tree.segments.map((/** @type {any} */ s) => {
    /** @type {Map<number, string[][]>} */
    const fields = new Map();
    for (const f of s.fields) {
      const reps = f.reps ?? [f];
      fields.set(
        f.n,
        reps.map((/** @type {any} */ r) => (r.components ? r.components.map((/** @type {any} */ c) => slice(c.range)) : [slice(r.range)])),
      );
    }
    return { name: s.name, raw: slice(s.range), fields };
  });
}

/** medplum's view, same shape. @param {any} msg */
function theirs(msg) {
  return msg.segments.map((/** @type {any} */ seg) => {
    /** @type {Map<number, string[][]>} */
    const fields = new Map();
    const count = seg.fields.length; // fields[0] is the name; MSH: fields[1] is MSH-2
    for (let n = 1; n < count + (seg.name === 'MSH' ? 1 : 0); n++) {
      const f = seg.getField(n);
      if (!f) continue;
      const comps = f.components.map((/** @type {string[]} */ rep) => trimEnd(rep));
      fields.set(n, comps);
    }
    return { name: seg.name, raw: seg.toString(), fields };
  });
}

/** Drop trailing empty components (we never produce them as nodes). @param {string[]} a */
function trimEnd(a) {
  const out = [...a];
  while (out.length > 1 && out[out.length - 1] === '') out.pop();
  return out;
}

/** Compare one segment; returns a list of differing field numbers. @param {any} a @param {any} b */
function diffSegment(a, b) {
  const bad = [];
  const nums = new Set([...a.fields.keys(), ...b.fields.keys()]);
  for (const n of nums) {
    const x = a.fields.get(n)?.map((/** @type {string[]} */ r) => trimEnd(r)) ?? [['']];
    const y = b.fields.get(n) ?? [['']];
    const empty = (/** @type {string[][]} */ v) => v.every((r) => r.every((c) => c === ''));
    if (empty(x) && empty(y)) continue;
    if (JSON.stringify(x) !== JSON.stringify(y)) bad.push(n);
  }
  return bad;
}

test('field values agree with @medplum/core on every corpus message both support', () => {
  const seen = { compared: 0, skippedD1: [], d2: [], d4: [], d5: [], d6: [], d7: [] };
  for (const file of corpusFiles()) {
    const name = path.relative(CORPUS, file);
    const bytes = fs.readFileSync(file);
    let tree;
    try {
      tree = api.parseHl7(bytes);
    } catch (e) {
      assert.fail(`${name}: our parser failed: ${e}`);
    }
    // D6: give medplum the text we decoded (Latin-1 files), else the UTF-8 text.
    const text = tree.charset === 'UTF-8' ? bytes.toString('utf8') : bytes.toString('latin1');
    if (tree.charset !== 'UTF-8') seen.d6.push(name);
    // The tree's ranges index the string we would have been given; re-parse the string for slicing.
    const t2 = api.parseHl7(text);
    if (!text.startsWith('MSH')) {
      // D1
      assert.throws(() => Hl7Message.parse(text), `${name}: medplum accepts a non-MSH start?`);
      seen.skippedD1.push(name);
      continue;
    }
    const a = ours(text, t2);
    let b = theirs(Hl7Message.parse(text)).filter((/** @type {any} */ s) => s.raw !== ''); // D3
    if (b.length && b[b.length - 1].raw.startsWith('\x1c')) {
      // D4: the end block on a line of its own
      b = b.slice(0, -1);
      seen.d4.push(name);
    } else if (b.length && b[b.length - 1].raw.endsWith('\x1c')) {
      // D4: the end block glued to the last segment (athenahealth): drop it from the last value
      b[b.length - 1] = theirs(Hl7Message.parse(text.replace(/\x1c[\r\n]*$/, ''))).filter((/** @type {any} */ s) => s.raw !== '').at(-1);
      seen.d4.push(name);
    }
    if (a.length !== b.length) {
      // D2: only legitimate when a LF sits inside one of our CR-separated segments.
      assert.ok(
        a.some((/** @type {any} */ s) => s.raw.includes('\n')),
        `${name}: segment counts differ (${a.length} vs ${b.length}) without a LF inside a segment`,
      );
      seen.d2.push(name);
      const theirRaw = new Set(b.map((/** @type {any} */ s) => s.raw));
      for (const s of a.filter((/** @type {any} */ s) => theirRaw.has(s.raw))) {
        const other = b.find((/** @type {any} */ x) => x.raw === s.raw);
        assert.deepEqual(diffSegment(s, other), [], `${name} ${s.name}`);
      }
      seen.compared++;
      continue;
    }
    for (let i = 0; i < a.length; i++) {
      if (a[i].name !== b[i].name) {
        // D7
        assert.ok(b[i].name.startsWith(a[i].name) || a[i].name.startsWith(b[i].name), `${name}: segment ${i + 1} name`);
        assert.ok(
          t2.warnings.some((/** @type {any} */ w) => w.code === 'HL7_BAD_SEGMENT_NAME' && w.position?.segmentIndex === i + 1),
          `${name}: segment ${i + 1} has an odd name but no warning`,
        );
        seen.d7.push(name);
      }
      let bad = diffSegment(a[i], b[i]);
      if (i === 0 && bad.includes(2)) {
        // D5: MSH-2 longer than 4 characters.
        assert.ok(a[0].fields.get(2)[0][0].length === 5, `${name}: MSH-2 differs but is not 5 characters`);
        assert.equal(a[0].fields.get(2)[0][0].slice(0, 4), b[0].fields.get(2)[0][0]);
        bad = bad.filter((n) => n !== 2);
        seen.d5.push(name);
      }
      assert.deepEqual(bad, [], `${name}: ${a[i].name} (segment ${i + 1}) fields differ`);
    }
    seen.compared++;
  }
  // The corpus exercises every listed difference at least once, and most files are compared.
  assert.ok(seen.compared >= 55, `compared ${seen.compared}`);
  for (const k of /** @type {const} */ (['skippedD1', 'd4', 'd5', 'd6', 'd7'])) {
    assert.ok(seen[k].length > 0, `difference ${k} never seen`);
  }
  console.log(JSON.stringify(seen, null, 1));
});

test('D2: a LF inside a CR-separated segment is data for us, a separator for medplum', () => {
  const text = 'MSH|^~\\&|A|B|C|D|20250101||ORU^R01|1|P|2.5.1\rNTE|1||first line\nsecond line\rPID|1\r';
  const t = api.parseHl7(text);
  assert.deepEqual(t.segments.map((/** @type {any} */ s) => s.name), ['MSH', 'NTE', 'PID']);
  assert.equal(api.queryHl7(text, 'NTE-3').value, 'first line\nsecond line');
  const m = Hl7Message.parse(text);
  assert.deepEqual(
    m.segments.map((/** @type {any} */ s) => s.name).filter(Boolean),
    ['MSH', 'NTE', 'second line', 'PID'],
  );
});
