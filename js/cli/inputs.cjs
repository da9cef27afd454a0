// @ts-check
// The inputs of `map` over many messages (docs/cli.md, "Inputs"): which files (a folder walked
// recursively in a stable order, with --ext / --glob), what each holds (detected from its first
// bytes, or --format), and its messages as a stream of byte slices — read in chunks, so memory
// stays flat whatever the size. Splitting is the core's (`hl7Split`, `mllpSplit`); bytes stay
// bytes (the core applies MSH-18 / Latin-1 per message). Transport only: no mapping here.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { createPcapReader, isCapture } = require('./pcap.cjs');

/** Read size: large enough to amortize the boundary crossings, small enough to stay flat. */
const CHUNK = 1 << 20;
/** A file read whole (one JSON document or a JSON array) may not exceed this. */
const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

const FORMATS = ['auto', 'hl7', 'mllp', 'jsonl', 'json', 'pcap'];

/**
 * @typedef {{ path: string | null, display: string, size: number | null, data?: Buffer }} Source
 *   path null: standard input (data: its bytes when already read)
 * @typedef {'hl7' | 'mllp' | 'jsonl' | 'json' | 'pcap'} Format
 * @typedef {{ bytes?: Uint8Array, error?: { code: string }, index: number, offset: number | null, stream?: number }} Item
 * @typedef {{ code: string, level: 'error' | 'warning', count: number, bytes?: number }} Issue
 *   count: occurrences in the input; bytes: for BATCH_SKIPPED_BYTES and PCAP_NON_MLLP_BYTES
 * @typedef {(code: string, level: 'error' | 'warning', n?: { count?: number, bytes?: number }) => void} IssueFn
 */

class InputError extends Error {}

/**
 * A glob as a RegExp over `/`-separated relative paths: `*` and `?` within a name, `**` across
 * folders, `{a,b}` alternatives, `[…]` classes (`[!…]` negated). A pattern without `/` matches the
 * file name alone.
 * @param {string} glob
 */
function globRegExp(glob) {
  let re = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '{') {
      re += '(?:';
      depth += 1;
    } else if (ch === '}' && depth > 0) {
      re += ')';
      depth -= 1;
    } else if (ch === ',' && depth > 0) re += '|';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^$()|\\\]]/g, '\\$&');
  }
  if (depth !== 0) throw new InputError(`--glob: unbalanced { } in ${glob}`);
  return new RegExp(`^${re}$`);
}

/**
 * The files to read, in order: each argument as given; a folder walked depth-first, names in code
 * point order, hidden entries (`.name`) and symbolic links to folders skipped, filtered by `ext`
 * (a list like `hl7,txt`) and `glob` (relative to that folder). `-` is standard input (`stdin`:
 * its bytes, when already read).
 * @param {string[]} args @param {{ ext?: string, glob?: string, stdin?: Buffer }} o @returns {Source[]}
 */
function listSources(args, o) {
  const exts = o.ext
    ? new Set(o.ext.split(',').map((e) => e.trim().replace(/^\./, '').toLowerCase()).filter(Boolean))
    : null;
  const glob = o.glob ? globRegExp(o.glob) : null;
  const byName = !o.glob?.includes('/');
  /** @type {Source[]} */
  const out = [];
  /** @param {string} rel */
  const keep = (rel) => {
    if (exts && !exts.has(path.extname(rel).slice(1).toLowerCase())) return false;
    if (glob && !glob.test(byName ? path.posix.basename(rel) : rel)) return false;
    return true;
  };
  /** @param {string} dir @param {string} rel */
  const walk = (dir, rel) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          isFile = fs.statSync(full).isFile();
        } catch {
          isFile = false;
        }
      }
      if (e.isDirectory()) walk(full, r);
      else if (isFile && keep(r)) out.push({ path: full, display: full, size: fs.statSync(full).size });
    }
  };
  for (const a of args) {
    if (a === '-') {
      out.push({ path: null, display: '-', size: o.stdin ? o.stdin.length : null, ...(o.stdin ? { data: o.stdin } : {}) });
      continue;
    }
    let st;
    try {
      st = fs.statSync(a);
    } catch {
      throw new InputError(`cannot read ${a}: no such file or folder`);
    }
    if (st.isDirectory()) walk(a, '');
    else out.push({ path: a, display: a, size: st.size });
  }
  return out;
}

/** The first non-whitespace byte's position (after a UTF-8 BOM). @param {Uint8Array} b */
function firstSignificant(b) {
  let i = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x0c)) i++;
  return i;
}

/**
 * What a file holds, from its first bytes (and its extension for JSON vs JSON lines).
 * @param {Buffer} head @param {string} name @returns {Format}
 */
function detectFormat(head, name) {
  if (isCapture(head)) return 'pcap';
  const i = firstSignificant(head);
  const b = head[i];
  if (b === 0x0b) return 'mllp';
  if (b === 0x7b || b === 0x5b) {
    const ext = path.extname(name).toLowerCase();
    if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
    if (ext === '.json' || b === 0x5b) return 'json';
    // One JSON value on the first line and more after it: JSON lines.
    const nl = head.indexOf(0x0a, i);
    if (nl < 0) return 'json';
    try {
      JSON.parse(head.subarray(i, nl).toString('utf8'));
    } catch {
      return 'json';
    }
    return head.subarray(nl).some((c) => c > 0x20) ? 'jsonl' : 'json';
  }
  return 'hl7';
}

/** The bytes of a source, in chunks. @param {Source} s @returns {AsyncIterable<Buffer>} */
function chunks(s) {
  const data = s.data;
  if (data) return (async function* () { yield data; })();
  if (s.path === null) return /** @type {AsyncIterable<Buffer>} */ (process.stdin);
  return fs.createReadStream(s.path, { highWaterMark: CHUNK });
}

/**
 * Whether bytes already read (the single-message `map` reads its input whole) hold more than one
 * message: then `map` runs over all of them instead of mapping the first.
 * @param {any} api @param {Buffer} buf @param {string} name
 */
function holdsMany(api, buf, name) {
  switch (detectFormat(buf, name)) {
    case 'pcap':
      return true;
    case 'mllp':
      return api.mllpSplit(buf).frames.length > 1;
    case 'hl7':
      return api.hl7Split(buf, { final: true }).messages.length > 1;
    case 'jsonl':
      return buf.toString('utf8').split('\n').filter((l) => l.trim()).length > 1;
    default:
      return buf[firstSignificant(buf)] === 0x5b;
  }
}

/**
 * The messages of one source, in order, as byte slices (or coded per-message errors such as an
 * MLLP frame cut by the end of the file), with their index and byte offset. `onBytes` reports read
 * progress; `issues()` the coded problems of the source (skipped bytes, batch counts, capture).
 * @param {Source} source @param {{ api: any, format: string, mllpPort?: number, onBytes?: (n: number) => void }} o
 */
function openSource(source, o) {
  /** @type {Map<string, Issue>} */
  const issues = new Map();
  /** @type {IssueFn} */
  const issue = (code, level, n = {}) => {
    const x = issues.get(code) ?? { code, level, count: 0 };
    if (n.bytes === undefined) x.count += n.count ?? 1;
    else {
      x.count = 1;
      x.bytes = (x.bytes ?? 0) + n.bytes;
    }
    issues.set(code, x);
  };
  /** @type {Format | null} */
  let format = o.format === 'auto' ? null : /** @type {Format} */ (o.format);

  /** @returns {AsyncGenerator<Item>} */
  async function* items() {
    const it = chunks(source)[Symbol.asyncIterator]();
    // Enough bytes to tell the format: the first significant byte, and for JSON its first line
    // (up to 64 KiB); or the whole input if shorter.
    /** @type {Buffer} */
    let first = Buffer.alloc(0);
    while (first.length === 0 || (!format && (firstSignificant(first) >= first.length || (isJsonStart(first) && first.length < 64 * 1024)))) {
      const r = await it.next();
      if (r.done) break;
      const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      o.onBytes?.(c.length);
      first = first.length ? Buffer.concat([first, c]) : c;
    }
    if (!format) format = detectFormat(first, source.display);
    /** @returns {AsyncGenerator<Buffer>} */
    async function* rest() {
      if (first.length) yield first;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
        o.onBytes?.(c.length);
        yield c;
      }
    }
    let n = 0;
    if (format === 'hl7') yield* hl7Items(o.api, rest(), issue, () => n++);
    else if (format === 'mllp') yield* mllpItems(o.api, rest(), issue, () => n++);
    else if (format === 'jsonl') yield* jsonlItems(rest(), () => n++);
    else if (format === 'json') yield* jsonItems(rest(), issue, () => n++);
    else yield* pcapItems(o.api, rest(), o.mllpPort, issue, () => n++);
    if (n === 0 && !issues.has('BATCH_READ_FAILED') && !issues.has('PCAP_BAD_FORMAT')) issue('BATCH_NO_MESSAGES', 'warning');
  }

  return {
    items,
    /** The format read (known once reading started). */
    format: () => format,
    /** @returns {Issue[]} */
    issues: () => [...issues.values()],
    /** A read failure (I/O error): recorded as BATCH_READ_FAILED. */
    readFailed: () => issue('BATCH_READ_FAILED', 'error'),
  };
}

/** Whether the first significant byte opens JSON (more bytes may be needed to tell JSON lines). @param {Buffer} b */
function isJsonStart(b) {
  const c = b[firstSignificant(b)];
  return (c === 0x7b || c === 0x5b) && b.indexOf(0x0a, firstSignificant(b)) < 0;
}

/**
 * @param {any} api @param {AsyncIterable<Buffer>} input @param {IssueFn} issue
 * @param {() => number} next @returns {AsyncGenerator<Item>}
 */
async function* hl7Items(api, input, issue, next) {
  /** @type {Buffer} */
  let buf = Buffer.alloc(0);
  let base = 0;
  // Messages since the last BHS (checked against BTS-1) and batches since the last FHS (FTS-1).
  let inBatch = 0;
  let batches = 0;
  /** @param {any} s @param {Buffer} b @returns {Item[]} */
  const take = (s, b) => {
    /** @type {Item[]} */
    const out = [];
    let m = 0;
    for (const e of s.envelope) {
      for (; m < s.messages.length && s.messages[m][0] < e.start; m++) out.push(message(s.messages[m], b));
      if (e.segment === 'FHS') batches = 0;
      else if (e.segment === 'BHS') {
        batches += 1;
        inBatch = 0;
      } else if (e.segment === 'BTS' && e.count !== undefined && e.count !== inBatch) issue('BATCH_COUNT_MISMATCH', 'warning');
      else if (e.segment === 'FTS' && e.count !== undefined && e.count !== batches) issue('BATCH_COUNT_MISMATCH', 'warning');
    }
    for (; m < s.messages.length; m++) out.push(message(s.messages[m], b));
    if (s.skippedBytes) issue('BATCH_SKIPPED_BYTES', 'warning', { bytes: s.skippedBytes });
    return out;
  };
  /** @param {[number, number]} r @param {Buffer} b @returns {Item} */
  const message = ([start, end], b) => {
    inBatch += 1;
    return { bytes: b.subarray(start, end), index: next(), offset: base + start };
  };
  for await (const chunk of input) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    const s = api.hl7Split(buf);
    yield* take(s, buf);
    buf = buf.subarray(s.consumed);
    base += s.consumed;
  }
  yield* take(api.hl7Split(buf, { final: true }), buf);
}

/**
 * @param {any} api @param {AsyncIterable<Buffer>} input @param {IssueFn} issue
 * @param {() => number} next @returns {AsyncGenerator<Item>}
 */
async function* mllpItems(api, input, issue, next) {
  /** @type {Buffer} */
  let buf = Buffer.alloc(0);
  let base = 0;
  /** @param {any} s @returns {Item[]} */
  const take = (s) => {
    if (s.skippedBytes) issue('BATCH_SKIPPED_BYTES', 'warning', { bytes: s.skippedBytes });
    return s.frames.map((/** @type {Uint8Array} */ f, /** @type {number} */ i) => ({ bytes: f, index: next(), offset: base + s.offsets[i] }));
  };
  for await (const chunk of input) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    const s = api.mllpSplit(buf);
    yield* take(s);
    const consumed = buf.length - s.rest.length;
    buf = buf.subarray(consumed);
    base += consumed;
  }
  let last;
  try {
    last = api.mllpSplit(buf, { final: true });
  } catch (e) {
    // A frame opened and never closed (a capture cut short): one message lost, with its offset.
    const at = buf.indexOf(0x0b);
    const cut = at < 0 ? buf.length : at;
    yield* take(api.mllpSplit(buf.subarray(0, cut), { final: true }));
    yield { error: { code: /** @type {any} */ (e)?.code ?? 'INTERNAL' }, index: next(), offset: base + cut };
    return;
  }
  yield* take(last);
}

/** @param {AsyncIterable<Buffer>} input @param {() => number} next @returns {AsyncGenerator<Item>} */
async function* jsonlItems(input, next) {
  /** @type {Buffer} */
  let buf = Buffer.alloc(0);
  let base = 0;
  /** @param {Buffer} b @param {number} start @param {number} end @returns {Item | null} */
  const line = (b, start, end) => {
    let e = end;
    if (e > start && b[e - 1] === 0x0d) e -= 1;
    const bytes = b.subarray(start, e);
    if (firstSignificant(bytes) >= bytes.length) return null;
    return { bytes, index: next(), offset: base + start };
  };
  for await (const chunk of input) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let start = 0;
    /** @type {Item[]} */
    const out = [];
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      const item = line(buf, start, nl);
      if (item) out.push(item);
      start = nl + 1;
    }
    yield* out;
    buf = buf.subarray(start);
    base += start;
  }
  const item = line(buf, 0, buf.length);
  if (item) yield item;
}

/**
 * One JSON document, or each element of a top-level JSON array, read whole.
 * @param {AsyncIterable<Buffer>} input @param {IssueFn} issue
 * @param {() => number} next @returns {AsyncGenerator<Item>}
 */
async function* jsonItems(input, issue, next) {
  /** @type {Buffer[]} */
  const parts = [];
  let size = 0;
  for await (const chunk of input) {
    size += chunk.length;
    if (size > MAX_DOCUMENT_BYTES) {
      issue('BATCH_TOO_LARGE', 'error');
      return;
    }
    parts.push(chunk);
  }
  const all = Buffer.concat(parts);
  const at = firstSignificant(all);
  if (at >= all.length) return;
  if (all[at] === 0x5b) {
    let list;
    try {
      list = JSON.parse(all.toString('utf8'));
    } catch {
      list = null;
    }
    if (Array.isArray(list)) {
      for (const doc of list) yield { bytes: Buffer.from(JSON.stringify(doc)), index: next(), offset: null };
      return;
    }
  }
  // The core reads (and reports the problems of) the document itself.
  yield { bytes: all, index: next(), offset: 0 };
}

/**
 * @param {any} api @param {AsyncIterable<Buffer>} input @param {number | undefined} port
 * @param {IssueFn} issue @param {() => number} next
 * @returns {AsyncGenerator<Item>}
 */
async function* pcapItems(api, input, port, issue, next) {
  const reader = createPcapReader({ api, port });
  /** @param {import('./pcap.cjs').StreamItem[]} found @returns {Item[]} */
  const take = (found) => found.map((x) => ({ ...(x.bytes ? { bytes: x.bytes } : { error: /** @type {{ code: string }} */ (x.error) }), index: next(), offset: x.offset, stream: x.stream }));
  for await (const chunk of input) yield* take(reader.push(chunk));
  yield* take(reader.end());
  for (const i of reader.issues()) issue(i.code, i.level, i);
}

module.exports = { listSources, openSource, detectFormat, holdsMany, globRegExp, InputError, FORMATS };
