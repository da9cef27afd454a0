// @ts-check
// A plain <textarea> editor with line numbers and highlighted ranges: the textarea draws the text
// and takes the input; a backdrop behind it, laid out with exactly the same font and wrapping, draws
// the line numbers and the marks (the selected value's source, a profile error). The textarea
// grows to its content and the wrapper scrolls, so both layers always wrap at the same width.
'use strict';

(function (root) {
  /**
   * @typedef {{ start: number, end: number, cls: string, title?: string }} Mark
   */

  class CodeArea {
    /**
     * @param {HTMLElement} host an empty element; gets the editor
     * @param {{ label: string, placeholder?: string }} options
     */
    constructor(host, options) {
      this.host = host;
      host.classList.add('code');
      this.scroller = document.createElement('div');
      this.scroller.className = 'code-scroll';
      const inner = document.createElement('div');
      inner.className = 'code-inner';
      this.backdrop = document.createElement('div');
      this.backdrop.className = 'code-backdrop';
      this.backdrop.setAttribute('aria-hidden', 'true');
      this.input = document.createElement('textarea');
      this.input.className = 'code-input';
      this.input.spellcheck = false;
      this.input.autocomplete = 'off';
      this.input.setAttribute('autocapitalize', 'off');
      this.input.setAttribute('aria-label', options.label);
      if (options.placeholder) this.input.placeholder = options.placeholder;
      inner.append(this.backdrop, this.input);
      this.scroller.append(inner);
      host.append(this.scroller);
      /** @type {Mark[]} */
      this.marks = [];
      /** @type {((value: string) => void)[]} */
      this.inputListeners = [];
      /** @type {((offset: number) => void)[]} */
      this.caretListeners = [];
      this.input.addEventListener('input', () => {
        this.marks = [];
        this.render();
        for (const f of this.inputListeners) f(this.input.value);
      });
      const caret = () => {
        for (const f of this.caretListeners) f(this.input.selectionStart);
      };
      this.input.addEventListener('click', caret);
      this.input.addEventListener('keyup', caret);
      this.render();
    }

    get value() {
      return this.input.value;
    }

    /** Replace the text (the textarea turns CR and CRLF into LF, like any textarea). */
    set value(text) {
      this.input.value = text;
      this.marks = [];
      this.render();
      this.scroller.scrollTop = 0;
    }

    /** @param {(value: string) => void} f called after each edit */
    onInput(f) {
      this.inputListeners.push(f);
    }

    /** @param {(offset: number) => void} f called with the caret offset after a click or key */
    onCaret(f) {
      this.caretListeners.push(f);
    }

    /** @param {Mark[]} marks ranges to draw (UTF-16 offsets into `value`) */
    setMarks(marks) {
      this.marks = marks.filter((m) => m.end >= m.start && m.start >= 0);
      this.render();
      const hit = this.marks.find((m) => m.cls === 'hit');
      this.host.dataset.highlight = hit ? this.value.slice(hit.start, hit.end) : '';
    }

    /** Scroll the editor (not the page) so that the first mark of class `cls` is in view. @param {string} cls */
    reveal(cls) {
      const el = /** @type {HTMLElement | null} */ (this.backdrop.querySelector(`mark.${cls}`));
      if (!el) return;
      const top = el.offsetTop;
      const view = this.scroller.clientHeight;
      if (top < this.scroller.scrollTop || top > this.scroller.scrollTop + view - 24) {
        this.scroller.scrollTop = Math.max(0, top - view / 3);
      }
    }

    /** Put the caret at an offset and focus the editor. @param {number} offset */
    focusAt(offset) {
      this.input.focus({ preventScroll: true });
      this.input.setSelectionRange(offset, offset);
    }

    render() {
      const text = this.input.value;
      const frag = document.createDocumentFragment();
      let lineStart = 0;
      const marks = this.marks;
      for (;;) {
        const nl = text.indexOf('\n', lineStart);
        const lineEnd = nl === -1 ? text.length : nl;
        const div = document.createElement('div');
        div.className = 'ln';
        const inLine = marks.filter((m) => m.start < lineEnd + 1 && m.end > lineStart && !(m.start === m.end && m.start > lineEnd));
        if (inLine.length === 0) {
          div.textContent = lineEnd > lineStart ? text.slice(lineStart, lineEnd) : ' ';
        } else {
          this.renderMarked(div, text, lineStart, lineEnd, inLine);
        }
        frag.append(div);
        if (nl === -1) break;
        lineStart = nl + 1;
      }
      this.backdrop.replaceChildren(frag);
    }

    /**
     * One line with its marks: the line is cut at every mark boundary; each piece gets the classes
     * of the marks covering it.
     * @param {HTMLElement} div @param {string} text @param {number} from @param {number} to @param {Mark[]} marks
     */
    renderMarked(div, text, from, to, marks) {
      const cuts = new Set([from, to]);
      for (const m of marks) {
        cuts.add(Math.min(Math.max(m.start, from), to));
        cuts.add(Math.min(Math.max(m.end, from), to));
      }
      const points = [...cuts].sort((a, b) => a - b);
      for (let k = 0; k + 1 < points.length; k++) {
        const a = points[k];
        const b = points[k + 1];
        const covering = marks.filter((m) => m.start <= a && m.end >= b);
        const piece = text.slice(a, b);
        if (covering.length === 0) div.append(piece);
        else div.append(this.markElement(piece, covering));
      }
      // A position (empty mark, e.g. a syntax error at the end of the text): a zero-width caret, so
      // that the text after it stays aligned with the textarea.
      for (const m of marks.filter((m) => m.start === m.end && m.start >= from && m.start <= to)) {
        const caret = this.markElement('', [m]);
        caret.classList.add('at');
        this.insertAt(div, m.start - from, caret);
      }
      if (to === from && !div.firstChild) div.textContent = ' ';
    }

    /** @param {string} text @param {Mark[]} covering */
    markElement(text, covering) {
      const el = document.createElement('mark');
      el.className = covering.map((m) => m.cls).join(' ');
      const title = covering.map((m) => m.title).filter(Boolean).join('\n');
      if (title) el.title = title;
      el.textContent = text;
      return el;
    }

    /** Insert `node` at character `offset` of `div`'s text (splitting a text node if needed). @param {HTMLElement} div @param {number} offset @param {Node} node */
    insertAt(div, offset, node) {
      let seen = 0;
      for (const child of [...div.childNodes]) {
        const len = (child.textContent ?? '').length;
        if (offset <= seen + len) {
          if (child.nodeType === Node.TEXT_NODE && offset > seen) {
            const rest = /** @type {Text} */ (child).splitText(offset - seen);
            div.insertBefore(node, rest);
          } else {
            div.insertBefore(node, child);
          }
          return;
        }
        seen += len;
      }
      div.append(node);
    }
  }

  root.EhrPreview = Object.assign(root.EhrPreview ?? {}, { CodeArea });
})(/** @type {any} */ (globalThis));
