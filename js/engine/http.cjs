// @ts-check
// The engine's HTTP listener: the flow's IE_ENDPOINT (replies), GET /healthz, GET /metrics
// (Prometheus text) and GET /status (JSON). No route returns message content.
'use strict';

const http = require('node:http');
const https = require('node:https');
const { listen, settledWithin } = require('./util.cjs');

/** Largest reply body accepted (Studio's widget bodies are a few hundred bytes). */
const MAX_BODY = 64 * 1024;

/**
 * @param {{
 *   replyPath: string,
 *   reply: ((req: { url: string, headers: Record<string, string | string[] | undefined>, body: Buffer }) => Promise<{ status: number, body: Record<string, unknown> }>) | null,
 *   health: () => Promise<{ ok: boolean, detail: Record<string, unknown> }>,
 *   metrics: () => Promise<string>,
 *   status: () => Promise<unknown>,
 *   logger: import('./util.cjs').Logger,
 *   tls?: import('node:tls').TlsOptions | null,
 * }} o
 */
function createHttpServer(o) {
  /** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body @param {string} [type] */
  const send = (res, status, body, type = 'application/json') => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  async function route(req, res) {
    const url = req.url ?? '/';
    const pathname = url.split('?')[0];
    if (req.method === 'GET' && pathname === '/healthz') {
      const h = await o.health();
      return send(res, h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'unavailable', ...h.detail });
    }
    if (req.method === 'GET' && pathname === '/metrics') return send(res, 200, await o.metrics(), 'text/plain; version=0.0.4');
    if (req.method === 'GET' && pathname === '/status') return send(res, 200, await o.status());
    if (pathname === o.replyPath && o.reply) {
      if (req.method !== 'POST') return send(res, 405, { ok: false, code: 'METHOD_NOT_ALLOWED' });
      /** @type {Buffer[]} */
      const chunks = [];
      let size = 0;
      for await (const chunk of req) {
        size += chunk.length;
        if (size > MAX_BODY) return send(res, 413, { ok: false, code: 'REPLY_TOO_LARGE' });
        chunks.push(chunk);
      }
      const r = await o.reply({ url, headers: req.headers, body: Buffer.concat(chunks) });
      return send(res, r.status, r.body);
    }
    return send(res, 404, { ok: false, code: 'NOT_FOUND' });
  }

  /** @type {import('node:http').RequestListener} */
  const listener = (req, res) => {
    route(req, res).catch((e) => {
      o.logger.error('HTTP_HANDLER_FAILED', { path: (req.url ?? '').split('?')[0], error: /** @type {any} */ (e)?.code ?? 'unknown' });
      if (!res.headersSent) send(res, 500, { ok: false, code: 'INTERNAL' });
      else res.destroy();
    });
  };
  const server = o.tls ? https.createServer(o.tls, listener) : http.createServer(listener);
  server.keepAliveTimeout = 5000;

  return {
    server,
    /** @param {number} port @param {string} [host] */
    listen: (port, host) => listen(server, port, host),
    /** Stop accepting; finish in-flight requests (up to graceMs). @param {number} [graceMs] */
    async close(graceMs = 10_000) {
      const closed = new Promise((r) => server.close(() => r(undefined)));
      server.closeIdleConnections();
      await settledWithin(closed, graceMs);
      server.closeAllConnections();
    },
  };
}

module.exports = { createHttpServer };
