// Runs inside the consumer project: CommonJS `require` of the installed package.
// argv[2] = file URL of tests/js/api-cases.mjs. Prints one JSON object.
'use strict';
const api = require('ehr-studio-bridge');
const pkgJson = require('ehr-studio-bridge/package.json');

(async () => {
  const { runCases } = await import(process.argv[2]);
  const out = await runCases(api);
  out.resolved = require.resolve('ehr-studio-bridge');
  out.packageVersion = pkgJson.version;
  out.version = api.version();
  process.stdout.write(JSON.stringify(out));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
