// @ts-check
// Benchmark (not a test): sustained messages/s through the engine's MLLP listener + durable store +
// ACK, and the ACK latency (p50/p99) seen by the senders.
//
//   node js/build.mjs && node benches/engine.mjs [--connections 16] [--messages 20000]
//        [--synchronous full|normal] [--store sqlite:PATH | postgres://…]
//
// The engine is the package's CLI (`serve --no-delivery`: nothing is sent to Studio, so this is
// the listener → map → commit → ACK path alone) in its own process, on a fresh SQLite file in the
// OS temp dir by default (WAL, synchronous=FULL: every commit is fsynced before its ACK). The
// senders, in this process, behave like interface engines: each connection sends one message,
// waits for its ACK, then sends the next. Messages are the perf SIU (1,958 bytes) with a unique
// MSH-10 and appointment id each, so every one is a new job. One warm-up of 1,000 messages, then
// one timed run (run it again for another sample; treat differences under ~15% as noise).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
/** @param {string} name @param {string} dflt */
const arg = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const CONNECTIONS = Number(arg('connections', '16'));
const MESSAGES = Number(arg('messages', '20000'));
const SYNCHRONOUS = arg('synchronous', 'full');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ehr-bench-'));
const STORE = arg('store', `sqlite:${path.join(tmp, 'bench.db')}`);

const CLI = path.join(ROOT, 'pkg', 'dist', 'cli.cjs');
if (!fs.existsSync(CLI)) {
  console.error('pkg/ is missing: run `node js/build.mjs` first');
  process.exit(1);
}
const SMALL = fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'perf', 'siu_s12_small.hl7'), 'utf8');
const CONTROL = /^MSH(\|[^|\r]*){8}\|([^|\r]*)/.exec(SMALL)?.[2];
const SCH_IDS = /\rSCH\|([^|^\r]*)[^|\r]*\|([^|^\r]*)/.exec(SMALL);
if (!CONTROL || !SCH_IDS?.[1] || !SCH_IDS[2]) throw new Error('perf message: MSH-10 / SCH-1 / SCH-2 not found');
const [, PLACER, FILLER] = SCH_IDS;
/** A new message and a new appointment (placer SCH-1 and filler SCH-2: the filler id is the
 * appointment_id, so both change), i.e. a new job each time, never a duplicate. @param {number} i */
const message = (i) => SMALL.replace(`|${CONTROL}|`, `|B${i}|`).replace(`SCH|${PLACER}`, `SCH|B${i}`).replace(`|${FILLER}^`, `|F${i}^`);

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', () => r(undefined)));
  const port = /** @type {net.AddressInfo} */ (s.address()).port;
  await new Promise((r) => s.close(() => r(undefined)));
  return port;
}

/** One MLLP connection: send a frame, resolve with the ACK; latency in ms. @param {number} port */
async function connect(port) {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  let buf = Buffer.alloc(0);
  /** @type {(() => void) | null} */
  let waiting = null;
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    const end = buf.indexOf(0x1c);
    if (end >= 0) {
      buf = buf.subarray(end + 2);
      const w = waiting;
      waiting = null;
      w?.();
    }
  });
  return {
    /** @param {string} text */
    send(text) {
      const t0 = performance.now();
      return new Promise((resolve) => {
        waiting = () => resolve(performance.now() - t0);
        socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(text), Buffer.from([0x1c, 0x0d])]));
      });
    },
    close: () => socket.destroy(),
  };
}

/** Send `total` messages over `connections` connections; per-message latencies. @param {number} port @param {number} from @param {number} total */
async function load(port, from, total) {
  const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect(port)));
  /** @type {number[]} */
  const latencies = [];
  let next = from;
  const t0 = performance.now();
  await Promise.all(
    conns.map(async (c) => {
      while (next < from + total) {
        const i = next++;
        latencies.push(/** @type {number} */ (await c.send(message(i))));
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const c of conns) c.close();
  return { latencies, seconds };
}

/** @param {number[]} sorted @param {number} q */
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const port = await freePort();
const profile = path.join(tmp, 'profile.json');
fs.writeFileSync(profile, JSON.stringify({ sender: { timeZone: 'America/New_York', defaultCountry: 'US' }, studio: { flowSid: 'FW0123456789abcdef0123456789abcdef', from: '+15017122661' } }));
const engine = spawn(
  process.execPath,
  [CLI, 'serve', '--profile', profile, '--store', STORE, '--mllp-port', String(port), '--http-port', 'off', '--host', '127.0.0.1', '--no-delivery', '--sqlite-synchronous', SYNCHRONOUS, '--log-level', 'warn'],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), NODE_NO_WARNINGS: '1' } },
);
try {
  for (let i = 0; ; i++) {
    try {
      (await connect(port)).close();
      break;
    } catch {
      if (i > 300) throw new Error('the engine did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await load(port, 0, 1000); // warm-up (JIT, SQLite pages)
  const { latencies, seconds } = await load(port, 1000, MESSAGES);
  latencies.sort((a, b) => a - b);
  const result = {
    node: process.versions.node,
    store: STORE.startsWith('postgres') ? 'postgres' : `sqlite (synchronous=${SYNCHRONOUS})`,
    connections: CONNECTIONS,
    messages: MESSAGES,
    messagesPerSecond: Math.round(MESSAGES / seconds),
    ackP50ms: Number(quantile(latencies, 0.5).toFixed(2)),
    ackP99ms: Number(quantile(latencies, 0.99).toFixed(2)),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  console.log(
    `engine: ${result.messagesPerSecond} msgs/s sustained, ACK p50 ${result.ackP50ms} ms, p99 ${result.ackP99ms} ms ` +
      `(${CONNECTIONS} connections, ${MESSAGES} messages, ${result.store}, Node ${result.node}, load ${result.loadAverage.join(' ')})`,
  );
  console.log(JSON.stringify(result));
  // Every message must have been a new job (a duplicate is a cheaper path: it would flatter the figures).
  engine.kill('SIGTERM');
  await new Promise((r) => engine.on('exit', r));
  const status = JSON.parse(execFileSync(process.execPath, [CLI, 'status', '--store', STORE, '--json'], { encoding: 'utf8', env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), NODE_NO_WARNINGS: '1' } }));
  const queued = status.jobs?.['studio.execution']?.queued;
  if (queued !== 1000 + MESSAGES) throw new Error(`expected ${1000 + MESSAGES} new jobs (warm-up + run), the store has ${queued}: the messages were not all new`);
} finally {
  if (engine.exitCode === null && engine.signalCode === null) {
    engine.kill('SIGTERM');
    await new Promise((r) => engine.on('exit', r));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
