// @ts-check
// The HL7 v2 message as a tree (segments → fields → repetitions → components → subcomponents),
// built from `parseHl7`'s public result (`Hl7Tree`: nodes with `n`, `range`, `value`). Branches are
// rendered when first opened, so a 500 KB message costs one line per segment until explored.
'use strict';

(function (root) {
  /**
   * @typedef {[number, number]} Range
   * @typedef {{ label: string, range: Range, value?: string, isNull?: boolean, children: TreeNode[], parent: TreeNode | null, kind: string }} TreeNode
   * @typedef {{ n: number, range: Range, value?: string, null?: true, reps?: Hl7Node[], components?: Hl7Node[], subcomponents?: Hl7Node[] }} Hl7Node
   */

  const PREVIEW = 90;

  class Hl7TreeView {
    /**
     * @param {HTMLElement} host
     * @param {{ onPick: (node: TreeNode) => void }} options
     */
    constructor(host, options) {
      this.host = host;
      this.onPick = options.onPick;
      /** @type {TreeNode[]} */
      this.roots = [];
      this.text = '';
      /** @type {Map<TreeNode, HTMLElement>} */
      this.elements = new Map();
      /** @type {HTMLElement | null} */
      this.hit = null;
    }

    /**
     * Show a parsed message (or nothing).
     * @param {{ segments: { name: string, index: number, range: Range, fields: Hl7Node[] }[] } | null} tree
     * @param {string} text the text the ranges index
     */
    show(tree, text) {
      this.text = text;
      this.elements.clear();
      this.hit = null;
      this.roots = tree ? this.build(tree) : [];
      const frag = document.createDocumentFragment();
      for (const seg of this.roots) frag.append(this.element(seg));
      this.host.replaceChildren(frag);
    }

    /** @param {{ segments: { name: string, index: number, range: Range, fields: Hl7Node[] }[] }} tree */
    build(tree) {
      /** @type {Record<string, number>} */
      const total = {};
      for (const s of tree.segments) total[s.name] = (total[s.name] ?? 0) + 1;
      /** @type {Record<string, number>} */
      const seen = {};
      return tree.segments.map((s) => {
        seen[s.name] = (seen[s.name] ?? 0) + 1;
        const label = total[s.name] > 1 ? `${s.name}[${seen[s.name]}]` : s.name;
        /** @type {TreeNode} */
        const seg = { label, range: s.range, children: [], parent: null, kind: 'segment' };
        seg.children = s.fields.map((f) => this.node(f, `${label}-${f.n}`, 'field', seg));
        return seg;
      });
    }

    /** @param {Hl7Node} h @param {string} label @param {string} kind @param {TreeNode} parent @returns {TreeNode} */
    node(h, label, kind, parent) {
      /** @type {TreeNode} */
      const t = { label, range: h.range, children: [], parent, kind };
      if (h.value !== undefined) t.value = h.value;
      if (h.null) t.isNull = true;
      if (h.reps) t.children = h.reps.map((r) => this.node(r, `${label}[${r.n}]`, 'repetition', t));
      else if (h.components) t.children = h.components.map((c) => this.node(c, `${label}.${c.n}`, 'component', t));
      else if (h.subcomponents) t.children = h.subcomponents.map((c) => this.node(c, `${label}.${c.n}`, 'subcomponent', t));
      return t;
    }

    /** The element of a node (its branch content is filled when first opened). @param {TreeNode} node */
    element(node) {
      let el = this.elements.get(node);
      if (el) return el;
      const head = document.createElement(node.children.length ? 'summary' : 'div');
      head.className = `row ${node.kind}`;
      const path = document.createElement('span');
      path.className = 'path';
      path.textContent = node.label;
      const val = document.createElement('span');
      val.className = 'val';
      if (node.children.length) {
        const raw = this.text.slice(node.range[0], node.range[1]);
        val.textContent = raw.length > PREVIEW ? `${raw.slice(0, PREVIEW)}…` : raw;
        val.classList.add('raw');
      } else if (node.isNull) {
        val.textContent = '""';
        val.title = 'present but null (""): the receiver should delete the value';
        val.classList.add('null');
      } else {
        const v = node.value ?? '';
        val.textContent = v.length > 4 * PREVIEW ? `${v.slice(0, 4 * PREVIEW)}… (${v.length - 4 * PREVIEW} more characters)` : v;
      }
      head.append(path, val);
      head.addEventListener('click', (e) => {
        if (e.target === path || !node.children.length) this.onPick(node);
      });
      if (node.children.length) {
        const d = document.createElement('details');
        d.className = 'node';
        d.append(head);
        d.addEventListener('toggle', () => {
          if (d.open) this.fill(node, d);
        });
        el = d;
      } else {
        head.classList.add('node', 'leaf');
        el = head;
      }
      el.dataset.path = node.label;
      this.elements.set(node, el);
      return el;
    }

    /** @param {TreeNode} node @param {HTMLElement} d */
    fill(node, d) {
      if (d.dataset.filled) return;
      d.dataset.filled = '1';
      const kids = document.createElement('div');
      kids.className = 'kids';
      for (const c of node.children) kids.append(this.element(c));
      d.append(kids);
    }

    /**
     * The node of a range: the outermost node whose range is exactly [start, end] (a repetition
     * rather than its only component), else the deepest node containing it (for a point, the
     * caret, start = end).
     * @param {number} start @param {number} end
     * @returns {TreeNode | null}
     */
    find(start, end) {
      /** @type {TreeNode | null} */
      let best = null;
      let level = this.roots;
      for (;;) {
        const next = level.find((n) => n.range[0] <= start && end <= n.range[1]);
        if (!next) return best;
        if (start < end && next.range[0] === start && next.range[1] === end) return next;
        best = next;
        level = next.children;
      }
    }

    /**
     * Open the branches down to the node at a range, mark it and scroll it into view.
     * @param {Range | null} range
     * @returns {TreeNode | null}
     */
    reveal(range) {
      this.hit?.classList.remove('hit');
      this.hit = null;
      if (!range) return null;
      const node = this.find(range[0], range[1]);
      if (!node) return null;
      /** @type {TreeNode[]} */
      const chain = [];
      for (let n = /** @type {TreeNode | null} */ (node); n; n = n.parent) chain.unshift(n);
      for (const n of chain.slice(0, -1)) {
        const d = /** @type {HTMLDetailsElement} */ (this.element(n));
        this.fill(n, d);
        d.open = true;
      }
      const el = this.element(node);
      const row = /** @type {HTMLElement} */ (el.tagName === 'DETAILS' ? el.firstElementChild : el);
      row.classList.add('hit');
      this.hit = row;
      const top = row.offsetTop;
      if (top < this.host.scrollTop || top > this.host.scrollTop + this.host.clientHeight - 28) {
        this.host.scrollTop = Math.max(0, top - this.host.clientHeight / 3);
      }
      return node;
    }

    /** Open (or close) every segment. @param {boolean} open */
    expandSegments(open) {
      for (const seg of this.roots) {
        const d = /** @type {HTMLDetailsElement} */ (this.element(seg));
        if (open) this.fill(seg, d);
        d.open = open;
      }
    }
  }

  root.EhrPreview = Object.assign(root.EhrPreview ?? {}, { Hl7TreeView });
})(/** @type {any} */ (globalThis));
