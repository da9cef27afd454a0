// @ts-check
// Handlers to mount in the Node HL7 servers people already run. They feed the same intake (map →
// commit → ACK) and therefore the same store and delivery worker as the engine's own listener.
'use strict';

/**
 * @typedef {{ accept(input: string | Uint8Array, o?: { source?: string }): Promise<import('./intake.cjs').AcceptResult> }} Acceptor
 */

/**
 * For node-hl7-server: `server.createInbound({ port }, nodeHl7ServerHandler(engine))`. The server
 * builds its own ACK from the code we return (AA/AE/AR or CA/CE/CR), after our commit; it has no
 * ERR segment (use the engine's own listener for ACKs with ERR).
 * @param {Acceptor} engine
 * @returns {(req: { getMessage(): { toString(): string } }, res: { sendResponse(code: string): Promise<void> | void }) => Promise<void>}
 */
function nodeHl7ServerHandler(engine) {
  return async (req, res) => {
    // Text as the server decoded it: pass the string, so MSH-18 does not apply a second time.
    const text = req.getMessage().toString();
    const r = await engine.accept(text, { source: 'node-hl7-server' });
    if (r.ack !== null) await res.sendResponse(r.ackCode);
  };
}

/**
 * For @medplum/hl7: `new Hl7Server(medplumHl7Handler(engine)).start(port)`. Each message is
 * answered with the engine's own ACK (with ERR for errors), parsed by the message's class.
 * @param {Acceptor} engine @param {{ onError?: (e: unknown) => void }} [o]
 * @returns {(connection: { addEventListener(type: 'message', l: (ev: { message: any }) => void): void, send(reply: any): void }) => void}
 */
function medplumHl7Handler(engine, o = {}) {
  return (connection) => {
    connection.addEventListener('message', (event) => {
      const message = event.message;
      engine.accept(message.toString(), { source: '@medplum/hl7' }).then(
        (r) => {
          if (r.ack !== null) connection.send(message.constructor.parse(r.ack));
        },
        (e) => o.onError?.(e),
      );
    });
  };
}

module.exports = { nodeHl7ServerHandler, medplumHl7Handler };
