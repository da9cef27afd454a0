// parseHl7, JS half. Not a module of its own: js/build.mjs appends this text to both wasm-bindgen
// glues (nodejs → dist/*.cjs, web → dist/*.js; `export` is added to `parseHl7` for the web) and
// renames the generated `parseHl7` wrapper to `parseHl7Packed`. Free names from the glue: `wasm`
// (the instance's exports) and `parseHl7Packed` (argument conversion, the wasm call, errors).
//
// The wasm side (src/hl7/tree.rs `pack`) writes the tree as u32 words plus one UTF-8 string pool
// (the message text, then decoded escapes) and a small JSON head; this decoder builds the very same
// plain objects the serde path gave (same keys, same key order, no extra or `undefined` properties),
// which tests/js/parse-tree.test.mjs checks on every fixture against tests/golden/hl7_tree. Building
// the objects here, from a typed array and one decoded string, costs a fraction of serializing the
// tree to JSON text in wasm and `JSON.parse`-ing it (see docs/performance.md).

const HL7_TREE_TEXT = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Decode the packed tree whose 6-word header is at `at` in wasm memory:
 * [words ptr, words len, pool ptr, pool len, head ptr, head len].
 * @param {ArrayBuffer} buffer wasm memory
 * @param {number} at
 */
function decodeHl7Tree(buffer, at) {
    const h = new Uint32Array(buffer, at, 6);
    const w = new Uint32Array(buffer, h[0], h[1]);
    const pool = h[3] === 0 ? '' : HL7_TREE_TEXT.decode(new Uint8Array(buffer, h[2], h[3]));
    const head = JSON.parse(HL7_TREE_TEXT.decode(new Uint8Array(buffer, h[4], h[5])));
    let i = 0;
    /** @param {number} count @returns {object[]} */
    const nodes = (count) => {
        const out = [];
        for (let k = 0; k < count; k++) {
            const n = w[i];
            const range = [w[i + 1], w[i + 2]];
            const tag = w[i + 3];
            i += 4;
            const kind = tag & 7;
            const isNull = (tag & 8) !== 0;
            if (kind === 1) {
                const value = pool.slice(w[i], w[i + 1]);
                i += 2;
                out.push(isNull ? { n, range, value, null: true } : { n, range, value });
            } else if (kind === 0) {
                out.push(isNull ? { n, range, null: true } : { n, range });
            } else {
                const kids = nodes(w[i++]);
                /** @type {Record<string, unknown>} */
                const o = isNull ? { n, range, null: true } : { n, range };
                if (kind === 2) o.reps = kids;
                else if (kind === 3) o.components = kids;
                else o.subcomponents = kids;
                out.push(o);
            }
        }
        return out;
    };
    const segments = [];
    const segCount = w[i++];
    for (let s = 0; s < segCount; s++) {
        const name = pool.slice(w[i], w[i + 1]);
        const index = w[i + 2];
        const range = [w[i + 3], w[i + 4]];
        const fieldCount = w[i + 5];
        i += 6;
        segments.push({ name, index, range, fields: nodes(fieldCount) });
    }
    return {
        charset: head.charset,
        declaredCharset: head.declaredCharset,
        delimiters: head.delimiters,
        version: head.version,
        messageType: head.messageType,
        controlId: head.controlId,
        segments,
        warnings: head.warnings,
    };
}

/**
 * Parse an HL7 v2 message into a plain tree for previews (see the `.d.ts`).
 * @param {string | Uint8Array} input
 * @param {{ offsets?: "utf16" | "bytes", maxBytes?: number }} [options]
 */
function parseHl7(input, options) {
    const at = parseHl7Packed(input, options);
    return decodeHl7Tree(wasm.memory.buffer, at);
}
