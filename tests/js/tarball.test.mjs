// @ts-check
// What `npm pack` ships: every file the package.json points at, and nothing unexpected.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { exportTargets } from '../../js/build.mjs';
import { PKG_DIR, ROOT, consumer } from './helpers.mjs';

const pkgJson = JSON.parse(fs.readFileSync(path.join(PKG_DIR, 'package.json'), 'utf8'));
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: PKG_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
)[0];
const files = new Set(packed.files.map((/** @type {{path: string}} */ f) => f.path));

test('tarball contains every file the exports map, main and types point at', () => {
  const targets = [...new Set([...exportTargets(pkgJson.exports), pkgJson.main, pkgJson.types])];
  assert.ok(targets.length >= 6);
  for (const t of targets) {
    assert.ok(!t.includes('*'), `no wildcard targets (add explicit entries): ${t}`);
    assert.ok(t.startsWith('./'), `exports targets start with ./: ${t}`);
    assert.ok(files.has(t.slice(2)), `${t} is in the tarball (files: ${[...files].join(', ')})`);
  }
});

test('exports map: `types` comes first in every condition object', () => {
  /** @param {unknown} e @param {string} where */
  const walk = (e, where) => {
    if (!e || typeof e !== 'object') return;
    const keys = Object.keys(e);
    if (keys.includes('types')) assert.equal(keys[0], 'types', `${where}: types must be first`);
    for (const [k, v] of Object.entries(e)) walk(v, `${where}.${k}`);
  };
  walk(pkgJson.exports, 'exports');
  // Node must always get the CJS build (require and import alike); browsers the web build.
  assert.equal(pkgJson.exports['.'].node.default, pkgJson.main);
  assert.ok(pkgJson.exports['.'].node.default.endsWith('.cjs'));
  assert.ok(pkgJson.exports['.'].node.types.endsWith('.d.cts'));
  assert.equal(pkgJson.exports['.'].browser.default, pkgJson.exports['.'].default.default);
});

test('tarball ships only dist/, package.json, README and LICENSE', () => {
  for (const f of files) {
    assert.ok(/^(dist\/.+|package\.json|README\.md|LICENSE(\.md|\.txt)?)$/.test(f), `unexpected file in tarball: ${f}`);
  }
  assert.ok(files.has('README.md'));
  // One .wasm, shared by the Node and web glues.
  assert.deepEqual([...files].filter((f) => f.endsWith('.wasm')), ['dist/ehr_studio_bridge_bg.wasm']);
});

test('package.json metadata', () => {
  const cargo = fs.readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const cargoVersion = cargo.match(/^version = "([^"]+)"/m)?.[1];
  assert.equal(pkgJson.name, 'ehr-studio-bridge');
  assert.equal(pkgJson.version, cargoVersion, 'npm version = Cargo.toml version');
  assert.equal(pkgJson.license, 'Apache-2.0');
  assert.equal(pkgJson.engines.node, '>=20');
  assert.equal(pkgJson.type, 'module');
  assert.equal(pkgJson.dependencies, undefined, 'no runtime dependencies');
  assert.equal(pkgJson.private, undefined);
});

test('the installed package is the packed one', () => {
  const { packageJson } = consumer();
  assert.deepEqual(packageJson.exports, pkgJson.exports);
  assert.equal(packageJson.version, pkgJson.version);
});
