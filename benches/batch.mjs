// @ts-check
// Benchmark (not a test): `ehr-studio-bridge map` over one large file — throughput (messages/s,
// MB/s) and peak memory (max RSS) of the dry run, with and without `--out`.
//
//   node js/build.mjs && node benches/batch.mjs [--messages 100000] [--format hl7|mllp|jsonl]
//
// The input is written to the OS temp dir: the perf SIU (1,958 bytes) with a unique MSH-10,
// appointment id and event time each, 7 in 10 S12 (BOOKED), then S13, S15 and an ADT (skipped) —
// as a plain HL7 file (one blank line between messages), MLLP frames, or JSON lines of Table B
// documents (mapped once here with the package to build them). The CLI runs in its own process
// (the package's dist/cli.cjs) with the sample profile; peak RSS comes from
// `process.resourceUsage().maxRSS` at its exit. One run each (run again for another sample; treat
// differences under ~15% as noise).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
/** @param {string} name @param {string} dflt */
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const MESSAGES = Number(arg('messages', '100000'));
const FORMAT = arg('format', 'hl7');
const CLI = path.join(ROOT, 'pkg', 'dist', 'cli.cjs');
if (!fs.existsSync(CLI)) {
  console.error('pkg/ is missing: run `node js/build.mjs` first');
  process.exit(1);
}
const PROFILE = path.join(ROOT, 'samples', 'profile.json');
const SMALL = fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'perf', 'siu_s12_small.hl7'), 'latin1');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-bench-batch-'));

/** Message i (latin1 text: bytes as they are). @param {number} i */
function message(i) {
  const k = i % 10;
  const [msh, ...rest] = SMALL.replace(/\r?\n/g, '\r').replace(/\r+$/, '').split('\r');
  const f = msh.split('|');
  f[6] = `2026120209${String(Math.floor(i / 60) % 60).padStart(2, '0')}${String(i % 60).padStart(2, '0')}`;
  f[8] = k === 9 ? 'ADT^A08^ADT_A01' : k === 7 ? 'SIU^S13^SIU_S13' : k === 8 ? 'SIU^S15^SIU_S15' : 'SIU^S12^SIU_S12';
  f[9] = `BENCH${i}`;
  const body = rest.map((s) => (s.startsWith('SCH|') ? s.replace(/^SCH\|([^|]*)\|([^|^]*)/, `SCH|$1|A${i}`) : s));
  return `${[f.join('|'), ...body].join('\r')}\r`;
}

const file = path.join(tmp, `input.${FORMAT === 'jsonl' ? 'jsonl' : 'hl7'}`);
const fd = fs.openSync(file, 'w');
let mapper = null;
if (FORMAT === 'jsonl') {
  const api = createRequire(import.meta.url)(path.join(ROOT, 'pkg', 'dist', 'ehr_studio_bridge.cjs'));
  mapper = new api.Mapper(JSON.parse(fs.readFileSync(PROFILE, 'utf8')));
}
const t0 = Date.now();
let buf = '';
for (let i = 0; i < MESSAGES; i++) {
  const m = message(i);
  if (FORMAT === 'mllp') buf += `\x0b${m}\x1c\r`;
  else if (FORMAT === 'jsonl') {
    const r = mapper.map(Buffer.from(m, 'latin1'));
    buf += `${JSON.stringify(r.event ?? r.draft ?? {})}\n`;
  } else buf += `${m}\n`;
  if (buf.length > 1 << 20) {
    fs.writeSync(fd, Buffer.from(buf, 'latin1'));
    buf = '';
  }
}
fs.writeSync(fd, Buffer.from(buf, 'latin1'));
fs.closeSync(fd);
mapper?.free();
const bytes = fs.statSync(file).size;
console.log(`input: ${MESSAGES} messages, ${(bytes / 1e6).toFixed(1)} MB (${FORMAT}), written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const probe = path.join(tmp, 'rss.cjs');
fs.writeFileSync(probe, `process.on('exit', () => require('fs').writeFileSync(process.env.RSS_OUT, String(process.resourceUsage().maxRSS)));\n`);
/** @param {string} label @param {string[]} extra */
function run(label, extra) {
  const rss = path.join(tmp, 'rss.txt');
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, 'map', file, '--profile', PROFILE, '--quiet', '--summary-json', path.join(tmp, 's.json'), ...extra], {
    env: { ...process.env, NODE_OPTIONS: `--require ${probe}`, RSS_OUT: rss },
    encoding: 'utf8',
  });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${label}: exit ${r.status}\n${r.stderr}`);
  const s = JSON.parse(fs.readFileSync(path.join(tmp, 's.json'), 'utf8'));
  if (s.totals.messages !== MESSAGES) throw new Error(`${label}: ${s.totals.messages} messages, expected ${MESSAGES}`);
  const kb = Number(fs.readFileSync(rss, 'utf8'));
  console.log(
    `${label.padEnd(22)} ${secs.toFixed(2)} s  ${Math.round(MESSAGES / secs)} messages/s  ${(bytes / 1e6 / secs).toFixed(1)} MB/s  peak RSS ${(kb / 1024).toFixed(0)} MB  (events ${s.totals.events}, skips ${s.totals.skips}, errors ${s.totals.errors})`,
  );
}
try {
  run('dry run', []);
  run('dry run --out', ['--out', path.join(tmp, 'out.jsonl')]);
  run('dry run --with-values', ['--out', path.join(tmp, 'out.jsonl'), '--with-values']);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
