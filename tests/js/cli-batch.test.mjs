// @ts-check
// `ehr-studio-bridge map` over many messages, from the installed tarball (docs/cli.md): folders
// (order, --ext, --glob, hidden files), batch files (FHS/BHS/BTS/FTS, CR/LF/CRLF, blank lines),
// MLLP streams, pcap/pcapng captures (recorded on loopback with tcpdump and tshark, and built here
// with reordered, retransmitted and missing segments), JSON lines, standard input; exact summary
// counts against expectations built independently (messages made with known outcomes, the FHIR
// and Redox goldens, the corpus batch counts); --out lines; --send through the engine against the
// engine tests' fake Studio (201/409/429/5xx/4xx with exact request counts), resumable with --store
// (SIGKILL mid-run, re-run: each event sent exactly once), Ctrl-C; the progress line on a terminal
// (a pty from `script`) and never in a pipe; 20,000 messages in flat memory.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ACCOUNT_SID, AUTH_TOKEN, FLOW_SID, FROM, SAMPLE_PROFILE, siu, startFakeStudio, until } from './engine-fakes.mjs';
import { consumer, ROOT } from './helpers.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-batch-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const BIN = path.join(consumer().dir, 'node_modules', '.bin', 'ehr-studio-bridge');
const ENV = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), NODE_NO_WARNINGS: '1' };
const PROFILE = path.join(ROOT, 'samples', 'profile.json');
const CAPTURES = path.join(ROOT, 'tests', 'fixtures', 'capture');
let n = 0;
/** A fresh path in the temp folder. @param {string} name */
const tmpPath = (name) => path.join(tmp, `${++n}-${name}`);

/**
 * Run the CLI (synchronously) in the temp folder.
 * @param {string[]} args @param {{ input?: string | Buffer, env?: Record<string, string> }} [o]
 */
function cli(args, o = {}) {
  const r = spawnSync(BIN, args, { cwd: tmp, input: o.input, env: { ...ENV, ...o.env }, timeout: 180_000, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status, signal: r.signal, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** Run the CLI in the background. @param {string[]} args @param {Record<string, string>} [env] */
function start(args, env = {}) {
  const p = spawn(BIN, args, { cwd: tmp, env: { ...ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  /** @type {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string }>} */
  const done = new Promise((resolve) => p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { p, done };
}

/** @param {string} file */
const readLines = (file) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/** @param {string} file */
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

// ---- messages with known outcomes (the bundled sample, varied; see engine-fakes.mjs) ------------

/** An SIU for patient/appointment `i`: S12 → BOOKED, S13 → RESCHEDULED, S15 → CANCELED. @param {number} i @param {'S12' | 'S13' | 'S15'} [trigger] */
const SIU = (i, trigger = 'S12') => siu({ patient: 1000 + i, appointment: 50_000 + i, trigger, seq: i, cid: `B${i}` });
/** Not a scheduling message: SKIP_NOT_SCHEDULING_EVENT. @param {number} i */
const ADT = (i) => `MSH|^~\\&|EPIC|OWLHEALTH|BRIDGE|OWLHEALTH|20261202091600||ADT^A08^ADT_A01|ADT${i}|P|2.5.1\rEVN|A08|20261202091600\rPID|1||${i}^^^OWLHEALTH^MR||DOE^JANE\r`;
/** Unusable delimiters (MSH-2 repeats a separator): the error HL7_BAD_ENCODING_CHARS. @param {number} i */
const BAD = (i) => `MSH|^^\\&|EPIC|OWLHEALTH|||20261202091600||SIU^S12|BAD${i}|P|2.5.1\rPID|1\r`;
/** @param {string} m */
const frame = (m) => Buffer.concat([Buffer.from([0x0b]), Buffer.from(m, 'latin1'), Buffer.from([0x1c, 0x0d])]);
/** Segments on separate lines with a terminator. @param {string} m @param {string} eol */
const lines = (m, eol) => m.replace(/\r$/, '').split('\r').join(eol) + eol;

// ---- inputs ----------------------------------------------------------------------------------

test('a folder: files in a stable order (hidden ones skipped), --ext and --glob, per-file counts, exact totals', () => {
  const dir = tmpPath('folder');
  fs.mkdirSync(path.join(dir, 'a'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'sub', 'deep'), { recursive: true });
  fs.mkdirSync(path.join(dir, '.git'));
  // a/b.hl7: two messages, CRLF, a blank line between them.
  fs.writeFileSync(path.join(dir, 'a', 'b.hl7'), lines(SIU(1), '\r\n') + '\r\n' + lines(SIU(2, 'S13'), '\r\n'));
  // a/c.txt: one message, LF only, no final terminator.
  fs.writeFileSync(path.join(dir, 'a', 'c.txt'), lines(ADT(3), '\n').trimEnd());
  // a-b.hl7 sorts after a/ (the walk is depth-first, names in code point order).
  fs.writeFileSync(path.join(dir, 'a-b.hl7'), SIU(4, 'S15') + BAD(5));
  // sub/deep/x.hl7: MLLP frames.
  fs.writeFileSync(path.join(dir, 'sub', 'deep', 'x.hl7'), Buffer.concat([frame(SIU(6)), Buffer.from('\n'), frame(SIU(7))]));
  fs.writeFileSync(path.join(dir, 'notes.md'), '# not a message\n');
  fs.writeFileSync(path.join(dir, '.hidden.hl7'), SIU(8));
  fs.writeFileSync(path.join(dir, '.git', 'y.hl7'), SIU(9));
  const summaryFile = tmpPath('s.json');

  const r = cli(['map', dir, '--profile', PROFILE, '--ext', 'hl7,.TXT', '--summary-json', summaryFile]);
  assert.equal(r.status, 1, r.stderr); // one message has an error
  const s = readJson(summaryFile);
  assert.deepEqual(
    s.files.map((/** @type {any} */ f) => [path.relative(dir, f.path), f.format, f.messages, f.events, f.skips, f.errors]),
    [
      ['a/b.hl7', 'hl7', 2, 2, 0, 0],
      ['a/c.txt', 'hl7', 1, 0, 1, 0],
      ['a-b.hl7', 'hl7', 2, 1, 0, 1],
      ['sub/deep/x.hl7', 'mllp', 2, 2, 0, 0],
    ],
  );
  assert.deepEqual(s.totals, { messages: 7, events: 5, skips: 1, errors: 1, duplicates: 0 });
  assert.deepEqual(s.events, { BOOKED: 3, RESCHEDULED: 1, CANCELED: 1 });
  assert.deepEqual(s.skips, { SKIP_NOT_SCHEDULING_EVENT: 1 });
  assert.deepEqual(s.errors, { HL7_BAD_ENCODING_CHARS: 1 });
  assert.deepEqual(s.inputErrors, {});
  assert.deepEqual(s.inputWarnings, {});
  assert.equal(s.mode, 'dry-run');
  assert.equal(s.exitCode, 1);
  assert.equal(s.inputs.bytes, s.files.reduce((/** @type {number} */ a, /** @type {any} */ f) => a + f.bytes, 0));
  // The text summary (stdout): the same counts, by code.
  assert.match(r.stdout, /^dry run: 7 messages from 4 inputs /);
  assert.match(r.stdout, /\nevents +5\n {2}BOOKED +3\n/);
  assert.match(r.stdout, /\nerrors +1\n {2}HL7_BAD_ENCODING_CHARS +1\n/);
  assert.match(r.stdout, /\nexit 1 \(/);

  // --glob: a pattern with a folder matches relative paths; without one, file names.
  const g = cli(['map', dir, '--profile', PROFILE, '--glob', 'sub/**/*.hl7', '--summary-json', '-']);
  assert.deepEqual(JSON.parse(g.stdout).files.map((/** @type {any} */ f) => path.relative(dir, f.path)), ['sub/deep/x.hl7']);
  assert.match(g.stderr, /^dry run: 2 messages from 1 input /, 'the text summary moves to stderr when stdout carries JSON');
  const h = cli(['map', dir, '--profile', PROFILE, '--glob', '{b,x}.hl7', '--summary-json', '-', '--quiet']);
  assert.deepEqual(JSON.parse(h.stdout).files.map((/** @type {any} */ f) => path.relative(dir, f.path)), ['a/b.hl7', 'sub/deep/x.hl7']);
  assert.equal(h.stderr, '', '--quiet: nothing on stderr');
  // Without a filter, notes.md is read too: no messages in it (a warning, not an error).
  const all = cli(['map', dir, '--profile', PROFILE, '--summary-json', '-', '--quiet']);
  const sa = JSON.parse(all.stdout);
  assert.equal(sa.files.length, 5);
  assert.deepEqual(sa.inputWarnings, { BATCH_NO_MESSAGES: 1, BATCH_SKIPPED_BYTES: 1 });
  assert.deepEqual(sa.files[3].issues, [
    { code: 'BATCH_SKIPPED_BYTES', level: 'warning', count: 1, bytes: 12 }, // '# not a message' without spaces
    { code: 'BATCH_NO_MESSAGES', level: 'warning', count: 1 },
  ]);
});

test('batch files: FHS/BHS/BTS/FTS envelopes, trailer counts checked, the corpus batch files split as the core does', () => {
  const file = tmpPath('batch.hl7');
  const batch = (/** @type {string[]} */ msgs, /** @type {number} */ declared) => `BHS|^~\\&|EPIC|OWLHEALTH\r${msgs.join('')}BTS|${declared}\r`;
  // Two batches: the first declares 2 and has 2, the second declares 3 and has 2 (a truncated file).
  fs.writeFileSync(file, `FHS|^~\\&|EPIC|OWLHEALTH\r${batch([SIU(1), ADT(2)], 2)}${batch([SIU(3, 'S13'), SIU(4, 'S15')], 3)}FTS|2\r`);
  const r = cli(['map', file, '--batch', '--profile', PROFILE, '--summary-json', '-', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.deepEqual(s.totals, { messages: 4, events: 3, skips: 1, errors: 0, duplicates: 0 });
  assert.deepEqual(s.inputWarnings, { BATCH_COUNT_MISMATCH: 1 });
  assert.deepEqual(s.files[0].issues, [{ code: 'BATCH_COUNT_MISMATCH', level: 'warning', count: 1 }]);

  // The corpus: message counts as tests/hl7_corpus.rs asserts them for Message::message_ranges.
  const corpus = (/** @type {string} */ f) => path.join(ROOT, 'tests', 'fixtures', 'corpus', f);
  const c = cli(['map', corpus('hapi_oml_o21_multi_message.hl7'), corpus('pythonhl7_vic_file_batch.hl7'), corpus('wir_vxu_batch_fhs.hl7'), '--summary-json', '-', '--quiet']);
  const cs = JSON.parse(c.stdout);
  assert.deepEqual(cs.files.map((/** @type {any} */ f) => [path.basename(f.path), f.messages, f.issues]), [
    ['hapi_oml_o21_multi_message.hl7', 13, []],
    ['pythonhl7_vic_file_batch.hl7', 3, []],
    ['wir_vxu_batch_fhs.hl7', 1, []],
  ]);
  // None of them is an appointment event.
  assert.deepEqual(cs.skips, { SKIP_NOT_SCHEDULING_EVENT: 17 });
});

test('standard input (-): a batch file, an MLLP stream, bytes kept as bytes (Latin-1 per MSH-18), --format', () => {
  const latin1 = fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'corpus', 'synthetic', 'syn_siu_s14_latin1_bytes.hl7'));
  const out = tmpPath('stdin.jsonl');
  const input = Buffer.concat([Buffer.from(SIU(1)), Buffer.from('\n'), latin1, Buffer.from('\n'), Buffer.from(SIU(2))]);
  const r = cli(['map', '-', '--profile', PROFILE, '--out', out, '--with-values', '--quiet'], { input });
  assert.equal(r.status, 0, r.stderr);
  const recs = readLines(out);
  assert.deepEqual(recs.map((x) => [x.file, x.index, x.outcome, x.eventType ?? x.skip?.code]), [
    ['-', 0, 'event', 'BOOKED'],
    ['-', 1, 'skip', 'SKIP_INVALID_PHONE'],
    ['-', 2, 'event', 'BOOKED'],
  ]);
  assert.equal(recs[1].values.patient_last_name, 'MÜLLER', 'ISO-8859-1 bytes decoded by the core, not as UTF-8');
  assert.equal(recs[1].offset, Buffer.byteLength(SIU(1)) + 1);
  // The same bytes MLLP-framed, through a pipe.
  const m = cli(['map', '-', '--profile', PROFILE, '--summary-json', '-', '--quiet'], { input: Buffer.concat([frame(SIU(1)), Buffer.from([0x0b]), latin1, Buffer.from([0x1c, 0x0d]), frame(SIU(2))]) });
  const ms = JSON.parse(m.stdout);
  assert.equal(ms.files[0].format, 'mllp');
  assert.deepEqual([ms.totals.events, ms.totals.skips], [2, 1]);
  // --format forces the reading: to an MLLP reader, unframed HL7 is noise.
  const f = cli(['map', '-', '--format', 'mllp', '--summary-json', '-', '--quiet'], { input: SIU(1) });
  const fs1 = JSON.parse(f.stdout);
  assert.equal(fs1.totals.messages, 0);
  assert.deepEqual(fs1.inputWarnings, { BATCH_SKIPPED_BYTES: 1, BATCH_NO_MESSAGES: 1 });
});

test('JSON lines of FHIR, Redox and Table B documents: each line mapped as the goldens say', () => {
  /** @param {string} f */
  const compact = (f) => JSON.stringify(JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', f), 'utf8')));
  const golden = (/** @type {string} */ f) => readJson(path.join(ROOT, 'tests', 'golden', f));
  // FHIR with the goldens' profile ({}); a blank line and CRLF line ends on the way.
  const fhir = [
    ['fhir/synthetic/r4-appointment-contained.json', 'fhir/synthetic__r4-appointment-contained.json'],
    ['fhir/synthetic/r4-searchset-appointment-include.json', 'fhir/synthetic__r4-searchset-appointment-include.json'],
    ['fhir/r4-core/patient-example.json', 'fhir/r4-core__patient-example.json'],
    ['fhir/subscriptions-backport/r4-notification-id-only.json', 'fhir/subscriptions-backport__r4-notification-id-only.json'],
  ];
  const file = tmpPath('fhir.jsonl');
  fs.writeFileSync(file, `${fhir.map(([f]) => compact(f)).join('\r\n')}\r\n\r\n{"resourceType": "Appointment", "status": \n`);
  const out = tmpPath('fhir-out.jsonl');
  const r = cli(['map', file, '--out', out, '--quiet']);
  assert.equal(r.status, 1, r.stderr);
  const recs = readLines(out);
  assert.equal(recs.length, 5);
  for (const [i, [, g]] of fhir.entries()) {
    const want = golden(g).mapFhir.result;
    assert.equal(recs[i].kind, 'fhir');
    assert.equal(recs[i].eventType ?? recs[i].skip?.code, want.event?.event_type ?? want.skip.code, g);
    assert.equal(recs[i].idempotencyKey, want.idempotencyKey, g);
  }
  assert.equal(recs[4].outcome, 'error', 'a cut line is an error of that line only');
  assert.equal(recs[4].offset, fs.readFileSync(file).lastIndexOf('{"resourceType": "Appointment"'));

  // Redox (the goldens' profile), and a Table B document, in a .ndjson file.
  const redox = ['scheduling-cancel.json', 'scheduling-modification.json', 'synthetic/scheduling-new.json', 'synthetic/scheduling-noshow.json'];
  const tableB = JSON.parse(cli(['map', path.join(ROOT, 'samples', 'siu_s12_booked.hl7'), '--profile', PROFILE, '--json']).stdout).result.event;
  const rfile = tmpPath('redox.ndjson');
  fs.writeFileSync(rfile, `${[...redox.map((f) => compact(`redox/${f}`)), JSON.stringify(tableB)].join('\n')}\n`);
  const rprofile = tmpPath('redox-profile.json');
  fs.writeFileSync(rprofile, JSON.stringify(golden('redox/scheduling-cancel.json').profile));
  const rout = tmpPath('redox-out.jsonl');
  const rr = cli(['map', rfile, '--profile', rprofile, '--out', rout, '--quiet']);
  assert.equal(rr.status, 0, rr.stderr);
  const rrecs = readLines(rout);
  for (const [i, f] of redox.entries()) {
    const want = golden(`redox/${f.replace('/', '__')}`).result;
    assert.equal(rrecs[i].kind, 'redox');
    assert.equal(rrecs[i].eventType ?? rrecs[i].skip?.code, want.event?.event_type ?? want.skip.code, f);
    assert.equal(rrecs[i].idempotencyKey, want.idempotencyKey, f);
  }
  assert.deepEqual([rrecs[4].kind, rrecs[4].eventType], ['tableB', 'BOOKED']);
});

test('MLLP captures recorded on loopback (tcpdump pcap, tshark pcapng): the messages sent, in order, and the frame cut by the close', () => {
  const sentOut = tmpPath('sent.jsonl');
  const sent = cli(['map', path.join(CAPTURES, 'mllp-sent.txt'), '--batch', '--profile', PROFILE, '--out', sentOut, '--with-values', '--quiet']);
  assert.equal(sent.status, 0, sent.stderr);
  const want = readLines(sentOut);
  assert.equal(want.length, 10);
  const strip = (/** @type {any} */ x) => ({ ...x, seq: undefined, file: undefined, index: undefined, offset: undefined, stream: undefined });
  for (const cap of ['mllp-lo.pcap', 'mllp-any.pcapng']) {
    const out = tmpPath(`${cap}.jsonl`);
    const summary = tmpPath(`${cap}.json`);
    const r = cli(['map', path.join(CAPTURES, cap), '--profile', PROFILE, '--out', out, '--with-values', '--summary-json', summary, '--quiet']);
    assert.equal(r.status, 1, r.stderr);
    const got = readLines(out);
    assert.equal(got.length, 11, cap);
    // Every message as if read from the file of what was sent (values, warnings, keys): ACKs from
    // the listener, the noise and the framing are not messages.
    assert.deepEqual(got.slice(0, 10).map(strip), want.map(strip), cap);
    assert.deepEqual(got.map((x) => x.stream), [0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2], cap);
    // Offsets in the connection's byte stream: each frame is its message plus 3 bytes of framing.
    const sizes = want.map((x, i) => (i + 1 < want.length ? want[i + 1].offset : fs.statSync(path.join(CAPTURES, 'mllp-sent.txt')).size) - x.offset - 1);
    assert.deepEqual(got.slice(0, 5).map((x) => x.offset), [0, 1, 2, 3, 4].map((i) => 1 + sizes.slice(0, i).reduce((a, b) => a + b + 3, 0)), cap);
    assert.deepEqual(got[10].error, { code: 'HL7_MLLP_UNTERMINATED' });
    assert.equal(got[6].values.patient_last_name, 'MÜLLER', `${cap}: the Latin-1 message kept its bytes`);
    const s = readJson(summary);
    assert.deepEqual(s.events, { BOOKED: 5, RESCHEDULED: 2, CANCELED: 1 });
    assert.deepEqual(s.skips, { SKIP_INVALID_PHONE: 1, SKIP_NOT_SCHEDULING_EVENT: 1 });
    assert.deepEqual(s.errors, { HL7_MLLP_UNTERMINATED: 1 });
    assert.deepEqual(s.files[0].issues, [{ code: 'PCAP_NON_MLLP_BYTES', level: 'warning', count: 1, bytes: 12 }]);
  }
  // --mllp-port names the listener's port (the direction read); a port nobody listened on: nothing.
  const acks = cli(['map', path.join(CAPTURES, 'mllp-lo.pcap'), '--mllp-port', '25750', '--summary-json', '-', '--quiet']);
  assert.equal(JSON.parse(acks.stdout).totals.messages, 11);
  const none = cli(['map', path.join(CAPTURES, 'mllp-lo.pcap'), '--mllp-port', '9', '--summary-json', '-', '--quiet']);
  assert.deepEqual(JSON.parse(none.stdout).inputWarnings, { BATCH_NO_MESSAGES: 1 });
});

// ---- captures built here: reassembly cases a loopback capture does not produce --------------------

/** IPv4 + TCP packet. @param {{ src: number[], dst: number[], sport: number, dport: number, seq: number, flags: number, data?: Buffer }} p */
function ipv4(p) {
  const data = p.data ?? Buffer.alloc(0);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(p.sport, 0);
  tcp.writeUInt16BE(p.dport, 2);
  tcp.writeUInt32BE(p.seq >>> 0, 4);
  tcp[12] = 5 << 4;
  tcp[13] = p.flags;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 20 + data.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  Buffer.from(p.src).copy(ip, 12);
  Buffer.from(p.dst).copy(ip, 16);
  return Buffer.concat([ip, tcp, data]);
}
/** IPv6 + TCP packet. @param {{ src: number, dst: number, sport: number, dport: number, seq: number, flags: number, data?: Buffer }} p */
function ipv6(p) {
  const data = p.data ?? Buffer.alloc(0);
  const v4 = ipv4({ ...p, src: [0, 0, 0, 0], dst: [0, 0, 0, 0] });
  const tcp = v4.subarray(20, 40);
  const ip = Buffer.alloc(40);
  ip[0] = 0x60;
  ip.writeUInt16BE(20 + data.length, 4);
  ip[6] = 6;
  ip[7] = 64;
  ip[23] = p.src;
  ip[39] = p.dst;
  return Buffer.concat([ip, tcp, data]);
}
/** Ethernet with an 802.1Q tag, padded to 60 bytes like a short frame on the wire. @param {Buffer} ip */
function ethernetVlan(ip) {
  const eth = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0x00, 0x07, 0x08, 0x00]);
  const f = Buffer.concat([eth, ip]);
  return f.length < 60 ? Buffer.concat([f, Buffer.alloc(60 - f.length, 0xee)]) : f;
}
/** A pcap file, big-endian. @param {number} linktype @param {Buffer[]} packets */
function pcapBE(linktype, packets) {
  const head = Buffer.alloc(24);
  head.writeUInt32BE(0xa1b2c3d4, 0);
  head.writeUInt16BE(2, 4);
  head.writeUInt16BE(4, 6);
  head.writeUInt32BE(65535, 16);
  head.writeUInt32BE(linktype, 20);
  return Buffer.concat([head, ...packets.flatMap((p, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32BE(1_700_000_000 + i, 0);
    h.writeUInt32BE(p.length, 8);
    h.writeUInt32BE(p.length, 12);
    return [h, p];
  })]);
}
/** A pcapng file (little-endian), two interfaces, enhanced packet blocks. @param {[number, Buffer][]} packets [interface, frame] @param {number[]} linktypes */
function pcapng(linktypes, packets) {
  /** @param {number} type @param {Buffer} body */
  const block = (type, body) => {
    const pad = Buffer.alloc((4 - (body.length % 4)) % 4);
    const len = 12 + body.length + pad.length;
    const h = Buffer.alloc(8);
    h.writeUInt32LE(type, 0);
    h.writeUInt32LE(len, 4);
    const t = Buffer.alloc(4);
    t.writeUInt32LE(len, 0);
    return Buffer.concat([h, body, pad, t]);
  };
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const idbs = linktypes.map((lt) => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(lt, 0);
    b.writeUInt32LE(0, 4);
    return block(1, b);
  });
  const epbs = packets.map(([iface, p]) => {
    const b = Buffer.alloc(20);
    b.writeUInt32LE(iface, 0);
    b.writeUInt32LE(p.length, 12);
    b.writeUInt32LE(p.length, 16);
    return block(6, Buffer.concat([b, p]));
  });
  return Buffer.concat([block(0x0a0d0d0a, shb), ...idbs, ...epbs]);
}

test('captures built here: reordered, duplicated and overlapping segments, no SYN, IPv6, VLAN, a lost segment; pcap (big-endian) and pcapng', () => {
  const SYN = 0x02;
  const ACK = 0x10;
  const PSH = 0x08;
  const FIN = 0x01;
  const client = [10, 0, 0, 1];
  const server = [10, 0, 0, 2];
  const A = frame(SIU(1));
  const B = frame(SIU(2, 'S13'));
  const C = frame(SIU(3, 'S15'));
  const D = frame(SIU(4));
  const E = frame(ADT(5));
  const c1 = (/** @type {number} */ seq, /** @type {number} */ flags, /** @type {Buffer} */ data = Buffer.alloc(0)) => ipv4({ src: client, dst: server, sport: 40001, dport: 2575, seq, flags, data });
  const s1 = (/** @type {number} */ seq, /** @type {number} */ flags, /** @type {Buffer} */ data = Buffer.alloc(0)) => ipv4({ src: server, dst: client, sport: 2575, dport: 40001, seq, flags, data });
  const isn = 0xfffffff0; // the sequence numbers wrap around inside frame A
  const a1 = A.subarray(0, 100);
  const a2 = A.subarray(100, 700);
  const a3 = A.subarray(700);
  const at = (/** @type {number} */ o) => (isn + 1 + o) >>> 0;
  // Connection 1 (Ethernet + 802.1Q): A in three segments sent 1, 3, 2, with a duplicate of 1 and a
  // retransmission overlapping 2 and 3; then B; the listener's ACK frames come back the other way.
  const conn1 = [
    c1(isn, SYN),
    s1(7000, SYN | ACK),
    c1(at(0), PSH | ACK, a1),
    c1(at(700), PSH | ACK, a3),
    c1(at(0), PSH | ACK, a1),
    c1(at(100), PSH | ACK, a2),
    c1(at(50), PSH | ACK, A.subarray(50, 900)),
    s1(7001, PSH | ACK, frame('MSH|^~\\&|BRIDGE||EHR||20261202||ACK|1|P|2.5.1\rMSA|AA|B1\r')),
    c1(at(A.length), PSH | ACK, B),
    c1(at(A.length + B.length), FIN | ACK),
  ];
  // Connection 2 (IPv6, captured mid-stream: no SYN): C, then FIN.
  const conn2 = [
    ipv6({ src: 1, dst: 2, sport: 50000, dport: 2575, seq: 123456, flags: PSH | ACK, data: C }),
    ipv6({ src: 1, dst: 2, sport: 50000, dport: 2575, seq: 123456 + C.length, flags: FIN | ACK }),
  ];
  // Connection 3: D's middle segment is never captured; E follows.
  const c3 = (/** @type {number} */ seq, /** @type {number} */ flags, /** @type {Buffer} */ data = Buffer.alloc(0)) => ipv4({ src: client, dst: server, sport: 40003, dport: 2575, seq, flags, data });
  const conn3 = [c3(999, SYN), c3(1000, PSH | ACK, D.subarray(0, 500)), c3(1000 + 1000, PSH | ACK, D.subarray(1000)), c3(1000 + D.length, PSH | ACK, E)];

  const pcapFile = tmpPath('built.pcap');
  // Raw-IP link type (101) carries both IPv4 and IPv6; connection 1 goes over Ethernet in the pcapng.
  fs.writeFileSync(pcapFile, pcapBE(101, [...conn1, ...conn2, ...conn3]));
  const ngFile = tmpPath('built.pcapng');
  fs.writeFileSync(ngFile, pcapng([1, 101], [...conn1.map((p) => /** @type {[number, Buffer]} */ ([0, ethernetVlan(p)])), ...[...conn2, ...conn3].map((p) => /** @type {[number, Buffer]} */ ([1, p]))]));
  for (const f of [pcapFile, ngFile]) {
    const out = tmpPath('built.jsonl');
    const r = cli(['map', f, '--profile', PROFILE, '--out', out, '--summary-json', '-', '--quiet']);
    assert.equal(r.status, 1, r.stderr);
    const recs = readLines(out);
    assert.deepEqual(
      recs.map((x) => [x.stream, x.offset, x.eventType ?? x.skip?.code ?? x.error?.code]),
      [
        [0, 1, 'BOOKED'],
        [0, A.length + 1, 'RESCHEDULED'],
        [1, 1, 'CANCELED'],
        [2, 0, 'PCAP_TCP_GAP'],
        [2, D.length + 1, 'SKIP_NOT_SCHEDULING_EVENT'],
      ],
      path.basename(f),
    );
    // The message A as sent, byte for byte: same key as mapping it directly.
    const direct = JSON.parse(cli(['map', '-', '--profile', PROFILE, '--json'], { input: SIU(1) }).stdout);
    assert.equal(recs[0].idempotencyKey, direct.result.idempotencyKey);
    const s = JSON.parse(r.stdout);
    assert.deepEqual(s.files[0].issues.map((/** @type {any} */ i) => i.code).sort(), ['PCAP_NON_MLLP_BYTES', 'PCAP_TCP_GAP']);
  }
  // Not a capture after all: a damaged header is an input error.
  const bad = tmpPath('bad.pcap');
  fs.writeFileSync(bad, Buffer.concat([fs.readFileSync(ngFile).subarray(0, 4), Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])]));
  const b = cli(['map', bad, '--summary-json', '-', '--quiet']);
  assert.equal(b.status, 1);
  assert.deepEqual(JSON.parse(b.stdout).inputErrors, { PCAP_BAD_FORMAT: 1 });
});

// ---- results ---------------------------------------------------------------------------------

test('--out: one line per message (file, index, offset, kind, outcome, codes, key); no values unless --with-values; usage errors exit 2', () => {
  const file = tmpPath('four.hl7');
  fs.writeFileSync(file, SIU(1) + ADT(2) + BAD(3) + SIU(1));
  const out = tmpPath('four.jsonl');
  const r = cli(['map', file, '--profile', PROFILE, '--out', out]);
  assert.equal(r.status, 1);
  const recs = readLines(out);
  const key = JSON.parse(cli(['map', '-', '--profile', PROFILE, '--json'], { input: SIU(1) }).stdout).result.idempotencyKey;
  const o1 = Buffer.byteLength(SIU(1));
  const o2 = o1 + ADT(2).length;
  assert.deepEqual(recs, [
    { seq: 0, file, index: 0, offset: 0, kind: 'hl7', outcome: 'event', eventType: 'BOOKED', warnings: ['SANITIZE_TRANSLITERATED', 'SANITIZE_REPLACED'], idempotencyKey: key },
    { seq: 1, file, index: 1, offset: o1, kind: 'hl7', outcome: 'skip', skip: { code: 'SKIP_NOT_SCHEDULING_EVENT', reason: 'the message type (MSH-9.1) is not SIU', rule: 'MSH-9.1' }, warnings: [], idempotencyKey: null },
    { seq: 2, file, index: 2, offset: o2, kind: 'hl7', outcome: 'error', error: recs[2].error, warnings: [], idempotencyKey: null },
    { seq: 3, file, index: 3, offset: o2 + BAD(3).length, kind: 'hl7', outcome: 'event', eventType: 'BOOKED', warnings: ['SANITIZE_TRANSLITERATED', 'SANITIZE_REPLACED'], idempotencyKey: key, duplicate: true },
  ]);
  assert.equal(recs[2].error.code, 'HL7_BAD_ENCODING_CHARS');
  assert.match(r.stdout, /\nduplicates 1 /);
  // No PHI without --with-values: not in the lines, the summary or stderr.
  const phi = ['Mai', 'NGUY', 'NGUYEN', '19715551001', '971^5551001', 'Division', 'DOE'];
  for (const text of [fs.readFileSync(out, 'utf8'), r.stdout, r.stderr]) for (const v of phi) assert.ok(!text.replaceAll(file, '').includes(v), `no ${v}`);
  const wv = tmpPath('values.jsonl');
  cli(['map', file, '--profile', PROFILE, '--out', wv, '--with-values', '--quiet']);
  const v = readLines(wv);
  assert.equal(v[0].values.patient_phone, '+19715551001');
  assert.equal(v[0].provenance.patient_phone.source, 'PID-13[2]');
  assert.equal(v[0].warningDetails[0].code, 'SANITIZE_TRANSLITERATED');
  assert.equal(v[1].values, null);

  // Usage: exit 2, nothing read.
  for (const args of [
    ['map', file, '--format', 'xml'],
    ['map', file, '--batch', '--store', 'x.db'],
    ['map', file, '--batch', '--send', '--dry-run'],
    ['map', file, '--batch', '--bogus'],
    ['map', path.join(tmp, 'missing-folder'), '--batch'],
    ['map', '--batch'],
    ['map', file, '--batch', '--send', '--preset', 'generic'],
  ]) {
    const u = cli(args);
    assert.equal(u.status, 2, `${args.join(' ')}: ${u.stderr}`);
    assert.match(u.stderr, /^ehr-studio-bridge: /);
  }
  // --send without credentials: usage, nothing read.
  const nc = cli(['map', file, '--batch', '--send', '--profile', PROFILE], { env: { TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '', TWILIO_API_KEY: '', TWILIO_API_SECRET: '' } });
  assert.equal(nc.status, 2, nc.stderr);
  assert.match(nc.stderr, /^ehr-studio-bridge: --send: set TWILIO_ACCOUNT_SID/);
  // A single file without batch options keeps the single-message output.
  assert.match(cli(['map', path.join(ROOT, 'samples', 'siu_s12_booked.hl7'), '--profile', PROFILE]).stdout, /^BOOKED: Studio execution/);
});

// ---- --send --------------------------------------------------------------------------------------

/** A profile file pointing at a fake Studio. @param {string} baseUrl */
function studioProfile(baseUrl) {
  const f = tmpPath('profile.json');
  fs.writeFileSync(f, JSON.stringify({ ...SAMPLE_PROFILE, studio: { flowSid: FLOW_SID, from: FROM, baseUrl } }));
  return f;
}
const TWILIO_ENV = { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN };
/** Fast engine timers (the defaults are seconds to minutes). */
const FAST = ['--rate', '1000', '--conflict-wait-ms', '50', '--backoff-base-ms', '40', '--max-attempts', '6', '--reconcile-after-ms', '0', '--reconcile-skew-ms', '5000', '--twilio-timeout-ms', '3000'];

test('--send: 429, 500, 503 retried (the 5xx reconciled first), a 400 dead-lettered, a 409 waited out, a duplicate sent once; exact request counts', async () => {
  // BOOKED executions stay active until they have refused 2 creates (PAM's reply window).
  const studio = await startFakeStudio({ activeConflicts: 2, activeEvents: ['BOOKED'] });
  try {
    studio.script.push({ status: 429 }, { status: 500 }, { status: 503 }, { status: 400, body: { code: 21211, message: 'Invalid To', status: 400 } });
    const file = tmpPath('send.hl7');
    // 12 events, one of them (patient 1's S13) behind patient 1's BOOKED; an ADT; patient 5 twice.
    const msgs = [...Array.from({ length: 10 }, (_, i) => SIU(i + 1)), SIU(1, 'S13'), ADT(99), SIU(5), SIU(11)];
    fs.writeFileSync(file, msgs.join('\n'));
    const out = tmpPath('send.jsonl');
    const summaryFile = tmpPath('send.json');
    // A long backoff: the 4 scripted answers go to the first 4 jobs, not to a retry.
    const { done } = start(['map', file, '--profile', studioProfile(studio.baseUrl), '--send', '--concurrency', '1', ...FAST, '--backoff-base-ms', '600', '--out', out, '--summary-json', summaryFile], TWILIO_ENV);
    const r = await done;
    assert.equal(r.code, 1, r.stderr); // a dead letter
    const s = readJson(summaryFile);
    assert.deepEqual(s.totals, { messages: 14, events: 13, skips: 1, errors: 0, duplicates: 1 });
    assert.deepEqual(s.send.deadLettered, { TWILIO_REJECTED: 1 });
    assert.deepEqual(s.send.retries, { TWILIO_RATE_LIMITED: 1, TWILIO_SERVER_ERROR: 2, STUDIO_EXECUTION_ACTIVE: 2 });
    assert.deepEqual([s.send.sent, s.send.reconciled, s.send.alreadySent, s.send.notSent], [11, 0, 0, 0]);
    // Studio saw: 12 distinct events + 3 retries after 429/5xx + 2 refusals of patient 1's S13.
    assert.equal(studio.counts.create, 17);
    assert.deepEqual(studio.counts.byStatus, { 200: 2, 201: 11, 400: 1, 409: 2, 429: 1, 500: 1, 503: 1 }); // 200: the two lists
    assert.equal(studio.counts.list, 2, 'each 5xx retry first looked for an execution it may have created');
    assert.equal(studio.executions.length, 11);
    // Patient 1: BOOKED then RESCHEDULED, in that order.
    assert.deepEqual(studio.executions.filter((e) => e.params.appointment_id === 'APT-50001').map((e) => e.params.event_type), ['BOOKED', 'RESCHEDULED']);
    const recs = readLines(out);
    assert.equal(recs.length, 14);
    const byStatus = /** @type {Record<string, number>} */ ({});
    for (const x of recs) if (x.delivery) byStatus[x.delivery.status] = (byStatus[x.delivery.status] ?? 0) + 1;
    assert.deepEqual(byStatus, { sent: 11, 'dead-lettered': 1, duplicate: 1 });
    const dead = recs.find((x) => x.delivery?.status === 'dead-lettered');
    assert.deepEqual({ ...dead.delivery, jobId: 0 }, { status: 'dead-lettered', code: 'TWILIO_REJECTED', jobId: 0, twilioStatus: 400, twilioCode: 21211 });
    const sids = new Set(studio.executions.map((e) => e.sid));
    for (const x of recs.filter((y) => y.delivery?.status === 'sent')) assert.ok(sids.has(x.delivery.executionSid));
    assert.match(r.stdout, /\nstudio +sent 11, reconciled 0, already sent 0, dead-lettered 1, not sent 0 \(store: memory \(not resumable\)\)\n/);
  } finally {
    await studio.close();
  }
});

test('--send --store: killed (SIGKILL) with creates in flight, then re-run: every event sent exactly once; a third run sends nothing', async () => {
  const studio = await startFakeStudio({ createDelayMs: 120 });
  try {
    const file = tmpPath('resume.hl7');
    const events = 40;
    fs.writeFileSync(file, Array.from({ length: events }, (_, i) => SIU(100 + i)).join(''));
    const store = tmpPath('resume.db');
    const args = ['map', file, '--profile', studioProfile(studio.baseUrl), '--send', '--store', store, '--concurrency', '2', ...FAST, '--dead-after-ms', '1000', '--reconcile-after-ms', '1500'];
    const first = start(args, TWILIO_ENV);
    // Kill it while Studio holds a create (that execution exists; the store does not know it yet).
    await until(() => studio.counts.created >= 10 && studio.held.size > 0, 30_000, 'sends to start');
    first.p.kill('SIGKILL');
    const k = await first.done;
    assert.equal(k.signal, 'SIGKILL');
    // Requests written just before the kill reach the fake; the ones it holds complete.
    await new Promise((r) => setTimeout(r, 300));
    await until(() => studio.held.size === 0, 5000, 'the held create to complete');
    const createdBefore = studio.executions.length;
    assert.ok(createdBefore < events, `${createdBefore} created before the kill`);

    const out = tmpPath('resume.jsonl');
    const second = start([...args, '--out', out, '--summary-json', tmpPath('resume.json')], TWILIO_ENV);
    const r = await second.done;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    // Exactly once: one execution per appointment, none missing.
    const ids = studio.executions.map((e) => e.params.appointment_id).sort();
    assert.deepEqual(ids, Array.from({ length: events }, (_, i) => `APT-${50_100 + i}`).sort());
    const recs = readLines(out);
    const counts = /** @type {Record<string, number>} */ ({});
    for (const x of recs) counts[x.delivery.status] = (counts[x.delivery.status] ?? 0) + 1;
    // Sent by the first run (recorded), created while it died (reconciled), the rest sent now.
    assert.equal((counts['already-sent'] ?? 0) + (counts.reconciled ?? 0) + (counts.sent ?? 0), events);
    assert.ok((counts.reconciled ?? 0) >= 1, `the create in flight at the kill was reconciled, not resent: ${JSON.stringify(counts)}`);
    assert.equal(counts.sent, events - createdBefore);

    // Third run: everything is in the store as sent.
    const third = start([...args, '--summary-json', '-'], TWILIO_ENV);
    const t = await third.done;
    assert.equal(t.code, 0, t.stderr);
    const s = JSON.parse(t.stdout);
    assert.deepEqual([s.send.sent, s.send.reconciled, s.send.alreadySent], [0, 0, events]);
    assert.equal(studio.executions.length, events);
  } finally {
    await studio.close();
  }
});

test('--send: Ctrl-C stops cleanly (the create in flight finishes), reports what was sent, exit 130; a re-run sends the rest', async () => {
  const studio = await startFakeStudio({ createDelayMs: 80 });
  try {
    const file = tmpPath('sigint.hl7');
    const events = 30;
    fs.writeFileSync(file, Array.from({ length: events }, (_, i) => SIU(200 + i)).join(''));
    const store = tmpPath('sigint.db');
    const args = ['map', file, '--profile', studioProfile(studio.baseUrl), '--send', '--store', store, '--concurrency', '1', ...FAST];
    const summaryFile = tmpPath('sigint.json');
    const first = start([...args, '--summary-json', summaryFile], TWILIO_ENV);
    await until(() => studio.counts.created >= 5 && studio.held.size > 0, 30_000, 'sends to start');
    first.p.kill('SIGINT');
    const r = await first.done;
    assert.equal(r.code, 130, r.stderr);
    const s = readJson(summaryFile);
    assert.equal(s.interrupted, true);
    // What the summary calls sent is exactly what Studio created (the held create was finished).
    assert.equal(s.send.sent, studio.executions.length);
    assert.equal(s.send.sent + s.send.notSent, events);
    assert.ok(s.send.notSent > 0);
    assert.match(r.stdout, /^send \(interrupted\): 30 messages /);
    const again = start(args, TWILIO_ENV);
    const a = await again.done;
    assert.equal(a.code, 0, a.stderr);
    assert.equal(studio.executions.length, events);
    assert.equal(new Set(studio.executions.map((e) => e.params.appointment_id)).size, events);
  } finally {
    await studio.close();
  }
});

// ---- progress and scale -----------------------------------------------------------------------

test('progress: redrawn on a terminal (stderr of a pty), never in a pipe, not with --quiet', () => {
  const file = tmpPath('progress.hl7');
  fs.writeFileSync(file, Array.from({ length: 8000 }, (_, i) => SIU(i % 500, i % 3 ? 'S12' : 'S13')).join(''));
  /** Run under `script` (util-linux): stdin, stdout and stderr are a pty. @param {string[]} args */
  const pty = (args) => {
    const cmd = [BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('script', ['-qec', `${cmd} >/dev/null`, '/dev/null'], { cwd: tmp, env: { ...ENV, COLUMNS: '200' }, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const tty = pty(['map', file, '--profile', PROFILE]);
  const frames = tty.split('\r').filter((f) => f.includes('msgs'));
  assert.ok(frames.length >= 2, `progress frames: ${JSON.stringify(tty.slice(0, 300))}`);
  assert.match(frames[frames.length - 1], /^\[[#.]{20}\] +\d+% +[\d.]+ (B|KB|MB)\/[\d.]+ MB {2}\d+ msgs {2}\d+\/s {2}(ETA \d+:\d\d|\d+:\d\d elapsed) {2}events \d+ skips 0 errors 0\x1b\[K/);
  assert.ok(tty.endsWith('\r\x1b[K'), 'the line is erased at the end');
  assert.ok(!/NGUY|Mai|971555/.test(tty), 'counts only');
  assert.ok(!pty(['map', file, '--profile', PROFILE, '--quiet']).includes('msgs'));
  const piped = cli(['map', file, '--profile', PROFILE]);
  assert.equal(piped.status, 0);
  assert.equal(piped.stderr, '', 'no progress into a pipe');
  assert.ok(!piped.stdout.includes('\r'));
});

test('20,000 messages (120 MB): exact counts, 20,000 result lines, memory flat (peak RSS within 40 MB of a 2,000-message run)', (t) => {
  // Messages of ~6 KB (a long NTE): the input is much larger than any memory difference allowed.
  const pad = `NTE|2||${'x'.repeat(5000)}\r`;
  /** @param {number} count */
  const write = (count) => {
    const f = tmpPath(`big-${count}.hl7`);
    const fd = fs.openSync(f, 'w');
    for (let i = 0; i < count; i++) {
      const k = i % 10;
      const m = k === 9 ? ADT(i) : SIU(i, k === 7 ? 'S13' : k === 8 ? 'S15' : 'S12');
      fs.writeSync(fd, m + pad);
    }
    fs.closeSync(fd);
    return f;
  };
  const probe = tmpPath('rss-probe.cjs');
  fs.writeFileSync(probe, `process.on('exit', () => require('fs').writeFileSync(process.env.RSS_OUT, String(process.resourceUsage().maxRSS)));\n`);
  /** @param {string} f */
  const measure = (f) => {
    const rss = tmpPath('rss.txt');
    const out = tmpPath('big.jsonl');
    const r = cli(['map', f, '--profile', PROFILE, '--out', out, '--summary-json', '-', '--quiet'], { env: { NODE_OPTIONS: `--require ${probe}`, RSS_OUT: rss } });
    assert.equal(r.status, 0, r.stderr);
    return { s: JSON.parse(r.stdout), kb: Number(fs.readFileSync(rss, 'utf8')), out };
  };
  const big = write(20_000);
  assert.ok(fs.statSync(big).size > 100e6);
  const small = measure(write(2000));
  const large = measure(big);
  assert.deepEqual(large.s.totals, { messages: 20_000, events: 18_000, skips: 2000, errors: 0, duplicates: 0 });
  assert.deepEqual(large.s.events, { BOOKED: 14_000, RESCHEDULED: 2000, CANCELED: 2000 });
  const recs = fs.readFileSync(large.out, 'utf8').split('\n').filter(Boolean);
  assert.equal(recs.length, 20_000);
  const r12345 = JSON.parse(recs[12_345]);
  assert.deepEqual([r12345.index, r12345.eventType], [12_345, 'BOOKED']);
  const bytes = fs.readFileSync(big);
  assert.equal(r12345.offset, bytes.lastIndexOf('MSH|', bytes.indexOf('|B12345|')));
  const growth = (large.kb - small.kb) / 1024;
  t.diagnostic(`peak RSS ${small.kb} kB (2,000 messages) → ${large.kb} kB (20,000): +${growth.toFixed(1)} MB for +${((fs.statSync(big).size * 0.9) / 1e6).toFixed(0)} MB of input`);
  assert.ok(growth < 40, `peak RSS ${small.kb} kB (2,000) → ${large.kb} kB (20,000): +${growth.toFixed(1)} MB`);
});
