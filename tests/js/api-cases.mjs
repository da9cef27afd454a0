// @ts-check
// The public API, asserted the same way in every environment the package supports:
// Node `require`, Node `import` (Node 20 and 22) and headless Chromium (web build after `await init()`).
//
// This file is loaded by the probes in each environment, so it must stay plain, dependency-free
// ESM that also runs in a browser (no `node:` imports).
//
// To add an assertion, append a case:
//   { name, run: (api) => <JSON-serializable value>, expected: <value> }       deep-equal check
//   { name, run: (api) => { api.fn(badInput) }, throws: { code: 'HL7_NO_MSH' } } thrown-error check
// `throws` is matched as a subset of describeError(e) (so `name`, `instanceofError`, `code`,
// `position` … may be given). `run` may be async.

/** Named exports that every entry point (require, import, browser) must provide. */
export const EXPORTS = ['version', 'errorCodes', 'parseHl7', 'queryHl7', 'buildAck', 'mllpFrame', 'mllpSplit'];

/** @typedef {Record<string, any>} Api */
/**
 * @typedef {{ name: string, run: (api: Api) => unknown, expected?: unknown, throws?: Record<string, unknown> }} Case
 */

/** @type {Case[]} */
export const cases = [
  {
    name: 'version() is the semver of the package',
    run: (api) => /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(api.version()),
    expected: true,
  },
  {
    name: 'errorCodes() lists unique SCREAMING_SNAKE codes',
    run: (api) => {
      const codes = api.errorCodes();
      return {
        isArray: Array.isArray(codes),
        nonEmpty: codes.length > 0,
        allStrings: codes.every((/** @type {unknown} */ c) => typeof c === 'string'),
        screamingSnake: codes.every((/** @type {string} */ c) => /^[A-Z][A-Z0-9_]*$/.test(c)),
        unique: new Set(codes).size === codes.length,
        hasKnown: ['EMPTY_INPUT', 'BAD_ARGUMENT', 'HL7_NO_MSH'].every((c) => codes.includes(c)),
      };
    },
    expected: { isArray: true, nonEmpty: true, allStrings: true, screamingSnake: true, unique: true, hasKnown: true },
  },
  {
    name: 'errorCodes() returns a fresh array on every call',
    run: (api) => {
      const a = api.errorCodes();
      a.push('MUTATED');
      return api.errorCodes().includes('MUTATED');
    },
    expected: false,
  },
];

// ---- HL7 v2 ---------------------------------------------------------------------------------

const SIU =
  'MSH|^~\\&|EHR|CLINIC|BRIDGE|TWILIO|20250305143012||SIU^S12^SIU_S12|MSG42|P|2.5.1\r' +
  'SCH|PL1^EHR|FL1^EHR|||||||||^^^20250310083000\r' +
  'PID|1||111^^^H^PI~MRN1^^^H^MR||Zoë^Ünal^^^^^L||19800101|F|||||^PRN^CP^^1^617^5550142\r' +
  'AIL|1||Cardiology \\T\\ Vascular\r';

cases.push(
  {
    name: 'parseHl7: tree with decoded values and UTF-16 ranges into the input string',
    run: (api) => {
      const t = api.parseHl7(SIU);
      const pid = t.segments.find((/** @type {any} */ s) => s.name === 'PID');
      const name = pid.fields.find((/** @type {any} */ f) => f.n === 5);
      const family = name.components[0];
      const ail = t.segments[3].fields.find((/** @type {any} */ f) => f.n === 3);
      return {
        version: t.version,
        messageType: t.messageType,
        controlId: t.controlId,
        charset: t.charset,
        segments: t.segments.map((/** @type {any} */ s) => s.name),
        msh1: t.segments[0].fields[0].value,
        msh2: t.segments[0].fields[1].value,
        family: family.value,
        familySlice: SIU.slice(family.range[0], family.range[1]),
        pid3Reps: pid.fields.find((/** @type {any} */ f) => f.n === 3).reps.length,
        ail: ail.value,
        ailSlice: SIU.slice(ail.range[0], ail.range[1]),
      };
    },
    expected: {
      version: '2.5.1',
      messageType: 'SIU^S12^SIU_S12',
      controlId: 'MSG42',
      charset: 'UTF-8',
      segments: ['MSH', 'SCH', 'PID', 'AIL'],
      msh1: '|',
      msh2: '^~\\&',
      family: 'Zoë',
      familySlice: 'Zoë',
      pid3Reps: 2,
      ail: 'Cardiology & Vascular',
      ailSlice: 'Cardiology \\T\\ Vascular',
    },
  },
  {
    name: 'parseHl7: Latin-1 bytes (MSH-18 8859/1) decode; same tree from string and Uint8Array',
    run: (api) => {
      const head = 'MSH|^~\\&|A|B|C|D|20250101||SIU^S14|1|P|2.3.1|||||8859/1\rPID|1||7||M';
      const bytes = new Uint8Array([...Array.from(head, (c) => c.charCodeAt(0)), 0xdc, 0x4c, 0x4c, 0x45, 0x52]);
      const t = api.parseHl7(bytes);
      const ascii = 'MSH|^~\\&|A\rPID|1||7';
      const fromString = JSON.stringify(api.parseHl7(ascii));
      const fromBytes = JSON.stringify(api.parseHl7(new Uint8Array(Array.from(ascii, (c) => c.charCodeAt(0)))));
      return { charset: t.charset, family: t.segments[1].fields.at(-1).value, same: fromString === fromBytes };
    },
    expected: { charset: 'ISO-8859-1', family: 'MÜLLER', same: true },
  },
  {
    name: 'queryHl7: one path, several paths, absent paths',
    run: (api) => {
      const one = api.queryHl7(SIU, 'PID-13.3');
      const many = api.queryHl7(SIU, ['PID-3[2].1', 'PID.5.2', 'SCH-11.4', 'ZZZ-1', 'AIL-3.1']);
      return {
        one: { value: one.value, path: one.path, slice: SIU.slice(one.range[0], one.range[1]) },
        many: many.map((/** @type {any} */ v) => (v ? v.value : null)),
        absent: api.queryHl7(SIU, 'PID-99'),
        raw: many[4].raw,
      };
    },
    expected: {
      one: { value: 'CP', path: 'PID-13.3', slice: 'CP' },
      many: ['MRN1', 'Ünal', '20250310083000', null, 'Cardiology & Vascular'],
      absent: null,
      raw: 'Cardiology \\T\\ Vascular',
    },
  },
  {
    name: 'queryHl7: malformed path throws HL7_BAD_PATH',
    run: (api) => api.queryHl7(SIU, 'PID-'),
    throws: { instanceofError: true, name: 'EhrStudioBridgeError', code: 'HL7_BAD_PATH' },
  },
  {
    name: 'parseHl7: no MSH throws HL7_NO_MSH with a position, and no input text in the message',
    run: (api) => api.parseHl7('PID|1||SECRET-MRN'),
    throws: { instanceofError: true, code: 'HL7_NO_MSH', position: { offset: 0 } },
  },
  {
    name: 'parseHl7: a number is BAD_ARGUMENT',
    run: (api) => api.parseHl7(42),
    throws: { instanceofError: true, code: 'BAD_ARGUMENT' },
  },
  {
    name: 'buildAck: AA with swapped sender/receiver and MSH-9 per version',
    run: (api) =>
      api.buildAck(SIU, { code: 'accept', controlId: 'ACK1', timestamp: '20250305143013+0000' }),
    expected: {
      message:
        'MSH|^~\\&|BRIDGE|TWILIO|EHR|CLINIC|20250305143013+0000||ACK^S12^ACK|ACK1|P|2.5.1\rMSA|AA|MSG42\r',
      ackCode: 'AA',
    },
  },
  {
    name: 'buildAck: AE with an ERR segment, default control id and timestamp',
    run: (api) => {
      const a = api.buildAck(SIU, { code: 'error', error: { hl7Code: 101, segment: 'PID', segmentIndex: 3, field: 13 } });
      const [msh, msa, err] = a.message.split('\r');
      return {
        ackCode: a.ackCode,
        msa,
        err,
        controlIdOk: /^A[0-9A-Z]{5,19}$/.test(msh.split('|')[9]),
        timestampOk: /^\d{14}\+0000$/.test(msh.split('|')[6]),
      };
    },
    expected: {
      ackCode: 'AE',
      msa: 'MSA|AE|MSG42',
      err: 'ERR||PID^3^13|101^Required field missing^HL70357|E',
      controlIdOk: true,
      timestampOk: true,
    },
  },
  {
    name: 'buildAck: unknown option is BAD_ARGUMENT',
    run: (api) => api.buildAck(SIU, { code: 'accept', bogus: 1 }),
    throws: { code: 'BAD_ARGUMENT' },
  },
  {
    name: 'mllpFrame / mllpSplit round trip, with a partial frame kept in rest',
    run: (api) => {
      const a = api.mllpFrame('MSH|^~\\&|A\r');
      const b = api.mllpFrame(new Uint8Array([77, 83, 72]));
      const stream = new Uint8Array([...a, ...b, 0x0b, 65]);
      const s = api.mllpSplit(stream);
      const dec = new TextDecoder();
      let threw = null;
      try {
        api.mllpSplit(stream, { final: true });
      } catch (e) {
        threw = /** @type {any} */ (e).code;
      }
      return {
        first: [...a.slice(0, 1), ...a.slice(-2)],
        frames: s.frames.map((/** @type {Uint8Array} */ f) => dec.decode(f)),
        rest: [...s.rest],
        skipped: s.skippedBytes,
        threw,
      };
    },
    expected: {
      first: [0x0b, 0x1c, 0x0d],
      frames: ['MSH|^~\\&|A\r', 'MSH'],
      rest: [0x0b, 65],
      skipped: 0,
      threw: 'HL7_MLLP_UNTERMINATED',
    },
  },
);

/** A thrown value as plain data. @param {any} e */
export function describeError(e) {
  return {
    instanceofError: e instanceof Error,
    name: e?.name,
    code: e?.code,
    message: typeof e?.message === 'string' ? e.message : String(e),
    position: e?.position,
  };
}

/**
 * Run every case against `api`; returns plain data (safe to send out of a browser page).
 * @param {Api} api
 */
export async function runCases(api) {
  const results = [];
  for (const c of cases) {
    try {
      results.push({ name: c.name, value: await c.run(api) });
    } catch (e) {
      results.push({ name: c.name, thrown: describeError(e) });
    }
  }
  return {
    results,
    exportNames: Object.keys(api).sort(),
  };
}
