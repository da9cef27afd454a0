// @ts-check
// The preview page as built for analysts (js/build-preview.mjs), from the INSTALLED package (the
// packed tarball's web build), in headless Chromium: served by a local static server and opened from
// file://, with every request recorded (anything not local fails the test). Clicks, typed input,
// file input and drag & drop; the SMS texts are checked against the PAM flow JSON rendered here by
// plain string substitution (no liquidjs), the values against the package called from Node.
// Screenshots go to .tmp/artifacts/preview/ (gitignored).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import vm from 'node:vm';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { buildPreview } from '../../js/build-preview.mjs';
import { ROOT, consumer } from './helpers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
const ARTIFACTS = path.join(ROOT, '.tmp', 'artifacts', 'preview');
const TYPES = /** @type {Record<string, string>} */ ({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
});
const FLOW = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'twilio', 'studio-flow-template.json'), 'utf8'));
const MANIFEST = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'preview', 'samples', 'manifest.json'), 'utf8'));
const PROFILE = fs.readFileSync(path.join(ROOT, 'samples', 'profile.json'), 'utf8');
const TABLE_B = ['event_type', 'event_datetime_utc', 'patient_id', 'patient_first_name', 'patient_last_name', 'patient_phone', 'provider_id', 'provider_first_name', 'provider_last_name', 'provider_callback_phone', 'appointment_location', 'appointment_id', 'appointment_datetime', 'appointment_timezone'];

/** @type {any} the installed package (CommonJS build), to compute expectations outside the page */
let pkg;
let site = '';
/** @type {http.Server} */
let server;
let origin = '';
/** @type {import('playwright-core').BrowserContext} */
let context;
let userDataDir = '';
/** @type {string[]} */
const requests = [];
/** @type {string[]} */
const problems = [];

/** The text a textarea holds for a file (textareas turn CR and CRLF into LF). @param {string} text */
const asTyped = (text) => text.replace(/\r\n?/g, '\n');
/** @param {string} id */
const sampleText = (id) => {
  const s = MANIFEST.samples.find((/** @type {any} */ x) => x.id === id);
  assert.ok(s, `sample ${id} in the manifest`);
  return fs.readFileSync(path.join(ROOT, s.path), 'utf8');
};

before(async () => {
  const { installed } = consumer();
  pkg = createRequire(import.meta.url)(path.join(installed, 'dist', 'ehr_studio_bridge.cjs'));
  site = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-preview-site-'));
  buildPreview({ pkg: installed, out: site });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = http.createServer((req, res) => {
    const p = path.normalize(path.join(site, decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)));
    if (!p.startsWith(site + path.sep) || !fs.existsSync(p) || !fs.statSync(p).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(p)] ?? 'application/octet-stream' });
    fs.createReadStream(p).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  origin = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-preview-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60_000, viewport: { width: 1500, height: 1000 } });
  // Nothing may leave the machine: local requests go through, anything else is aborted and fails.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith('file://') || url.startsWith('data:')) return route.continue();
    problems.push(`non-local request: ${url}`);
    return route.abort();
  });
});

after(async () => {
  await context?.close();
  await new Promise((r) => (server ? server.close(() => r(undefined)) : r(undefined)));
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  if (site) fs.rmSync(site, { recursive: true, force: true });
});

/** A page on the built site; records every request and every console error/warning. @param {string} [url] */
async function open(url = `${origin}/index.html`) {
  const page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`console.${m.type()}: ${m.text()}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return page;
}

/**
 * Run an action and wait until the page has re-rendered for all of it: at least one render after it
 * started (file reads are asynchronous), then two animation frames (the page renders once per frame,
 * so a render that ran while keys were still being typed is followed by the final one).
 * @param {import('playwright-core').Page} page @param {() => Promise<unknown>} action
 */
async function settled(page, action) {
  const before = await page.getAttribute('body', 'data-rendered');
  await action();
  await page.waitForFunction((n) => document.body.dataset.rendered !== n, before, { timeout: 10_000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(undefined)))));
}

/** @param {import('playwright-core').Page} page @param {string} id */
const chooseSample = (page, id) => settled(page, () => page.selectOption('#sample', id));

/** The 14 values as the page shows them. @param {import('playwright-core').Page} page */
const shownValues = (page) =>
  page.$$eval('#values tr[data-key]', (rows) => Object.fromEntries(rows.map((r) => [/** @type {HTMLElement} */ (r).dataset.key, r.querySelector('td.value')?.textContent ?? ''])));

/** @param {import('playwright-core').Page} page @param {string} name */
const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

// ---- the flow rendered independently: widget bodies with {{…}} replaced by string substitution ----

/** @param {string} name */
const widget = (name) => {
  const w = FLOW.states.find((/** @type {any} */ s) => s.name === name);
  assert.ok(w, `widget ${name}`);
  return w;
};
/** The Send widget the flow reaches for an event type: split → save-* (success) → send. @param {string} eventType */
function sendWidgetFor(eventType) {
  const split = widget('split_on_event_type');
  const t = split.transitions.find((/** @type {any} */ x) => x.conditions?.some((/** @type {any} */ c) => c.value === eventType));
  assert.ok(t, `the flow routes ${eventType}`);
  let w = widget(t.next);
  if (w.type === 'run-function') w = widget(w.transitions.find((/** @type {any} */ x) => x.event === 'success').next);
  return w;
}
/**
 * @param {string} template @param {Record<string, string>} data @param {string} readable
 * @param {Record<string, string>} vars
 */
function substitute(template, data, readable, vars) {
  return template
    .replaceAll('{{widgets.get-datetime-parts.parsed.readable_datetime}}', readable)
    .replace(/\{\{flow\.data\.(\w+)\}\}/g, (_, k) => data[k] ?? '')
    .replace(/\{\{flow\.variables\.(\w+)\}\}/g, (_, k) => vars[k] ?? '')
    .replaceAll('{{flow.flow_sid}}', 'FW00000000000000000000000000000000');
}

test('HL7: the sample maps; a value\'s source is highlighted in the text and in the tree', async () => {
  const page = await open();
  assert.match((await page.textContent('#outcome')) ?? '', /^BOOKED → Studio execution to \+19715550123/);
  assert.match((await page.textContent('#kind')) ?? '', /^HL7 v2 · SIU\^S12\^SIU_S12 · v2\.5\.1 · UTF-8/);
  const expected = pkg.map(asTyped(sampleText('siu-s12')), PROFILE);
  assert.deepEqual(await shownValues(page), expected.event);

  await page.click('#values tr[data-key="patient_phone"] td.key');
  assert.equal(await page.getAttribute('#event-editor', 'data-highlight'), '^PRN^CP^^1^971^5550123');
  assert.equal(await page.textContent('#tree .row.hit .path'), 'PID-13[2]');
  assert.match((await page.textContent('#source-detail')) ?? '', /patient_phone ← PID-13\[2\] at line 5, column \d+ \(tree: PID-13\[2\]\)/);

  await page.click('#values tr[data-key="appointment_location"] td.source button');
  assert.equal(await page.getAttribute('#event-editor', 'data-highlight'), 'Owl Health Cardiology, 2nd floor');
  assert.equal(await page.textContent('#tree .row.hit .path'), 'AIL-3.9');
  // The same value in the SMS bubble is marked too.
  assert.ok(await page.$('.sms-block[data-event="BOOKED"] .bubble .var.selected[data-key="appointment_location"]'));

  // A source from the profile is found in the profile editor.
  await page.click('#values tr[data-key="appointment_timezone"] td.key');
  assert.equal(await page.textContent('#profile-editor mark.hit'), '"America/Los_Angeles"');

  // A click in the tree finds the element in the text; the caret says where it is.
  await page.click('#tree details[data-path="SCH"] > summary .path');
  await page.click('#tree details[data-path="SCH"] [data-path="SCH-2"] > summary .path');
  assert.equal(await page.textContent('#event-editor mark.pick'), 'APT-104776^OWLHEALTH');
  assert.equal(await page.textContent('#source-detail'), 'SCH-2 feeds no Studio parameter');
  await page.click('#tree [data-path="SCH-2.1"] .path');
  assert.match((await page.textContent('#source-detail')) ?? '', /SCH-2\.1 feeds appointment_id/);
  await shot(page, 'hl7-source-highlighted');
  await page.close();
});

test('every bundled sample format maps in the page exactly as the package maps it in Node', async () => {
  const page = await open();
  /** @type {Record<string, [RegExp, string]>} outcome, kind badge */
  const expect = {
    'siu-s13': [/^RESCHEDULED/, 'HL7 v2'],
    'siu-s14': [/^MODIFIED/, 'HL7 v2'],
    'siu-s15': [/^CANCELED/, 'HL7 v2'],
    'siu-s26': [/^NOSHOWED/, 'HL7 v2'],
    'siu-s12-fhirconv': [/^NOT SENT SKIP_INVALID_PHONE/, 'HL7 v2'],
    'fhir-searchset': [/^BOOKED/, 'FHIR · Bundle · searchset'],
    'fhir-contained': [/^BOOKED/, 'FHIR · Appointment'],
    'fhir-backport': [/^BOOKED/, 'FHIR · Bundle · history'],
    'fhir-r5-id-only': [/^NEEDS_FETCH/, 'FHIR · Bundle · subscription-notification'],
    'fhir-spec-example': [/^NEEDS_FETCH/, 'FHIR · Appointment'],
    'redox-new': [/^BOOKED/, 'Redox · Scheduling · New'],
    'redox-reschedule': [/^RESCHEDULED/, 'Redox · Scheduling · Reschedule'],
    'redox-modification': [/^MODIFIED/, 'Redox · Scheduling · Modification'],
    'redox-noshow': [/^NOSHOWED/, 'Redox · Scheduling · NoShow'],
    'table-b': [/^BOOKED/, 'Table B JSON'],
  };
  assert.deepEqual(Object.keys(expect).sort(), MANIFEST.samples.map((/** @type {any} */ s) => s.id).filter((/** @type {string} */ id) => id !== 'siu-s12').sort(), 'every sample is checked');
  for (const [id, [outcome, kind]] of Object.entries(expect)) {
    await chooseSample(page, id);
    assert.match((await page.textContent('#outcome')) ?? '', outcome, id);
    assert.ok(((await page.textContent('#kind')) ?? '').startsWith(kind), `${id}: kind ${await page.textContent('#kind')}`);
    const r = pkg.map(asTyped(sampleText(id)), PROFILE);
    const values = r.event ?? r.draft;
    if (values) {
      // Inputs without an event time get the mapping clock's time: the page and Node map a moment
      // apart, so that one value may differ by the seconds between the two calls.
      const shown = await shownValues(page);
      const clockTime = (/** @type {any} */ v) => Date.parse(v.event_datetime_utc);
      if (r.provenance?.event_datetime_utc?.source === 'options.nowMs') {
        assert.ok(Math.abs(clockTime(shown) - clockTime(values)) <= 5000, `${id}: event time from the clock`);
        shown.event_datetime_utc = values.event_datetime_utc;
      }
      assert.deepEqual(shown, values, id);
    }
    else assert.equal(await page.isVisible('#values'), false, id);
    if (r.needsFetch) assert.match((await page.textContent('#needs-fetch')) ?? '', new RegExp(`GET ${r.needsFetch.resources[0].reference.replace(/[.?]/g, '\\$&')}`));
    if (['fhir-searchset', 'redox-new', 'table-b'].includes(id)) await shot(page, `sample-${id}`);
  }

  // JSON: the provenance pointer is highlighted in the text.
  await chooseSample(page, 'fhir-searchset');
  await page.click('#values tr[data-key="patient_phone"] td.key');
  assert.equal(await page.getAttribute('#event-editor', 'data-highlight'), '"(608) 555-0199"');
  assert.match((await page.textContent('#source-detail')) ?? '', /← \/entry\/1\/resource\/telecom\/2\/value at line \d+, column \d+/);
  await chooseSample(page, 'redox-new');
  await page.click('#values tr[data-key="appointment_datetime"] td.key');
  assert.match((await page.getAttribute('#event-editor', 'data-highlight')) ?? '', /^"\d{4}-\d\d-\d\dT[\d:.]+Z"$/);

  // NEEDS_FETCH, then the resources read back pasted into the FHIR options: mapped; a value that
  // came from them is highlighted there.
  await chooseSample(page, 'fhir-r5-id-only');
  assert.match((await page.textContent('#outcome')) ?? '', /^NEEDS_FETCH/);
  await page.click('#options > summary');
  await settled(page, () => page.fill('#resources-editor textarea', sampleText('fhir-searchset')));
  assert.match((await page.textContent('#outcome')) ?? '', /^BOOKED/);
  await page.click('#values tr[data-key="patient_phone"] td.key');
  assert.equal(await page.getAttribute('#resources-editor', 'data-highlight'), '"(608) 555-0199"');
  assert.match((await page.textContent('#source-detail')) ?? '', /← options\.resources\/0\/entry\/1\/resource\/telecom\/2\/value in the read-back resources/);
  await settled(page, () => page.fill('#resources-editor textarea', ''));

  // An input that is nothing known: its coded error, no values.
  await settled(page, async () => {
    await page.click('#event-editor textarea');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('hello');
  });
  assert.equal(await page.getAttribute('#error', 'data-code'), 'UNKNOWN_INPUT_KIND');
  // An HL7 error carries its position: segment, field, byte offset, and here line and column.
  await settled(page, async () => {
    await page.keyboard.press('Control+A');
    await page.keyboard.type('MSH|');
  });
  assert.equal(await page.getAttribute('#error', 'data-code'), 'HL7_BAD_ENCODING_CHARS');
  assert.equal(await page.textContent('#error .pos'), 'MSH-2, segment 1, byte 4 · line 1, column 5');
  assert.ok(await page.$('#event-editor mark.error.at'), 'a caret mark where MSH-2 should be');
  await page.close();
});

test('profile editor: typed errors appear at their JSON pointer with line and column; presets', async () => {
  const page = await open();
  /** @param {string} text */
  const typeProfile = (text) =>
    settled(page, async () => {
      await page.click('#profile-editor textarea');
      await page.keyboard.press('Control+A');
      await page.keyboard.type(text);
    });

  await typeProfile('{\n  "sender": {\n    "timeZone": "Mars/Olympus"\n  }\n}');
  assert.equal(await page.getAttribute('#profile-error', 'data-code'), 'PROFILE_BAD_TIMEZONE');
  assert.match((await page.textContent('#profile-error .pos')) ?? '', /^pointer \/sender\/timeZone · line 3, column 17$/);
  assert.equal(await page.textContent('#profile-editor mark.error'), '"Mars/Olympus"');
  assert.equal(await page.getAttribute('#error', 'data-code'), 'PROFILE_BAD_TIMEZONE', 'the mapping panel repeats the profile error');
  await shot(page, 'profile-error');

  await typeProfile('{\n  "sender": { "timezone": "UTC" }\n}');
  assert.equal(await page.getAttribute('#profile-error', 'data-code'), 'PROFILE_UNKNOWN_KEY');
  assert.match((await page.textContent('#profile-error .pos')) ?? '', /^pointer \/sender\/timezone · line 2, column 15$/);
  assert.equal(await page.textContent('#profile-editor mark.error'), '"timezone"', 'an unknown key is marked on the key');

  await typeProfile('{\n  "sender": {}\n  "studio": {}\n}');
  assert.equal(await page.getAttribute('#profile-error', 'data-code'), 'JSON_INVALID');
  assert.match((await page.textContent('#profile-error .pos')) ?? '', /^line 3, column 3$/);
  assert.equal(await page.textContent('#profile-editor mark.error'), '"');

  await typeProfile('{ "sender": { "timeZone": "Europe/London", "defaultCountry": "GB" } }');
  assert.equal(await page.isVisible('#profile-error'), false);
  assert.match((await page.textContent('#profile-status')) ?? '', /^valid preset generic · Europe\/London/);
  await settled(page, () => page.selectOption('#preset', 'renalware'));
  const applied = JSON.parse(await page.$eval('#profile-editor textarea', (t) => /** @type {HTMLTextAreaElement} */ (t).value));
  assert.deepEqual(applied, { preset: 'renalware', sender: { timeZone: 'Europe/London', defaultCountry: 'GB' } });
  assert.match((await page.textContent('#profile-status')) ?? '', /^valid preset renalware/);
  assert.match((await page.textContent('#preset-description')) ?? '', /Barts Health/);
  await page.close();
});

test('SMS: BOOKED, CANCELED and REMIND texts equal the PAM flow JSON rendered independently', async () => {
  const page = await open();
  const readable = '10:15 AM on Tuesday, December 15, 2026';
  const booked = pkg.map(asTyped(sampleText('siu-s12')), PROFILE).event;
  const vars = { CUSTOMER_NAME: 'YOUR_HEALTH_SYSTEM_NAME' };
  const bubble = (/** @type {string} */ event) => page.textContent(`.sms-block[data-event="${event}"] .bubble`);

  assert.equal(sendWidgetFor('BOOKED').name, 'send_booked');
  assert.equal(await bubble('BOOKED'), substitute(sendWidgetFor('BOOKED').properties.body, booked, readable, vars));
  assert.equal(await bubble('REMIND'), substitute(sendWidgetFor('REMIND').properties.body, booked, readable, vars));
  assert.match((await bubble('REMIND')) ?? '', /Dr\. SANDOVAL for {2}10:15 AM on Tuesday, December 15, 2026 {2}at /, 'the template\'s double spaces');
  assert.match((await page.textContent('.sms-block[data-event="REMIND"] .note')) ?? '', /1st at the first run after 48 h before the appointment \(2026-12-13 19:00 UTC\), 2nd at the next hourly run \(2026-12-13 20:00 UTC/);
  assert.match((await page.textContent('.sms-block[data-event="BOOKED"] .meta')) ?? '', /^\d+ characters · GSM-7 · 3 segments$/);

  // The health system's name (set at deploy time) is a flow variable the page lets you set.
  await settled(page, () => page.fill('#var-CUSTOMER_NAME', 'Owl Health'));
  assert.equal(await bubble('BOOKED'), substitute(sendWidgetFor('BOOKED').properties.body, booked, readable, { CUSTOMER_NAME: 'Owl Health' }));

  await chooseSample(page, 'siu-s15');
  const canceled = pkg.map(asTyped(sampleText('siu-s15')), PROFILE).event;
  assert.equal(canceled.event_type, 'CANCELED');
  assert.equal(await bubble('CANCELED'), substitute(sendWidgetFor('CANCELED').properties.body, canceled, readable, { CUSTOMER_NAME: 'Owl Health' }));
  assert.match((await page.textContent('.sms-block[data-event="REMIND"] .note')) ?? '', /stored event_type is CANCELED: the Lambda sends no reminder/);

  // A 12-hour clock, unpadded hours: the rescheduled appointment is at 14:30.
  await chooseSample(page, 'siu-s13');
  const moved = pkg.map(asTyped(sampleText('siu-s13')), PROFILE).event;
  assert.equal(moved.appointment_datetime, '2026-12-18T14:30:00');
  assert.equal(await bubble('RESCHEDULED'), substitute(sendWidgetFor('RESCHEDULED').properties.body, moved, '2:30 PM on Friday, December 18, 2026', { CUSTOMER_NAME: 'Owl Health' }));

  // get-datetime-parts as emulated by the page, against the PAM repository's own test vectors
  // (midnight and noon are "12:04 AM" / "12:04 PM").
  const vectors = fs.readdirSync(path.join(ROOT, 'tests', 'fixtures', 'twilio')).filter((f) => f.startsWith('get-datetime-parts-'));
  assert.equal(vectors.length, 4);
  for (const f of vectors) {
    const v = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'twilio', f), 'utf8'));
    const got = await page.evaluate((iso) => /** @type {any} */ (globalThis).EhrPreview.datetimeParts(iso), v.event.datetime_iso);
    assert.deepEqual(got, v.expected_response, f);
  }
  await chooseSample(page, 'siu-s15');

  await page.click('[data-sms-mode="all"]');
  const shown = await page.$$eval('.sms-block', (b) => b.map((x) => /** @type {HTMLElement} */ (x).dataset.event));
  assert.deepEqual(shown, ['OPTED-IN', 'OPTED-OUT', 'BOOKED', 'CANCELED', 'MODIFIED', 'NOSHOWED', 'CONFIRMED', 'RESCHEDULED', 'REMIND']);
  for (const type of ['MODIFIED', 'NOSHOWED', 'CONFIRMED', 'RESCHEDULED']) {
    assert.equal(await bubble(type), substitute(sendWidgetFor(type).properties.body, { ...canceled, event_type: type }, readable, { CUSTOMER_NAME: 'Owl Health' }), type);
  }
  await shot(page, 'sms-all-event-types');

  // A flow exported from the user's account: loaded from a file, used for every text.
  const own = structuredClone(FLOW);
  own.states.find((/** @type {any} */ s) => s.name === 'send_canceled').properties.body = 'Canceled: {{flow.data.appointment_id}} ({{widgets.get-datetime-parts.parsed.time_of_day}})';
  await settled(page, () => page.setInputFiles('#flow-file', { name: 'my-flow.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(own)) }));
  assert.equal(await page.textContent('#flow-label'), 'my-flow.json');
  assert.equal(await bubble('CANCELED'), 'Canceled: APT-104776 (10:15 AM)');

  // A template Liquid cannot parse: that text is not sent, the others still are.
  own.states.find((/** @type {any} */ s) => s.name === 'send_canceled').properties.body = 'Canceled {% if flow.data.appointment_id %}';
  await settled(page, () => page.setInputFiles('#flow-file', { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(own)) }));
  assert.equal(await page.$('.sms-block[data-event="CANCELED"] .bubble'), null);
  assert.match((await page.textContent('.sms-block[data-event="CANCELED"] .no-sms')) ?? '', /^No SMS: a Liquid template of the flow does not render \(/);
  assert.ok(await page.$('.sms-block[data-event="BOOKED"] .bubble'));
  // A file that is not JSON: a coded error, the flow in use stays.
  await page.setInputFiles('#flow-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('{ "states": [ }') });
  await page.waitForSelector('#flow-error:not([hidden])');
  assert.equal(await page.getAttribute('#flow-error', 'data-code'), 'JSON_INVALID');
  assert.match((await page.textContent('#flow-error .pos')) ?? '', /^line 1, column 15$/);
  assert.equal(await page.textContent('#flow-label'), 'broken.json');
  await page.close();
});

test('reply path: a reply to the reminder or the booking SMS → the SRM the EHR receives', async () => {
  const page = await open();
  const booked = pkg.map(asTyped(sampleText('siu-s12')), PROFILE).event;
  /** The SRM with its two run-time fields (MSH-7 timestamp, MSH-10 control id) blanked. @param {string} srm */
  const stable = (srm) => srm.replace(/^(MSH(?:\|[^|\r]*){5})\|[^|\r]*(\|[^|\r]*\|[^|\r]*)\|[^|\r]*/, '$1|<ts>$2|<id>');

  await page.click('#reply-choices button:text-is("CANCEL APPT to send_remind")');
  const body = substitute(widget('cancel_remind').properties.body, booked, '', {});
  assert.equal(await page.$eval('#reply-editor textarea', (t) => /** @type {HTMLTextAreaElement} */ (t).value), body, 'the body cancel_remind POSTs, literal newlines included');
  const reply = pkg.parseReply(body, { contentType: 'application/json;charset=utf-8', profile: PROFILE });
  const srm = pkg.replyToHl7(reply, PROFILE, { controlId: 'X', timestamp: '20260101000000+0000' });
  const shownSrm = (await page.getAttribute('#srm', 'data-message')) ?? '';
  assert.match(shownSrm, /^MSH\|\^~\\&\|TWILIO_BRIDGE\|\|EPIC\|OWLHEALTH\|\d{14}/);
  assert.match(shownSrm.split('\r')[0], /\|SRM\^S04\^SRM_S01\|/);
  assert.equal(stable(shownSrm), stable(srm));
  assert.match((await page.textContent('#reply-result h4')) ?? '', /SRM\^S04\^SRM_S01/);
  await shot(page, 'reply-srm-s04');

  // The template's bug: CANCEL APPT to the booking SMS posts "Confirm".
  await page.click('#reply-choices button:text-is("CANCEL APPT to send_booked")');
  assert.match((await page.getAttribute('#srm', 'data-message')) ?? '', /\|SRM\^S03\^SRM_S01\|/);
  assert.match((await page.textContent('#reply-result .warnings')) ?? '', /REPLY_CONFIRM_AMBIGUOUS/);
  assert.match((await page.textContent('.sms-block[data-event="BOOKED"] .reply-path')) ?? '', /reply "CANCEL APPT" → confirm_booked POSTs event_type "Confirm"/);

  // A profile that writes replies back over FHIR: the request the EHR gets.
  const fhirProfile = JSON.stringify({ ...JSON.parse(PROFILE), reply: { fhir: { baseUrl: 'https://fhir.example.org/r4' } } }, null, 2);
  await settled(page, () => page.fill('#profile-editor textarea', fhirProfile));
  await page.click('#reply-choices button:text-is("CANCEL APPT to send_remind")');
  const fhir = pkg.replyToFhir(pkg.parseReply(body, { profile: fhirProfile }), fhirProfile);
  assert.equal(fhir.request.url, 'https://fhir.example.org/r4/Appointment/APT-104776');
  const shownFhir = (await page.textContent('#fhir-request')) ?? '';
  assert.ok(shownFhir.startsWith(`${fhir.request.method} ${fhir.request.url}\n`), shownFhir);
  assert.ok(shownFhir.endsWith(`\n\n${JSON.stringify(fhir.request.body, null, 2)}`), shownFhir);
  assert.equal(await page.$('#srm'), null, 'no SRM without reply.hl7');

  // The signature panel checks X-Twilio-Signature over the exact body (twilio-node's JSON vector).
  const vector = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'twilio', 'signature-vectors.json'), 'utf8')).json_body_vectors[0];
  await page.fill('#reply-editor textarea', vector.body);
  await page.click('#reply-card summary:text-is("Verify an X-Twilio-Signature for this body")');
  await page.fill('#sig-token', vector.auth_token);
  await page.fill('#sig-url', vector.url);
  await page.fill('#sig-signature', vector.signature);
  await page.click('#sig-verify');
  assert.match((await page.textContent('#sig-result')) ?? '', /^valid \(body, URL form /);
  await page.fill('#sig-token', 'not-the-token');
  await page.click('#sig-verify');
  assert.equal(await page.textContent('#sig-result'), 'not valid: SIGNATURE_MISMATCH (body)');

  // A body the endpoint must refuse: its coded error, located in the editor.
  await page.click('#reply-editor textarea');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('{"flow_sid": "FW00000000000000000000000000000000", "event_type": "Maybe"}');
  await page.waitForSelector('#reply-error:not([hidden])');
  assert.match((await page.getAttribute('#reply-error', 'data-code')) ?? '', /^REPLY_/);
  await page.close();
});

test('files: the file picker and drag & drop load events, profiles and flows', async () => {
  const page = await open();
  await settled(page, () => page.setInputFiles('#file', { name: 'canceled.hl7', mimeType: 'text/plain', buffer: Buffer.from(sampleText('siu-s15')) }));
  assert.match((await page.textContent('#outcome')) ?? '', /^CANCELED/);
  assert.equal(await page.textContent('#loaded'), 'canceled.hl7');

  // Latin-1 bytes (MSH-18 8859/1) are read as Latin-1.
  const latin1 = fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'corpus', 'synthetic', 'syn_siu_s14_latin1_bytes.hl7'));
  await settled(page, () => page.setInputFiles('#file', { name: 'latin1.hl7', mimeType: 'text/plain', buffer: latin1 }));
  assert.equal(await page.textContent('#loaded'), 'latin1.hl7 (not UTF-8: read as Latin-1)');
  assert.equal(await page.textContent('#values tr[data-key="patient_last_name"] td.value'), 'MÜLLER');

  /** Drop a file on an element, as a user dragging it from the desktop would. @param {string} selector @param {string} name @param {string} text */
  const drop = async (selector, name, text) => {
    const dt = await page.evaluateHandle(([n, t]) => {
      const d = new DataTransfer();
      d.items.add(new File([t], n, { type: 'application/octet-stream' }));
      return d;
    }, [name, text]);
    await settled(page, async () => {
      await page.dispatchEvent(selector, 'dragover', { dataTransfer: dt });
      await page.dispatchEvent(selector, 'drop', { dataTransfer: dt });
    });
  };
  await drop('#event-card', 'redox-noshow.json', sampleText('redox-noshow'));
  assert.match((await page.textContent('#outcome')) ?? '', /^NOSHOWED/);
  assert.equal(await page.textContent('#loaded'), 'redox-noshow.json');

  await drop('#profile-card', 'profile.json', '{ "preset": "clicrdv" }');
  assert.match((await page.textContent('#profile-status')) ?? '', /^valid preset clicrdv · Europe\/Paris/);

  // A Studio flow dropped on the event editor is recognized as a flow.
  await drop('#event-card', 'exported-flow.json', JSON.stringify(FLOW));
  assert.equal(await page.textContent('#flow-label'), 'exported-flow.json');
  await shot(page, 'files-dropped');
  await page.close();
});

test('file://: the built folder works without a server (base64 .wasm), and no request left the machine', async () => {
  const page = await open(pathToFileURL(path.join(site, 'index.html')).href);
  assert.match((await page.textContent('#outcome')) ?? '', /^BOOKED → Studio execution/);
  await chooseSample(page, 'fhir-contained');
  assert.match((await page.textContent('#outcome')) ?? '', /^BOOKED/);
  assert.match((await page.textContent('.sms-block[data-event="BOOKED"] .bubble')) ?? '', /^Hello, Jane\. Your appointment with Dr\. Smith is scheduled for /);
  await shot(page, 'file-url');
  await page.close();

  assert.ok(requests.some((u) => u.endsWith('/vendor/ehr_studio_bridge_bg.wasm')), 'over http the .wasm is fetched');
  assert.ok(requests.some((u) => u.startsWith('file://') && u.endsWith('/vendor/ehr_studio_bridge_bg.wasm.js')), 'from file:// the base64 script is loaded');
  const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('file://') && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'every request is local');
  assert.deepEqual(problems, [], 'no console errors or warnings, page errors, failed or foreign requests');
});

test('the page scripts type-check (tsc --checkJs, strict) against the installed package\'s web types', () => {
  // The page reads only the package's public shapes (Hl7Tree, MapResult, Reply…): if they change,
  // this fails before an analyst sees a broken page.
  const { installed } = consumer();
  const base = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'preview', 'jsconfig.json'), 'utf8'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-preview-tsc-'));
  try {
    const config = {
      compilerOptions: { ...base.compilerOptions, paths: { 'ehr-studio-bridge': [path.join(installed, 'dist', 'ehr_studio_bridge.d.ts')] } },
      files: fs.readdirSync(path.join(ROOT, 'examples', 'preview', 'app')).map((f) => path.join(ROOT, 'examples', 'preview', 'app', f)),
    };
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(config, null, 2));
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the JSON locator: every pointer of every JSON fixture spans exactly its value; syntax errors agree with JSON.parse', () => {
  // The page locates provenance pointers and profile errors with its own small JSON scanner
  // (app/jsonpos.js); check it on real documents against JSON.parse.
  const sandbox = /** @type {any} */ ({});
  sandbox.globalThis = sandbox;
  vm.runInNewContext(fs.readFileSync(path.join(ROOT, 'examples', 'preview', 'app', 'jsonpos.js'), 'utf8'), sandbox);
  const { locateJson, lineColumn } = sandbox.EhrPreview;
  /** @param {string} dir @returns {string[]} */
  const jsonFiles = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsonFiles(path.join(dir, e.name)) : e.name.endsWith('.json') ? [path.join(dir, e.name)] : []));
  const files = [...jsonFiles(path.join(ROOT, 'tests', 'fixtures', 'fhir')), ...jsonFiles(path.join(ROOT, 'tests', 'fixtures', 'redox')), ...jsonFiles(path.join(ROOT, 'tests', 'fixtures', 'twilio'))];
  assert.ok(files.length > 40, `${files.length} JSON fixtures`);
  let pointers = 0;
  let mutations = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const doc = JSON.parse(text);
    const located = locateJson(text);
    assert.equal(located.ok, true, file);
    for (const [pointer, span] of located.spans) {
      const at = pointer === '' ? doc : pointer.slice(1).split('/').map((/** @type {string} */ t) => t.replace(/~1/g, '/').replace(/~0/g, '~')).reduce((/** @type {any} */ v, /** @type {string} */ k) => v[k], doc);
      assert.deepEqual(JSON.parse(text.slice(span.start, span.end)), at, `${file} ${pointer}`);
      if (span.keyStart !== undefined) assert.equal(JSON.parse(text.slice(span.keyStart, span.keyEnd)), pointer.split('/').pop()?.replace(/~1/g, '/').replace(/~0/g, '~'));
      pointers++;
    }
    // Damage the text at a few deterministic places: the locator fails exactly when JSON.parse does.
    for (let k = 1; k <= 6; k++) {
      const cut = Math.floor((text.length * k) / 7);
      const damaged = text.slice(0, cut) + text.slice(cut + 1);
      let parses = true;
      try {
        JSON.parse(damaged);
      } catch {
        parses = false;
      }
      const r = locateJson(damaged);
      assert.equal(r.ok, parses, `${file} without character ${cut}`);
      if (!r.ok) assert.ok(r.offset >= 0 && r.offset <= damaged.length);
      mutations++;
    }
  }
  assert.ok(pointers > 2000 && mutations > 200, `${pointers} pointers, ${mutations} damaged texts`);
  assert.deepEqual({ ...lineColumn('ab\ncd\ne', 4) }, { line: 2, column: 2 });
  assert.deepEqual({ ...locateJson('{"a": [1, 2}') }, { ok: false, offset: 11, message: "expected ',' or ']'" });
});
