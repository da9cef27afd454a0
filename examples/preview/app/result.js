// @ts-check
// The mapped values and where each came from: the outcome, the 14 Studio parameters with their
// provenance, warnings, the Studio request; selecting a value highlights its source in the message
// text and tree, the read-back resources or the profile. Clicks in the tree and the caret in the
// event editor say which path they are on.
'use strict';

(function (root) {
  /** @type {typeof import('ehr-studio-bridge')} */
  const api = root.ehrStudioBridge;
  const P = root.EhrPreview;
  const { state, ui } = /** @type {EhrPreviewPage} */ (P.page);
  const { $, h, describePosition } = /** @type {EhrPreviewDom} */ (P.dom);

  const TABLE_B = [
    'event_type', 'event_datetime_utc', 'patient_id', 'patient_first_name', 'patient_last_name', 'patient_phone',
    'provider_id', 'provider_first_name', 'provider_last_name', 'provider_callback_phone', 'appointment_location',
    'appointment_id', 'appointment_datetime', 'appointment_timezone',
  ];
  const HL7_PATH = /^[A-Z][A-Z0-9]{2}(\[\d+\])?[-.]\d/;

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
      outcome.textContent = ui.eventEditor.value.trim() ? 'No result (see the error above)' : 'Choose a sample, open or drop a file, or paste an event';
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
    for (const editor of [ui.eventEditor, ui.resourcesEditor, ui.profileEditor]) editor.setMarks(editor.marks.filter((/** @type {any} */ m) => m.cls === 'error'));
    ui.treeView.reveal(null);
    if (!key || !r) {
      detail.textContent = '';
      return;
    }
    const p = r.provenance[/** @type {keyof typeof r.provenance} */ (key)];
    if (!p) {
      detail.textContent = `${key}: no provenance`;
      return;
    }
    const text = ui.eventEditor.value;
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
        ui.eventEditor.setMarks([...ui.eventEditor.marks, { start, end, cls: 'hit', title: `${key} ← ${p.source}` }]);
        ui.eventEditor.reveal('hit');
        const node = ui.treeView.reveal(hit.range);
        const lc = P.lineColumn(text, start);
        where = `${p.source} at line ${lc.line}, column ${lc.column}${node ? ` (tree: ${node.label})` : ''}`;
      } else {
        where = `${p.source} is not in the message`;
      }
    } else if (p.source.startsWith('/') && state.spans) {
      const span = state.spans.get(p.source);
      if (span) {
        ui.eventEditor.setMarks([...ui.eventEditor.marks, { start: span.start, end: span.end, cls: 'hit', title: `${key} ← ${p.source}` }]);
        ui.eventEditor.reveal('hit');
        const lc = P.lineColumn(text, span.start);
        where = `${p.source} at line ${lc.line}, column ${lc.column}`;
      } else where = `${p.source} (not found in the text)`;
    } else if (p.source.startsWith('options.resources')) {
      const located = P.locateJson(ui.resourcesEditor.value);
      const raw = p.source.slice('options.resources'.length);
      const arrayText = ui.resourcesEditor.value.trim().startsWith('[');
      const pointer = arrayText ? raw : raw.replace(/^\/0(?=\/|$)/, '');
      const span = located.ok ? located.spans.get(pointer) : undefined;
      if (span) {
        ui.resourcesEditor.setMarks([...ui.resourcesEditor.marks, { start: span.start, end: span.end, cls: 'hit' }]);
        ui.resourcesEditor.reveal('hit');
        /** @type {HTMLDetailsElement} */ ($('options')).open = true;
        where = `${p.source} in the read-back resources`;
      } else where = p.source;
    } else if (p.source.startsWith('profile.')) {
      const pointer = `/${p.source.slice('profile.'.length).split('.').map(P.escapeToken).join('/')}`;
      const located = P.locateJson(ui.profileEditor.value);
      const span = located.ok ? located.spans.get(pointer) : undefined;
      if (span) {
        ui.profileEditor.setMarks([...ui.profileEditor.marks, { start: span.start, end: span.end, cls: 'hit' }]);
        ui.profileEditor.reveal('hit');
        where = `${p.source} in the profile`;
      } else where = `${p.source} (from the preset or the built-in defaults: not in the profile text)`;
    } else {
      where = p.source === 'default' ? 'a built-in default' : p.source === 'none' ? 'no source: the value is empty' : p.source;
    }
    detail.replaceChildren(h('strong', { text: key }), ` ← ${where}. Rule: ${p.rule}`);
  }

  /** A tree node was clicked: highlight it in the text, select the value it feeds (if any). @param {any} node */
  function pickTreeNode(node) {
    const text = ui.eventEditor.value;
    const [start, end] = node.range;
    ui.eventEditor.setMarks([...ui.eventEditor.marks.filter((/** @type {any} */ m) => m.cls === 'error'), { start, end, cls: 'pick' }]);
    ui.eventEditor.reveal('pick');
    ui.treeView.reveal(node.range);
    const lc = P.lineColumn(text, start);
    $('caret').textContent = `${node.label} · line ${lc.line}, column ${lc.column}${node.value !== undefined ? ` · ${JSON.stringify(node.value).slice(0, 80)}` : ''}`;
    const feeds = Object.entries(state.result?.provenance ?? {}).filter(([, p]) => p && p.source === node.label).map(([k]) => k);
    $('source-detail').textContent = feeds.length ? `${node.label} feeds ${feeds.join(', ')}` : `${node.label} feeds no Studio parameter`;
  }

  /** The caret moved in the event editor: say where it is (HL7 path or JSON pointer). @param {number} offset */
  function caretMoved(offset) {
    const text = ui.eventEditor.value;
    const lc = P.lineColumn(text, offset);
    let where = '';
    if (state.tree) {
      const node = ui.treeView.find(offset, offset);
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

  root.EhrPreview = Object.assign(root.EhrPreview ?? {}, { renderResult, select, showSource, pickTreeNode, caretMoved });
})(/** @type {any} */ (globalThis));
