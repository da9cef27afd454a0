// @ts-check
// The profile panel: the profile typed or loaded by the user, checked and normalized by the
// package's Mapper (WebAssembly); its coded errors marked at their JSON pointer; presets.
'use strict';

(function (root) {
  /** @type {typeof import('ehr-studio-bridge')} */
  const api = root.ehrStudioBridge;
  const P = root.EhrPreview;
  const { state, ui } = /** @type {EhrPreviewPage} */ (P.page);
  const { $, h, showError, markJsonError } = /** @type {EhrPreviewDom} */ (P.dom);

  /**
   * @typedef {import('ehr-studio-bridge').Profile} Profile
   * @typedef {EhrPreviewError} CodedError
   */

  function refreshProfile() {
    const text = ui.profileEditor.value;
    const status = $('profile-status');
    const key = text.trim() === '' ? '{}' : text;
    if (state.mapperFor === key && state.mapper) return true;
    state.mapper?.free();
    state.mapper = null;
    state.mapperFor = null;
    state.profile = null;
    state.profileError = null;
    try {
      state.mapper = new api.Mapper(key);
      state.mapperFor = key;
      state.profile = state.mapper.profile;
      ui.profileEditor.setMarks([]);
      status.className = 'status ok';
      status.replaceChildren(h('span', { class: 'ok-badge', text: 'valid' }), ` ${describeProfile(/** @type {Profile} */ (state.profile))}`);
      $('profile-normalized').textContent = JSON.stringify(state.profile, null, 2);
      $('profile-error').hidden = true;
      return true;
    } catch (err) {
      const e = /** @type {CodedError} */ (err);
      const at = markJsonError(ui.profileEditor, e);
      state.profileError = { error: e, at };
      status.className = 'status bad';
      status.replaceChildren(h('span', { class: 'bad-badge', text: 'invalid' }));
      showError($('profile-error'), e, 'profile', at);
      $('profile-normalized').textContent = '';
      return false;
    }
  }

  /** @param {Profile} p */
  function describeProfile(p) {
    const bits = [`preset ${p.preset ?? 'generic'}`];
    if (p.sender?.timeZone) bits.push(p.sender.timeZone);
    if (p.studio?.flowSid) bits.push(`flow ${p.studio.flowSid.slice(0, 6)}…`);
    const reply = p.reply;
    if (reply?.hl7) bits.push(`replies → SRM (HL7 ${reply.hl7.version ?? '2.5.1'})`);
    if (reply?.fhir) bits.push(`replies → FHIR (${reply.fhir.style ?? 'json-patch'})`);
    return bits.join(' · ');
  }

  /** @param {string} name */
  function applyPreset(name) {
    let obj;
    try {
      obj = ui.profileEditor.value.trim() ? JSON.parse(ui.profileEditor.value) : {};
    } catch {
      showError($('profile-error'), { code: 'JSON_INVALID', message: 'fix the profile JSON before choosing a preset' }, 'profile');
      return;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) obj = {};
    const next = { preset: name, ...obj };
    next.preset = name;
    ui.profileEditor.value = `${JSON.stringify(next, null, 2)}\n`;
    P.schedule();
  }

  root.EhrPreview = Object.assign(root.EhrPreview ?? {}, { refreshProfile, applyPreset });
})(/** @type {any} */ (globalThis));
