#!/usr/bin/env node
// @ts-check
// ehr-studio-bridge command line: a thin adapter over the package's exports (no mapping logic here).
//
//   ehr-studio-bridge parse <file|->            the message as a tree (JSON)
//   ehr-studio-bridge query <file|-> <path>...  values at HL7 paths (e.g. PID-5.1 SCH-11.4)
//   ehr-studio-bridge ack   <file|-> [accept|error|reject]
//   ehr-studio-bridge map   <file|-> [--profile p.json] [--preset name] [--json] [--send]
//   ehr-studio-bridge map   <folder|file…|-> [--batch] [--out r.jsonl] [--send [--store s.db]] …
//                                                 many messages: cli/batch.cjs, docs/cli.md
//   ehr-studio-bridge reply <body-file|-> --profile p.json [--fhir] [--json]
//   ehr-studio-bridge reminders <file|-> --profile p.json [--now ISO] [--existing r.json] [--json]
//   ehr-studio-bridge serve|status|replay …     the HL7 engine (engine/cli.cjs, docs/engine.md)
//
// `map --send` creates the Studio execution with twilio-node (an optional peer dependency), using
// TWILIO_ACCOUNT_SID and either TWILIO_API_KEY + TWILIO_API_SECRET or TWILIO_AUTH_TOKEN.
//
// Input files are read as bytes, so the MSH-18 / Latin-1 rule applies; `-` reads standard input.
// Exit status: 0 on success (including a coded skip), 1 on a coded error (printed as JSON on
// stderr), 2 on bad usage, 3 when Twilio refused the execution (409 conflict, 429, 5xx…). Over many
// messages: 0 all fine, 1 some errors (or events not sent), 2 usage, 130 interrupted (docs/cli.md).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

/** The package: next to this file when installed (dist/), or the repo's built pkg/. */
function loadApi() {
  const candidates = [
    path.join(__dirname, 'ehr_studio_bridge.cjs'),
    path.join(__dirname, '..', 'pkg', 'dist', 'ehr_studio_bridge.cjs'),
  ];
  for (const c of candidates) if (fs.existsSync(c)) return require(c);
  process.stderr.write('ehr-studio-bridge: the package is not built; run `node js/build.mjs` first\n');
  process.exit(2);
}

const USAGE = `usage:
  ehr-studio-bridge parse <file|->              print the message tree (JSON)
  ehr-studio-bridge query <file|-> <path>...    print values at HL7 paths (PID-5.1, SCH-11.4, PID-13[2].1)
  ehr-studio-bridge ack <file|-> [accept|error|reject]   print the ACK (segments on separate lines)
  ehr-studio-bridge map <file|-> [--profile p.json] [--preset name] [--json] [--send]
                                                the Studio execution for an EHR event (dry run: the
                                                request and a curl command), or the skip reason;
                                                --send creates it with twilio-node
  ehr-studio-bridge map <folder|file…|-> [--batch] [--ext hl7,txt] [--glob P] [--format F]
        [--out r.jsonl [--with-values]] [--summary-json s.json] [--quiet] [--now ISO]
        [--send [--store PATH|postgres://…] [--concurrency 8] [--rate 20] [--retry-dead]]
                                                many messages (folders, batch files, MLLP
                                                captures, pcap, JSON lines): a summary by code,
                                                one result line each, and --send through the
                                                engine's delivery (docs/cli.md); exit 0 all
                                                fine, 1 some errors, 2 usage, 130 interrupted
  ehr-studio-bridge reply <body|-> --profile p.json [--fhir] [--json]
                                                the EHR request for a patient reply (SRM^S03/S04, or FHIR)
  ehr-studio-bridge reminders <file|-> --profile p.json [--now ISO] [--existing r.json] [--json]
                                                the REMIND plan for an EHR event (profile.reminders):
                                                each reminder in the patient's local time and UTC,
                                                with codes for skipped and cancelled ones
  ehr-studio-bridge serve|status|replay …       the HL7 engine: MLLP listener, durable queue, Studio
                                                delivery, replies (serve --help)
`;

/** Split `--flag value` options from positional arguments. @param {string[]} args */
function options(args) {
  /** @type {Record<string, string | boolean>} */
  const o = {};
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json' || a === '--send' || a === '--fhir') o[a.slice(2)] = true;
    else if (a === '--profile' || a === '--preset' || a === '--now' || a === '--existing') {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      o[a.slice(2)] = v;
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else rest.push(a);
  }
  return { o, rest };
}

class UsageError extends Error {}

/** The profile from --profile / --preset (a preset can be combined with a profile file). @param {Record<string, string | boolean>} o */
function profileFrom(o) {
  /** @type {Record<string, unknown>} */
  let p = {};
  if (typeof o.profile === 'string') {
    try {
      p = JSON.parse(fs.readFileSync(o.profile, 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read the profile ${o.profile}: ${/** @type {Error} */ (e).message}`);
    }
  }
  if (typeof o.preset === 'string') p = { ...p, preset: o.preset };
  return p;
}

/** Aligned "key  value  ← source" lines for a MapResult. @param {any} result */
function describe(result) {
  const lines = [];
  const values = result.event ?? result.draft;
  if (result.skip) {
    lines.push(`SKIP ${result.skip.code}: ${result.skip.reason}${result.skip.rule ? ` (rule: ${result.skip.rule})` : ''}`);
    if (values) lines.push('values as mapped (preview only, nothing will be sent):');
  } else {
    lines.push(`${values.event_type}: Studio execution`);
  }
  if (values) {
    const width = Math.max(...Object.keys(values).map((k) => k.length));
    for (const [k, v] of Object.entries(values)) {
      const p = result.provenance[k];
      lines.push(`  ${k.padEnd(width)}  ${JSON.stringify(v).padEnd(36)}${p ? `  <- ${p.source}` : ''}`);
    }
  }
  for (const w of result.warnings) lines.push(`  warning ${w.code}${w.field ? ` (${w.field})` : ''}: ${w.message}`);
  return lines.join('\n');
}

/** twilio-node, created from the environment; the Studio base URL follows the config (tests). @param {any} studio */
function twilioClient(studio) {
  let twilio;
  try {
    twilio = require('./engine/util.cjs').peer('twilio'); // an optional peer, resolved by name at run time
  } catch {
    throw new UsageError('--send needs twilio-node: npm install twilio');
  }
  const env = process.env;
  const account = env.TWILIO_ACCOUNT_SID;
  if (!account) throw new UsageError('--send needs TWILIO_ACCOUNT_SID (and TWILIO_API_KEY + TWILIO_API_SECRET, or TWILIO_AUTH_TOKEN)');
  const client =
    env.TWILIO_API_KEY && env.TWILIO_API_SECRET
      ? twilio(env.TWILIO_API_KEY, env.TWILIO_API_SECRET, { accountSid: account })
      : env.TWILIO_AUTH_TOKEN
        ? twilio(account, env.TWILIO_AUTH_TOKEN)
        : null;
  if (!client) throw new UsageError('--send needs TWILIO_API_KEY + TWILIO_API_SECRET, or TWILIO_AUTH_TOKEN');
  if (studio.baseUrl) client.studio.baseUrl = studio.baseUrl;
  return client;
}

/** @param {any} api @param {Buffer} input @param {Record<string, string | boolean>} o */
async function map(api, input, o) {
  const mapper = new api.Mapper(profileFrom(o));
  try {
    const studio = mapper.profile.studio;
    const { result, request } = studio ? mapper.studioRequest(input) : { result: mapper.mapHl7(input), request: null };
    if (o.json) {
      printJson({ result, request });
    } else {
      process.stdout.write(`${describe(result)}\n`);
      if (request) {
        process.stdout.write(`\nPOST ${request.url}\n  To=${request.form.To}  From=${request.form.From}\n  idempotency key ${request.idempotencyKey}\n\n${request.curl}\n`);
      } else if (result.event) {
        process.stdout.write('\n(no studio section in the profile: add { "studio": { "flowSid", "from" } } to build the request)\n');
      }
    }
    if (!o.send || !request) return 0;
    const client = twilioClient(studio);
    try {
      const execution = await client.studio.v2.flows(studio.flowSid).executions.create({
        to: request.form.To,
        from: request.form.From,
        parameters: JSON.parse(request.form.Parameters),
      });
      process.stdout.write(`\ncreated execution ${execution.sid} (status ${execution.status})\n`);
      return 0;
    } catch (e) {
      const err = /** @type {any} */ (e);
      const conflicting = err?.details?.conflicting_execution_sid;
      process.stderr.write(
        `${JSON.stringify({ twilioError: { status: err?.status, code: err?.code, message: err?.message, conflictingExecutionSid: conflicting } })}\n`,
      );
      if (conflicting) {
        process.stderr.write('the patient has an active execution (reply window up to 120 s): retry after it ends\n');
      }
      return 3;
    }
  } finally {
    mapper.free();
  }
}

/** @param {any} api @param {Buffer} input @param {Record<string, string | boolean>} o */
function reply(api, input, o) {
  if (typeof o.profile !== 'string') throw new UsageError('reply needs --profile');
  const profile = profileFrom(o);
  const r = api.parseReply(input);
  if (o.fhir) {
    const req = api.replyToFhir(r, profile);
    if (o.json) printJson({ reply: r, fhir: req });
    else printJson(req);
  } else {
    const srm = api.replyToHl7(r, profile);
    if (o.json) printJson({ reply: r, hl7: srm });
    else process.stdout.write(srm.replace(/\r/g, '\n'));
  }
  for (const w of r.warnings) process.stderr.write(`warning ${w.code}: ${w.message}\n`);
  return 0;
}

/** `--now` as Unix ms (default: the clock). @param {Record<string, string | boolean>} o */
function nowFrom(o) {
  if (typeof o.now !== 'string') return Date.now();
  const ms = Date.parse(o.now);
  if (!Number.isFinite(ms) || !/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(o.now)) {
    throw new UsageError('--now must be an ISO 8601 instant with Z or an offset, e.g. 2026-12-02T17:15:00Z');
  }
  return ms;
}

/** One table row per reminder, local and UTC time, then the codes. @param {any} plan @param {any} result */
function describePlan(plan, result) {
  const lines = [];
  if (result.skip) lines.push(`mapping: SKIP ${result.skip.code}: ${result.skip.reason}`);
  if (plan.appointmentStart) {
    const ev = result.event ?? result.draft;
    const where = plan.timeZone ?? `fixed offset ${ev?.appointment_timezone ?? '?'}`;
    lines.push(`${plan.eventType}: appointment ${ev?.appointment_datetime ?? '?'} ${ev?.appointment_timezone ?? ''} (${where}) = ${plan.appointmentStart}`);
  }
  if (plan.appointmentKey) lines.push(`appointment key ${plan.appointmentKey}`);
  if (plan.code) lines.push(`${plan.unchanged ? 'no change' : 'plan'}: ${plan.code} (${plan.reason})`);
  const zone = plan.timeZone ?? 'local';
  const rows = plan.reminders.map((/** @type {any} */ r) => {
    const local = r.dueLocal ? `${r.dueLocal.replace('T', ' ').slice(0, 16)} ${r.dueOffset} ${weekday(r.dueLocal)}` : '';
    const notes = [];
    if (r.code) notes.push(`${r.code} (${r.reason})`);
    if (r.moved) notes.push(`moved ${r.moved}`);
    if (r.notAfterMs !== undefined) notes.push(`not after ${new Date(r.notAfterMs).toISOString().replace('.000Z', 'Z')} (${r.notAfter})`);
    return [r.offset ?? '-', r.action, local, r.dueAt ?? '', notes.join('; ')];
  });
  if (rows.length) {
    const head = ['offset', 'action', `local (${zone})`, 'UTC', 'code / note'];
    const all = [head, ...rows];
    const widths = head.map((_, i) => Math.max(...all.map((row) => row[i].length)));
    for (const row of all) lines.push(`  ${row.map((/** @type {string} */ c, /** @type {number} */ i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ')}`.trimEnd());
  } else if (!plan.code) {
    lines.push('no reminders');
  }
  for (const w of plan.warnings) lines.push(`  warning ${w.code}: ${w.message}`);
  return lines.join('\n');
}

/** `Mon`…`Sun` of a `YYYY-MM-DDTHH:mm:ss` wall time. @param {string} local */
function weekday(local) {
  return ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(`${local.slice(0, 10)}T00:00:00Z`).getUTCDay()];
}

/** @param {any} api @param {Buffer} input @param {Record<string, string | boolean>} o */
function reminders(api, input, o) {
  if (typeof o.profile !== 'string' && typeof o.preset !== 'string') throw new UsageError('reminders needs --profile (with a reminders section)');
  const nowMs = nowFrom(o);
  /** @type {unknown[]} */
  let existing = [];
  if (typeof o.existing === 'string') {
    try {
      existing = JSON.parse(fs.readFileSync(o.existing, 'utf8'));
    } catch (e) {
      throw new UsageError(`cannot read the stored reminders ${o.existing}: ${/** @type {Error} */ (e).message}`);
    }
  }
  const mapper = new api.Mapper(profileFrom(o));
  try {
    const result = mapper.map(input, { nowMs });
    const plan = mapper.planReminders(result, nowMs, existing);
    if (o.json) printJson(plan);
    else process.stdout.write(`${describePlan(plan, result)}\n`);
    return 0;
  } finally {
    mapper.free();
  }
}

/** `map` over many messages (cli/batch.cjs, docs/cli.md). @param {string[]} args @param {Buffer} [stdin] already read */
async function batch(args, stdin) {
  const { main: run } = require('./cli/batch.cjs');
  const { UsageError: EngineUsageError } = require('./engine/cli.cjs');
  try {
    return await run(args, loadApi(), { stdin });
  } catch (e) {
    if (e instanceof EngineUsageError) throw new UsageError(e.message);
    throw e;
  }
}

/** @param {string} file */
function readInput(file) {
  return file === '-' ? fs.readFileSync(0) : fs.readFileSync(file);
}

/** @param {unknown} v */
function printJson(v) {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

/** @param {string[]} argv */
async function main(argv) {
  const [cmd, ...args] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (cmd === 'serve' || cmd === 'status' || cmd === 'replay') return require('./engine/cli.cjs').main(cmd, args, loadApi());
  if (cmd === 'map' && require('./cli/batch.cjs').isBatch(args)) return batch(args);
  const { o, rest: positional } = options(args);
  const [file, ...rest] = positional;
  if (!file || !['parse', 'query', 'ack', 'map', 'reply', 'reminders'].includes(cmd)) {
    process.stderr.write(USAGE);
    return 2;
  }
  let input;
  try {
    input = readInput(file);
  } catch (e) {
    process.stderr.write(`ehr-studio-bridge: cannot read ${file}: ${/** @type {Error} */ (e).message}\n`);
    return 2;
  }
  const api = loadApi();
  // An input holding several messages (a batch file, an MLLP stream, JSON lines…): all of them.
  if (cmd === 'map' && require('./cli/batch.cjs').holdsMany(api, input, file)) return batch(args, file === '-' ? input : undefined);
  switch (cmd) {
    case 'map':
      return map(api, input, o);
    case 'reply':
      return reply(api, input, o);
    case 'reminders':
      return reminders(api, input, o);
    case 'parse':
      printJson(api.parseHl7(input));
      return 0;
    case 'query': {
      if (rest.length === 0) {
        process.stderr.write(USAGE);
        return 2;
      }
      const values = api.queryHl7(input, rest);
      printJson(Object.fromEntries(rest.map((p, i) => [p, values[i] ? values[i].value : null])));
      return 0;
    }
    case 'ack': {
      const code = rest[0] ?? 'accept';
      if (!['accept', 'error', 'reject'].includes(code)) {
        process.stderr.write(USAGE);
        return 2;
      }
      const ack = api.buildAck(input, { code });
      process.stdout.write(ack.message === null ? `(no ACK: ${ack.suppressed})\n` : `${ack.message.replace(/\r/g, '\n')}`);
      return 0;
    }
    default:
      process.stderr.write(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    const err = /** @type {any} */ (e);
    if (err instanceof UsageError) {
      process.stderr.write(`ehr-studio-bridge: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err && typeof err.code === 'string' && err.name === 'EhrStudioBridgeError') {
      process.stderr.write(`${JSON.stringify({ error: { code: err.code, message: err.message, position: err.position } })}\n`);
      process.exitCode = 1;
    } else {
      throw e;
    }
  },
);
