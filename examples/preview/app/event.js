// @ts-check
// The event panel: what the input is (HL7 v2, FHIR, Redox, Table B JSON), its message tree, and the
// mapping itself (the profile's Mapper, WebAssembly) with the FHIR options; a mapping error is
// marked where it is in the text.
'use strict';

(function (root) {
  /** @type {typeof import('ehr-studio-bridge')} */
  const api = root.ehrStudioBridge;
  const P = root.EhrPreview;
  const { state, ui } = /** @type {EhrPreviewPage} */ (P.page);
  const { $, showError, clearError, utf16Offset, markJsonError } = /** @type {EhrPreviewDom} */ (P.dom);

  /** @typedef {EhrPreviewError} CodedError */

  /** FHIR map options from the options panel (invalid JSON there is shown, not passed). */
  function mapOptions() {
    /** @type {Record<string, unknown>} */
    const o = {};
    const read = (/** @type {any} */ editor, /** @type {string} */ box) => {
      const text = editor.value.trim();
      clearError($(box));
      editor.setMarks([]);
      if (!text) return undefined;
      try {
        return JSON.parse(text);
      } catch {
        const at = markJsonError(editor, {});
        showError($(box), { code: 'JSON_INVALID', message: 'not valid JSON: ignored' }, undefined, at);
        return undefined;
      }
    };
    const resources = read(ui.resourcesEditor, 'resources-error');
    if (resources !== undefined) o.resources = Array.isArray(resources) ? resources : [resources];
    const previous = read(ui.previousEditor, 'previous-error');
    if (previous !== undefined) o.previous = previous;
    const trigger = /** @type {HTMLInputElement} */ ($('trigger')).value.trim();
    if (trigger) o.trigger = trigger;
    return o;
  }

  function refreshEvent() {
    const text = ui.eventEditor.value;
    const box = $('error');
    clearError(box);
    state.result = null;
    state.request = null;
    state.tree = null;
    state.spans = null;
    state.kind = 'unknown';
    if (!text.trim()) {
      $('tree-card').hidden = false;
      setKind('', '');
      ui.treeView.show(null, '');
      $('tree-empty').hidden = false;
      return;
    }
    try {
      state.kind = api.detectInput(text);
    } catch (err) {
      showError(box, err, 'event');
      return;
    }
    describeKind(text);
    if (!state.mapper) {
      // Nothing can be mapped without a valid profile: repeat its coded error here.
      const pe = state.profileError;
      showError(box, pe?.error, 'profile (nothing is mapped until it is fixed)', pe?.at);
      return;
    }
    const options = mapOptions();
    try {
      if (state.profile?.studio?.flowSid) {
        const r = state.mapper.studioRequest(text, undefined, undefined, options);
        state.result = r.result;
        state.request = r.request;
      } else {
        state.result = state.mapper.map(text, options);
      }
    } catch (err) {
      const e = /** @type {CodedError} */ (err);
      let at = '';
      if (state.kind === 'hl7' && typeof e.position?.offset === 'number') {
        const start = utf16Offset(text, e.position.offset);
        ui.eventEditor.setMarks([{ start, end: Math.min(start + 1, text.length), cls: 'error' }]);
        ui.eventEditor.reveal('error');
        const lc = P.lineColumn(text, start);
        at = `line ${lc.line}, column ${lc.column}`;
      } else if (state.kind !== 'hl7' && state.kind !== 'unknown') {
        at = markJsonError(ui.eventEditor, e);
      }
      showError(box, e, 'event', at);
    }
  }

  /** @param {string} text */
  function describeKind(text) {
    $('tree-empty').hidden = true;
    $('tree-card').hidden = state.kind !== 'hl7';
    if (state.kind === 'hl7') {
      $('format-json').hidden = true;
      $('expand-all').hidden = $('collapse-all').hidden = false;
      try {
        state.tree = api.parseHl7(text);
        const t = state.tree;
        setKind('HL7 v2', [t.messageType, t.version && `v${t.version}`, t.charset].filter(Boolean).join(' · '));
        $('tree-title').textContent = `Message tree · ${t.segments.length} segments`;
        ui.treeView.show(t, text);
        const warnings = t.warnings.map((w) => `${w.code}: ${w.message}`);
        $('tree-warnings').textContent = warnings.join('\n');
      } catch (err) {
        ui.treeView.show(null, text);
        showError($('error'), err, 'HL7 tree');
      }
      return;
    }
    $('format-json').hidden = false;
    $('expand-all').hidden = $('collapse-all').hidden = true;
    ui.treeView.show(null, text);
    $('tree-warnings').textContent = '';
    const located = P.locateJson(text);
    state.spans = located.ok ? located.spans : null;
    $('tree-title').textContent = 'Message tree';
    /** @type {any} */
    let doc = null;
    try {
      doc = JSON.parse(text);
    } catch {
      doc = null;
    }
    const labels = /** @type {Record<string, string>} */ ({ fhir: 'FHIR', redox: 'Redox', tableB: 'Table B JSON', json: 'JSON (profile mapping)', unknown: 'unknown' });
    let detail = '';
    if (doc && state.kind === 'fhir') detail = [doc.resourceType, doc.type].filter(Boolean).join(' · ');
    if (doc && state.kind === 'redox') detail = [doc.Meta?.DataModel, doc.Meta?.EventType].filter(Boolean).join(' · ');
    setKind(labels[state.kind] ?? state.kind, detail);
  }

  /** @param {string} kind @param {string} detail */
  function setKind(kind, detail) {
    const el = $('kind');
    el.textContent = kind ? `${kind}${detail ? ` · ${detail}` : ''}` : '';
    el.dataset.kind = state.kind;
    el.hidden = !kind;
  }

  root.EhrPreview = Object.assign(root.EhrPreview ?? {}, { refreshEvent });
})(/** @type {any} */ (globalThis));
