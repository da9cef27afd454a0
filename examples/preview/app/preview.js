// @ts-check
// The preview page: wires the editors, the package's web build (all mapping, validation and reply
// building happen in WebAssembly) and the flow emulation (flow.js) together. Nothing is sent or
// stored: no request leaves the page (its Content-Security-Policy allows none), nothing is written
// to storage.
'use strict';

(function (root) {
  /** @type {typeof import('ehr-studio-bridge')} */
  const api = root.ehrStudioBridge;
  const P = root.EhrPreview;
  /** @type {{ samples: { id: string, group: string, label: string, text: string, licence: string, source: string }[], flow: { text: string, label: string }, profile: string }} */
  const DATA = root.EHR_PREVIEW_DATA;

  /**
   * @typedef {import('ehr-studio-bridge').MapResult} MapResult
   * @typedef {import('ehr-studio-bridge').StudioRequest} StudioRequest
   * @typedef {import('ehr-studio-bridge').Hl7Tree} Hl7Tree
   * @typedef {import('ehr-studio-bridge').Profile} Profile
   * @typedef {import('ehr-studio-bridge').ErrorPosition} ErrorPosition
   * @typedef {{ code?: string, message?: string, position?: ErrorPosition }} CodedError
   */

  const TABLE_B = [
    'event_type', 'event_datetime_utc', 'patient_id', 'patient_first_name', 'patient_last_name', 'patient_phone',
    'provider_id', 'provider_first_name', 'provider_last_name', 'provider_callback_phone', 'appointment_location',
    'appointment_id', 'appointment_datetime', 'appointment_timezone',
  ];
  const HL7_PATH = /^[A-Z][A-Z0-9]{2}(\[\d+\])?[-.]\d/;
  const MAX_FILE_BYTES = 8 << 20;

  /** @param {string} id */
  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  /**
   * @param {string} tag @param {Record<string, string>} [attrs] @param {(Node | string | null | undefined | false)[]} [children]
   * @returns {HTMLElement}
   */
  function h(tag, attrs = {}, children = []) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }

  const state = {
    kind: /** @type {string} */ ('unknown'),
    /** @type {Hl7Tree | null} */
    tree: null,
    /** @type {Map<string, { start: number, end: number, keyStart?: number, keyEnd?: number }> | null} */
    spans: null,
    /** @type {MapResult | null} */
    result: null,
    /** @type {StudioRequest | null} */
    request: null,
    /** @type {import('ehr-studio-bridge').Mapper | null} */
    mapper: null,
    mapperFor: /** @type {string | null} */ (null),
    /** @type {Profile | null} */
    profile: null,
    /** @type {{ error: CodedError, at: string } | null} */
    profileError: null,
    /** @type {string | null} */
    selected: null,
    smsMode: /** @type {'event' | 'all'} */ ('event'),
    /** @type {any} */
    runner: null,
    /** @type {Record<string, string>} */
    variables: {},
    replyContentType: 'application/json;charset=utf-8',
    /** @type {{ label: string, body: string, contentType: string, url: string, method: string }[]} */
    replyChoices: [],
  };

  /** @type {any} */ let eventEditor;
  /** @type {any} */ let profileEditor;
  /** @type {any} */ let replyEditor;
  /** @type {any} */ let resourcesEditor;
  /** @type {any} */ let previousEditor;
  /** @type {any} */ let currentEditor;
  /** @type {any} */ let treeView;

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

  // ---- errors ---------------------------------------------------------------------------------

  /** A coded error as one line: `CODE at position — message`. @param {CodedError} e */
  function describePosition(e) {
    const p = e.position;
    if (!p) return '';
    const bits = [];
    if (p.segment) bits.push(`${p.segment}${p.field ? `-${p.field}` : ''}${p.repetition ? `[${p.repetition}]` : ''}${p.component ? `.${p.component}` : ''}`);
    if (p.segmentIndex) bits.push(`segment ${p.segmentIndex}`);
    if (p.pointer !== undefined) bits.push(`pointer ${p.pointer === '' ? '(root)' : p.pointer}`);
    if (p.offset !== undefined) bits.push(`byte ${p.offset}`);
    return bits.join(', ');
  }

  /**
   * Show a coded error in `box`: its code, where it is, its message (which never contains input
   * values). `extra` adds the editor location (line/column) when known.
   * @param {HTMLElement} box @param {unknown} err @param {string} [where] @param {string} [extra]
   */
  function showError(box, err, where, extra) {
    const e = /** @type {CodedError} */ (err ?? {});
    const code = typeof e.code === 'string' ? e.code : 'ERROR';
    const message = String(e.message ?? err).replace(new RegExp(`^${code}: `), '');
    const pos = [describePosition(e), extra].filter(Boolean).join(' · ');
    box.hidden = false;
    box.replaceChildren(
      ...[
        h('span', { class: 'code-badge', text: code }),
        where ? h('span', { class: 'where', text: where }) : null,
        pos ? h('span', { class: 'pos', text: pos }) : null,
        h('span', { class: 'msg', text: message }),
      ].filter((x) => x !== null),
    );
    box.dataset.code = code;
  }

  /** @param {HTMLElement} box */
  function clearError(box) {
    box.hidden = true;
    box.replaceChildren();
    box.dataset.code = '';
  }

  /** UTF-16 offset of a UTF-8 byte offset in `text`. @param {string} text @param {number} bytes */
  function utf16Offset(text, bytes) {
    let b = 0;
    let i = 0;
    while (i < text.length && b < bytes) {
      const cp = /** @type {number} */ (text.codePointAt(i));
      b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      i += cp > 0xffff ? 2 : 1;
    }
    return i;
  }

  /**
   * Mark where a JSON error is: at its pointer (the key for an unknown key, else the value), or
   * at the syntax error. Returns "line L, column C" for the message, or "".
   * @param {any} editor @param {CodedError} e
   */
  function markJsonError(editor, e) {
    const text = editor.value;
    const located = P.locateJson(text);
    let start = -1;
    let end = -1;
    if (!located.ok) {
      start = located.offset;
      end = Math.min(located.offset + 1, text.length);
      if (text[start] === '\n') end = start;
    } else if (typeof e.position?.pointer === 'string') {
      const span = located.spans.get(e.position.pointer);
      if (span) {
        const onKey = e.code === 'PROFILE_UNKNOWN_KEY' && span.keyStart !== undefined;
        start = onKey ? /** @type {number} */ (span.keyStart) : span.start;
        end = onKey ? /** @type {number} */ (span.keyEnd) : e.position.pointer === '' ? span.start + 1 : span.end;
      }
    }
    if (start < 0) {
      editor.setMarks([]);
      return '';
    }
    editor.setMarks([{ start, end, cls: 'error', title: `${e.code}` }]);
    editor.reveal('error');
    const { line, column } = P.lineColumn(text, start);
    return `line ${line}, column ${column}`;
  }

  // ---- the profile --------------------------------------------------------------------------

  function refreshProfile() {
    const text = profileEditor.value;
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
      profileEditor.setMarks([]);
      status.className = 'status ok';
      status.replaceChildren(h('span', { class: 'ok-badge', text: 'valid' }), ` ${describeProfile(/** @type {Profile} */ (state.profile))}`);
      $('profile-normalized').textContent = JSON.stringify(state.profile, null, 2);
      $('profile-error').hidden = true;
      return true;
    } catch (err) {
      const e = /** @type {CodedError} */ (err);
      const at = markJsonError(profileEditor, e);
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
      obj = profileEditor.value.trim() ? JSON.parse(profileEditor.value) : {};
    } catch {
      showError($('profile-error'), { code: 'JSON_INVALID', message: 'fix the profile JSON before choosing a preset' }, 'profile');
      return;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) obj = {};
    const next = { preset: name, ...obj };
    next.preset = name;
    profileEditor.value = `${JSON.stringify(next, null, 2)}\n`;
    schedule();
  }

  // ---- the event ----------------------------------------------------------------------------

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
    const resources = read(resourcesEditor, 'resources-error');
    if (resources !== undefined) o.resources = Array.isArray(resources) ? resources : [resources];
    const previous = read(previousEditor, 'previous-error');
    if (previous !== undefined) o.previous = previous;
    const trigger = /** @type {HTMLInputElement} */ ($('trigger')).value.trim();
    if (trigger) o.trigger = trigger;
    return o;
  }

  function refreshEvent() {
    const text = eventEditor.value;
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
      treeView.show(null, '');
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
        eventEditor.setMarks([{ start, end: Math.min(start + 1, text.length), cls: 'error' }]);
        eventEditor.reveal('error');
        const lc = P.lineColumn(text, start);
        at = `line ${lc.line}, column ${lc.column}`;
      } else if (state.kind !== 'hl7' && state.kind !== 'unknown') {
        at = markJsonError(eventEditor, e);
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
        treeView.show(t, text);
        const warnings = t.warnings.map((w) => `${w.code}: ${w.message}`);
        $('tree-warnings').textContent = warnings.join('\n');
      } catch (err) {
        treeView.show(null, text);
        showError($('error'), err, 'HL7 tree');
      }
      return;
    }
    $('format-json').hidden = false;
    $('expand-all').hidden = $('collapse-all').hidden = true;
    treeView.show(null, text);
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

  // ---- the mapped values --------------------------------------------------------------------

  function renderResult() {
    const r = state.result;
    const outcome = $('outcome');
    const body = /** @type {HTMLTableSectionElement} */ ($('values').querySelector('tbody'));
    body.replaceChildren();
    $('warnings').replaceChildren();
    $('ids').textContent = '';
    $('needs-fetch').replaceChildren();
    $('needs-fetch').hidden = true;
    $('warnings-count').textContent = String(r?.warnings.length ?? 0);
    if (!r) {
      $('values').hidden = true;
      outcome.className = 'outcome none';
      outcome.textContent = eventEditor.value.trim() ? 'No result (see the error above)' : 'Choose a sample, open or drop a file, or paste an event';
      renderRequest();
      return;
    }
    if (r.event) {
      outcome.className = 'outcome event';
      outcome.replaceChildren(
        h('span', { class: 'etype', text: r.event.event_type }),
        h('span', { text: state.request ? ` → Studio execution to ${state.request.form.To}` : ' → would start a Studio execution (add a "studio" section to the profile for the request)' }),
      );
    } else if (r.skip) {
      outcome.className = r.skip.code === 'NEEDS_FETCH' ? 'outcome fetch' : 'outcome skip';
      const fetch = r.skip.code === 'NEEDS_FETCH';
      outcome.replaceChildren(
        h('span', { class: 'etype', text: fetch ? 'NEEDS_FETCH' : 'NOT SENT' }),
        h('span', { text: ` ${fetch ? '' : `${r.skip.code}: `}${r.skip.reason}${r.skip.rule ? ` (${r.skip.rule})` : ''}` }),
      );
    }
    if (r.needsFetch) {
      const box = $('needs-fetch');
      box.hidden = false;
      box.append(
        h('p', { text: 'Read these resources from the EHR and paste them (a JSON array, or a Bundle) under "FHIR options → Read-back resources":' }),
        h('ul', {}, r.needsFetch.resources.map((f) => h('li', {}, [h('code', { text: `GET ${f.reference}` }), ` — ${f.purpose}${f.required ? '' : ' (optional)'}`]))),
      );
    }
    const values = r.event ?? r.draft;
    $('values').hidden = !values;
    /** @type {Map<string, string[]>} */
    const warned = new Map();
    for (const w of r.warnings) if (w.field) warned.set(w.field, [...(warned.get(w.field) ?? []), w.code]);
    if (values) {
      $('values').classList.toggle('draft', !r.event);
      for (const key of TABLE_B) {
        const value = /** @type {Record<string, string>} */ (/** @type {unknown} */ (values))[key] ?? '';
        const p = r.provenance[/** @type {keyof typeof r.provenance} */ (key)];
        const tr = h('tr', { 'data-key': key });
        if (warned.has(key)) {
          tr.classList.add('warned');
          tr.title = (warned.get(key) ?? []).join(', ');
        }
        if (state.selected === key) tr.classList.add('selected');
        const src = p ? h('button', { type: 'button', class: 'src', text: p.source }) : h('span', { class: 'muted', text: '—' });
        tr.append(
          h('td', { class: 'key', text: key }),
          h('td', { class: `value${value === '' ? ' empty' : ''}`, text: value }),
          h('td', { class: 'source' }, [src, h('div', { class: 'rule', text: p?.rule ?? '' })]),
        );
        tr.addEventListener('click', () => select(key));
        body.append(tr);
      }
    }
    $('warnings').replaceChildren(
      ...r.warnings.map((w) =>
        h('li', {}, [h('code', { text: w.code }), w.field ? h('span', { class: 'field', text: ` ${w.field}` }) : null, `: ${w.message}`, w.position ? h('span', { class: 'pos', text: ` (${describePosition(w)})` }) : null]),
      ),
    );
    $('ids').textContent = JSON.stringify({ ids: r.ids, idempotencyKey: r.idempotencyKey }, null, 2);
    renderRequest();
  }

  function renderRequest() {
    const req = state.request;
    const box = $('request');
    if (!req) {
      box.textContent = state.result?.event
        ? 'No request: the profile has no "studio" section (flowSid, from).'
        : 'No request: nothing is sent for this input.';
      $('curl').textContent = '';
      return;
    }
    const params = JSON.parse(req.form.Parameters);
    box.textContent = `${req.method} ${req.url}\n${Object.entries(req.headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n')}\n\nTo=${req.form.To}\nFrom=${req.form.From}\nParameters=${JSON.stringify(params, null, 2)}\n\nidempotency key ${req.idempotencyKey}`;
    $('curl').textContent = req.curl;
  }

  // ---- selection: where a value came from ---------------------------------------------------

  /** Select a Table B row: highlight its source in the message, the tree, or the profile. @param {string} key */
  function select(key) {
    state.selected = key;
    for (const tr of document.querySelectorAll('#values tr[data-key]')) tr.classList.toggle('selected', /** @type {HTMLElement} */ (tr).dataset.key === key);
    for (const s of document.querySelectorAll('.bubble .var')) s.classList.toggle('selected', /** @type {HTMLElement} */ (s).dataset.key === key);
    showSource();
  }

  function showSource() {
    const key = state.selected;
    const r = state.result;
    const detail = $('source-detail');
    // Error marks stay (until the text changes); selection marks are redrawn.
    for (const editor of [eventEditor, resourcesEditor, profileEditor]) editor.setMarks(editor.marks.filter((/** @type {any} */ m) => m.cls === 'error'));
    treeView.reveal(null);
    if (!key || !r) {
      detail.textContent = '';
      return;
    }
    const p = r.provenance[/** @type {keyof typeof r.provenance} */ (key)];
    if (!p) {
      detail.textContent = `${key}: no provenance`;
      return;
    }
    const text = eventEditor.value;
    /** @type {string} */
    let where = '';
    if (state.kind === 'hl7' && HL7_PATH.test(p.source)) {
      let hit = null;
      try {
        hit = api.queryHl7(text, p.source);
      } catch {
        hit = null;
      }
      if (hit) {
        const [start, end] = hit.range;
        eventEditor.setMarks([...eventEditor.marks, { start, end, cls: 'hit', title: `${key} ← ${p.source}` }]);
        eventEditor.reveal('hit');
        const node = treeView.reveal(hit.range);
        const lc = P.lineColumn(text, start);
        where = `${p.source} at line ${lc.line}, column ${lc.column}${node ? ` (tree: ${node.label})` : ''}`;
      } else {
        where = `${p.source} is not in the message`;
      }
    } else if (p.source.startsWith('/') && state.spans) {
      const span = state.spans.get(p.source);
      if (span) {
        eventEditor.setMarks([...eventEditor.marks, { start: span.start, end: span.end, cls: 'hit', title: `${key} ← ${p.source}` }]);
        eventEditor.reveal('hit');
        const lc = P.lineColumn(text, span.start);
        where = `${p.source} at line ${lc.line}, column ${lc.column}`;
      } else where = `${p.source} (not found in the text)`;
    } else if (p.source.startsWith('options.resources')) {
      const located = P.locateJson(resourcesEditor.value);
      const raw = p.source.slice('options.resources'.length);
      const arrayText = resourcesEditor.value.trim().startsWith('[');
      const pointer = arrayText ? raw : raw.replace(/^\/0(?=\/|$)/, '');
      const span = located.ok ? located.spans.get(pointer) : undefined;
      if (span) {
        resourcesEditor.setMarks([...resourcesEditor.marks, { start: span.start, end: span.end, cls: 'hit' }]);
        resourcesEditor.reveal('hit');
        /** @type {HTMLDetailsElement} */ ($('options')).open = true;
        where = `${p.source} in the read-back resources`;
      } else where = p.source;
    } else if (p.source.startsWith('profile.')) {
      const pointer = `/${p.source.slice('profile.'.length).split('.').map(P.escapeToken).join('/')}`;
      const located = P.locateJson(profileEditor.value);
      const span = located.ok ? located.spans.get(pointer) : undefined;
      if (span) {
        profileEditor.setMarks([...profileEditor.marks, { start: span.start, end: span.end, cls: 'hit' }]);
        profileEditor.reveal('hit');
        where = `${p.source} in the profile`;
      } else where = `${p.source} (from the preset or the built-in defaults: not in the profile text)`;
    } else {
      where = p.source === 'default' ? 'a built-in default' : p.source === 'none' ? 'no source: the value is empty' : p.source;
    }
    detail.replaceChildren(h('strong', { text: key }), ` ← ${where}. Rule: ${p.rule}`);
  }

  /** A tree node was clicked: highlight it in the text, select the value it feeds (if any). @param {any} node */
  function pickTreeNode(node) {
    const text = eventEditor.value;
    const [start, end] = node.range;
    eventEditor.setMarks([...eventEditor.marks.filter((/** @type {any} */ m) => m.cls === 'error'), { start, end, cls: 'pick' }]);
    eventEditor.reveal('pick');
    treeView.reveal(node.range);
    const lc = P.lineColumn(text, start);
    $('caret').textContent = `${node.label} · line ${lc.line}, column ${lc.column}${node.value !== undefined ? ` · ${JSON.stringify(node.value).slice(0, 80)}` : ''}`;
    const feeds = Object.entries(state.result?.provenance ?? {}).filter(([, p]) => p && p.source === node.label).map(([k]) => k);
    $('source-detail').textContent = feeds.length ? `${node.label} feeds ${feeds.join(', ')}` : `${node.label} feeds no Studio parameter`;
  }

  /** The caret moved in the event editor: say where it is (HL7 path or JSON pointer). @param {number} offset */
  function caretMoved(offset) {
    const text = eventEditor.value;
    const lc = P.lineColumn(text, offset);
    let where = '';
    if (state.tree) {
      const node = treeView.find(offset, offset);
      if (node) where = ` · ${node.label}`;
    } else if (state.spans) {
      let best = '';
      let bestSize = Infinity;
      for (const [ptr, s] of state.spans) {
        if (s.start <= offset && offset <= s.end && s.end - s.start < bestSize) {
          best = ptr;
          bestSize = s.end - s.start;
        }
      }
      if (best) where = ` · ${best}`;
    }
    $('caret').textContent = `line ${lc.line}, column ${lc.column}${where}`;
  }

  // ---- the SMS ------------------------------------------------------------------------------

  function flowInput() {
    const r = state.result;
    const data = r?.event ?? r?.draft;
    if (!data) return null;
    return {
      data: /** @type {Record<string, string>} */ (/** @type {unknown} */ ({ ...data })),
      from: state.profile?.studio?.from ?? '(profile.studio.from)',
      to: data.patient_phone,
      flowSid: state.profile?.studio?.flowSid ?? 'FW00000000000000000000000000000000',
      variables: state.variables,
    };
  }

  function renderSms() {
    const box = $('sms');
    box.replaceChildren();
    $('trace').replaceChildren();
    state.replyChoices = [];
    const input = flowInput();
    const r = state.result;
    box.classList.toggle('draft', !!input && !r?.event);
    if (!state.runner) {
      box.append(h('p', { class: 'muted', text: 'No flow loaded.' }));
      renderReplyChoices();
      return;
    }
    if (!input) {
      box.append(h('p', { class: 'muted', text: r?.skip ? `Nothing is sent (${r.skip.code}).` : 'Map an event to see the texts.' }));
      renderReplyChoices();
      return;
    }
    if (!r?.event) box.append(h('p', { class: 'draft-note', text: `Not sent (${r?.skip?.code}). Below: what the draft values would produce — for review only.` }));
    const types = state.smsMode === 'all' ? state.runner.eventTypes().filter((/** @type {string} */ t) => t !== 'REMIND') : [input.data.event_type];
    for (const type of types) {
      const trace = runFlow({ ...input, data: { ...input.data, event_type: type } });
      box.append(smsBlock(type, trace, type === input.data.event_type));
      if (type === input.data.event_type) {
        $('trace').append(...trace.steps.map((/** @type {any} */ s) => h('li', {}, [h('code', { text: s.widget }), ` ${s.type} → ${s.outcome}${s.note ? `: ${s.note}` : ''}`])), h('li', { class: 'end', text: trace.end }));
        addReplyChoices(trace);
      }
    }
    const remind = runFlow({ ...input, data: { ...input.data, event_type: 'REMIND' } });
    box.append(smsBlock('REMIND', remind, false, reminderNote(input.data)));
    addReplyChoices(remind);
    renderReplyChoices();
    if (state.selected) select(state.selected);
  }

  /**
   * One run of the flow. A template Liquid cannot parse (in a flow loaded by the user) becomes the
   * run's end, shown instead of the SMS: Studio would not send that message either.
   * @param {any} input
   */
  function runFlow(input) {
    try {
      return state.runner.run(input);
    } catch (e) {
      const what = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]}` : String(e);
      return { steps: [], messages: [], requests: [], replies: [], notes: [], end: `a Liquid template of the flow does not render (${what})` };
    }
  }

  /** @param {Record<string, string>} data */
  function reminderNote(data) {
    const s = P.reminderSchedule(data);
    if ('none' in s) return `Reminder Lambda: ${s.none}.`;
    const fmt = (/** @type {number} */ t) => new Date(t).toISOString().replace('T', ' ').replace(':00.000Z', ' UTC');
    return `Sent by the reminder Lambda (hourly), not by the EHR: 1st at the first run after 48 h before the appointment (${fmt(s.first)})${s.second ? `, 2nd at the next hourly run (${fmt(s.second)}: the Lambda checks the 48 h–24 h window, not how many were sent)` : ''}; appointment at ${fmt(s.appointmentUtc)}.`;
  }

  /**
   * One event type's outcome: its SMS (as a phone bubble with the substituted values marked), or
   * why nothing is sent.
   * @param {string} type @param {any} trace @param {boolean} current @param {string} [note]
   */
  function smsBlock(type, trace, current, note) {
    const block = h('div', { class: `sms-block${current ? ' current' : ''}`, 'data-event': type });
    const head = h('div', { class: 'sms-head' }, [h('span', { class: 'etype', text: type })]);
    block.append(head);
    if (trace.messages.length === 0) {
      block.append(h('p', { class: 'no-sms', text: `No SMS: ${trace.end}` }));
    }
    for (const m of trace.messages) {
      head.append(h('code', { class: 'widget', text: m.widget }));
      if (m.waitsForReply) head.append(h('span', { class: 'chip', text: `waits ${m.timeout ?? '?'} s for a reply` }));
      const bubble = h('div', { class: 'bubble', 'data-widget': m.widget });
      for (const part of m.parts) {
        if (part.key) {
          const span = h('span', { class: 'var', 'data-key': part.key, title: part.key.startsWith('flow.variables.') ? part.key : `flow.data.${part.key}`, text: part.text });
          if (!part.key.startsWith('flow.variables.')) span.addEventListener('click', () => select(part.key));
          bubble.append(span);
        } else bubble.append(part.text);
      }
      const size = P.smsSize(m.body);
      block.append(
        h('div', { class: 'phone' }, [
          h('div', { class: 'addr', text: `From ${m.from || '(no number)'} to ${m.to || '(no number)'}` }),
          bubble,
          h('div', { class: 'meta', text: `${size.characters} characters · ${size.encoding} · ${size.segments} segment${size.segments === 1 ? '' : 's'}` }),
        ]),
      );
    }
    for (const rp of trace.replies) {
      const call = rp.requests[0];
      let eventType = '';
      try {
        eventType = call ? JSON.parse(call.body).event_type : '';
      } catch {
        eventType = '(not valid JSON)';
      }
      block.append(
        h('div', { class: 'reply-path' }, [
          h('span', { class: 'chip', text: `reply "${rp.reply}"` }),
          call ? ` → ${call.widget} POSTs event_type "${eventType}" to IE_ENDPOINT` : ` → ${rp.end}`,
        ]),
      );
    }
    if (note) block.append(h('p', { class: 'note', text: note }));
    return block;
  }

  /** @param {any} trace */
  function addReplyChoices(trace) {
    const sms = trace.messages.find((/** @type {any} */ m) => m.waitsForReply);
    for (const rp of trace.replies) {
      const call = rp.requests[0];
      if (!call || !sms) continue;
      state.replyChoices.push({ label: `${rp.reply} to ${sms.widget}`, body: call.body, contentType: call.contentType, url: call.url, method: call.method });
    }
  }

  function renderReplyChoices() {
    const box = $('reply-choices');
    box.replaceChildren(
      ...state.replyChoices.map((c, i) => {
        const b = h('button', { type: 'button', 'data-choice': String(i), text: c.label });
        b.addEventListener('click', () => {
          replyEditor.value = c.body;
          state.replyContentType = c.contentType || 'application/json;charset=utf-8';
          $('reply-target').textContent = `${c.method} ${c.url} (Content-Type: ${state.replyContentType}), exactly these bytes:`;
          /** @type {HTMLInputElement} */ ($('sig-url')).value = c.url;
          for (const o of box.querySelectorAll('button')) o.classList.toggle('active', o === b);
          renderReply();
        });
        return b;
      }),
    );
    if (!state.replyChoices.length) box.append(h('span', { class: 'muted', text: 'Map an event to get the bodies the flow would POST; or paste one below.' }));
  }

  // ---- the reply path ---------------------------------------------------------------------------

  function renderReply() {
    const out = $('reply-result');
    const err = $('reply-error');
    clearError(err);
    out.replaceChildren();
    replyEditor.setMarks([]);
    const body = replyEditor.value;
    if (!body.trim()) return;
    const profileText = state.mapperFor ?? '{}';
    /** @type {any} */
    let reply;
    try {
      reply = api.parseReply(body, { contentType: state.replyContentType, profile: profileText });
    } catch (e) {
      showError(err, e, 'reply', markJsonError(replyEditor, /** @type {CodedError} */ (e)));
      return;
    }
    out.append(
      h('table', { class: 'kv' }, [
        ...[
          ['eventType', reply.eventType],
          ['appointmentId', reply.appointmentId],
          ['patientId', reply.patientId],
          ['providerId', reply.providerId],
          ['flowSid', reply.flowSid],
          ['sent by', reply.possibleWidgets.join(' or ') || '—'],
        ].map(([k, v]) => h('tr', {}, [h('th', { text: k }), h('td', { text: v })])),
      ]),
    );
    if (reply.warnings.length) {
      out.append(h('ul', { class: 'warnings' }, reply.warnings.map((/** @type {any} */ w) => h('li', {}, [h('code', { text: w.code }), `: ${w.message}`]))));
    }
    const cfg = state.profile?.reply;
    if (!cfg?.hl7 && !cfg?.fhir) {
      out.append(h('p', { class: 'muted', text: 'Add reply.hl7 (SRM^S03/S04) or reply.fhir to the profile to see the request to the EHR.' }));
    }
    if (cfg?.hl7) {
      try {
        const srm = api.replyToHl7(reply, profileText);
        const pre = h('pre', { class: 'srm', id: 'srm' });
        pre.dataset.message = srm;
        for (const seg of srm.split('\r').filter(Boolean)) pre.append(h('span', { class: 'seg' }, [h('b', { text: seg.slice(0, 3) }), seg.slice(3)]), '\n');
        out.append(h('h4', { text: `HL7 to the EHR: ${srm.split('\r')[0].split('|')[8] ?? ''}` }), pre);
      } catch (e) {
        const box = h('div', { class: 'error' });
        showError(box, e, 'SRM');
        out.append(box);
      }
    }
    if (cfg?.fhir) {
      try {
        const current = currentEditor.value.trim() ? JSON.parse(currentEditor.value) : undefined;
        const fr = api.replyToFhir(reply, profileText, current);
        const req = fr.request;
        const text = req
          ? `${req.method} ${req.url}\n${Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}${req.body !== undefined ? `\n\n${JSON.stringify(req.body, null, 2)}` : ''}`
          : `no request (${fr.reason ?? fr.action})`;
        out.append(
          h('h4', { text: `FHIR to the EHR: ${fr.action}${fr.needsRead ? ' — read the Appointment first, paste it under "Appointment as read", and the write appears' : ''}` }),
          h('pre', { class: 'fhir-request', id: 'fhir-request', text }),
        );
        if (fr.warnings.length) out.append(h('ul', { class: 'warnings' }, fr.warnings.map((w) => h('li', {}, [h('code', { text: w.code }), `: ${w.message}`]))));
      } catch (e) {
        const box = h('div', { class: 'error' });
        showError(box, e, 'FHIR request');
        out.append(box);
      }
    }
  }

  async function verifySignature() {
    const out = $('sig-result');
    try {
      const verdict = api.verifyTwilioSignature({
        authToken: /** @type {HTMLInputElement} */ ($('sig-token')).value,
        url: /** @type {HTMLInputElement} */ ($('sig-url')).value,
        signature: /** @type {HTMLInputElement} */ ($('sig-signature')).value || null,
        body: replyEditor.value,
      });
      out.className = verdict.valid ? 'ok' : 'bad';
      out.textContent = verdict.valid
        ? `valid (${verdict.mode}, URL form ${verdict.matchedUrlVariant})`
        : `not valid: ${verdict.reason ?? 'SIGNATURE_MISMATCH'} (${verdict.mode})`;
    } catch (e) {
      out.className = 'bad';
      showError(out, e, 'signature');
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
      profileEditor.value = read.text;
    } else {
      eventEditor.value = read.text;
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
    eventEditor.value = s.text;
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
    refreshProfile();
    refreshEvent();
    const t1 = performance.now();
    renderResult();
    renderSms();
    if (state.selected && !state.result?.provenance?.[/** @type {keyof MapResult['provenance']} */ (state.selected)]) state.selected = null;
    showSource();
    renderReply();
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
    eventEditor = new P.CodeArea($('event-editor'), { label: 'EHR event', placeholder: 'Paste an HL7 v2 SIU message, a FHIR Appointment / Bundle / notification, a Redox Scheduling message or Table B JSON — or drop a file here.' });
    profileEditor = new P.CodeArea($('profile-editor'), { label: 'Profile (JSON)' });
    replyEditor = new P.CodeArea($('reply-editor'), { label: 'Reply body', placeholder: 'The body the flow POSTs to IE_ENDPOINT: pick a reply above, or paste one.' });
    resourcesEditor = new P.CodeArea($('resources-editor'), { label: 'Read-back resources', placeholder: '[ { "resourceType": "Appointment", … } ]' });
    previousEditor = new P.CodeArea($('previous-editor'), { label: 'Previous snapshot', placeholder: '{ "resourceType": "Appointment", … }' });
    currentEditor = new P.CodeArea($('current-editor'), { label: 'Appointment as read', placeholder: 'For read-then-write styles: the Appointment as read (or { resource, etag }).' });
    treeView = new P.Hl7TreeView($('tree'), { onPick: pickTreeNode });

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
      if (presetSelect.value) applyPreset(presetSelect.value);
      const p = api.presets().find((x) => x.name === presetSelect.value);
      $('preset-description').textContent = p ? p.description : '';
      presetSelect.value = '';
    });

    eventEditor.onInput(() => {
      $('loaded').textContent = '';
      schedule();
    });
    eventEditor.onCaret(caretMoved);
    profileEditor.onInput(schedule);
    resourcesEditor.onInput(schedule);
    previousEditor.onInput(schedule);
    currentEditor.onInput(renderReply);
    $('trigger').addEventListener('input', schedule);
    replyEditor.onInput(renderReply);
    $('format-json').addEventListener('click', () => {
      try {
        eventEditor.value = `${JSON.stringify(JSON.parse(eventEditor.value), null, 2)}\n`;
        schedule();
      } catch (e) {
        markJsonError(eventEditor, {});
      }
    });
    $('clear-event').addEventListener('click', () => {
      eventEditor.value = '';
      $('loaded').textContent = '';
      schedule();
    });
    $('expand-all').addEventListener('click', () => treeView.expandSegments(true));
    $('collapse-all').addEventListener('click', () => treeView.expandSegments(false));
    for (const b of document.querySelectorAll('[data-sms-mode]')) {
      b.addEventListener('click', () => {
        state.smsMode = /** @type {'event' | 'all'} */ (/** @type {HTMLElement} */ (b).dataset.smsMode);
        for (const o of document.querySelectorAll('[data-sms-mode]')) o.setAttribute('aria-pressed', String(o === b));
        renderSms();
      });
    }
    $('reset-flow').addEventListener('click', () => setFlow(DATA.flow.text, DATA.flow.label));
    $('sig-form').addEventListener('submit', (e) => {
      e.preventDefault();
      verifySignature();
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

    profileEditor.value = DATA.profile;
    setFlow(DATA.flow.text, DATA.flow.label);
    const first = DATA.samples[0];
    sampleSelect.value = first.id;
    loadSample(first.id);
    refresh();
    document.body.dataset.ready = 'true';
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})(/** @type {any} */ (globalThis));
