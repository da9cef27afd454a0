// @ts-check
// What the preview page's own scripts share (app/profile.js, event.js, result.js, sms.js, reply.js
// and preview.js, loaded after this file): ONE object for the state, `EhrPreview.page`, and the DOM
// helpers and error display, `EhrPreview.dom`. Each script adds its functions to `EhrPreview`, as
// jsonpos.js, codearea.js, hl7tree.js and flow.js do; they call each other through it at run time.
'use strict';

// The shapes of EhrPreview.page and EhrPreview.dom: types only (a script's top-level typedefs are
// seen by every page script that tsc checks), nothing is defined on globalThis here but EhrPreview.
/**
 * @typedef {{ code?: string, message?: string, position?: import('ehr-studio-bridge').ErrorPosition }} EhrPreviewError
 *   a coded error (the package's errors and warnings, and the page's own)
 * @typedef {{
 *   kind: string,
 *   tree: import('ehr-studio-bridge').Hl7Tree | null,
 *   spans: Map<string, { start: number, end: number, keyStart?: number, keyEnd?: number }> | null,
 *   result: import('ehr-studio-bridge').MapResult | null,
 *   request: import('ehr-studio-bridge').StudioRequest | null,
 *   mapper: import('ehr-studio-bridge').Mapper | null,
 *   mapperFor: string | null,
 *   profile: import('ehr-studio-bridge').Profile | null,
 *   profileError: { error: EhrPreviewError, at: string } | null,
 *   selected: string | null,
 *   smsMode: 'event' | 'all',
 *   runner: any,
 *   variables: Record<string, string>,
 *   replyContentType: string,
 *   replyChoices: { label: string, body: string, contentType: string, url: string, method: string }[],
 * }} EhrPreviewState
 *   what the panels show: the input's kind and tree, the mapping, the profile, the selected value,
 *   the flow runner and its variables, the reply bodies the flow would POST
 * @typedef {{
 *   eventEditor: any, profileEditor: any, replyEditor: any, resourcesEditor: any, previousEditor: any,
 *   currentEditor: any, treeView: any,
 * }} EhrPreviewUi
 *   the editors (CodeArea) and the tree view (Hl7TreeView), made at start (app/preview.js)
 * @typedef {{ state: EhrPreviewState, ui: EhrPreviewUi }} EhrPreviewPage
 * @typedef {{
 *   $: (id: string) => HTMLElement,
 *   h: (tag: string, attrs?: Record<string, string>, children?: (Node | string | null | undefined | false)[]) => HTMLElement,
 *   describePosition: (e: EhrPreviewError) => string,
 *   showError: (box: HTMLElement, err: unknown, where?: string, extra?: string) => void,
 *   clearError: (box: HTMLElement) => void,
 *   utf16Offset: (text: string, bytes: number) => number,
 *   markJsonError: (editor: any, e: EhrPreviewError) => string,
 * }} EhrPreviewDom
 */

(function (root) {
  const P = root.EhrPreview;

  /** @typedef {EhrPreviewError} CodedError */

  // ---- DOM helpers ----------------------------------------------------------------------------

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

  // ---- the shared state ------------------------------------------------------------------------

  /** The page's state and widgets: every script reads and writes these, and nothing else. @type {EhrPreviewPage} */
  const page = {
    state: {
      kind: 'unknown',
      tree: null,
      spans: null,
      result: null,
      request: null,
      mapper: null,
      mapperFor: null,
      profile: null,
      profileError: null,
      selected: null,
      smsMode: 'event',
      runner: null,
      variables: {},
      replyContentType: 'application/json;charset=utf-8',
      replyChoices: [],
    },
    ui: { eventEditor: null, profileEditor: null, replyEditor: null, resourcesEditor: null, previousEditor: null, currentEditor: null, treeView: null },
  };

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

  /** @type {EhrPreviewDom} */
  const dom = { $, h, describePosition, showError, clearError, utf16Offset, markJsonError };
  root.EhrPreview = Object.assign(root.EhrPreview ?? {}, { page, dom });
})(/** @type {any} */ (globalThis));
