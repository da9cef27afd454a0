// @ts-check
// ehr-studio-bridge/twilio, the package and the profile: the wasm API (the npm glue, or the slim
// glue instantiated from a private asset), the profile (options, environment or asset), and one
// Mapper per profile, cached per warm container.
'use strict';

const fs = require('node:fs');
const { coded, str } = require('./runtime.cjs');

/** @typedef {import('./runtime.cjs').AdapterOptions} AdapterOptions */

/** Asset key of the .wasm when it is shipped as a private asset (`assets/ehr_studio_bridge_bg.private.wasm`). */
const DEFAULT_WASM_ASSET = '/ehr_studio_bridge_bg.wasm';

// ---- loading the package ----------------------------------------------------------------------

/** @type {any} */
let npmApi = null;

/**
 * The package API from the slim glue, instantiated from a private asset (synchronously, once per
 * container). `assetPath` is the key in `Runtime.getAssets()`.
 * @param {string} [assetPath]
 * @param {{ getAssets(): Record<string, { path: string }> }} [runtime]
 */
function loadApiFromAsset(assetPath = DEFAULT_WASM_ASSET, runtime) {
  const slim = require('../ehr_studio_bridge_slim.cjs');
  if (!slim.isInitialized()) {
    const rt = runtime ?? /** @type {any} */ (globalThis).Runtime;
    const asset = rt && typeof rt.getAssets === 'function' ? rt.getAssets()[assetPath] : undefined;
    if (!asset) {
      throw coded('CONFIG_WASM_ASSET_MISSING', `no private asset ${assetPath} (ship assets/<name>.private.wasm)`);
    }
    // asset.open() reads utf8 (it would corrupt the binary): read the path as bytes.
    slim.initSync({ module: fs.readFileSync(asset.path) });
  }
  return slim;
}

/** The package API this adapter uses (its own copy, for the default arguments). */
function packageApi() {
  if (!npmApi) npmApi = require('../ehr_studio_bridge.cjs');
  return npmApi;
}

/** @param {any} context @param {AdapterOptions} opts */
function apiFor(context, opts) {
  if (opts.api) return opts.api;
  const asset = str(context.EHR_BRIDGE_WASM_ASSET);
  if (asset) return loadApiFromAsset(asset);
  return packageApi();
}

// ---- profile and Mapper (cached per warm container) ---------------------------------------------

/** @type {Map<string, string>} */
const assetText = new Map();
/** @type {{ key: string, api: any, mapper: any, profile: any } | null} */
let cached = null;

/** @param {string} key */
function readAsset(key) {
  let text = assetText.get(key);
  if (text === undefined) {
    const rt = /** @type {any} */ (globalThis).Runtime;
    const asset = rt && typeof rt.getAssets === 'function' ? rt.getAssets()[key] : undefined;
    if (!asset) throw coded('CONFIG_PROFILE_ASSET_MISSING', `no private asset ${key}`);
    text = fs.readFileSync(asset.path, 'utf8');
    assetText.set(key, text);
  }
  return text;
}

/**
 * The profile object: options, then EHR_BRIDGE_PROFILE (JSON text), then EHR_BRIDGE_PROFILE_ASSET,
 * else the generic profile; STUDIO_FLOW_SID / TWILIO_PHONE_NUMBER override `studio`.
 * @param {any} context @param {AdapterOptions} opts
 */
async function profileFor(context, opts) {
  /** @type {unknown} */
  let p;
  if (opts.profile !== undefined) p = opts.profile;
  else if (opts.loadProfile) p = await opts.loadProfile(context);
  else if (str(context.EHR_BRIDGE_PROFILE)) p = context.EHR_BRIDGE_PROFILE;
  else if (str(context.EHR_BRIDGE_PROFILE_ASSET)) p = readAsset(context.EHR_BRIDGE_PROFILE_ASSET);
  else p = {};
  if (typeof p === 'string') {
    try {
      p = JSON.parse(p);
    } catch {
      throw coded('CONFIG_BAD_PROFILE', 'the profile is not valid JSON');
    }
  }
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw coded('CONFIG_BAD_PROFILE', 'the profile must be a JSON object');
  const obj = /** @type {Record<string, any>} */ (p);
  const flowSid = str(context.STUDIO_FLOW_SID);
  const from = str(context.TWILIO_PHONE_NUMBER);
  if (!flowSid && !from) return obj;
  return { ...obj, studio: { ...obj.studio, ...(flowSid ? { flowSid } : {}), ...(from ? { from } : {}) } };
}

/** One Mapper per (api, profile) per container; the previous one is freed when the profile changes. @param {any} api @param {object} profile */
function mapperFor(api, profile) {
  const key = JSON.stringify(profile);
  if (cached && cached.key === key && cached.api === api) return cached;
  const mapper = new api.Mapper(profile); // validates: PROFILE_* errors
  if (cached) {
    try {
      cached.mapper.free();
    } catch {
      // already freed
    }
  }
  cached = { key, api, mapper, profile: mapper.profile };
  return cached;
}

module.exports = { DEFAULT_WASM_ASSET, loadApiFromAsset, packageApi, apiFor, profileFor, mapperFor };
