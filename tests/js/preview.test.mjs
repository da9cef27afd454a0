// @ts-check
// The browser preview page (examples/preview/) in headless Chromium, with the INSTALLED package's
// web build served where the page's import map expects the local build (/pkg/dist/): load the
// bundled sample, check the mapped values and their sources, click a source to highlight it in the
// message, and check coded errors for a bad profile.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { PKG_NAME, ROOT, consumer } from './helpers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
const TYPES = /** @type {Record<string, string>} */ ({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.hl7': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
});

/** @type {http.Server} */
let server;
let origin = '';
/** @type {import('playwright-core').BrowserContext} */
let context;
let userDataDir = '';

before(async () => {
  const dist = path.join(consumer().dir, 'node_modules', PKG_NAME, 'dist');
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const p = decodeURIComponent(url.pathname);
    /** @type {string | undefined} */
    let file;
    if (p.startsWith('/pkg/dist/')) file = path.join(dist, path.basename(p));
    else if (p.startsWith('/examples/preview/') || p.startsWith('/samples/')) file = path.normalize(path.join(ROOT, p));
    if (!file || !file.startsWith(ROOT) && !file.startsWith(dist) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  origin = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-preview-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 60_000 });
});

after(async () => {
  await context?.close();
  await new Promise((r) => (server ? server.close(() => r(undefined)) : r(undefined)));
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

test('preview page: sample → values with sources; a source highlights its text; coded profile errors', async () => {
  const page = await context.newPage();
  /** @type {string[]} */
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  await page.goto(`${origin}/examples/preview/index.html`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  await page.click('#load-sample');
  await page.waitForSelector('#values tbody tr');

  const cell = (/** @type {string} */ key, /** @type {string} */ col) =>
    page.textContent(`#values tr[data-key="${key}"] td.${col}`);
  assert.match((await page.textContent('#outcome')) ?? '', /^BOOKED: send a Studio execution/);
  assert.equal(await cell('patient_phone', 'value'), '+19715550123');
  assert.equal(await cell('patient_phone', 'source'), 'PID-13[2]');
  assert.equal(await cell('appointment_datetime', 'value'), '2026-12-15T10:15:00');
  assert.equal(await cell('patient_last_name', 'value'), 'NGUYEN');
  assert.equal(await page.getAttribute('#values tr[data-key="patient_last_name"]', 'class'), 'warned');
  assert.match((await page.textContent('#warnings')) ?? '', /SANITIZE_TRANSLITERATED \(patient_last_name\)/);
  assert.match((await page.textContent('#request')) ?? '', /^POST https:\/\/studio\.twilio\.com\/v2\/Flows\/FW0{32}\/Executions/);

  await page.click('#values tr[data-key="patient_phone"] td.source button');
  assert.equal(await page.getAttribute('#source', 'data-highlight'), '^PRN^CP^^1^971^5550123');
  await page.click('#values tr[data-key="appointment_location"] td.source button');
  assert.equal(await page.getAttribute('#source', 'data-highlight'), 'Owl Health Cardiology, 2nd floor');

  await page.fill('#profile', '{"sender": {"timeZone": "Mars/Olympus"}}');
  assert.match((await page.textContent('#error')) ?? '', /^profile: PROFILE_BAD_TIMEZONE/);
  await page.close();
  assert.deepEqual(problems, []);
});
