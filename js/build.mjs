// @ts-check
// Build the npm package into pkg/:
//
//   cargo build (wasm32, release) → wasm-bindgen --target nodejs and --target web (pinned CLI)
//   → wasm-opt -Oz (npm binaryen) → pkg/ assembled from pkg-template/; both glues get parseHl7's
//   JS decoder (js/glue/hl7-tree.js).
//
// Usage: node js/build.mjs [--dev] [--out DIR]
//   --dev   debug cargo build, no wasm-opt (fast; for iterating on the boundary)
//   --out   output directory (default: pkg)
//
// Layout of pkg/ (both glues sit next to the ONE .wasm they share, see `sameWasm` below):
//   package.json, README.md
//   dist/ehr_studio_bridge.cjs     nodejs glue (CJS), loads the .wasm synchronously at require time
//   dist/ehr_studio_bridge.d.cts   its types
//   dist/ehr_studio_bridge.js      web glue (ESM), `await init()` fetches the .wasm
//   dist/ehr_studio_bridge.d.ts    its types
//   dist/ehr_studio_bridge_bg.wasm
//   dist/ehr_studio_bridge_slim.cjs  nodejs glue without the load-time .wasm read: initSync({ module })
//   dist/ehr_studio_bridge_slim.d.cts
//   dist/*.cjs, dist/*.d.cts        the JS adapters from js/ (CLI, Twilio Functions) and their types
//   dist/engine/*.cjs, *.d.cts      the Node HL7 engine (js/engine/, ehr-studio-bridge/engine)
//   dist/twilio/*.cjs               the Twilio Functions adapter's modules (js/twilio/)
//   dist/cli/*.cjs                  the CLI's `map` over many messages (js/cli/)
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = 'wasm32-unknown-unknown';
/** Base name of every generated file (wasm-bindgen derives it from the crate name). */
const NAME = 'ehr_studio_bridge';
/** Features rustc ≥ 1.82 emits for wasm32 by default; wasm-opt must be told to accept them. */
const WASM_OPT_FEATURES = [
  '--enable-bulk-memory',
  '--enable-nontrapping-float-to-int',
  '--enable-sign-ext',
  '--enable-reference-types',
  '--enable-multivalue',
  '--enable-mutable-globals',
];

/** @param {string} msg @returns {never} */
function fail(msg) {
  console.error(`\nbuild.mjs: ERROR: ${msg}\n`);
  process.exit(1);
}

/** @param {string} msg */
function step(msg) {
  console.log(`\n== ${msg}`);
}

/**
 * Run a command with inherited stdio; exit on failure.
 * @param {string} cmd @param {string[]} args @param {import('node:child_process').SpawnSyncOptions} [opts]
 */
function run(cmd, args, opts = {}) {
  console.log(`$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} exited with ${r.status ?? r.signal}`);
}

/** @param {string[]} argv */
function parseArgs(argv) {
  const opts = { dev: false, out: path.join(ROOT, 'pkg') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dev') opts.dev = true;
    else if (a === '--out') opts.out = path.resolve(argv[++i] ?? fail('--out needs a directory'));
    else if (a === '--help' || a === '-h') {
      console.log('usage: node js/build.mjs [--dev] [--out DIR]');
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  return opts;
}

/** The exact `wasm-bindgen` crate version in Cargo.lock: the CLI must match it. */
function lockedWasmBindgenVersion() {
  const lock = fs.readFileSync(path.join(ROOT, 'Cargo.lock'), 'utf8');
  const m = lock.match(/\[\[package\]\]\nname = "wasm-bindgen"\nversion = "([^"]+)"/);
  if (!m) fail('Cargo.lock has no wasm-bindgen package');
  return m[1];
}

/** @param {string} want */
function checkWasmBindgenCli(want) {
  let out;
  try {
    out = execFileSync('wasm-bindgen', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    fail(
      `wasm-bindgen CLI not found on PATH. Install the pinned version:\n` +
        `  cargo install wasm-bindgen-cli --version ${want}\n(or run: bash scripts/setup.sh)`,
    );
  }
  const have = out.split(/\s+/)[1];
  if (have !== want) {
    fail(
      `wasm-bindgen CLI is ${have} but Cargo.lock pins the wasm-bindgen crate at ${want}; ` +
        `they must match exactly.\n  cargo install wasm-bindgen-cli --version ${want} --force`,
    );
  }
  return have;
}

function cargoMetadata() {
  const json = execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const meta = JSON.parse(json);
  const pkg = meta.packages.find((/** @type {{name: string}} */ p) => p.name === 'ehr-studio-bridge');
  if (!pkg) fail('cargo metadata: package ehr-studio-bridge not found');
  return { targetDir: /** @type {string} */ (meta.target_directory), version: /** @type {string} */ (pkg.version) };
}

/** @param {number} n */
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

/** @param {string} label @param {Buffer} bytes */
function sizeLine(label, bytes) {
  const gz = zlib.gzipSync(bytes, { level: 9 }).length;
  return `${label.padEnd(36)} raw ${String(bytes.length).padStart(8)} B (${kb(bytes.length)})   gzip ${String(gz).padStart(7)} B (${kb(gz)})`;
}

/** The load-time .wasm loader at the end of the nodejs glue (wasm-bindgen 0.2.1xx). */
const NODE_LOADER = [
  `const wasmPath = \`\${__dirname}/${NAME}_bg.wasm\`;`,
  "const wasmBytes = require('fs').readFileSync(wasmPath);",
  'const wasmModule = new WebAssembly.Module(wasmBytes);',
  'let wasmInstance = new WebAssembly.Instance(wasmModule, __wbg_get_imports());',
  'let wasm = wasmInstance.exports;',
  'wasm.__wbindgen_start();',
].join('\n');

/** Replaces NODE_LOADER in the slim glue. */
const SLIM_LOADER = `// ehr-studio-bridge/slim: nothing is loaded at require time; call initSync() once.
let wasmInstance = null;
// Until initSync() runs, any call fails with a coded error instead of a TypeError.
let wasm = new Proxy({}, {
    get() {
        const e = new Error('ehr-studio-bridge/slim: call initSync({ module }) with the .wasm bytes before using the API');
        e.name = 'EhrStudioBridgeError';
        e.code = 'NOT_INITIALIZED';
        throw e;
    },
});

/**
 * Instantiate the WebAssembly module synchronously. \`module\`: the .wasm bytes (Buffer,
 * ArrayBuffer, typed array) or a compiled WebAssembly.Module; \`{ module }\` is accepted too, like
 * the web glue's initSync. A second call is a no-op.
 */
function initSync(arg) {
    if (wasmInstance !== null) return wasmInstance.exports;
    const source = arg !== null && typeof arg === 'object' && !(arg instanceof WebAssembly.Module) && !ArrayBuffer.isView(arg) && !(arg instanceof ArrayBuffer) && 'module' in arg ? arg.module : arg;
    const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
    const instance = new WebAssembly.Instance(module, __wbg_get_imports());
    wasm = instance.exports;
    wasmInstance = instance;
    wasm.__wbindgen_start();
    return wasm;
}
exports.initSync = initSync;

/** Whether initSync() has run. */
function isInitialized() {
    return wasmInstance !== null;
}
exports.isInitialized = isInitialized;
`;

/** Types appended to the slim glue's .d.cts. */
const SLIM_DTS = `/**
 * The .wasm for \`initSync\`: its bytes (Buffer, ArrayBuffer, typed array) or a compiled
 * \`WebAssembly.Module\` (typed as \`object\` so that no DOM / Node lib is required).
 */
export type SyncInitInput = ArrayBuffer | ArrayBufferView | object;

/**
 * Instantiate the WebAssembly module synchronously (once; later calls are no-ops). Until then every
 * other export throws an \`Error\` with \`code: "NOT_INITIALIZED"\`.
 *
 * \`\`\`js
 * const bridge = require("ehr-studio-bridge/slim");
 * bridge.initSync({ module: fs.readFileSync(Runtime.getAssets()["/ehr_studio_bridge_bg.wasm"].path) });
 * \`\`\`
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): unknown;

/** Whether \`initSync\` has run. */
export function isInitialized(): boolean;
`;

/** The nodejs glue with its load-time .wasm read replaced by initSync(). @param {string} cjs */
function slimGlue(cjs) {
  const at = cjs.indexOf(NODE_LOADER);
  if (at < 0 || cjs.indexOf(NODE_LOADER, at + 1) >= 0) {
    fail('the nodejs glue\'s .wasm loader changed (wasm-bindgen upgrade?): update NODE_LOADER in js/build.mjs');
  }
  return cjs
    .replace(`/* @ts-self-types="./${NAME}.d.cts" */`, `/* @ts-self-types="./${NAME}_slim.d.cts" */`)
    .replace(NODE_LOADER, SLIM_LOADER);
}

/** parseHl7's JS half (js/glue/hl7-tree.js), appended to both glues. */
const HL7_TREE_JS = fs.readFileSync(path.join(ROOT, 'js', 'glue', 'hl7-tree.js'), 'utf8');

/**
 * Replace the generated `parseHl7` wrapper (which returns the address of the packed tree) by the
 * decoder of js/glue/hl7-tree.js: the generated one becomes `parseHl7Packed`, module-private.
 * @param {string} glue @param {'nodejs' | 'web'} target
 */
function withTreeDecoder(glue, target) {
  const generated = target === 'web' ? 'export function parseHl7(input, options) {' : 'function parseHl7(input, options) {';
  const at = glue.indexOf(generated);
  if (at < 0 || glue.indexOf(generated, at + 1) >= 0 || glue.includes('parseHl7Packed')) {
    fail(`the ${target} glue's parseHl7 wrapper changed (wasm-bindgen upgrade?): update withTreeDecoder in js/build.mjs`);
  }
  if (target === 'nodejs' && !glue.includes('\nexports.parseHl7 = parseHl7;\n')) {
    fail('the nodejs glue no longer exports parseHl7 as `exports.parseHl7 = parseHl7;`');
  }
  const decoder = target === 'web' ? HL7_TREE_JS.replace('\nfunction parseHl7(', '\nexport function parseHl7(') : HL7_TREE_JS;
  if (target === 'web' && decoder === HL7_TREE_JS) fail('js/glue/hl7-tree.js has no `function parseHl7(`');
  return `${glue.replace(generated, 'function parseHl7Packed(input, options) {')}\n${decoder}`;
}

/** Every file path mentioned in an `exports` map (recursively), e.g. "./dist/x.cjs". @param {unknown} e @returns {string[]} */
export function exportTargets(e) {
  if (typeof e === 'string') return [e];
  if (e && typeof e === 'object') return Object.values(e).flatMap(exportTargets);
  return [];
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const profile = opts.dev ? 'debug' : 'release';
  const t0 = Date.now();

  step('toolchain');
  const wbVersion = checkWasmBindgenCli(lockedWasmBindgenVersion());
  console.log(`wasm-bindgen ${wbVersion} (matches Cargo.lock)`);
  const { targetDir, version } = cargoMetadata();
  const wasmOpt = path.join(ROOT, 'node_modules', 'binaryen', 'bin', 'wasm-opt');
  if (!opts.dev && !fs.existsSync(wasmOpt)) fail(`${wasmOpt} missing: run \`npm ci\` (or bash scripts/setup.sh)`);

  step(`cargo build (${profile})`);
  run('cargo', ['build', '--lib', '--target', TARGET, ...(opts.dev ? [] : ['--release'])]);
  const cargoWasm = path.join(targetDir, TARGET, profile, `${NAME}.wasm`);
  if (!fs.existsSync(cargoWasm)) fail(`expected ${cargoWasm}`);

  step('wasm-bindgen (nodejs, web)');
  const work = path.join(ROOT, '.tmp', 'build');
  fs.rmSync(work, { recursive: true, force: true });
  for (const target of ['nodejs', 'web']) {
    run('wasm-bindgen', ['--target', target, '--out-dir', path.join(work, target), '--out-name', NAME, cargoWasm]);
  }
  const nodeWasm = fs.readFileSync(path.join(work, 'nodejs', `${NAME}_bg.wasm`));
  const webWasm = fs.readFileSync(path.join(work, 'web', `${NAME}_bg.wasm`));
  // Since wasm-bindgen 0.2.107 both targets import from "./<name>_bg.js", so the module is the same
  // and one copy serves both glues. If a future change makes them differ, pkg/ needs two dist dirs.
  const sameWasm = nodeWasm.equals(webWasm);
  console.log(`nodejs and web _bg.wasm byte-identical: ${sameWasm}`);
  if (!sameWasm) {
    fail('the nodejs and web _bg.wasm differ; the package layout (one shared dist/*.wasm) assumes they are identical');
  }

  step(opts.dev ? 'wasm-opt skipped (--dev)' : 'wasm-opt -Oz');
  const bindgenWasm = path.join(work, 'web', `${NAME}_bg.wasm`);
  const finalWasm = path.join(work, `${NAME}_bg.wasm`);
  if (opts.dev) {
    fs.copyFileSync(bindgenWasm, finalWasm);
  } else {
    // process.execPath, not the `wasm-opt` shim: the shim's `#!/usr/bin/env node` may pick up the
    // Node 22 binary from node_modules/.bin when run from an npm script.
    run(process.execPath, [wasmOpt, '-Oz', ...WASM_OPT_FEATURES, '--strip-producers', bindgenWasm, '-o', finalWasm]);
  }

  step(`assemble ${path.relative(ROOT, opts.out) || opts.out}/`);
  const out = opts.out;
  const dist = path.join(out, 'dist');
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(dist, { recursive: true });

  // web (ESM) glue and types, as generated (parseHl7 completed by its JS decoder)
  fs.writeFileSync(
    path.join(dist, `${NAME}.js`),
    withTreeDecoder(fs.readFileSync(path.join(work, 'web', `${NAME}.js`), 'utf8'), 'web'),
  );
  // Exported classes (Mapper) declare `[Symbol.dispose]()` for `using`; reference the lib that
  // declares it so consumers compile with their default `lib` (TypeScript >= 5.2).
  const withDisposable = (/** @type {string} */ dts) =>
    dts.includes('[Symbol.dispose]') ? `/// <reference lib="esnext.disposable" />\n${dts}` : dts;
  fs.writeFileSync(
    path.join(dist, `${NAME}.d.ts`),
    withDisposable(fs.readFileSync(path.join(work, 'web', `${NAME}.d.ts`), 'utf8')),
  );
  // nodejs (CJS) glue as .cjs (the package is "type": "module") and its types as .d.cts. The glue
  // starts with a Deno `@ts-self-types` hint naming the .d.ts; point it at the CJS types instead.
  const cjs = withTreeDecoder(
    fs
      .readFileSync(path.join(work, 'nodejs', `${NAME}.js`), 'utf8')
      .replace(`/* @ts-self-types="./${NAME}.d.ts" */`, `/* @ts-self-types="./${NAME}.d.cts" */`),
    'nodejs',
  );
  if (!cjs.includes(`\`\${__dirname}/${NAME}_bg.wasm\``)) {
    fail(`nodejs glue no longer loads \${__dirname}/${NAME}_bg.wasm; check the layout`);
  }
  fs.writeFileSync(path.join(dist, `${NAME}.cjs`), cjs);
  fs.writeFileSync(
    path.join(dist, `${NAME}.d.cts`),
    withDisposable(fs.readFileSync(path.join(work, 'nodejs', `${NAME}.d.ts`), 'utf8')),
  );
  fs.copyFileSync(finalWasm, path.join(dist, `${NAME}_bg.wasm`));

  // The "slim" CJS glue (ehr-studio-bridge/slim): the nodejs glue without its load-time
  // readFileSync of the .wasm; the host calls initSync({ module }) once with the bytes (e.g. a
  // Twilio Functions private asset) or a compiled WebAssembly.Module.
  fs.writeFileSync(path.join(dist, `${NAME}_slim.cjs`), slimGlue(cjs));
  fs.writeFileSync(
    path.join(dist, `${NAME}_slim.d.cts`),
    `${withDisposable(fs.readFileSync(path.join(work, 'nodejs', `${NAME}.d.ts`), 'utf8'))}\n${SLIM_DTS}`,
  );

  // JS adapters (js/*.cjs: CLI, Twilio Functions shims) and their hand-written types (js/*.d.cts)
  // ship next to the glue they require; the engine (js/engine/), the CLI's batch modules (js/cli/)
  // and the Twilio adapter's modules (js/twilio/*.cjs) one level below it.
  for (const sub of ['', 'cli', 'engine', 'twilio']) {
    const from = path.join(ROOT, 'js', sub);
    fs.mkdirSync(path.join(dist, sub), { recursive: true });
    for (const f of fs.readdirSync(from).filter((f) => f.endsWith('.cjs') || f.endsWith('.d.cts'))) {
      fs.copyFileSync(path.join(from, f), path.join(dist, sub, f));
    }
  }

  // package.json: the template, with the crate version
  const template = JSON.parse(fs.readFileSync(path.join(ROOT, 'pkg-template', 'package.json'), 'utf8'));
  template.version = version;
  fs.writeFileSync(path.join(out, 'package.json'), `${JSON.stringify(template, null, 2)}\n`);
  fs.copyFileSync(path.join(ROOT, 'pkg-template', 'README.md'), path.join(out, 'README.md'));
  for (const extra of ['LICENSE', 'LICENSE.md', 'LICENSE.txt']) {
    if (fs.existsSync(path.join(ROOT, extra))) fs.copyFileSync(path.join(ROOT, extra), path.join(out, extra));
  }

  // Every file the exports map points at must exist (the packed-tarball test checks npm pack too).
  const missing = [...exportTargets(template.exports), template.main, template.types, ...Object.values(template.bin ?? {})]
    .filter((p) => typeof p === 'string' && !p.includes('*'))
    .filter((p) => !fs.existsSync(path.join(out, p)));
  if (missing.length) fail(`pkg-template/package.json points at missing files: ${missing.join(', ')}`);

  step('sizes');
  console.log(sizeLine('cargo .wasm (not meaningful)', fs.readFileSync(cargoWasm)));
  console.log(sizeLine('wasm-bindgen _bg.wasm', webWasm));
  console.log(sizeLine(`shipped _bg.wasm${opts.dev ? ' (dev, unoptimized)' : ' (wasm-opt -Oz)'}`, fs.readFileSync(path.join(dist, `${NAME}_bg.wasm`))));
  for (const f of [`${NAME}.cjs`, `${NAME}.js`]) console.log(sizeLine(`glue ${f}`, fs.readFileSync(path.join(dist, f))));

  console.log(`\nbuilt ${template.name}@${version} (${profile}) in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${out}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
