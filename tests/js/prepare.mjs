// @ts-check
// Pack pkg/ with `npm pack` and install the tarball into a fresh consumer project in the OS temp dir
// (outside the repo, so nothing resolves through the repo's own node_modules). Writes
// .tmp/consumer.json for the tests. Usage: node tests/js/prepare.mjs   (after node js/build.mjs)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PKG_DIR, PKG_NAME, ROOT, STATE_FILE } from './helpers.mjs';

if (!fs.existsSync(path.join(PKG_DIR, 'package.json'))) {
  console.error('pkg/ is missing: run `node js/build.mjs` first');
  process.exit(1);
}

// Remove the previous consumer, if any.
if (fs.existsSync(STATE_FILE)) {
  const old = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  if (typeof old.dir === 'string' && old.dir.startsWith(os.tmpdir())) fs.rmSync(old.dir, { recursive: true, force: true });
}

const packDir = path.join(ROOT, '.tmp', 'pack');
fs.rmSync(packDir, { recursive: true, force: true });
fs.mkdirSync(packDir, { recursive: true });
/** @param {string[]} args @param {string} cwd */
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', packDir], PKG_DIR));
const tarball = path.join(packDir, packed[0].filename);
console.log(`packed ${path.relative(ROOT, tarball)} (${packed[0].size} B, ${packed[0].entryCount} files)`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-consumer-'));
fs.writeFileSync(
  path.join(dir, 'package.json'),
  `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`,
);
npm(['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', tarball], dir);
if (!fs.existsSync(path.join(dir, 'node_modules', PKG_NAME, 'package.json'))) {
  console.error(`install of ${tarball} into ${dir} did not produce node_modules/${PKG_NAME}`);
  process.exit(1);
}
fs.mkdirSync(path.dirname(STATE_FILE), { recursive: true });
fs.writeFileSync(STATE_FILE, `${JSON.stringify({ dir, tarball }, null, 2)}\n`);
console.log(`installed into ${dir}`);
