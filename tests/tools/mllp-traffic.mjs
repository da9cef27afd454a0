// @ts-check
// MLLP traffic on loopback for the capture fixtures of the batch CLI (tests/fixtures/capture/,
// see gen-mllp-captures.sh, which records it with tcpdump and tshark). A listener on PORT (both
// IPv4 and IPv6) acknowledges every frame; clients send synthetic SIU messages (the bundled sample
// with other ids, triggers and phone numbers) and one Latin-1 message from the corpus:
//   connection 1 (127.0.0.1): one frame in three writes 30 ms apart, two frames in one write, then
//                             two frames each waiting for its ACK;
//   connection 2 (::1):       three frames, the Latin-1 message among them;
//   connection 3 (127.0.0.1): noise that is not MLLP, two frames, then a frame cut by the close.
// Writes the complete messages, in capture order, to OUT (a file of CR-terminated segments, one
// blank line between messages). Framing and ACKs are the built package's (pkg/: node js/build.mjs).
//   node tests/tools/mllp-traffic.mjs PORT OUT
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const api = createRequire(import.meta.url)(path.join(ROOT, 'pkg', 'dist', 'ehr_studio_bridge.cjs'));
const [port, out] = [Number(process.argv[2]), process.argv[3]];
if (!port || !out) throw new Error('usage: node tests/tools/mllp-traffic.mjs PORT OUT');

const SAMPLE = fs.readFileSync(path.join(ROOT, 'samples', 'siu_s12_booked.hl7'), 'utf8');
const LATIN1 = fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'corpus', 'synthetic', 'syn_siu_s14_latin1_bytes.hl7'));

/** @param {number} i @param {'S12' | 'S13' | 'S15'} trigger */
function siu(i, trigger) {
  const status = trigger === 'S15' ? 'Cancelled' : 'Booked';
  const text = SAMPLE.replace('SIU^S12^SIU_S12', `SIU^${trigger}^SIU_${trigger}`)
    .replace('20261202091512', `202612020915${String(10 + i).padStart(2, '0')}`)
    .replace('OWL-000184223', `CAP-${i}`)
    .replace('APT-104776^OWLHEALTH', `APT-${900 + i}^OWLHEALTH`)
    .replace('^PRN^CP^^1^971^5550123', `^PRN^CP^^1^971^55501${String(i).padStart(2, '0')}`)
    .replace('|||||Booked', `|||||${status}`);
  return Buffer.from(text.endsWith('\r') ? text : `${text}\r`, 'utf8');
}
const ADT = Buffer.from('MSH|^~\\&|EPIC|OWLHEALTH|TWILIO_BRIDGE|OWLHEALTH|20261202091600||ADT^A08^ADT_A01|CAP-ADT|P|2.5.1\rEVN|A08|20261202091600\rPID|1||880124^^^OWLHEALTH^MR||DOE^JANE\r');

/** @param {Buffer} m */
const frame = (m) => Buffer.from(api.mllpFrame(m));
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

const acks = new Map();
const server = net.createServer({ noDelay: true }, (socket) => {
  let buf = Buffer.alloc(0);
  socket.on('data', (d) => {
    const split = api.mllpSplit(Buffer.concat([buf, d]));
    buf = Buffer.from(split.rest);
    for (const f of split.frames) {
      // The ACK MSH-15 asks for, else the one MSH-16 asks for (as the engine does).
      const ack = api.buildAck(f, { code: 'accept' }).message ?? api.buildAck(f, { code: 'accept', level: 'application' }).message;
      if (ack) socket.write(api.mllpFrame(ack));
    }
  });
  socket.on('error', () => {});
});
await new Promise((r) => server.listen(port, '::', () => r(undefined)));

/** @param {string} host */
async function connect(host) {
  const s = net.connect({ port, host, noDelay: true });
  await new Promise((r, j) => {
    s.once('connect', r);
    s.once('error', j);
  });
  let got = 0;
  s.on('data', (d) => {
    got += d.filter((b) => b === 0x1c).length;
    acks.set(s, got);
  });
  return {
    /** @param {Buffer} b */
    write: async (b) => {
      s.write(b);
      await sleep(30);
    },
    /** @param {number} n */
    acked: async (n) => {
      while ((acks.get(s) ?? 0) < n) await sleep(5);
    },
    close: async () => {
      await new Promise((r) => s.end(r));
      await sleep(50);
    },
  };
}

/** @type {Buffer[]} */
const sent = [];
const m = [siu(1, 'S12'), siu(2, 'S12'), siu(3, 'S13'), siu(4, 'S12'), siu(5, 'S15')];
const c1 = await connect('127.0.0.1');
const f1 = frame(m[0]);
await c1.write(f1.subarray(0, 40));
await c1.write(f1.subarray(40, 400));
await c1.write(f1.subarray(400));
await c1.write(Buffer.concat([frame(m[1]), frame(m[2])]));
await c1.acked(3);
await c1.write(frame(m[3]));
await c1.acked(4);
await c1.write(frame(m[4]));
await c1.acked(5);
await c1.close();
sent.push(...m);

const n = [siu(6, 'S12'), LATIN1, siu(7, 'S13')];
const c2 = await connect('::1');
for (const [i, x] of n.entries()) {
  await c2.write(frame(x));
  await c2.acked(i + 1);
}
await c2.close();
sent.push(...n);

const k = [ADT, siu(8, 'S12')];
const c3 = await connect('127.0.0.1');
await c3.write(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
await c3.write(Buffer.concat(k.map(frame)));
await c3.acked(2);
await c3.write(frame(siu(9, 'S12')).subarray(0, 300));
await c3.close();
sent.push(...k);

server.close();
fs.writeFileSync(out, Buffer.concat(sent.flatMap((x) => [x, Buffer.from('\n')])));
console.log(`sent ${sent.length} messages (+1 cut) on port ${port}`);
