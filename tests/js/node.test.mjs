// @ts-check
// The installed tarball under Node (whichever Node runs this file: scripts/test.sh runs it under 20 and 22).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { EXPORTS } from './api-cases.mjs';
import { assertCases, consumer, runProbe } from './helpers.mjs';

const node = `Node ${process.versions.node}`;

test(`${node}: require('ehr-studio-bridge')`, () => {
  const out = runProbe('probe-require.cjs');
  assertCases(out, 'require');
  assert.deepEqual(out.exportNames, [...EXPORTS].sort(), 'require: exactly the documented exports');
  assert.equal(path.basename(out.resolved), 'ehr_studio_bridge.cjs', 'require resolves to the CJS glue');
  assert.equal(out.version, out.packageVersion, 'version() equals package.json version');
});

test(`${node}: import { … } from 'ehr-studio-bridge'`, () => {
  const out = runProbe('probe-import.mjs');
  assertCases(out, 'import');
  assert.equal(out.staticImportsAreFunctions, true);
  for (const name of EXPORTS) assert.ok(out.namespaceKeys.includes(name), `import: named export ${name} detected`);
  assert.ok(out.resolved.endsWith('/dist/ehr_studio_bridge.cjs'), `import resolves to the CJS glue: ${out.resolved}`);
  assert.equal(out.sameInstanceAsRequire, true, 'require and import share one module instance');
  assert.equal(out.version, out.packageVersion);
});

test(`${node}: ehr-studio-bridge/web + initSync (the asset-less / Twilio Assets path)`, async () => {
  const { dir } = consumer();
  const require = createRequire(path.join(dir, 'package.json'));
  const webPath = require.resolve('ehr-studio-bridge/web');
  const wasmPath = require.resolve('ehr-studio-bridge/ehr_studio_bridge_bg.wasm');
  assert.equal(path.basename(webPath), 'ehr_studio_bridge.js');
  const web = await import(pathToFileURL(webPath).href);
  web.initSync({ module: fs.readFileSync(wasmPath) });
  web.initSync({ module: new Uint8Array(0) }); // idempotent: a second call is a no-op
  const { runCases } = await import('./api-cases.mjs');
  assertCases(await runCases(web), 'web+initSync');
});
