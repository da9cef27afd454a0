// @ts-check
// Where things are in a JSON text, for highlighting: the UTF-16 range of the value (and key) at every
// JSON pointer, or the offset of the first syntax error. Presentation only: the mapping itself
// parses JSON in the wasm core; this only locates the pointers the core reports (provenance sources,
// profile errors) in the text the user sees.
'use strict';

(function (root) {
  /**
   * @typedef {{ start: number, end: number, keyStart?: number, keyEnd?: number }} Span
   * @typedef {{ ok: true, spans: Map<string, Span> } | { ok: false, offset: number, message: string }} Located
   */

  const MAX_DEPTH = 512;

  /** Escape one reference token of a JSON pointer (RFC 6901). @param {string} s */
  function escapeToken(s) {
    return s.replace(/~/g, '~0').replace(/\//g, '~1');
  }

  /**
   * Locate every value of a JSON text by its JSON pointer ("" is the root).
   * @param {string} text
   * @returns {Located}
   */
  function locateJson(text) {
    /** @type {Map<string, Span>} */
    const spans = new Map();
    let i = 0;
    const n = text.length;

    class SyntaxFail extends Error {
      /** @param {string} message @param {number} at */
      constructor(message, at) {
        super(message);
        this.at = at;
      }
    }
    /** @param {string} what @returns {never} */
    const fail = (what) => {
      throw new SyntaxFail(i >= n ? `unexpected end of text (expected ${what})` : `expected ${what}`, Math.min(i, n));
    };
    const ws = () => {
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
        else break;
      }
    };
    /** @returns {string} the decoded string; `i` ends after the closing quote */
    const string = () => {
      if (text[i] !== '"') fail('a string');
      i++;
      let out = '';
      let from = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 0x22) {
          out += text.slice(from, i);
          i++;
          return out;
        }
        if (c < 0x20) fail('no control character inside a string');
        if (c === 0x5c) {
          out += text.slice(from, i);
          const e = text[i + 1];
          const simple = /** @type {Record<string, string>} */ ({ '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' });
          if (e !== undefined && e in simple) {
            out += simple[e];
            i += 2;
          } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
            i += 6;
          } else {
            i++;
            fail('a valid escape sequence');
          }
          from = i;
        } else {
          i++;
        }
      }
      return fail('a closing quote');
    };
    const number = () => {
      const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (!m || m[0] === '' || m[0] === '-') fail('a value');
      i += /** @type {RegExpExecArray} */ (m)[0].length;
    };
    /**
     * The members of an object or array (`i` at its opening bracket): `each(k)` reads the k-th one;
     * members are separated by ',' and the list ends at `close`.
     * @param {string} close @param {(k: number) => void} each
     */
    const members = (close, each) => {
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (let k = 0; ; k++) {
        each(k);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail(`',' or '${close}'`);
      }
    };
    /** @param {string} pointer @param {number} depth @param {number} [keyStart] @param {number} [keyEnd] */
    const value = (pointer, depth, keyStart, keyEnd) => {
      if (depth > MAX_DEPTH) fail('less nesting');
      ws();
      const start = i;
      const c = text[i];
      if (c === '{') {
        members('}', () => {
          ws();
          const ks = i;
          const key = string();
          const ke = i;
          ws();
          if (text[i] !== ':') fail("':'");
          i++;
          value(`${pointer}/${escapeToken(key)}`, depth + 1, ks, ke);
        });
      } else if (c === '[') {
        members(']', (k) => value(`${pointer}/${k}`, depth + 1));
      } else if (c === '"') {
        string();
      } else if (text.startsWith('true', i)) i += 4;
      else if (text.startsWith('false', i)) i += 5;
      else if (text.startsWith('null', i)) i += 4;
      else number();
      /** @type {Span} */
      const span = { start, end: i };
      if (keyStart !== undefined) Object.assign(span, { keyStart, keyEnd });
      spans.set(pointer, span);
    };
    try {
      if (text.charCodeAt(0) === 0xfeff) i = 1;
      value('', 0);
      ws();
      if (i < n) fail('the end of the text');
      return { ok: true, spans };
    } catch (e) {
      if (e instanceof SyntaxFail) return { ok: false, offset: e.at, message: e.message };
      throw e;
    }
  }

  /**
   * The 1-based line and column of a UTF-16 offset.
   * @param {string} text @param {number} offset
   */
  function lineColumn(text, offset) {
    let line = 1;
    let last = -1;
    for (let k = text.indexOf('\n'); k !== -1 && k < offset; k = text.indexOf('\n', k + 1)) {
      line++;
      last = k;
    }
    return { line, column: offset - last };
  }

  root.EhrPreview = Object.assign(root.EhrPreview ?? {}, { locateJson, lineColumn, escapeToken });
})(/** @type {any} */ (globalThis));
