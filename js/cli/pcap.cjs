// @ts-check
// Packet captures (pcap and pcapng, as written by tcpdump, tshark or dumpcap) of MLLP traffic:
// the TCP byte stream of each connection is reassembled (sequence numbers: reordered segments are
// put back in order, retransmissions and overlaps dropped) and handed, direction by direction, to
// the core's `mllpSplit`. Transport only: what a frame holds is the core's business.
//
// Link layers: Ethernet (with 802.1Q/802.1ad tags), Linux cooked v1/v2 (`-i any`), BSD loopback,
// raw IPv4/IPv6. IPv4 (no fragments) and IPv6 (with hop-by-hop, routing and destination options).
// Only the direction towards the listener is read: the side that answered the SYN, or, for a
// connection whose SYN was not captured, the lower port; `--mllp-port N` picks it explicitly.
'use strict';

/** Out-of-order bytes buffered per direction before a gap is declared (a lost segment). */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;

/**
 * @typedef {{ code: string, level: 'error' | 'warning', count: number, bytes?: number }} Issue
 * @typedef {{ bytes?: Uint8Array, error?: { code: string }, stream: number, offset: number }} StreamItem
 */

/** pcap magic numbers → byte order and whether timestamps are in nanoseconds (unused here). */
const PCAP_MAGIC = new Map([
  [0xa1b2c3d4, { little: false }],
  [0xd4c3b2a1, { little: true }],
  [0xa1b23c4d, { little: false }],
  [0x4d3cb2a1, { little: true }],
]);
const PCAPNG_SHB = 0x0a0d0d0a;

/** Whether the first bytes are a pcap or pcapng file. @param {Uint8Array} head */
function isCapture(head) {
  if (head.length < 4) return false;
  const be = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  return be === PCAPNG_SHB || PCAP_MAGIC.has(be);
}

/**
 * The IP packet inside a link-layer frame, or null (not IP). @param {number} linktype @param {Buffer} d
 * @returns {Buffer | null}
 */
function ipPayload(linktype, d) {
  /** @param {number} type @param {number} at */
  const byEthertype = (type, at) => {
    let t = type;
    let o = at;
    while ((t === 0x8100 || t === 0x88a8) && d.length >= o + 4) {
      t = d.readUInt16BE(o + 2);
      o += 4;
    }
    return t === 0x0800 || t === 0x86dd ? d.subarray(o) : null;
  };
  switch (linktype) {
    case 1: // Ethernet
      return d.length >= 14 ? byEthertype(d.readUInt16BE(12), 14) : null;
    case 113: // Linux cooked capture v1
      return d.length >= 16 ? byEthertype(d.readUInt16BE(14), 16) : null;
    case 276: // Linux cooked capture v2
      return d.length >= 20 ? byEthertype(d.readUInt16BE(0), 20) : null;
    case 0: // BSD loopback: address family in the capturing host's byte order
    case 108: {
      if (d.length < 4) return null;
      const fam = linktype === 108 ? d.readUInt32BE(0) : d.readUInt32LE(0) > 0xffff ? d.readUInt32BE(0) : d.readUInt32LE(0);
      return fam === 2 || fam === 24 || fam === 28 || fam === 30 ? d.subarray(4) : null;
    }
    case 12:
    case 14:
    case 101: // raw IP
    case 228: // IPv4
    case 229: // IPv6
      return d;
    default:
      return null;
  }
}

/**
 * TCP inside an IP packet. @param {Buffer} ip
 * @returns {{ src: string, dst: string, sport: number, dport: number, seq: number, flags: number, payload: Buffer } | { unsupported: string } | null}
 */
function tcpSegment(ip) {
  if (ip.length < 1) return null;
  const version = ip[0] >> 4;
  let proto;
  let l4;
  let src;
  let dst;
  if (version === 4) {
    if (ip.length < 20) return null;
    const ihl = (ip[0] & 0x0f) * 4;
    const total = ip.readUInt16BE(2);
    proto = ip[9];
    if (proto !== 6) return null;
    const frag = ip.readUInt16BE(6);
    if ((frag & 0x2000) !== 0 || (frag & 0x1fff) !== 0) return { unsupported: 'PCAP_IP_FRAGMENT' };
    src = ip.subarray(12, 16).join('.');
    dst = ip.subarray(16, 20).join('.');
    // Ethernet pads short frames: the IP total length says where the packet ends.
    l4 = ip.subarray(ihl, Math.min(ip.length, total || ip.length));
  } else if (version === 6) {
    if (ip.length < 40) return null;
    let next = ip[6];
    let o = 40;
    const end = Math.min(ip.length, 40 + ip.readUInt16BE(4));
    while (next === 0 || next === 43 || next === 60) {
      if (end < o + 8) return null;
      const len = (ip[o + 1] + 1) * 8;
      next = ip[o];
      o += len;
    }
    if (next === 44) return { unsupported: 'PCAP_IP_FRAGMENT' };
    if (next !== 6) return null;
    src = ip.subarray(8, 24).toString('hex');
    dst = ip.subarray(24, 40).toString('hex');
    l4 = ip.subarray(o, end);
  } else {
    return null;
  }
  if (l4.length < 20) return null;
  const off = (l4[12] >> 4) * 4;
  if (off < 20 || l4.length < off) return null;
  return { src, dst, sport: l4.readUInt16BE(0), dport: l4.readUInt16BE(2), seq: l4.readUInt32BE(4), flags: l4[13], payload: l4.subarray(off) };
}

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/** `a - b` on 32-bit sequence numbers (signed). @param {number} a @param {number} b */
const seqDiff = (a, b) => (a - b) | 0;

/**
 * One direction of a TCP connection: reassembly and MLLP framing.
 * @typedef {{ next: number | null, fin: number | null, pending: Map<number, Buffer>, pendingBytes: number, rest: Buffer, restAt: number, closed: boolean }} Direction
 * @typedef {{ id: number, a: string, b: string, server: string | null, dirs: Map<string, Direction>, synFrom: string | null, bytes: number, closed: boolean }} Connection
 */

/**
 * A streaming capture reader: `push(chunk)` and `end()` return the MLLP frames (and coded problems)
 * found so far, in capture order.
 * @param {{ api: any, port?: number }} o
 */
function createPcapReader(o) {
  /** @type {Buffer} */
  let buf = Buffer.alloc(0);
  /** @type {'pcap' | 'pcapng' | null} */
  let kind = null;
  let little = false;
  /** pcap: the one link type; pcapng: per interface of the current section. @type {number[]} */
  let linktypes = [];
  /** @type {Map<string, Connection>} */
  const connections = new Map();
  let nextStream = 0;
  /** @type {Map<string, number>} */
  const issues = new Map();
  let failed = false;
  let nonMllpBytes = 0;
  /** @type {StreamItem[]} */
  let items = [];

  /** @param {string} code */
  const issue = (code) => issues.set(code, (issues.get(code) ?? 0) + 1);

  /** @param {Connection} c @param {string} from */
  function wanted(c, from) {
    const [, port] = splitEndpoint(from === c.a ? c.b : c.a);
    if (o.port !== undefined) return port === o.port;
    if (c.server) return from !== c.server;
    // No SYN seen: the listener is the side with the lower port.
    const [, pa] = splitEndpoint(c.a);
    const [, pb] = splitEndpoint(c.b);
    const server = pa <= pb ? c.a : c.b;
    return from !== server;
  }

  /** Frames of newly contiguous bytes. @param {Connection} c @param {Direction} d @param {Buffer} bytes @param {boolean} final */
  function feed(c, d, bytes, final) {
    c.bytes += bytes.length;
    const data = d.rest.length ? Buffer.concat([d.rest, bytes]) : bytes;
    const base = d.restAt;
    let s;
    try {
      s = o.api.mllpSplit(data, { final });
    } catch (e) {
      // An MLLP frame cut by the end of the connection or the capture.
      items.push({ error: { code: /** @type {any} */ (e)?.code ?? 'INTERNAL' }, stream: c.id, offset: base });
      d.rest = Buffer.alloc(0);
      d.restAt = base + data.length;
      return;
    }
    if (s.skippedBytes) nonMllpBytes += s.skippedBytes;
    s.frames.forEach((/** @type {Uint8Array} */ f, /** @type {number} */ i) => items.push({ bytes: f, stream: c.id, offset: base + s.offsets[i] }));
    d.rest = Buffer.from(s.rest);
    d.restAt = base + data.length - d.rest.length;
  }

  /** Deliver in-order bytes, then whatever buffered segments became contiguous. @param {Connection} c @param {Direction} d @param {number} seq @param {Buffer} payload */
  function deliver(c, d, seq, payload) {
    if (d.next === null) d.next = seq; // joined mid-stream
    const rel = seqDiff(seq, d.next);
    if (rel > 0) {
      const had = d.pending.get(seq);
      if (!had || had.length < payload.length) {
        d.pending.set(seq, payload);
        d.pendingBytes += payload.length - (had?.length ?? 0);
      }
      if (d.pendingBytes > MAX_PENDING_BYTES) skipGap(c, d);
      return;
    }
    const fresh = payload.subarray(-rel);
    if (fresh.length) {
      d.next = (d.next + fresh.length) >>> 0;
      feed(c, d, fresh, false);
    }
    drain(c, d);
  }

  /** @param {Connection} c @param {Direction} d */
  function drain(c, d) {
    for (let progress = true; progress && d.pending.size; ) {
      progress = false;
      for (const [seq, p] of d.pending) {
        if (seqDiff(seq, /** @type {number} */ (d.next)) > 0) continue;
        d.pending.delete(seq);
        d.pendingBytes -= p.length;
        const fresh = p.subarray(seqDiff(/** @type {number} */ (d.next), seq));
        if (fresh.length) {
          d.next = (/** @type {number} */ (d.next) + fresh.length) >>> 0;
          feed(c, d, fresh, false);
        }
        progress = true;
      }
    }
  }

  /** Bytes never captured: drop the partial frame, resume at the earliest buffered segment. @param {Connection} c @param {Direction} d */
  function skipGap(c, d) {
    issue('PCAP_TCP_GAP');
    if (d.rest.length) items.push({ error: { code: 'PCAP_TCP_GAP' }, stream: c.id, offset: d.restAt });
    let first = /** @type {number | null} */ (null);
    for (const seq of d.pending.keys()) if (first === null || seqDiff(seq, first) < 0) first = seq;
    if (first === null) return;
    d.restAt += d.rest.length + seqDiff(first, /** @type {number} */ (d.next));
    d.rest = Buffer.alloc(0);
    d.next = first;
    drain(c, d);
  }

  /** End of one direction (FIN, RST, end of capture). @param {Connection} c @param {Direction} d */
  function closeDirection(c, d) {
    c.closed = true;
    if (d.closed) return;
    d.closed = true;
    while (d.pending.size) skipGap(c, d);
    if (d.rest.length) feed(c, d, Buffer.alloc(0), true);
  }

  /** @param {number} linktype @param {Buffer} frame */
  function packet(linktype, frame) {
    const ip = ipPayload(linktype, frame);
    if (!ip) return;
    const t = tcpSegment(ip);
    if (!t) return;
    if ('unsupported' in t) return issue(t.unsupported);
    const from = `${t.src}|${t.sport}`;
    const to = `${t.dst}|${t.dport}`;
    const key = from < to ? `${from}>${to}` : `${to}>${from}`;
    let c = connections.get(key);
    const opening = (t.flags & (SYN | ACK)) === SYN;
    // The same ports used again by a new connection (a retransmitted SYN is not one).
    if (c && opening && (c.synFrom !== from || c.closed || c.bytes > 0)) {
      finish(c);
      c = undefined;
    }
    if (!c) {
      c = { id: nextStream++, a: from, b: to, server: null, dirs: new Map(), synFrom: null, bytes: 0, closed: false };
      connections.set(key, c);
      if (connections.size > 10_000) for (const [k, x] of connections) if (x.closed) connections.delete(k);
    }
    if (opening) {
      c.synFrom = from;
      c.server = to;
    }
    if (!wanted(c, from)) {
      if (t.flags & RST) finish(c);
      return;
    }
    let d = c.dirs.get(from);
    if (!d) {
      d = { next: null, fin: null, pending: new Map(), pendingBytes: 0, rest: Buffer.alloc(0), restAt: 0, closed: false };
      c.dirs.set(from, d);
    }
    if (t.flags & SYN) d.next = (t.seq + 1) >>> 0;
    else if (t.payload.length && !d.closed) deliver(c, d, t.seq, t.payload);
    // Segments sent before the FIN may arrive after it (reordered): close once they are all in.
    if (t.flags & FIN) d.fin = (t.seq + t.payload.length) >>> 0;
    if (d.fin !== null && !d.closed && (d.next === null || d.next === d.fin)) closeDirection(c, d);
    if (t.flags & RST) finish(c);
  }

  /** The connection ends: close its directions (it stays known, closed, for trailing packets). @param {Connection} c */
  function finish(c) {
    c.closed = true;
    for (const d of c.dirs.values()) closeDirection(c, d);
  }

  /** Parse complete records/blocks from `buf`. */
  function parse() {
    let at = 0;
    for (;;) {
      if (kind === null) {
        if (buf.length < 4) break;
        const magic = buf.readUInt32BE(0);
        if (magic === PCAPNG_SHB) kind = 'pcapng';
        else if (PCAP_MAGIC.has(magic)) {
          kind = 'pcap';
          little = /** @type {{ little: boolean }} */ (PCAP_MAGIC.get(magic)).little;
        } else {
          failed = true;
          issue('PCAP_BAD_FORMAT');
          return;
        }
      }
      if (kind === 'pcap') {
        if (linktypes.length === 0) {
          if (buf.length < at + 24) break;
          linktypes = [(little ? buf.readUInt32LE(at + 20) : buf.readUInt32BE(at + 20)) & 0x0fffffff];
          at += 24;
          continue;
        }
        if (buf.length < at + 16) break;
        const caplen = little ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8);
        const origlen = little ? buf.readUInt32LE(at + 12) : buf.readUInt32BE(at + 12);
        if (caplen > 256 * 1024 * 1024) {
          failed = true;
          issue('PCAP_BAD_FORMAT');
          return;
        }
        if (buf.length < at + 16 + caplen) break;
        if (caplen < origlen) issue('PCAP_TRUNCATED_PACKET');
        packet(linktypes[0], buf.subarray(at + 16, at + 16 + caplen));
        at += 16 + caplen;
        continue;
      }
      // pcapng: type, total length, body, total length.
      if (buf.length < at + 12) break;
      const type = buf.readUInt32BE(at);
      if (type === PCAPNG_SHB) {
        const bom = buf.readUInt32LE(at + 8);
        if (bom === 0x1a2b3c4d) little = true;
        else if (bom === 0x4d3c2b1a) little = false;
        else {
          failed = true;
          issue('PCAP_BAD_FORMAT');
          return;
        }
        linktypes = [];
      }
      const u32 = (/** @type {number} */ p) => (little ? buf.readUInt32LE(p) : buf.readUInt32BE(p));
      const u16 = (/** @type {number} */ p) => (little ? buf.readUInt16LE(p) : buf.readUInt16BE(p));
      const len = u32(at + 4);
      if (len < 12 || len % 4 !== 0 || len > 256 * 1024 * 1024) {
        failed = true;
        issue('PCAP_BAD_FORMAT');
        return;
      }
      if (buf.length < at + len) break;
      const btype = u32(at);
      if (btype === 1) {
        linktypes.push(u16(at + 8));
      } else if (btype === 6 && len >= 32) {
        const iface = u32(at + 8);
        const caplen = u32(at + 20);
        const origlen = u32(at + 24);
        if (caplen < origlen) issue('PCAP_TRUNCATED_PACKET');
        const lt = linktypes[iface];
        if (lt !== undefined && 28 + caplen <= len) packet(lt, buf.subarray(at + 28, at + 28 + caplen));
      } else if (btype === 3 && len >= 16) {
        const origlen = u32(at + 8);
        const caplen = Math.min(origlen, len - 16);
        if (caplen < origlen) issue('PCAP_TRUNCATED_PACKET');
        if (linktypes[0] !== undefined) packet(linktypes[0], buf.subarray(at + 12, at + 12 + caplen));
      } else if (btype === 2 && len >= 32) {
        const iface = u16(at + 8);
        const caplen = u32(at + 20);
        const lt = linktypes[iface];
        if (lt !== undefined && 28 + caplen <= len) packet(lt, buf.subarray(at + 28, at + 28 + caplen));
      }
      at += len;
    }
    buf = buf.subarray(at);
  }

  /** Items (and problems) since the last call. */
  function take() {
    const out = items;
    items = [];
    return out;
  }

  return {
    /** @param {Buffer} chunk */
    push(chunk) {
      if (failed) return take();
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      parse();
      return take();
    },
    /** End of the capture: close every connection still open. */
    end() {
      if (!failed && buf.length) issue('PCAP_TRUNCATED_FILE');
      for (const c of connections.values()) finish(c);
      return take();
    },
    /** Coded problems so far: `PCAP_BAD_FORMAT` is an error, the others warnings. @returns {Issue[]} */
    issues() {
      /** @type {Issue[]} */
      const out = [...issues].map(([code, count]) => ({ code, level: code === 'PCAP_BAD_FORMAT' ? 'error' : 'warning', count }));
      if (nonMllpBytes) out.push({ code: 'PCAP_NON_MLLP_BYTES', level: 'warning', count: 1, bytes: nonMllpBytes });
      return out;
    },
  };
}

/** `addr|port` → [addr, port]. @param {string} e @returns {[string, number]} */
function splitEndpoint(e) {
  const i = e.lastIndexOf('|');
  return [e.slice(0, i), Number(e.slice(i + 1))];
}

module.exports = { createPcapReader, isCapture };
