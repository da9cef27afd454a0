#!/usr/bin/env node
// @ts-check
// ehr-studio-bridge command line: a thin adapter over the package's exports (no mapping logic here).
//
//   ehr-studio-bridge parse <file|->            the message as a tree (JSON)
//   ehr-studio-bridge query <file|-> <path>...  values at HL7 paths (e.g. PID-5.1 SCH-11.4)
//   ehr-studio-bridge ack   <file|-> [accept|error|reject]
//
// Input files are read as bytes, so the MSH-18 / Latin-1 rule applies; `-` reads standard input.
// Exit status: 0 on success, 1 on a coded error (printed as JSON on stderr), 2 on bad usage.
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
`;

/** @param {string} file */
function readInput(file) {
  return file === '-' ? fs.readFileSync(0) : fs.readFileSync(file);
}

/** @param {unknown} v */
function printJson(v) {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

/** @param {string[]} argv */
function main(argv) {
  const [cmd, file, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!file || !['parse', 'query', 'ack'].includes(cmd)) {
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
  switch (cmd) {
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

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  const err = /** @type {any} */ (e);
  if (err && typeof err.code === 'string' && err.name === 'EhrStudioBridgeError') {
    process.stderr.write(`${JSON.stringify({ error: { code: err.code, message: err.message, position: err.position } })}\n`);
    process.exitCode = 1;
  } else {
    throw e;
  }
}
