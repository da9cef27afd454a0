// Copy the package's .wasm into assets/ as a private asset, for EHR_BRIDGE_WASM_ASSET=/ehr_studio_bridge_bg.wasm.
// Usage: npm run copy-wasm   (after npm install)
const fs = require('node:fs');
const path = require('node:path');

const from = require.resolve('ehr-studio-bridge/ehr_studio_bridge_bg.wasm');
const to = path.join(__dirname, '..', 'assets', 'ehr_studio_bridge_bg.private.wasm');
fs.copyFileSync(from, to);
console.log(`${path.relative(process.cwd(), to)} (${fs.statSync(to).size} bytes; private assets may be up to 10 MB)`);
