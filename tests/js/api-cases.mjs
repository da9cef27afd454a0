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
export const EXPORTS = [
  'version', 'errorCodes',
  'parseHl7', 'queryHl7', 'buildAck', 'mllpFrame', 'mllpSplit', 'hl7Split',
  'Mapper', 'map', 'mapHl7', 'mapFhir', 'mapRedox', 'mapJson', 'detectInput',
  'buildStudioExecution', 'validateProfile', 'presets',
  'parseReply', 'verifyTwilioSignature', 'replyToHl7', 'replyToFhir', 'parseEhrResponse', 'patchStudioFlow',
  'replyBodyCandidates',
  'planReminders', 'remindDue', 'buildRemindExecution',
];

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
        offsets: s.offsets,
        skipped: s.skippedBytes,
        threw,
      };
    },
    expected: {
      first: [0x0b, 0x1c, 0x0d],
      frames: ['MSH|^~\\&|A\r', 'MSH'],
      rest: [0x0b, 65],
      offsets: [1, 15],
      skipped: 0,
      threw: 'HL7_MLLP_UNTERMINATED',
    },
  },
  {
    name: 'hl7Split: a batch file in two chunks (CRLF, blank lines, envelopes), bytes kept as bytes',
    run: (api) => {
      const file = new TextEncoder().encode('FHS|^~\\&\r\nBHS|^~\\&\r\nMSH|^~\\&|A|||||||1\r\nPID|1|\r\n\r\nMSH|^~\\&|A|||||||2\nPID|2\nBTS|2\nFTS|1\n');
      file[45] = 0xe9; // a Latin-1 byte stays as it is
      const first = api.hl7Split(file.subarray(0, 70));
      const rest = file.subarray(first.consumed);
      const last = api.hl7Split(rest, { final: true });
      const dec = new TextDecoder('latin1');
      return {
        first: first.messages.map((/** @type {number[]} */ [s, e]) => dec.decode(file.subarray(s, e))),
        consumed: first.consumed,
        last: last.messages.map((/** @type {number[]} */ [s, e]) => dec.decode(rest.subarray(s, e))),
        envelope: [...first.envelope, ...last.envelope].map((/** @type {any} */ x) => [x.segment, x.count ?? null]),
        skipped: last.skippedBytes,
        fromString: api.hl7Split('MSH|^~\\&|1\rMSH|^~\\&|2', { final: true }).messages,
      };
    },
    expected: {
      first: ['MSH|^~\\&|A|||||||1\r\nPID|1\u00e9\r\n'],
      consumed: 50,
      last: ['MSH|^~\\&|A|||||||2\nPID|2\n'],
      envelope: [['FHS', null], ['BHS', null], ['BTS', 2], ['FTS', 1]],
      skipped: 0,
      fromString: [[0, 11], [11, 21]],
    },
  },
);

// ---- SIU → Studio ---------------------------------------------------------------------------

const PROFILE = {
  sender: { timeZone: 'America/New_York', defaultCountry: 'US' },
  studio: { flowSid: 'FW0123456789abcdef0123456789abcdef', from: '+15017122661' },
};
const SIU_NY =
  'MSH|^~\\&|EHR|CLINIC|BRIDGE|TWILIO|20250305143012||SIU^S12^SIU_S12|MSG42|P|2.5.1\r' +
  'SCH|PL1^EHR|FL/1^EHR|||||||||^^^20250310083000\r' +
  'PID|1||MRN1^^^H^MR||Zoë^Ünal^^^^^L||19800101|F|||||^PRN^CP^^1^617^5550142\r' +
  'AIP|1||1234^WELBY^MARCUS\r' +
  'AIL|1||^^^^^^^^Owl Clinic, Suite 5\r';

cases.push(
  {
    name: 'mapHl7: 14 Table B strings, provenance, sanitized location, encoded id, DST offset',
    run: (api) => {
      const r = api.mapHl7(SIU_NY, PROFILE);
      return {
        skip: r.skip,
        keys: Object.keys(r.event),
        allStrings: Object.values(r.event).every((v) => typeof v === 'string'),
        event_type: r.event.event_type,
        patient_phone: r.event.patient_phone,
        appointment_id: r.event.appointment_id,
        appointment_datetime: r.event.appointment_datetime,
        appointment_timezone: r.event.appointment_timezone,
        event_datetime_utc: r.event.event_datetime_utc,
        location: r.event.appointment_location,
        phoneSource: r.provenance.patient_phone.source,
        key: /^ik1-[0-9a-f]{32}$/.test(r.idempotencyKey),
        warned: r.warnings.some((/** @type {any} */ w) => w.field === 'appointment_location'),
      };
    },
    expected: {
      skip: null,
      keys: [
        'event_type', 'event_datetime_utc', 'patient_id', 'patient_first_name', 'patient_last_name', 'patient_phone',
        'provider_id', 'provider_first_name', 'provider_last_name', 'provider_callback_phone', 'appointment_location',
        'appointment_id', 'appointment_datetime', 'appointment_timezone',
      ],
      allStrings: true,
      event_type: 'BOOKED',
      patient_phone: '+16175550142',
      appointment_id: 'FL%2F1',
      appointment_datetime: '2025-03-10T08:30:00',
      appointment_timezone: '-0400',
      event_datetime_utc: '2025-03-05T19:30:12Z',
      location: 'Owl Clinic - Suite 5',
      phoneSource: 'PID-13',
      key: true,
      warned: true,
    },
  },
  {
    name: 'mapHl7: a non-scheduling message is a coded skip, not an error',
    run: (api) => {
      const r = api.mapHl7('MSH|^~\\&|A|B|C|D|20250101||ADT^A08|1|P|2.5.1\rPID|1\r', PROFILE);
      return { event: r.event, code: r.skip.code };
    },
    expected: { event: null, code: 'SKIP_NOT_SCHEDULING_EVENT' },
  },
  {
    name: 'Mapper.studioRequest: the v2 Executions request, Basic auth only with credentials',
    run: (api) => {
      const m = new api.Mapper(PROFILE);
      const a = m.studioRequest(SIU_NY);
      const b = m.studioRequest(SIU_NY, undefined, { username: 'SK0123456789abcdef0123456789abcdef', password: 's3cret' });
      const params = JSON.parse(new URLSearchParams(a.request.body).get('Parameters'));
      const out = {
        url: a.request.url,
        to: new URLSearchParams(a.request.body).get('To'),
        from: a.request.form.From,
        same: params.appointment_id === a.result.event.appointment_id,
        noAuth: !('Authorization' in a.request.headers),
        basic: b.request.headers.Authorization.startsWith('Basic '),
        curlHasNoSecret: !b.request.curl.includes('s3cret'),
        profileTz: m.profile.sender.timeZone,
      };
      m.free();
      return out;
    },
    expected: {
      url: 'https://studio.twilio.com/v2/Flows/FW0123456789abcdef0123456789abcdef/Executions',
      to: '+16175550142',
      from: '+15017122661',
      same: true,
      noAuth: true,
      basic: true,
      curlHasNoSecret: true,
      profileTz: 'America/New_York',
    },
  },
  {
    name: 'Mapper.execution: the lean send path agrees with studioRequest',
    run: (api) => {
      const m = new api.Mapper(PROFILE);
      const full = m.studioRequest(SIU_NY);
      const lean = m.execution(SIU_NY);
      const skip = m.execution('MSH|^~\\&|A|B|C|D|20250101||ADT^A08|1|P|2.5.1\r');
      m.free();
      return {
        keys: Object.keys(lean.request).sort(),
        sameBody: lean.request.body === full.request.body,
        sameKey: lean.request.idempotencyKey === full.result.idempotencyKey,
        warnings: lean.warnings.join() === full.result.warnings.map((/** @type {any} */ w) => w.code).join(),
        skip: [skip.request, skip.skip.code],
      };
    },
    expected: {
      keys: ['body', 'headers', 'idempotencyKey', 'url'],
      sameBody: true,
      sameKey: true,
      warnings: true,
      skip: [null, 'SKIP_NOT_SCHEDULING_EVENT'],
    },
  },
  {
    name: 'validateProfile: unknown key → PROFILE_UNKNOWN_KEY with a JSON pointer',
    run: (api) => api.validateProfile({ sender: { timezone: 'UTC' } }),
    throws: { instanceofError: true, code: 'PROFILE_UNKNOWN_KEY', position: { pointer: '/sender/timezone' } },
  },
  {
    name: 'buildStudioExecution: a bad flow SID is STUDIO_BAD_CONFIG',
    run: (api) => {
      const ev = api.mapHl7(SIU_NY, PROFILE).event;
      return api.buildStudioExecution(ev, { flowSid: 'FW123', from: '+15017122661' });
    },
    throws: { code: 'STUDIO_BAD_CONFIG', position: { pointer: '/flowSid' } },
  },
  {
    name: 'presets() lists the shipped presets as validated profiles',
    run: (api) => api.presets().map((/** @type {any} */ p) => [p.name, typeof p.description, typeof p.profile]),
    expected: [
      ['generic', 'string', 'object'],
      ['athenahealth', 'string', 'object'],
      ['renalware', 'string', 'object'],
      ['clicrdv', 'string', 'object'],
      ['xplore', 'string', 'object'],
    ],
  },
);

// ---- FHIR, Redox, Table B ---------------------------------------------------------------------

const FHIR_APPT = {
  resourceType: 'Appointment', id: 'A1', meta: { versionId: '1' }, status: 'booked',
  start: '2025-03-10T13:30:00Z', end: '2025-03-10T14:00:00Z',
  participant: [
    { actor: { reference: '#pat' }, status: 'accepted' },
    { actor: { reference: '#loc' }, status: 'accepted' },
  ],
  contained: [
    { resourceType: 'Patient', id: 'pat', identifier: [{ type: { coding: [{ code: 'MR' }] }, value: 'MRN9' }],
      name: [{ use: 'official', family: 'Nguyễn', given: ['Mai'] }],
      telecom: [{ system: 'phone', use: 'home', value: '(617) 555-0100' }, { system: 'sms', value: '+1 617 555 0142' }] },
    { resourceType: 'Location', id: 'loc', name: 'Owl Clinic, Suite 5',
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: 'America/Chicago' }] },
  ],
};

cases.push(
  {
    name: 'detectInput: HL7, FHIR, Redox, Table B, other JSON',
    run: (api) => [
      api.detectInput(SIU_NY), api.detectInput(FHIR_APPT), api.detectInput(JSON.stringify(FHIR_APPT)),
      api.detectInput({ Meta: { DataModel: 'Scheduling', EventType: 'New' } }),
      api.detectInput({ event_type: 'BOOKED', patient_id: '1', appointment_id: '2', appointment_datetime: '2025-01-01T10:00:00' }),
      api.detectInput({ hello: 'world' }),
    ],
    expected: ['hl7', 'fhir', 'fhir', 'redox', 'tableB', 'json'],
  },
  {
    name: 'mapFhir: contained Patient/Location, Location timezone extension, sms phone, sanitized values',
    run: (api) => {
      const r = api.mapFhir(FHIR_APPT, PROFILE, { nowMs: Date.UTC(2025, 2, 1) });
      return {
        skip: r.skip, needsFetch: r.needsFetch,
        e: r.event && [r.event.event_type, r.event.patient_id, r.event.patient_last_name, r.event.patient_phone,
          r.event.appointment_location, r.event.appointment_datetime, r.event.appointment_timezone],
      };
    },
    expected: {
      skip: null, needsFetch: null,
      e: ['BOOKED', 'MRN9', 'Nguyen', '+16175550142', 'Owl Clinic - Suite 5', '2025-03-10T08:30:00', '-0500'],
    },
  },
  {
    name: 'map: a FHIR id-only notification is NEEDS_FETCH listing what to read; with the resources it maps',
    run: (api) => {
      const note = {
        resourceType: 'Bundle', type: 'history', timestamp: '2025-03-01T12:00:00Z',
        entry: [{
          fullUrl: 'urn:uuid:1',
          resource: {
            resourceType: 'Parameters',
            meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4'] },
            parameter: [
              { name: 'subscription', valueReference: { reference: 'https://ehr.example.org/fhir/Subscription/s1' } },
              { name: 'topic', valueCanonical: 'http://example.org/topics/appointment-booked' },
              { name: 'status', valueCode: 'active' },
              { name: 'type', valueCode: 'event-notification' },
              { name: 'notification-event', part: [
                { name: 'event-number', valueString: '7' },
                { name: 'timestamp', valueInstant: '2025-03-01T11:59:00Z' },
                { name: 'focus', valueReference: { reference: 'https://ehr.example.org/fhir/Appointment/A1' } },
              ] },
            ],
          },
        }],
      };
      const first = api.map(note, PROFILE, { nowMs: Date.UTC(2025, 2, 1) });
      const second = api.map(note, PROFILE, { nowMs: Date.UTC(2025, 2, 1), resources: [FHIR_APPT] });
      return {
        first: [first.skip.code, first.needsFetch.resources.map((/** @type {any} */ r) => r.reference)],
        second: [second.skip, second.event.appointment_id, second.event.event_datetime_utc],
      };
    },
    expected: {
      first: ['NEEDS_FETCH', ['https://ehr.example.org/fhir/Appointment/A1']],
      second: [null, 'A1', '2025-03-01T11:59:00Z'],
    },
  },
  {
    name: 'mapJson: Table B JSON passes through validation and sanitization',
    run: (api) => {
      const r = api.mapJson({
        event_type: 'CANCELED', event_datetime_utc: '2025-03-01T12:00:00Z', patient_id: 'P/1', patient_first_name: 'José',
        patient_last_name: "O'Brien, Jr", patient_phone: '+16175550142', provider_id: 'D1', provider_first_name: 'Ann',
        provider_last_name: 'Lee', provider_callback_phone: '(617) 555-0100', appointment_location: 'Main {North}',
        appointment_id: 'A1', appointment_datetime: '2025-03-10T08:30:00', appointment_timezone: '-0400',
      }, PROFILE);
      return [r.event.patient_id, r.event.patient_last_name, r.event.appointment_location, r.warnings.length > 0];
    },
    expected: ['P%2F1', "O'Brien Jr", 'Main North', true],
  },
  {
    name: 'map: invalid JSON is JSON_INVALID; an unknown option is BAD_ARGUMENT',
    run: (api) => {
      const codes = [];
      for (const f of [() => api.map('{"resourceType":', PROFILE), () => api.map(FHIR_APPT, PROFILE, { previos: {} })]) {
        try {
          f();
          codes.push(null);
        } catch (e) {
          codes.push(/** @type {any} */ (e).code);
        }
      }
      return codes;
    },
    expected: ['JSON_INVALID', 'BAD_ARGUMENT'],
  },
);

// ---- replies (Twilio → EHR) --------------------------------------------------------------

const REPLY_BODY =
  '{\n"flow_sid": "FW0123456789abcdef0123456789abcdef",\n"event_type": "Cancel",\n"appointment_id": "FL%2F1",\n"provider_id": "1234",\n"patient_id": "MRN1"\n}';
const REPLY_PROFILE = {
  reply: {
    hl7: { version: '2.5.1', placerContact: { id: 'SMS' }, enteredBy: { id: 'SMS' } },
    fhir: { baseUrl: 'https://fhir.example.org/r4', style: 'json-patch' },
  },
};

cases.push(
  {
    name: 'parseReply: the exact widget body, case-insensitive event, ids decoded',
    run: (api) => {
      const r = api.parseReply(REPLY_BODY, { contentType: 'application/json;charset=utf-8' });
      return { eventType: r.eventType, appointmentId: r.appointmentId, widgets: r.possibleWidgets };
    },
    expected: { eventType: 'CANCEL', appointmentId: 'FL/1', widgets: ['cancel_remind'] },
  },
  {
    name: 'parseReply: unknown event_type → REPLY_UNKNOWN_EVENT',
    run: (api) => api.parseReply(REPLY_BODY.replace('Cancel', 'Maybe')),
    throws: { code: 'REPLY_UNKNOWN_EVENT', position: { pointer: '/event_type' } },
  },
  {
    name: 'verifyTwilioSignature: twilio-node vectors (form and JSON body), and a tampered body',
    run: (api) => {
      const form = api.verifyTwilioSignature({
        authToken: '12345',
        url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
        signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
        params: { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' },
      });
      const url =
        'https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';
      const body = '{"property": "value", "boolean": true}';
      const json = api.verifyTwilioSignature({ authToken: '12345', url, signature: 'a9nBmqA0ju/hNViExpshrM61xv4=', body });
      const bytes = api.verifyTwilioSignature({
        authToken: '12345', url, signature: 'a9nBmqA0ju/hNViExpshrM61xv4=', body: new TextEncoder().encode(body),
      });
      const bad = api.verifyTwilioSignature({ authToken: '12345', url, signature: 'a9nBmqA0ju/hNViExpshrM61xv4=', body: body + ' ' });
      return [form.valid, form.mode, json.valid, json.mode, bytes.valid, bad.valid, bad.reason];
    },
    expected: [true, 'form', true, 'body', true, false, 'BODY_HASH_MISMATCH'],
  },
  {
    name: 'replyBodyCandidates: the exact widget body, whose SHA-256 a JSON-body signature check accepts',
    run: (api) => {
      const c = api.replyBodyCandidates({
        flow_sid: 'FW0123456789abcdef0123456789abcdef', event_type: 'Cancel', appointment_id: 'FL%2F1', provider_id: '1234', patient_id: 'MRN1',
      });
      return { n: c.length, exact: c[0] === REPLY_BODY, missing: api.replyBodyCandidates({ flow_sid: 'FW1' }).length };
    },
    expected: { n: 1, exact: true, missing: 0 },
  },
  {
    name: 'replyToHl7: SRM^S04 v2.5.1 with the decoded ids, parseable by parseHl7',
    run: (api) => {
      const reply = api.parseReply(REPLY_BODY);
      const srm = api.replyToHl7(reply, REPLY_PROFILE, { controlId: 'R1', timestamp: '20250310090000+0000' });
      const v = api.queryHl7(srm, ['MSH-9', 'MSH-10', 'PID-3.1']);
      return { type: v[0].value, control: v[1].value, patient: v[2].value, hasArq: srm.includes('\rARQ|'), escaped: srm.includes('FL/1') };
    },
    expected: { type: 'SRM^S04^SRM_S01', control: 'R1', patient: 'MRN1', hasArq: true, escaped: true },
  },
  {
    name: 'replyToFhir: JSON Patch cancel; with the current resource it adds If-Match',
    run: (api) => {
      const reply = api.parseReply(REPLY_BODY);
      const first = api.replyToFhir(reply, REPLY_PROFILE);
      const current = {
        resourceType: 'Appointment', id: 'FL/1', meta: { versionId: '7' }, status: 'booked',
        participant: [{ actor: { reference: 'Patient/MRN1' }, status: 'accepted' }],
      };
      const w = api.replyToFhir(reply, REPLY_PROFILE, current);
      return {
        first: [first.action, first.request.method, 'If-Match' in first.request.headers],
        write: [w.action, w.request.method, w.request.headers['If-Match'], w.request.headers['Content-Type']],
        ops: w.request.body.map((/** @type {any} */ o) => `${o.op} ${o.path}`),
      };
    },
    expected: {
      first: ['write', 'PATCH', false],
      write: ['write', 'PATCH', 'W/"7"', 'application/json-patch+json'],
      ops: ['test /status', 'replace /status', 'add /cancelationReason'],
    },
  },
  {
    name: 'parseEhrResponse: an ACK with AE, and an HTTP 412',
    run: (api) => {
      const ack = api.parseEhrResponse('MSH|^~\\&|EHR|H|BR|T|20250101||ACK^S04^ACK|A9|P|2.5.1\rMSA|AE|R1\rERR||ARQ^1^2|101^Required field missing^HL70357|E\r');
      const http = api.parseEhrResponse({ status: 412, body: '{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"conflict"}]}' });
      return {
        ack: [ack.kind, ack.accepted, ack.code, ack.controlId, ack.errors[0].hl7Code],
        http: [http.kind, http.accepted, http.httpStatus, http.needsReread],
      };
    },
    expected: { ack: ['hl7', false, 'AE', 'R1', '101'], http: ['fhir', false, 412, true] },
  },
  {
    name: 'patchStudioFlow: fixes confirm_booked and sets IE_ENDPOINT; idempotent',
    run: (api) => {
      const flow = {
        states: [
          { name: 'set_global_variables', type: 'set-variables', transitions: [],
            properties: { variables: [{ key: 'IE_ENDPOINT', value: 'https://you_ehr_endpoint_url.com/inbound' }] } },
          { name: 'split_booked', type: 'split-based-on', properties: { input: '{{widgets.send_booked.inbound.Body}}' },
            transitions: [{ event: 'noMatch' }, { event: 'match', next: 'confirm_booked',
              conditions: [{ type: 'equal_to', friendly_name: 'Cancel', arguments: ['{{widgets.send_booked.inbound.Body}}'], value: 'CANCEL APPT' }] }] },
          { name: 'confirm_booked', type: 'make-http-request', transitions: [],
            properties: { method: 'POST', content_type: 'application/json;charset=utf-8', url: '{{flow.variables.IE_ENDPOINT}}',
              body: '{\n"flow_sid": "{{flow.flow_sid}}",\n"event_type": "Confirm",\n"appointment_id": "{{flow.data.appointment_id}}",\n"provider_id": "{{flow.data.provider_id}}",\n"patient_id": "{{flow.data.patient_id}}"\n}' } },
        ],
        initial_state: 'Trigger',
        flags: { allow_concurrent_calls: true },
      };
      const r = api.patchStudioFlow(flow, { ieEndpoint: 'https://ehr-bridge.example.org/reply', valueEscaping: 'none' });
      const again = api.patchStudioFlow(r.flow, { ieEndpoint: 'https://ehr-bridge.example.org/reply', valueEscaping: 'none' });
      return { changes: r.changes.map((/** @type {any} */ c) => `${c.widget}:${c.property}`), again: again.changes.length };
    },
    expected: { changes: ['confirm_booked:body.event_type', 'set_global_variables:variables.IE_ENDPOINT'], again: 0 },
  },
);

// ---- reminders -------------------------------------------------------------------------------

const REMIND_PROFILE = {
  ...PROFILE,
  reminders: { offsets: ['72h', '1d@18:00'], window: { start: '09:00', end: '19:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] } },
};
/** 2025-03-01T12:00Z: SIU_NY's appointment is Monday 2025-03-10 08:30 EDT (New York went to DST on the 9th). */
const PLAN_NOW = Date.UTC(2025, 2, 1, 12, 0);

cases.push(
  {
    name: 'planReminders: a MapResult → reminders in the zone (DST-aware), moved into the window, stable ids',
    run: (api) => {
      const result = api.mapHl7(SIU_NY, REMIND_PROFILE);
      const plan = api.planReminders(result, REMIND_PROFILE, PLAN_NOW);
      const again = api.planReminders(result.event, REMIND_PROFILE, PLAN_NOW + 60_000, plan.reminders.map((/** @type {any} */ r) => ({ id: r.id, status: 'pending' })));
      return {
        zone: [result.ids.timeZone, plan.timeZone],
        key: /^ak1-[0-9a-f]{32}$/.test(plan.appointmentKey),
        rows: plan.reminders.map((/** @type {any} */ r) => [r.offset, r.action, r.dueLocal, r.dueOffset, r.dueAt, r.moved ?? null, r.notAfter]),
        ids: plan.reminders.every((/** @type {any} */ r) => /^rm1-[0-9a-f]{32}$/.test(r.id)),
        snapshot: plan.reminders[0].snapshot.appointment_id,
        again: again.reminders.map((/** @type {any} */ r, /** @type {number} */ i) => [r.action, r.id === plan.reminders[i].id]),
      };
    },
    expected: {
      zone: ['America/New_York', 'America/New_York'],
      key: true,
      rows: [
        // 72 h before Monday 08:30 EDT is Friday 07:30 EST: before the window → Thursday 19:00 EST.
        ['72h', 'create', '2025-03-06T19:00:00', '-0500', '2025-03-07T00:00:00Z', 'earlier', 'window'],
        // The day before at 18:00 is a Sunday (no Sundays) → Saturday 19:00 EST.
        ['1d@18:00', 'create', '2025-03-08T19:00:00', '-0500', '2025-03-09T00:00:00Z', 'earlier', 'window'],
      ],
      ids: true,
      snapshot: 'FL%2F1',
      again: [['update', true], ['update', true]],
    },
  },
  {
    name: 'planReminders: CANCELED cancels the stored ones; a past appointment gets none',
    run: (api) => {
      const m = new api.Mapper(REMIND_PROFILE);
      const booked = m.planReminders(m.mapHl7(SIU_NY), PLAN_NOW);
      const stored = booked.reminders.map((/** @type {any} */ r) => ({ id: r.id, status: 'pending', appointmentStartMs: r.appointmentStartMs }));
      const canceled = m.planReminders({ ...m.mapHl7(SIU_NY).event, event_type: 'CANCELED' }, PLAN_NOW, stored);
      const past = m.planReminders(m.mapHl7(SIU_NY), Date.UTC(2025, 2, 11), stored);
      m.free();
      return {
        canceled: [canceled.code, canceled.reminders.map((/** @type {any} */ r) => `${r.action}:${r.code}`)],
        past: [past.code, past.reminders.length],
      };
    },
    expected: {
      canceled: ['REMIND_APPOINTMENT_CANCELED', ['cancel:REMIND_APPOINTMENT_CANCELED', 'cancel:REMIND_APPOINTMENT_CANCELED']],
      past: ['REMIND_APPOINTMENT_PAST', 2],
    },
  },
  {
    name: 'remindDue and buildRemindExecution: send in time, skip when late; the snapshot with event_type REMIND',
    run: (api) => {
      const plan = api.planReminders(api.mapHl7(SIU_NY, REMIND_PROFILE), REMIND_PROFILE, PLAN_NOW);
      const r = plan.reminders[0];
      const m = new api.Mapper(REMIND_PROFILE);
      const x = m.remindExecution(r, undefined, r.dueAtMs + 90_000);
      const free = api.buildRemindExecution(r, REMIND_PROFILE.studio, undefined, r.dueAtMs + 90_000);
      m.free();
      const params = JSON.parse(x.request.form.Parameters);
      return {
        due: [api.remindDue(r, r.dueAtMs - 1).action, api.remindDue(r, r.dueAtMs).action, api.remindDue(r, r.notAfterMs + 1).code],
        params: [params.event_type, params.event_datetime_utc, params.appointment_id],
        key: x.request.idempotencyKey === r.id,
        same: free.request.body === x.request.body,
      };
    },
    expected: {
      due: ['wait', 'send', 'REMIND_WINDOW_CLOSED'],
      params: ['REMIND', '2025-03-07T00:01:30Z', 'FL%2F1'],
      key: true,
      same: true,
    },
  },
  {
    name: 'planReminders: a profile with three offsets for the stock flow → PROFILE_BAD_VALUE at the third',
    run: (api) => api.planReminders({}, { reminders: { offsets: ['72h', '24h', '2h'] } }, PLAN_NOW),
    throws: { instanceofError: true, code: 'PROFILE_BAD_VALUE', position: { pointer: '/reminders/offsets/2' } },
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
