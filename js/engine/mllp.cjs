// @ts-check
// MLLP transport (node:net / node:tls): the listener that feeds the intake, and the outbound client
// that sends SRM messages to the EHR and waits for its ACK. Framing is the core's (mllpSplit,
// mllpFrame); this file only moves bytes and keeps per-connection order.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const tls = require('node:tls');
const { coded, listen, settledWithin } = require('./util.cjs');

const START = 0x0b;
const END = 0x1c;
/** Bytes of an oversized frame kept to build its AR (the MSH segment is at the start). */
const HEAD_BYTES = 4096;
/** Frames queued on one connection before we stop reading from it. */
const PAUSE_AT = 64;

/**
 * A PEM file's bytes, read once (at start): a path, or bytes already in memory. Errors name the
 * option and the OS code only (never the content).
 * @param {unknown} v @param {string} what the option, e.g. `replies.ehrMllp.tls.ca`
 * @returns {Buffer}
 */
function pem(v, what) {
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v !== 'string' || v === '') throw coded('ENGINE_BAD_OPTION', `${what} must be a PEM file path (or its bytes)`);
  if (v.trimStart().startsWith('-----BEGIN')) throw coded('ENGINE_BAD_OPTION', `${what} is a file path, not PEM text (pass the text as a Buffer)`);
  try {
    return fs.readFileSync(v);
  } catch (e) {
    throw coded('ENGINE_TLS_FILE_UNREADABLE', `cannot read the PEM file of ${what} (${/** @type {any} */ (e)?.code ?? 'error'})`);
  }
}

/**
 * TLS options from file paths (PEM). @param {{ cert?: string, key?: string, ca?: string }} t
 * @returns {import('node:tls').TlsOptions | null}
 */
function tlsOptions(t) {
  if (!t || (!t.cert && !t.key)) return null;
  if (!t.cert || !t.key) throw coded('ENGINE_BAD_OPTION', 'TLS needs both a certificate and a key');
  /** @type {import('node:tls').TlsOptions} */
  const o = { cert: pem(t.cert, 'tls.cert (--tls-cert)'), key: pem(t.key, 'tls.key (--tls-key)') };
  if (t.ca) Object.assign(o, { ca: pem(t.ca, 'tls.ca (--tls-ca)'), requestCert: true, rejectUnauthorized: true });
  return o;
}

/**
 * `replies.ehrMllp.tls` as given: `true` (node's default trust store) or PEM file paths (strings)
 * or PEM bytes (Buffer / Uint8Array) for `ca` (trusted instead of the default store), `cert` + `key`
 * (our client certificate, mutual TLS), and `servername` (the name the EHR's certificate must carry,
 * and SNI; default: `host`), `rejectUnauthorized` (default true; false: testing only).
 * @typedef {boolean | {
 *   ca?: string | Uint8Array, cert?: string | Uint8Array, key?: string | Uint8Array,
 *   servername?: string, rejectUnauthorized?: boolean,
 * }} EhrTls
 */

const EHR_TLS_KEYS = new Set(['ca', 'cert', 'key', 'servername', 'rejectUnauthorized']);

/**
 * Resolve `replies.ehrMllp.tls` once (at start): files read and checked by OpenSSL now, so a bad
 * file is a startup error, not a failed delivery. Returns node:tls connect options (a secure
 * context built once), or null for plain MLLP.
 * @param {EhrTls | undefined | null} t @param {string} [what]
 * @returns {import('node:tls').ConnectionOptions | null}
 */
function ehrTlsOptions(t, what = 'replies.ehrMllp.tls') {
  /** The option and its `serve` flag, for messages. @param {string} k */
  const name = (k) => `${what}.${k} (--ehr-tls-${k})`;
  if (t === undefined || t === null || t === false) return null;
  if (t === true) return { secureContext: tls.createSecureContext({}) };
  if (typeof t !== 'object' || Array.isArray(t)) throw coded('ENGINE_BAD_OPTION', `${what} must be true or { ca, cert, key, servername, rejectUnauthorized }`);
  for (const k of Object.keys(t)) {
    if (!EHR_TLS_KEYS.has(k)) throw coded('ENGINE_BAD_OPTION', `${what}.${k} is not an option (ca, cert, key, servername, rejectUnauthorized)`);
  }
  if (Boolean(t.cert) !== Boolean(t.key)) {
    throw coded('ENGINE_BAD_OPTION', `${what} needs both cert and key (--ehr-tls-cert and --ehr-tls-key: a client certificate and its key), or neither`);
  }
  if (t.servername !== undefined && (typeof t.servername !== 'string' || t.servername === '' || net.isIP(t.servername) !== 0)) {
    throw coded('ENGINE_BAD_OPTION', `${name('servername')} must be a DNS name (an IP address is checked from the host)`);
  }
  if (t.rejectUnauthorized !== undefined && typeof t.rejectUnauthorized !== 'boolean') throw coded('ENGINE_BAD_OPTION', `${what}.rejectUnauthorized must be a boolean`);
  /** @type {import('node:tls').SecureContextOptions} */
  const files = {};
  if (t.ca) files.ca = pem(t.ca, name('ca'));
  if (t.cert && t.key) Object.assign(files, { cert: pem(t.cert, name('cert')), key: pem(t.key, name('key')) });
  if (files.ca && !files.ca.includes('-----BEGIN CERTIFICATE-----')) throw coded('ENGINE_TLS_INVALID', `${name('ca')} holds no PEM certificate`);
  let secureContext;
  try {
    secureContext = tls.createSecureContext(files);
  } catch (e) {
    // e.g. ERR_OSSL_PEM_NO_START_LINE (not PEM), ERR_OSSL_X509_KEY_VALUES_MISMATCH (key of another certificate)
    throw coded('ENGINE_TLS_INVALID', `${what} (--ehr-tls-*): OpenSSL refused the certificate or key (${/** @type {any} */ (e)?.code ?? 'error'})`);
  }
  return {
    secureContext,
    ...(t.servername ? { servername: t.servername } : {}),
    ...(t.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
  };
}

/** The code of a TLS failure as it may be logged and stored (an OpenSSL / node code, nothing else). @param {unknown} e */
function tlsCode(e) {
  const c = /** @type {any} */ (e)?.code;
  return typeof c === 'string' && /^[A-Z0-9_]{1,80}$/.test(c) ? c : 'TLS_HANDSHAKE_FAILED';
}

/** An error raised by the TLS layer once the handshake completed (an alert, e.g. TLS 1.3's "certificate required"). @param {unknown} e */
const isTlsAlert = (e) => {
  const x = /** @type {any} */ (e);
  return typeof x?.code === 'string' && (x.code.startsWith('ERR_SSL_') || x.library === 'SSL routines');
};

/** @param {unknown} e */
const tlsError = (e) => {
  const c = tlsCode(e);
  return Object.assign(coded('EHR_TLS_ERROR', `TLS with the EHR MLLP endpoint failed (${c})`), { tlsCode: c });
};

/**
 * The MLLP listener. Each connection's frames are processed (and ACKed) in order; connections are
 * independent (their messages share intake transactions).
 * @param {{
 *   api: any,
 *   intake: { accept(input: Uint8Array, o: { source: string }): Promise<import('./intake.cjs').AcceptResult>,
 *             rejectOversized(head: Uint8Array, size: number, limit: number): import('./intake.cjs').AcceptResult },
 *   logger: import('./util.cjs').Logger, metrics: import('./metrics.cjs').Metrics,
 *   maxMessageBytes?: number, maxNoiseBytes?: number, tls?: import('node:tls').TlsOptions | null,
 * }} o
 */
function createMllpServer(o) {
  const { api, intake, logger, metrics } = o;
  const max = o.maxMessageBytes ?? 4 * 1024 * 1024;
  const maxNoise = o.maxNoiseBytes ?? 64 * 1024;
  let nextId = 0;
  let closing = false;
  /** @type {Set<Conn>} */
  const conns = new Set();

  /**
   * @typedef {{
   *   id: number, socket: import('node:net').Socket, chunks: Buffer[], len: number,
   *   oversize: { head: Buffer, bytes: number } | null, noise: number, frames: number,
   *   queued: number, chain: Promise<void>, paused: boolean,
   * }} Conn
   */

  /** @param {Conn} c @param {() => Promise<import('./intake.cjs').AcceptResult> | import('./intake.cjs').AcceptResult} work */
  function enqueue(c, work) {
    c.queued += 1;
    if (c.queued >= PAUSE_AT && !c.paused) {
      c.paused = true;
      c.socket.pause();
    }
    c.chain = c.chain.then(async () => {
      try {
        const r = await work();
        if (r.ack !== null && !c.socket.destroyed) c.socket.write(api.mllpFrame(r.ack));
      } catch (e) {
        logger.error('MLLP_PROCESSING_FAILED', { conn: c.id, error: /** @type {any} */ (e)?.code ?? 'unknown' });
      } finally {
        c.queued -= 1;
        if (c.paused && c.queued < PAUSE_AT / 4 && !closing) {
          c.paused = false;
          c.socket.resume();
        }
      }
    });
  }

  /** @param {Conn} c @param {Uint8Array} frame */
  function onFrame(c, frame) {
    c.frames += 1;
    if (frame.length > max) {
      const head = Buffer.from(frame.subarray(0, HEAD_BYTES));
      enqueue(c, () => intake.rejectOversized(head, frame.length, max));
      return;
    }
    enqueue(c, () => intake.accept(frame, { source: 'mllp' }));
  }

  /** Bytes outside frames: dropped, never stored. @param {Conn} c @param {number} n @param {Buffer} sample */
  function onNoise(c, n, sample) {
    // Logged once per connection (the total is logged when it closes).
    if (c.noise === 0) {
      const unframedHl7 = sample.subarray(0, 3).toString('latin1') === 'MSH';
      logger.warn(unframedHl7 ? 'MLLP_UNFRAMED_HL7' : 'MLLP_NOT_FRAMED', {
        conn: c.id,
        bytes: n,
        hint: unframedHl7 ? 'the sender does not wrap messages in MLLP (0x0B … 0x1C 0x0D)' : 'bytes outside an MLLP frame were dropped',
      });
    }
    c.noise += n;
    metrics.inc('ehr_bridge_mllp_noise_bytes_total', {}, n);
    if (c.frames === 0 && c.noise > maxNoise) {
      logger.warn('MLLP_NOISE_LIMIT', { conn: c.id, bytes: c.noise });
      c.socket.destroy();
    }
  }

  /** @param {Conn} c @param {Buffer} chunk */
  function onData(c, chunk) {
    let data = chunk;
    while (data.length > 0) {
      if (c.oversize) {
        const end = data.indexOf(END);
        if (end < 0) {
          c.oversize.bytes += data.length;
          return;
        }
        const { head, bytes } = c.oversize;
        c.oversize = null;
        const size = bytes + end;
        enqueue(c, () => intake.rejectOversized(head, size, max));
        data = data.subarray(end + 1);
        if (data[0] === 0x0d) data = data.subarray(1);
        continue;
      }
      c.chunks.push(data);
      c.len += data.length;
      const hasEnd = data.includes(END);
      data = Buffer.alloc(0);
      const first = c.chunks[0][0];
      if (!hasEnd && first === START) {
        if (c.len > max + 1) {
          // Inside a frame larger than allowed: keep its head, skip to its end, answer AR.
          const buf = Buffer.concat(c.chunks);
          c.oversize = { head: Buffer.from(buf.subarray(1, 1 + HEAD_BYTES)), bytes: buf.length - 1 };
          c.chunks = [];
          c.len = 0;
        }
        return;
      }
      const buf = c.chunks.length === 1 ? c.chunks[0] : Buffer.concat(c.chunks);
      c.chunks = [];
      c.len = 0;
      const split = api.mllpSplit(buf);
      if (split.skippedBytes > 0) onNoise(c, split.skippedBytes, buf.subarray(buf.findIndex((b) => b > 0x20)));
      for (const f of split.frames) onFrame(c, f);
      if (split.rest.length > 0) {
        const rest = Buffer.from(split.rest);
        if (rest.length > max + 1) {
          c.oversize = { head: Buffer.from(rest.subarray(1, 1 + HEAD_BYTES)), bytes: rest.length - 1 };
        } else {
          c.chunks = [rest];
          c.len = rest.length;
        }
      }
    }
  }

  /** @param {import('node:net').Socket} socket */
  function onConnection(socket) {
    if (closing) {
      socket.destroy();
      return;
    }
    /** @type {Conn} */
    const c = { id: ++nextId, socket, chunks: [], len: 0, oversize: null, noise: 0, frames: 0, queued: 0, chain: Promise.resolve(), paused: false };
    conns.add(c);
    metrics.inc('ehr_bridge_mllp_connections_total');
    metrics.set('ehr_bridge_mllp_connections', {}, conns.size);
    socket.setNoDelay(true);
    logger.info('MLLP_CONNECTED', { conn: c.id, tls: socket instanceof tls.TLSSocket });
    socket.on('data', (chunk) => onData(c, /** @type {Buffer} */ (chunk)));
    socket.on('error', (e) => logger.warn('MLLP_SOCKET_ERROR', { conn: c.id, error: /** @type {any} */ (e)?.code ?? 'unknown' }));
    socket.on('close', () => {
      if (c.len > 0 || c.oversize) logger.warn('MLLP_UNTERMINATED', { conn: c.id, bytes: c.oversize ? c.oversize.bytes : c.len });
      conns.delete(c);
      metrics.set('ehr_bridge_mllp_connections', {}, conns.size);
      logger.info('MLLP_DISCONNECTED', { conn: c.id, frames: c.frames, ...(c.noise ? { noiseBytes: c.noise } : {}) });
    });
  }

  const server = o.tls ? tls.createServer(o.tls, onConnection) : net.createServer(onConnection);
  server.on('tlsClientError', (e) => logger.warn('MLLP_TLS_ERROR', { error: /** @type {any} */ (e)?.code ?? 'unknown' }));

  return {
    server,
    /** @param {number} port @param {string} [host] */
    listen: (port, host) => listen(server, port, host),
    connections: () => conns.size,
    /**
     * Graceful stop: accept no connection, read no more bytes, ACK what was received, close.
     * @param {number} [graceMs]
     */
    async close(graceMs = 10_000) {
      closing = true;
      const closed = new Promise((r) => server.close(() => r(undefined)));
      for (const c of conns) c.socket.pause();
      await settledWithin(Promise.all([...conns].map((c) => c.chain)), graceMs);
      for (const c of conns) c.socket.end();
      await settledWithin(closed, 2000);
      for (const c of conns) c.socket.destroy();
    },
  };
}

/**
 * An outbound MLLP connection (one message at a time; reconnects as needed): send a message and
 * resolve with the first frame the peer answers (its ACK). Failures are coded: EHR_UNREACHABLE (no
 * TCP connection), EHR_TLS_ERROR (TCP connected, TLS failed: certificate not trusted, wrong name,
 * handshake refused or not finished in time, an alert such as "certificate required"; `tlsCode`
 * holds the OpenSSL / node code), EHR_TIMEOUT (no ACK in time), EHR_CONNECTION_CLOSED.
 * @param {{ api: any, host: string, port: number, tls?: import('node:tls').ConnectionOptions | null, timeoutMs?: number }} o
 *   `tls`: connect options as `ehrTlsOptions` returns them (null: plain MLLP).
 */
function createMllpClient(o) {
  const timeoutMs = o.timeoutMs ?? 15_000;
  /** @type {import('node:net').Socket | null} */
  let socket = null;
  /** @type {Buffer} */
  let buf = Buffer.alloc(0);
  /** @type {((frame: Uint8Array | null, err?: Error) => void) | null} */
  let waiting = null;
  /** @type {Promise<unknown>} */
  let queue = Promise.resolve();

  function drop() {
    socket?.destroy();
    socket = null;
    buf = Buffer.alloc(0);
  }

  /** @returns {Promise<import('node:net').Socket>} */
  function connect() {
    if (socket && !socket.destroyed) return Promise.resolve(socket);
    return new Promise((resolve, reject) => {
      const s = o.tls ? tls.connect({ host: o.host, port: o.port, ...o.tls }) : net.connect({ host: o.host, port: o.port });
      // With TLS, a failure once TCP is up is the handshake's (or the certificate check's).
      let tcpUp = false;
      s.once('connect', () => {
        tcpUp = true;
      });
      const fail = (/** @type {Error} */ e) => {
        s.destroy();
        reject(o.tls && tcpUp ? tlsError(e) : coded('EHR_UNREACHABLE', `cannot connect to the EHR MLLP endpoint (${/** @type {any} */ (e)?.code ?? 'error'})`));
      };
      s.once('error', fail);
      s.once(o.tls ? 'secureConnect' : 'connect', () => {
        s.off('error', fail);
        s.setNoDelay(true);
        s.on('data', (/** @type {Buffer} */ chunk) => {
          buf = Buffer.concat([buf, chunk]);
          if (!buf.includes(END)) return;
          const split = o.api.mllpSplit(buf);
          buf = Buffer.from(split.rest);
          const frame = split.frames[0];
          if (frame && waiting) {
            const w = waiting;
            waiting = null;
            w(frame);
          }
        });
        /** @param {Error | null} err */
        const gone = (err) => {
          if (socket === s) socket = null;
          if (waiting) {
            const w = waiting;
            waiting = null;
            w(null, err ?? coded('EHR_CONNECTION_CLOSED', 'the EHR closed the MLLP connection before answering'));
          }
        };
        // TLS 1.3: the server checks our certificate after our handshake is done; its refusal is an
        // alert on the open connection, while we wait for the ACK.
        s.on('error', (e) => gone(o.tls && isTlsAlert(e) ? tlsError(e) : null));
        s.on('close', () => gone(null));
        socket = s;
        resolve(s);
      });
      s.setTimeout(timeoutMs, () => fail(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    });
  }

  /** @param {string | Uint8Array} message @returns {Promise<Uint8Array>} */
  async function sendOne(message) {
    const s = await connect();
    s.setTimeout(0);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting = null;
        drop();
        reject(coded('EHR_TIMEOUT', 'the EHR did not acknowledge in time'));
      }, timeoutMs);
      waiting = (frame, err) => {
        clearTimeout(timer);
        if (frame) resolve(frame);
        else reject(err ?? coded('EHR_CONNECTION_CLOSED', 'no answer'));
      };
      s.write(o.api.mllpFrame(message));
    });
  }

  return {
    /** @param {string | Uint8Array} message */
    send(message) {
      const p = queue.then(() => sendOne(message));
      queue = p.catch(() => undefined);
      return p;
    },
    close() {
      drop();
    },
  };
}

module.exports = { createMllpServer, createMllpClient, tlsOptions, ehrTlsOptions };
