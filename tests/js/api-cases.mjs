// @ts-check
// The public API, asserted the same way in every environment the package supports:
// Node `require`, Node `import` (Node 20 and 22) and headless Chromium (web build after `await init()`).
//
// This file is loaded by the probes in each environment, so it must stay plain, dependency-free
// ESM that also runs in a browser (no `node:` imports).
//
// To add an assertion, append a case:
//   { name, run: (api) => <JSON-serializable value>, expected: <value> }       deep-equal check
//   { name, run: (api) => { api.fn(badInput) }, throws: { code: 'HL7_NO_MSH' } } thrown-error check
// `throws` is matched as a subset of describeError(e) (so `name`, `instanceofError`, `code`,
// `position` … may be given). `run` may be async.

/** Named exports that every entry point (require, import, browser) must provide. */
export const EXPORTS = ['version', 'errorCodes'];

/** @typedef {Record<string, any>} Api */
/**
 * @typedef {{ name: string, run: (api: Api) => unknown, expected?: unknown, throws?: Record<string, unknown> }} Case
 */

/** @type {Case[]} */
export const cases = [
  {
    name: 'version() is the semver of the package',
    run: (api) => /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(api.version()),
    expected: true,
  },
  {
    name: 'errorCodes() lists unique SCREAMING_SNAKE codes',
    run: (api) => {
      const codes = api.errorCodes();
      return {
        isArray: Array.isArray(codes),
        nonEmpty: codes.length > 0,
        allStrings: codes.every((/** @type {unknown} */ c) => typeof c === 'string'),
        screamingSnake: codes.every((/** @type {string} */ c) => /^[A-Z][A-Z0-9_]*$/.test(c)),
        unique: new Set(codes).size === codes.length,
        hasKnown: ['EMPTY_INPUT', 'BAD_ARGUMENT', 'HL7_NO_MSH'].every((c) => codes.includes(c)),
      };
    },
    expected: { isArray: true, nonEmpty: true, allStrings: true, screamingSnake: true, unique: true, hasKnown: true },
  },
  {
    name: 'errorCodes() returns a fresh array on every call',
    run: (api) => {
      const a = api.errorCodes();
      a.push('MUTATED');
      return api.errorCodes().includes('MUTATED');
    },
    expected: false,
  },
];

/** A thrown value as plain data. @param {any} e */
export function describeError(e) {
  return {
    instanceofError: e instanceof Error,
    name: e?.name,
    code: e?.code,
    message: typeof e?.message === 'string' ? e.message : String(e),
    position: e?.position,
  };
}

/**
 * Run every case against `api`; returns plain data (safe to send out of a browser page).
 * @param {Api} api
 */
export async function runCases(api) {
  const results = [];
  for (const c of cases) {
    try {
      results.push({ name: c.name, value: await c.run(api) });
    } catch (e) {
      results.push({ name: c.name, thrown: describeError(e) });
    }
  }
  return {
    results,
    exportNames: Object.keys(api).sort(),
  };
}
