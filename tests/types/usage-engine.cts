// ehr-studio-bridge/engine as a TypeScript host sees it (CommonJS, node16 / nodenext), without any
// Node or DOM lib types: the declarations are self-contained.
import engineApi = require('ehr-studio-bridge/engine');
import type { AcceptResult, EhrTlsOptions, Engine, EngineOptions, Handler, Job, Outcome, ReminderRow, ReplyOptions, Status, Store } from 'ehr-studio-bridge/engine';

const options: EngineOptions = {
  profile: { studio: { flowSid: 'FW00000000000000000000000000000000', from: '+15035550100' } },
  store: 'sqlite:/var/lib/ehr-bridge/queue.db',
  storeOptions: { synchronous: 'full' },
  mllp: { port: 2575, tls: { cert: '/etc/ehr/cert.pem', key: '/etc/ehr/key.pem' }, maxMessageBytes: 1 << 20 },
  http: { port: 8080, publicUrl: 'https://bridge.example.org/ie-endpoint' },
  twilio: { accountSid: 'AC00000000000000000000000000000000', apiKey: 'SK00000000000000000000000000000000', apiSecret: 's', authToken: 't' },
  delivery: { ratePerSecond: 20, onConflict: 'end-stale', staleAfterMs: 150_000, maxAttempts: 25 },
  replies: { target: 'hl7', ehrMllp: { host: 'ehr.example.org', port: 6661 }, timeoutMs: 15_000 },
  worker: { retainDays: 30 },
  logLevel: 'info',
  reminders: { tickMs: 30_000, batch: 50, concurrency: 4 },
  now: () => Date.now(),
};

// A job kind of one's own on the same queue (what a reminder scheduler adds).
const reminders: Handler = {
  kind: 'studio.remind',
  concurrency: 2,
  async run(job: Job, ctx): Promise<Outcome> {
    if (!ctx.alive() || ctx.signal.aborted) return { status: 'release', delayMs: 1000 };
    return job.attempts > 3 ? { status: 'dead', code: 'GAVE_UP' } : { status: 'done', code: 'SENT', result: { n: job.payload } };
  },
};

async function main(): Promise<number> {
  const engine: Engine = await engineApi.createEngine(options);
  engine.addHandler(reminders);
  const addresses = await engine.start();
  const port: number | undefined = addresses.mllp?.port;
  const r: AcceptResult = await engine.accept(new Uint8Array([0x4d]), { source: 'test' });
  const ack: string | null = r.ack;
  const s: Status = await engine.status();
  const store: Store = engine.store;
  const queued = await store.enqueue({ kind: 'studio.remind', idemKey: 'r1', lane: engineApi.studioLane('+1', '+2'), payload: {}, dueAt: Date.now() + 60_000 });
  const replayed = await engineApi.replayDeadLetters(store, { code: 'TWILIO_REJECTED' }, (done, total) => void [done, total]);
  const text: string = engineApi.formatStatus(s);
  const pending: number = s.reminders.pending + s.reminders.claimed + (s.reminders.skippedByCode.REMIND_TOO_LATE ?? 0);
  const rows: ReminderRow[] = await store.listReminders({ appointmentKey: 'ak1-00000000000000000000000000000000' });
  const next: number | null = await store.nextReminderDue();
  const clock = engineApi.fileClock('/tmp/clock', { pollMs: 20 });
  clock.onChange(() => engine.wake());
  clock.close();
  await engine.stop({ graceMs: 10_000 });
  return (port ?? 0) + (ack ? 1 : 0) + queued.id + replayed.requeued + text.length + pending + rows.length + (next ?? 0);
}

const opened: Promise<Store> = engineApi.openStore('postgres://bridge@db/bridge', { poolSize: 4 });
const onNodeHl7Server = engineApi.nodeHl7ServerHandler({ accept: async () => ({ ack: null, ackCode: 'AA', outcome: 'skipped', code: null, messageId: 1, jobId: null, idempotencyKey: null }) });
const kinds: string[] = [engineApi.STUDIO_KIND, engineApi.REPLY_KIND, engineApi.REMIND_KIND];

// MLLP over TLS to the EHR: the default trust store, or PEM files (paths) / bytes, mutual TLS.
const ehrTlsFiles: EhrTlsOptions = { ca: '/etc/ehr/ehr-ca.pem', cert: '/etc/ehr/client.pem', key: '/etc/ehr/client.key', servername: 'ehr.example.org' };
const ehrTlsBytes: EhrTlsOptions = { ca: new Uint8Array([0x2d]), rejectUnauthorized: true };
const viaTls: ReplyOptions[] = [
  { target: 'hl7', ehrMllp: { host: 'ehr.example.org', port: 6661, tls: true } },
  { target: 'hl7', ehrMllp: { host: '10.0.0.7', port: 6661, tls: ehrTlsFiles } },
  { ehrMllp: { host: '10.0.0.7', port: 6661, tls: ehrTlsBytes }, maxAttempts: 5 },
];
// @ts-expect-error: raw node:tls options are not accepted (ca, cert, key, servername, rejectUnauthorized)
const badTls: EhrTlsOptions = { minVersion: 'TLSv1.3' };
// @ts-expect-error: servername is a name, not a flag
const badServername: EhrTlsOptions = { servername: true };

// @ts-expect-error: onConflict is "wait" | "end-stale"
const bad: EngineOptions = { ...options, delivery: { onConflict: 'end' } };
// @ts-expect-error: reminders is options or false
const badReminders: EngineOptions = { ...options, reminders: true };

export = { main, opened, onNodeHl7Server, kinds, bad, badReminders, viaTls, badTls, badServername };
