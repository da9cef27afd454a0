// @ts-check
// The engine's MLLP listener from the installed tarball: a client nobody here wrote (python-hl7's
// `mllp_send`) sends the corpus and python-hl7 reads the ACKs; many concurrent connections; frames
// split across packets; oversized frames (AR, connection kept); non-MLLP bytes (clear log, nothing
// stored); TLS; ACK only after the commit; and the handlers for node-hl7-server and @medplum/hl7.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { test } from 'node:test';
import { ROOT } from './helpers.mjs';
import { FLOW_SID, FROM, SAMPLE_PROFILE, drivers, engineModules, frame, mllpConnect, msa, rootRequire, siu, fakeStudioForFile, until, ACCOUNT_SID, AUTH_TOKEN } from './engine-fakes.mjs';

const node = `Node ${process.versions.node}`;
const { engine: E, api } = engineModules();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-mllp-'));
const CORPUS = path.join(ROOT, 'tests', 'fixtures', 'corpus');
const TLS_DIR = path.join(ROOT, 'tests', 'fixtures', 'tls');
const fx = fakeStudioForFile(tmp);
let n = 0;

/** Log lines captured per engine (to check codes and that no PHI is logged). */
function captureLogger() {
  /** @type {any[]} */
  const lines = [];
  const logger = E.createLogger({ level: 'debug', write: (/** @type {string} */ l) => lines.push(JSON.parse(l)) });
  return { logger, lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}

/** A started engine on a fresh SQLite store. @param {Record<string, any>} [extra] */
async function startEngine(extra = {}) {
  const log = captureLogger();
  const engine = await E.createEngine({
    profile: { ...SAMPLE_PROFILE, studio: { flowSid: FLOW_SID, from: FROM, baseUrl: fx.studio.baseUrl } },
    store: path.join(tmp, `e${++n}.db`),
    storeOptions: { sqlite: drivers.sqlite },
    twilio: { twilio: drivers.twilio, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
    mllp: { port: 0, host: '127.0.0.1', ...extra.mllp },
    http: false,
    logger: log.logger,
    ...extra.engine,
  });
  const addr = await engine.start();
  return { engine, port: /** @type {number} */ (addr.mllp?.port), log };
}

/** The messages of a corpus file (MLLP framing in the file removed). @param {Buffer} b @returns {Buffer[]} */
function messagesOf(b) {
  if (b.includes(0x0b)) return api.mllpSplit(b).frames.map((/** @type {Uint8Array} */ f) => Buffer.from(f));
  if (b.includes(0x1c)) return [b.subarray(0, b.indexOf(0x1c))];
  return [b];
}

function corpusMessages() {
  const files = [
    ...fs.readdirSync(CORPUS).filter((f) => f.endsWith('.hl7')),
    ...fs.readdirSync(path.join(CORPUS, 'synthetic')).filter((f) => f.endsWith('.hl7')).map((f) => `synthetic/${f}`),
  ].sort();
  const corpus = files.flatMap((f) => messagesOf(fs.readFileSync(path.join(CORPUS, f))).map((bytes, i) => ({ name: `${f}#${i}`, bytes })));
  // Two frames that are not HL7 messages: rejected (AR + ERR, empty MSA-2).
  return [...corpus, { name: 'no MSH', bytes: Buffer.from('PID|1||X\r') }, { name: 'text', bytes: Buffer.from('hello') }];
}

/**
 * What the core says about a message: the ACK it must get (null = none: MSH-15/16 decline) and
 * what the store must record. Independent of the engine: the core's mapping and ACK builder.
 * @param {Buffer} bytes
 */
function expected(bytes) {
  const mapper = new api.Mapper({ ...SAMPLE_PROFILE, studio: { flowSid: FLOW_SID, from: FROM } });
  let outcome;
  let code = null;
  let ack = 'accept';
  try {
    const e = mapper.execution(bytes, undefined, { kind: 'hl7' });
    outcome = e.request ? 'queued' : 'skipped';
    code = e.skip?.code ?? null;
  } catch (err) {
    outcome = 'rejected';
    code = /** @type {any} */ (err).code;
    ack = ['EMPTY_INPUT', 'HL7_NO_MSH', 'HL7_BAD_ENCODING_CHARS', 'UNKNOWN_INPUT_KIND', 'INPUT_TOO_LARGE'].includes(code) ? 'reject' : 'error';
  } finally {
    mapper.free();
  }
  let built;
  let controlId = '';
  try {
    const auto = api.buildAck(bytes, { code: ack });
    built = auto.message !== null ? auto : api.buildAck(bytes, { code: ack, level: 'application' });
    controlId = api.queryHl7(bytes, 'MSH-10')?.value ?? '';
  } catch {
    built = { message: '', ackCode: 'AR' }; // no MSH to answer: AR with an empty MSA-2
  }
  return { outcome, code, ackCode: built.message === null ? null : built.ackCode, controlId };
}

/**
 * Run a program without blocking the event loop. @param {string} cmd @param {string[]} args
 * @returns {Promise<{ status: number | null, stdout: Buffer, stderr: string }>}
 */
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    /** @type {Buffer[]} */
    const out = [];
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.stdout.on('data', (d) => out.push(d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

/** MSA-1 and MSA-2 of each ACK as python-hl7 reads them. @param {string[]} acks */
function readWithPythonHl7(acks) {
  const script = [
    'import hl7, json, sys',
    'out = []',
    'for text in json.load(sys.stdin):',
    '    m = hl7.parse(text)',
    '    msa = m.segment("MSA")',
    '    field = lambda i: str(msa[i]) if len(msa) > i else ""',
    '    out.append([field(1), field(2), bool([s for s in m if str(s[0]) == "ERR"])])',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(acks), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test(`${node}: python-hl7's mllp_send sends the corpus; every message gets the right ACK (read back by python-hl7) and is recorded`, async () => {
  const { engine, port, log } = await startEngine();
  try {
    const all = corpusMessages();
    const cases = all.map((m) => ({ ...m, want: expected(m.bytes) }));
    assert.ok(cases.length >= 65, `corpus: ${cases.length} messages`);
    const acked = cases.filter((c) => c.want.ackCode !== null);
    const silent = cases.filter((c) => c.want.ackCode === null);
    assert.ok(silent.length >= 1 && acked.length > 60);
    const file = path.join(tmp, 'corpus.mllp');
    fs.writeFileSync(file, Buffer.concat(acked.map((c) => frame(c.bytes))));
    // Asynchronously: the engine runs in this process.
    const r = await run('mllp_send', ['--file', file, '--port', String(port), '127.0.0.1']);
    assert.equal(r.status, 0, `mllp_send failed: ${r.stderr}`);
    const acks = api.mllpSplit(r.stdout).frames.map((/** @type {Uint8Array} */ f) => Buffer.from(f).toString('utf8'));
    assert.equal(acks.length, acked.length, 'one ACK per message');
    const read = readWithPythonHl7(acks);
    acked.forEach((c, i) => {
      const [code, controlId, hasErr] = read[i];
      assert.equal(code, c.want.ackCode, `${c.name}: MSA-1`);
      assert.equal(controlId, c.want.controlId, `${c.name}: MSA-2 = MSH-10`);
      assert.equal(hasErr, c.want.outcome === 'rejected', `${c.name}: ERR only for errors`);
    });
    // Messages whose MSH-15/16 decline every ACK get none, and are still stored.
    const client = await mllpConnect(port);
    for (const c of silent) client.write(frame(c.bytes));
    const probe = siu({ patient: 1, appointment: 1, seq: 1, cid: 'PROBE-1' });
    assert.equal(msa(/** @type {string} */ (await client.send(probe))).controlId, 'PROBE-1', 'the next ACK is the probe’s');
    client.close();
    const s = await engine.status();
    const count = (/** @type {string} */ o) => cases.filter((c) => c.want.outcome === o).length;
    assert.equal(s.messages.total, cases.length + 1);
    assert.equal(s.messages.queued + s.messages.duplicate, count('queued') + 1);
    assert.equal(Object.values(s.messages.skipped).reduce((a, b) => a + b, 0), count('skipped'));
    assert.equal(Object.values(s.messages.rejected).reduce((a, b) => a + b, 0), count('rejected'));
    for (const c of cases.filter((x) => x.want.outcome === 'skipped')) assert.ok(s.messages.skipped[c.want.code] > 0, c.want.code);
    assert.equal(s.messages.rejected.HL7_NO_MSH, 2);
    // No patient data in any log line (names, phone digits, ids of the bundled sample).
    for (const phi of ['NGUY', 'Mai', '5550123', '880124', 'mai.nguyen', 'EVERYMAN', 'APT-1']) assert.ok(!log.text().includes(phi), `log contains ${phi}`);
  } finally {
    await engine.stop();
  }
});

test(`${node}: 40 concurrent connections × 10 messages: every ACK in order on its connection, every job stored`, async () => {
  const { engine, port } = await startEngine({ engine: { delivery: false } });
  try {
    const conns = await Promise.all(Array.from({ length: 40 }, () => mllpConnect(port)));
    await Promise.all(
      conns.map(async (c, ci) => {
        for (let i = 0; i < 10; i++) {
          const cid = `K${ci}-${i}`;
          const ack = /** @type {string} */ (await c.send(siu({ patient: ci * 100 + i, appointment: ci * 100 + i, seq: ci * 100 + i, cid })));
          assert.deepEqual([msa(ack).code, msa(ack).controlId], ['CA', cid]);
        }
      }),
    );
    // Pipelined: 20 frames in one write, the ACKs come back in the same order.
    const p = conns[0];
    p.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => frame(siu({ patient: 9000 + i, appointment: 9000 + i, seq: 9000 + i, cid: `PIPE-${i}` })))));
    for (let i = 0; i < 20; i++) assert.equal(msa(/** @type {string} */ (await p.next())).controlId, `PIPE-${i}`);
    for (const c of conns) c.close();
    const s = await engine.status();
    assert.equal(s.jobs['studio.execution'].queued, 420);
  } finally {
    await engine.stop();
  }
});

test(`${node}: frames split across packets, byte by byte, several per packet, end block alone`, async () => {
  const { engine, port } = await startEngine({ engine: { delivery: false } });
  try {
    const c = await mllpConnect(port);
    const m1 = frame(siu({ patient: 1, appointment: 11, seq: 11, cid: 'SPLIT-1' }));
    for (const byte of m1) {
      c.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(msa(/** @type {string} */ (await c.next())).controlId, 'SPLIT-1');
    const m2 = frame(siu({ patient: 2, appointment: 12, seq: 12, cid: 'SPLIT-2' }));
    const m3 = frame(siu({ patient: 3, appointment: 13, seq: 13, cid: 'SPLIT-3' }));
    const both = Buffer.concat([m2, m3]);
    c.write(both.subarray(0, m2.length - 2)); // everything but 0x1C 0x0D of m2
    await new Promise((r) => setTimeout(r, 30));
    c.write(both.subarray(m2.length - 2, m2.length + 100));
    c.write(both.subarray(m2.length + 100));
    assert.equal(msa(/** @type {string} */ (await c.next())).controlId, 'SPLIT-2');
    assert.equal(msa(/** @type {string} */ (await c.next())).controlId, 'SPLIT-3');
    // A frame that ends without the trailing CR (0x1C only) is a frame too.
    c.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(siu({ patient: 4, appointment: 14, seq: 14, cid: 'NOCR' })), Buffer.from([0x1c])]));
    assert.equal(msa(/** @type {string} */ (await c.next())).controlId, 'NOCR');
    c.close();
    assert.equal((await engine.status()).jobs['studio.execution'].queued, 4);
  } finally {
    await engine.stop();
  }
});

test(`${node}: an oversized frame is rejected (AR + ERR, nothing stored) and the connection stays usable`, async () => {
  const { engine, port, log } = await startEngine({ engine: { delivery: false }, mllp: { maxMessageBytes: 3000 } });
  try {
    const c = await mllpConnect(port);
    const big = siu({ patient: 5, appointment: 15, seq: 15, cid: 'BIG-1' }).replace('NTE|1||', `NTE|1||${'x'.repeat(5000)}`);
    const ack = /** @type {string} */ (await c.send(big));
    assert.deepEqual([msa(ack).code, msa(ack).controlId], ['CR', 'BIG-1']);
    assert.match(/** @type {string} */ (msa(ack).err), /^ERR\|\|\|207\^/);
    assert.match(ack, /larger than 3000 bytes/);
    // The same in 500-byte packets (the listener skips to the end block without buffering it all).
    const f = frame(big.replace('BIG-1', 'BIG-2'));
    for (let i = 0; i < f.length; i += 500) c.write(f.subarray(i, i + 500));
    assert.equal(msa(/** @type {string} */ (await c.next())).controlId, 'BIG-2');
    const ok = /** @type {string} */ (await c.send(siu({ patient: 6, appointment: 16, seq: 16, cid: 'AFTER-BIG' })));
    assert.deepEqual([msa(ok).code, msa(ok).controlId], ['CA', 'AFTER-BIG']);
    c.close();
    const s = await engine.status();
    assert.equal(s.messages.total, 1, 'only the normal message is stored');
    assert.equal(log.lines.filter((l) => l.event === 'MLLP_FRAME_TOO_LARGE').length, 2);
  } finally {
    await engine.stop();
  }
});

test(`${node}: bytes outside MLLP frames are dropped with a clear log code and nothing is stored`, async () => {
  const { engine, port, log } = await startEngine({ engine: { delivery: false } });
  try {
    const c = await mllpConnect(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => log.lines.some((l) => l.event === 'MLLP_NOT_FRAMED'), 5000, 'MLLP_NOT_FRAMED');
    const c2 = await mllpConnect(port);
    c2.write(siu({ patient: 7, appointment: 17, seq: 17 }));
    await until(() => log.lines.some((l) => l.event === 'MLLP_UNFRAMED_HL7'), 5000, 'MLLP_UNFRAMED_HL7');
    // Noise then a frame on the same connection: the frame is still processed.
    const ack = /** @type {string} */ (await c.send(siu({ patient: 8, appointment: 18, seq: 18, cid: 'AFTER-NOISE' })));
    assert.equal(msa(ack).controlId, 'AFTER-NOISE');
    c.close();
    c2.close();
    const s = await engine.status();
    assert.equal(s.messages.total, 1);
    const unframed = log.lines.find((l) => l.event === 'MLLP_UNFRAMED_HL7');
    assert.ok(unframed.bytes > 100 && /MLLP/.test(unframed.hint));
    assert.ok(!log.text().includes('NGUY'), 'no message content in the log');
  } finally {
    await engine.stop();
  }
});

test(`${node}: MLLP over TLS (node:tls, cert/key files)`, async () => {
  const { engine, port } = await startEngine({
    engine: { delivery: false },
    mllp: { tls: { cert: path.join(TLS_DIR, 'engine-test.crt'), key: path.join(TLS_DIR, 'engine-test.key') } },
  });
  try {
    const socket = tls.connect({ port, host: '127.0.0.1', ca: fs.readFileSync(path.join(TLS_DIR, 'engine-test.crt')) });
    await new Promise((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    assert.equal(socket.authorized, true);
    socket.write(frame(siu({ patient: 9, appointment: 19, seq: 19, cid: 'TLS-1' })));
    const reply = await new Promise((resolve) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.includes(0x1c)) resolve(buf.subarray(1, buf.indexOf(0x1c)).toString());
      });
    });
    assert.equal(msa(/** @type {string} */ (reply)).controlId, 'TLS-1');
    socket.destroy();
  } finally {
    await engine.stop();
  }
});

test(`${node}: the ACK waits for the commit; a failed commit is answered AE (never AA)`, async () => {
  const store = await E.openStore(path.join(tmp, 'wrapped.db'), { sqlite: drivers.sqlite });
  let mode = 'slow';
  /** @type {number[]} */
  const committedAt = [];
  const wrapped = {
    ...store,
    /** @param {any[]} items */
    async ingest(items) {
      if (mode === 'fail') throw Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' });
      await new Promise((r) => setTimeout(r, 150));
      const r = await store.ingest(items);
      committedAt.push(Date.now());
      return r;
    },
  };
  const { engine, port } = await startEngine({ engine: { delivery: false, store: wrapped } });
  try {
    const c = await mllpConnect(port);
    const t0 = Date.now();
    const ack = /** @type {string} */ (await c.send(siu({ patient: 10, appointment: 20, seq: 20, cid: 'SLOW' })));
    const ackAt = Date.now();
    assert.equal(msa(ack).code, 'CA');
    assert.equal(committedAt.length, 1);
    assert.ok(ackAt >= committedAt[0] && ackAt - t0 >= 150, 'ACK after the commit');
    mode = 'fail';
    const bad = /** @type {string} */ (await c.send(siu({ patient: 11, appointment: 21, seq: 21, cid: 'NOSTORE' })));
    assert.deepEqual([msa(bad).code, msa(bad).controlId], ['CE', 'NOSTORE']);
    assert.match(/** @type {string} */ (msa(bad).err), /^ERR\|\|\|207\^/);
    c.close();
    assert.equal((await store.counts()).messages.reduce((a, m) => a + m.n, 0), 1, 'only the committed message');
  } finally {
    await engine.stop();
    await store.close();
  }
});

/** A message strict sanitization accepts (ASCII name, no comma in the location). @param {Parameters<typeof siu>[0]} o */
const strictClean = (o) => siu(o).replace('NGUYỄN^Thị Mai', 'NGUYEN^Thi Mai').replace(/Owl Health Cardiology, 2nd floor/g, 'Owl Health Cardiology 2nd floor');

test(`${node}: node-hl7-server and @medplum/hl7 mount the engine's handler (same intake, store and ACK codes)`, async () => {
  // Strict sanitization, so that a message with a non-Latin name is an application error (AE).
  const profile = { ...SAMPLE_PROFILE, sanitize: 'strict', studio: { flowSid: FLOW_SID, from: FROM, baseUrl: fx.studio.baseUrl } };
  const { engine } = await startEngine({ engine: { delivery: false, mllp: false, profile } });
  const { Server } = rootRequire('node-hl7-server');
  const { Client, Message } = rootRequire('node-hl7-client');
  const medplum = rootRequire('@medplum/hl7');
  const { Hl7Message } = rootRequire('@medplum/core');
  const server = new Server({ bindAddress: '127.0.0.1' });
  const inbound = server.createInbound({ port: 0 }, E.nodeHl7ServerHandler(engine));
  await new Promise((r) => inbound.once('listen', r));
  const nhPort = inbound._socket.address().port;
  const mp = new medplum.Hl7Server(E.medplumHl7Handler(engine));
  mp.start(0);
  await new Promise((r) => mp.server.once('listening', r));
  const mpPort = mp.server.address().port;
  try {
    // node-hl7-client → node-hl7-server → engine
    const client = new Client({ host: '127.0.0.1' });
    /** @type {string[]} */
    const got = [];
    const outbound = client.createConnection({ port: nhPort, waitAck: true }, async (res) => {
      got.push(res.getMessage().get('MSA.1').toString());
    });
    await new Promise((r) => outbound.once('connect', r));
    await outbound.sendMessage(new Message({ text: strictClean({ patient: 12, appointment: 22, seq: 22, cid: 'NH-1' }) }));
    await until(() => got.length === 1, 10_000, 'node-hl7-server ACK');
    assert.equal(got[0], 'CA');
    await outbound.close();
    // medplum Hl7Client → medplum Hl7Server → engine (the engine's own ACK, parsed by medplum)
    const mc = new medplum.Hl7Client({ host: '127.0.0.1', port: mpPort });
    const reply = await mc.sendAndWait(Hl7Message.parse(strictClean({ patient: 13, appointment: 23, seq: 23, cid: 'MP-1' })));
    assert.equal(reply.getSegment('MSA')?.getField(1)?.toString(), 'CA');
    assert.equal(reply.getSegment('MSA')?.getField(2)?.toString(), 'MP-1');
    const bad = await mc.sendAndWait(Hl7Message.parse(siu({ patient: 14, appointment: 24, seq: 24, cid: 'MP-2' })));
    assert.equal(bad.getSegment('MSA')?.getField(1)?.toString(), 'CE');
    assert.ok(bad.getSegment('ERR'), 'ERR segment from the engine');
    await mc.close();
    const s = await engine.status();
    assert.equal(s.jobs['studio.execution'].queued, 2);
    assert.equal(s.messages.total, 3);
  } finally {
    await inbound.close();
    await mp.stop({ forceDrainTimeoutMs: 100 });
    await engine.stop();
  }
});
