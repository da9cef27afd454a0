// @ts-check
// `tsc --noEmit` (strict) on tests/types/* compiled INSIDE the consumer project against the installed
// tarball, with moduleResolution node16, nodenext and bundler; once with TypeScript 5.9 (JS compiler)
// and once with TypeScript 7 (native), since `npm i typescript` now gives 7.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, consumer } from './helpers.mjs';

const COMPILERS = {
  'typescript 5': path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
  'typescript 7': path.join(ROOT, 'node_modules', 'typescript-7', 'bin', 'tsc'),
};

const common = { strict: true, noEmit: true, target: 'es2022', types: [], skipLibCheck: false, forceConsistentCasingInFileNames: true };

/** @type {Record<string, { compilerOptions: Record<string, unknown>, files: string[] }>} */
const VARIANTS = {
  node16: {
    compilerOptions: { ...common, module: 'node16', moduleResolution: 'node16', lib: ['es2022'] },
    files: ['types/usage.ts', 'types/usage.cts', 'types/usage-twilio.cts', 'types/usage-engine.cts'],
  },
  nodenext: {
    compilerOptions: { ...common, module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022'] },
    files: ['types/usage.ts', 'types/usage.cts', 'types/usage-twilio.cts', 'types/usage-engine.cts'],
  },
  bundler: {
    compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'] },
    files: ['types/usage-web.ts'],
  },
};

const { dir } = consumer();
fs.rmSync(path.join(dir, 'types'), { recursive: true, force: true });
fs.cpSync(path.join(ROOT, 'tests', 'types'), path.join(dir, 'types'), { recursive: true });

for (const [compiler, tsc] of Object.entries(COMPILERS)) {
  for (const [variant, config] of Object.entries(VARIANTS)) {
    test(`${compiler}: tsc --noEmit, moduleResolution ${variant}`, () => {
      assert.ok(fs.existsSync(tsc), `${tsc} missing: run npm ci`);
      const tsconfig = path.join(dir, `tsconfig.${variant}.json`);
      fs.writeFileSync(tsconfig, JSON.stringify(config, null, 2));
      const r = spawnSync(process.execPath, [tsc, '-p', tsconfig], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
    });
  }
}

test('tsc resolves the CJS types for Node and the web types for bundlers', () => {
  const tsc = COMPILERS['typescript 5'];
  /** @param {string} variant */
  const traced = (variant) => {
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(dir, `tsconfig.${variant}.json`), '--listFiles'], {
      cwd: dir,
      encoding: 'utf8',
    });
    return r.stdout.split('\n').filter((l) => l.includes('ehr-studio-bridge'));
  };
  assert.ok(traced('nodenext').some((f) => f.endsWith('dist/ehr_studio_bridge.d.cts')));
  assert.ok(!traced('nodenext').some((f) => f.endsWith('dist/ehr_studio_bridge.d.ts')));
  assert.ok(traced('bundler').some((f) => f.endsWith('dist/ehr_studio_bridge.d.ts')));
});

test('the Twilio adapter, the engine and the CLI (dist/twilio.cjs, dist/twilio/*.cjs, dist/engine/*.cjs, dist/cli.cjs, dist/cli/*.cjs, // @ts-check) type-check as shipped (checkJs, strict, Node types)', () => {
  const tsconfig = path.join(dir, 'tsconfig.checkjs.json');
  // The modules are root files too: tsc loads no JavaScript from node_modules on its own.
  const modules = fs
    .readdirSync(path.join(dir, 'node_modules/ehr-studio-bridge/dist/twilio'))
    .filter((f) => f.endsWith('.cjs'))
    .map((f) => `node_modules/ehr-studio-bridge/dist/twilio/${f}`);
  assert.ok(modules.length > 0, 'dist/twilio/*.cjs shipped');
  const config = {
    compilerOptions: {
      ...common,
      allowJs: true,
      checkJs: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      lib: ['es2022', 'dom'],
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      skipLibCheck: true,
    },
    files: [
      'node_modules/ehr-studio-bridge/dist/twilio.cjs',
      ...modules,
      'node_modules/ehr-studio-bridge/dist/cli.cjs',
      ...['engine', 'cli'].flatMap((sub) =>
        fs.readdirSync(path.join(dir, 'node_modules', 'ehr-studio-bridge', 'dist', sub))
          .filter((f) => f.endsWith('.cjs'))
          .map((f) => `node_modules/ehr-studio-bridge/dist/${sub}/${f}`),
      ),
    ],
  };
  fs.writeFileSync(tsconfig, JSON.stringify(config, null, 2));
  const r = spawnSync(process.execPath, [COMPILERS['typescript 5'], '-p', tsconfig], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});
