// Runs inside the consumer project: ESM `import` of the installed package (whose Node entry is CJS).
// argv[2] = file URL of tests/js/api-cases.mjs. Prints one JSON object.
import { createRequire } from 'node:module';
import * as api from 'ehr-studio-bridge';
// Static named imports: this line fails to link if Node cannot detect the CJS named exports.
import { version, errorCodes } from 'ehr-studio-bridge';

const { runCases } = await import(process.argv[2]);
const require = createRequire(import.meta.url);
// Not the namespace itself: its `default` / `module.exports` keys are interop artefacts.
const named = Object.fromEntries(Object.entries(api).filter(([k]) => k !== 'default' && k !== 'module.exports'));
const out = await runCases(named);
out.namespaceKeys = Object.keys(api).sort();
out.staticImportsAreFunctions = typeof version === 'function' && typeof errorCodes === 'function';
// Dual-package hazard check: require() and import must give the very same module instance.
out.sameInstanceAsRequire = require('ehr-studio-bridge') === api.default;
out.resolved = import.meta.resolve('ehr-studio-bridge');
out.packageVersion = require('ehr-studio-bridge/package.json').version;
out.version = version();
process.stdout.write(JSON.stringify(out));
