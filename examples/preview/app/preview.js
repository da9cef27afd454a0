// @ts-check
// The preview page: wires the editors, the package's web build (all mapping, validation and reply
// building happen in WebAssembly) and the flow emulation (flow.js) together. Nothing is sent or
// stored: no request leaves the page (its Content-Security-Policy allows none), nothing is written
// to storage.
//
// This file loads the WebAssembly, files and samples, refreshes the panels once per frame and
// starts the page; the panels are page.js (shared state, DOM helpers, errors), profile.js, event.js,
// result.js, sms.js and reply.js (index.html loads them in that order, this file last).
'use strict';

(function (root) {
  /** @type {typeof import('ehr-studio-bridge')} */
  const api = root.ehrStudioBridge;
  const P = root.EhrPreview;
  /** @type {{ samples: { id: string, group: string, label: string, text: string, licence: string, source: string }[], flow: { text: string, label: string }, profile: string }} */
  const DATA = root.EHR_PREVIEW_DATA;
  const { state, ui } = /** @type {EhrPreviewPage} */ (P.page);
  const { $, h, showError, clearError, markJsonError } = /** @type {EhrPreviewDom} */ (P.dom);

  /** @typedef {import('ehr-studio-bridge').MapResult} MapResult */

  const MAX_FILE_BYTES = 8 << 20;

  // ---- loading the WebAssembly -------------------------------------------------------------

  /** @param {string} src */
  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src;
      s.onload = () => resolve(undefined);
      s.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.append(s);
    });
  }

  /** Over http(s) the .wasm is streamed; from file:// (no fetch there) it comes base64 in a script. */
  async function loadWasm() {
    if (location.protocol === 'file:') {
      await loadScript('vendor/ehr_studio_bridge_bg.wasm.js');
      const b64 = /** @type {string} */ (root.EHR_STUDIO_BRIDGE_WASM_BASE64);
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      await api.default({ module_or_path: bytes });
    } else {
      await api.default({ module_or_path: new URL('vendor/ehr_studio_bridge_bg.wasm', location.href) });
    }
  }

  // ---- files, samples, flow -----------------------------------------------------------------------

  /**
   * A file's text: UTF-8 when it is valid UTF-8, else Windows-1252/Latin-1 (the HL7 default
   * for MSH-18 8859/1). Returns the text and how it was decoded.
   * @param {File} file
   */
  async function readText(file) {
    if (file.size > MAX_FILE_BYTES) throw Object.assign(new Error(`the file is larger than ${MAX_FILE_BYTES >> 20} MB`), { code: 'PREVIEW_FILE_TOO_LARGE' });
    const bytes = new Uint8Array(await file.arrayBuffer());
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), note: '' };
    } catch {
      return { text: new TextDecoder('windows-1252').decode(bytes), note: ' (not UTF-8: read as Latin-1)' };
    }
  }

  /** @param {File} file @param {'event' | 'profile' | 'flow' | 'auto'} target */
  async function loadFile(file, target) {
    let read;
    try {
      read = await readText(file);
    } catch (e) {
      showError($('error'), e, file.name);
      return;
    }
    let where = target;
    if (where === 'auto') {
      where = 'event';
      try {
        const doc = JSON.parse(read.text);
        if (doc && Array.isArray(doc.states) && 'initial_state' in doc) where = 'flow';
      } catch {
        where = 'event';
      }
    }
    if (where === 'flow') return setFlow(read.text, file.name);
    if (where === 'profile') {
      ui.profileEditor.value = read.text;
    } else {
      ui.eventEditor.value = read.text;
      /** @type {HTMLSelectElement} */ ($('sample')).value = '';
      $('loaded').textContent = `${file.name}${read.note}`;
    }
    schedule();
  }

  /** @param {string} text @param {string} label */
  function setFlow(text, label) {
    const box = $('flow-error');
    clearError(box);
    const located = P.locateJson(text);
    if (!located.ok) {
      const { line, column } = P.lineColumn(text, located.offset);
      showError(box, { code: 'JSON_INVALID', message: `the flow file is not valid JSON: ${located.message}` }, label, `line ${line}, column ${column}`);
      return;
    }
    try {
      const runner = new P.FlowRunner(JSON.parse(text));
      state.runner = runner;
      state.variables = {};
      const vars = $('flow-vars');
      vars.replaceChildren(
        ...Object.entries(runner.variables()).map(([k, v]) => {
          const input = /** @type {HTMLInputElement} */ (h('input', { id: `var-${k}`, value: v, spellcheck: 'false' }));
          input.addEventListener('input', () => {
            state.variables[k] = input.value;
            schedule();
          });
          return h('label', {}, [h('span', { text: k }), input]);
        }),
      );
      $('flow-label').textContent = label;
    } catch (e) {
      showError(box, { code: 'PREVIEW_FLOW_INVALID', message: e instanceof Error ? e.message : String(e) }, label);
    }
    schedule();
  }

  /** @param {HTMLElement} zone @param {'event' | 'profile' | 'flow' | 'auto'} target */
  function dropZone(zone, target) {
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      e.stopPropagation();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      e.stopPropagation();
      zone.classList.remove('dragging');
      const file = e.dataTransfer?.files?.[0];
      if (file) loadFile(file, target);
    });
  }

  /** @param {string} inputId @param {string} buttonId @param {'event' | 'profile' | 'flow' | 'auto'} target */
  function filePicker(inputId, buttonId, target) {
    const input = /** @type {HTMLInputElement} */ ($(inputId));
    $(buttonId).addEventListener('click', () => input.click());
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (file) loadFile(file, target);
      input.value = '';
    });
  }

  /** @param {string} id */
  function loadSample(id) {
    const s = DATA.samples.find((x) => x.id === id);
    if (!s) return;
    ui.eventEditor.value = s.text;
    $('loaded').textContent = `${s.label} — ${s.licence}, ${s.source}`;
    state.selected = null;
    schedule();
  }

  // ---- refresh --------------------------------------------------------------------------------

  let pending = 0;
  function schedule() {
    if (pending) return;
    pending = requestAnimationFrame(() => {
      pending = 0;
      refresh();
    });
  }

  function refresh() {
    const t0 = performance.now();
    P.refreshProfile();
    P.refreshEvent();
    const t1 = performance.now();
    P.renderResult();
    P.renderSms();
    if (state.selected && !state.result?.provenance?.[/** @type {keyof MapResult['provenance']} */ (state.selected)]) state.selected = null;
    P.showSource();
    P.renderReply();
    const t2 = performance.now();
    $('timing').textContent = `event parsed, mapped and its tree built in ${(t1 - t0).toFixed(1)} ms · panels updated in ${(t2 - t1).toFixed(1)} ms`;
    document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? 0) + 1);
  }

  // ---- start ----------------------------------------------------------------------------------------

  async function boot() {
    try {
      await loadWasm();
    } catch (e) {
      showError($('error'), { code: 'PREVIEW_WASM_LOAD_FAILED', message: e instanceof Error ? e.message : String(e) }, 'startup');
      document.body.dataset.ready = 'failed';
      return;
    }
    $('version').textContent = `ehr-studio-bridge ${api.version()}`;
    ui.eventEditor = new P.CodeArea($('event-editor'), { label: 'EHR event', placeholder: 'Paste an HL7 v2 SIU message, a FHIR Appointment / Bundle / notification, a Redox Scheduling message or Table B JSON — or drop a file here.' });
    ui.profileEditor = new P.CodeArea($('profile-editor'), { label: 'Profile (JSON)' });
    ui.replyEditor = new P.CodeArea($('reply-editor'), { label: 'Reply body', placeholder: 'The body the flow POSTs to IE_ENDPOINT: pick a reply above, or paste one.' });
    ui.resourcesEditor = new P.CodeArea($('resources-editor'), { label: 'Read-back resources', placeholder: '[ { "resourceType": "Appointment", … } ]' });
    ui.previousEditor = new P.CodeArea($('previous-editor'), { label: 'Previous snapshot', placeholder: '{ "resourceType": "Appointment", … }' });
    ui.currentEditor = new P.CodeArea($('current-editor'), { label: 'Appointment as read', placeholder: 'For read-then-write styles: the Appointment as read (or { resource, etag }).' });
    ui.treeView = new P.Hl7TreeView($('tree'), { onPick: P.pickTreeNode });

    const sampleSelect = /** @type {HTMLSelectElement} */ ($('sample'));
    /** @type {Map<string, HTMLElement>} */
    const groups = new Map();
    for (const s of DATA.samples) {
      let g = groups.get(s.group);
      if (!g) {
        g = h('optgroup', { label: s.group });
        groups.set(s.group, g);
        sampleSelect.append(g);
      }
      g.append(h('option', { value: s.id, text: s.label, title: `${s.licence} — ${s.source}` }));
    }
    sampleSelect.addEventListener('change', () => loadSample(sampleSelect.value));

    const presetSelect = /** @type {HTMLSelectElement} */ ($('preset'));
    for (const p of api.presets()) presetSelect.append(h('option', { value: p.name, text: p.name, title: p.description }));
    presetSelect.addEventListener('change', () => {
      if (presetSelect.value) P.applyPreset(presetSelect.value);
      const p = api.presets().find((x) => x.name === presetSelect.value);
      $('preset-description').textContent = p ? p.description : '';
      presetSelect.value = '';
    });

    ui.eventEditor.onInput(() => {
      $('loaded').textContent = '';
      schedule();
    });
    ui.eventEditor.onCaret(P.caretMoved);
    ui.profileEditor.onInput(schedule);
    ui.resourcesEditor.onInput(schedule);
    ui.previousEditor.onInput(schedule);
    ui.currentEditor.onInput(P.renderReply);
    $('trigger').addEventListener('input', schedule);
    ui.replyEditor.onInput(P.renderReply);
    $('format-json').addEventListener('click', () => {
      try {
        ui.eventEditor.value = `${JSON.stringify(JSON.parse(ui.eventEditor.value), null, 2)}\n`;
        schedule();
      } catch (e) {
        markJsonError(ui.eventEditor, {});
      }
    });
    $('clear-event').addEventListener('click', () => {
      ui.eventEditor.value = '';
      $('loaded').textContent = '';
      schedule();
    });
    $('expand-all').addEventListener('click', () => ui.treeView.expandSegments(true));
    $('collapse-all').addEventListener('click', () => ui.treeView.expandSegments(false));
    for (const b of document.querySelectorAll('[data-sms-mode]')) {
      b.addEventListener('click', () => {
        state.smsMode = /** @type {'event' | 'all'} */ (/** @type {HTMLElement} */ (b).dataset.smsMode);
        for (const o of document.querySelectorAll('[data-sms-mode]')) o.setAttribute('aria-pressed', String(o === b));
        P.renderSms();
      });
    }
    $('reset-flow').addEventListener('click', () => setFlow(DATA.flow.text, DATA.flow.label));
    $('sig-form').addEventListener('submit', (e) => {
      e.preventDefault();
      P.verifySignature();
    });
    filePicker('file', 'open-file', 'auto');
    filePicker('profile-file', 'open-profile', 'profile');
    filePicker('flow-file', 'open-flow', 'flow');
    dropZone($('event-card'), 'auto');
    dropZone($('profile-card'), 'profile');
    dropZone($('sms-card'), 'flow');
    // A file dropped anywhere else must not replace the page.
    document.addEventListener('dragover', (e) => e.preventDefault());
    document.addEventListener('drop', (e) => {
      e.preventDefault();
      const file = e.dataTransfer?.files?.[0];
      if (file) loadFile(file, 'auto');
    });

    ui.profileEditor.value = DATA.profile;
    setFlow(DATA.flow.text, DATA.flow.label);
    const first = DATA.samples[0];
    sampleSelect.value = first.id;
    loadSample(first.id);
    refresh();
    document.body.dataset.ready = 'true';
  }

  root.EhrPreview = Object.assign(root.EhrPreview ?? {}, { schedule });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})(/** @type {any} */ (globalThis));
