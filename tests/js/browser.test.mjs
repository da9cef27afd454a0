// @ts-check
// The installed tarball in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
// a page served from 127.0.0.1 imports the package through an import map built from the package's
// `exports` ("browser" conditions), runs `await init()` and the shared API cases.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { EXPORTS } from './api-cases.mjs';
import { PKG_NAME, ROOT, assertCases, consumer } from './helpers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];
/** Conditions a browser bundler matches, in addition to the key order of the exports map. */
const BROWSER_CONDITIONS = new Set(['browser', 'import', 'default']);

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/**
 * Resolve `subpath` in an exports map the way a browser bundler would (first matching condition in
 * key order; `types` and `node` never match). Returns e.g. "./dist/x.js".
 * @param {any} exportsMap @param {string} subpath
 */
function resolveBrowserExport(exportsMap, subpath) {
  /** @param {any} e @returns {string | undefined} */
  const pick = (e) => {
    if (typeof e === 'string') return e;
    if (!e || typeof e !== 'object') return undefined;
    for (const [k, v] of Object.entries(e)) {
      if (BROWSER_CONDITIONS.has(k)) {
        const r = pick(v);
        if (r) return r;
      }
    }
    return undefined;
  };
  const target = pick(exportsMap[subpath]);
  assert.ok(target, `exports["${subpath}"] has no browser target`);
  return target;
}

const PAGE_SCRIPT = `
import init, * as api from '${PKG_NAME}';
import * as webEntry from '${PKG_NAME}/web';
import { describeError, runCases } from '/api-cases.mjs';
const out = {};
try {
  const instance = await init();
  out.initIsIdempotent = (await init()) === instance;
  out.webEntryIsSameModule = webEntry.version === api.version;
  const named = Object.fromEntries(Object.entries(api).filter(([k]) => k !== 'default' && k !== 'initSync'));
  Object.assign(out, await runCases(named));
  out.namespaceKeys = Object.keys(api).sort();
} catch (e) {
  out.fatal = describeError(e);
}
window.__out = out;
`;

/** @type {http.Server} */
let server;
let origin = '';
/** @type {import('playwright-core').BrowserContext} */
let context;
let userDataDir = '';
/** @type {{ url: string, status: number, type: string | undefined }[]} */
const responses = [];

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} missing (apt-get install chromium; see scripts/setup.sh)`);
  const { dir, packageJson } = consumer();
  const importMap = {
    imports: {
      [PKG_NAME]: `/node_modules/${PKG_NAME}/${resolveBrowserExport(packageJson.exports, '.').slice(2)}`,
      [`${PKG_NAME}/web`]: `/node_modules/${PKG_NAME}/${resolveBrowserExport(packageJson.exports, './web').slice(2)}`,
    },
  };
  const html = `<!doctype html><meta charset="utf-8"><title>ehr-studio-bridge browser test</title>
<script type="importmap">${JSON.stringify(importMap)}</script>
<script type="module">${PAGE_SCRIPT}</script>`;
  const apiCases = path.join(ROOT, 'tests', 'js', 'api-cases.mjs');

  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    /** @type {string | undefined} */
    let file;
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': TYPES['.html'] }).end(html);
      return;
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    } else if (url.pathname === '/api-cases.mjs') {
      file = apiCases;
    } else if (url.pathname.startsWith('/node_modules/')) {
      const p = path.normalize(path.join(dir, decodeURIComponent(url.pathname)));
      if (p.startsWith(path.join(dir, 'node_modules') + path.sep)) file = p;
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = TYPES[/** @type {keyof typeof TYPES} */ (path.extname(file))] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const addr = server.address();
  assert.ok(addr && typeof addr === 'object');
  origin = `http://127.0.0.1:${addr.port}`;

  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
});

after(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(() => resolve(undefined)) : resolve(undefined)));
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
});

test('Chromium: import init, { … } from the web build; await init(); API cases', async (t) => {
  const page = await context.newPage();
  /** @type {string[]} */
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => {
    responses.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] });
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });

  await page.goto(`${origin}/`);
  await page.waitForFunction(() => /** @type {any} */ (globalThis).__out !== undefined, null, { timeout: 30_000 });
  const out = await page.evaluate(() => /** @type {any} */ (globalThis).__out);
  const userAgent = await page.evaluate(() => navigator.userAgent);
  const browserVersion = userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? userAgent;
  await page.close();

  assert.equal(out.fatal, undefined, `page failed: ${JSON.stringify(out.fatal)}`);
  assert.deepEqual(problems, [], 'no console errors/warnings, page errors or failed requests');
  assertCases(out, `Chromium ${browserVersion}`);
  t.diagnostic(`ran ${out.results.length} API cases in Chromium ${browserVersion}`);
  assert.deepEqual(out.exportNames, [...EXPORTS].sort(), 'browser: exactly the documented exports (+ init, initSync)');
  assert.ok(out.namespaceKeys.includes('default') && out.namespaceKeys.includes('initSync'));
  assert.equal(out.initIsIdempotent, true);
  assert.equal(out.webEntryIsSameModule, true, `"${PKG_NAME}" and "${PKG_NAME}/web" are one module in the browser`);

  const wasm = responses.filter((r) => r.url.endsWith('.wasm'));
  assert.equal(wasm.length, 1, `exactly one .wasm fetched: ${JSON.stringify(responses)}`);
  assert.equal(wasm[0].status, 200);
  assert.equal(wasm[0].type, 'application/wasm');
});
