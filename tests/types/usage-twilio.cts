// ehr-studio-bridge/twilio and ehr-studio-bridge/slim as a TypeScript Twilio Function sees them
// (CommonJS, node16 / nodenext).
import twilioAdapters = require('ehr-studio-bridge/twilio');
import slim = require('ehr-studio-bridge/slim');
import type { DueRemindersHandlerOptions, EventHandlerOptions, FunctionHandler, ReminderStore, ReplyHandlerOptions } from 'ehr-studio-bridge/twilio';

const store = new Map<string, string>();
const eventOptions: EventHandlerOptions = {
  onConflict: 'reject',
  conflictRetryAfterSeconds: 120,
  idempotency: { check: (key) => store.get(key), record: (key, sid) => void store.set(key, sid) },
  logger: { info: () => {}, warn: () => {}, error: () => {} },
  twilioClient: (context) => context.getTwilioClient?.(),
};
const onEvent: FunctionHandler = twilioAdapters.createEventHandler(eventOptions);

const replyOptions: ReplyHandlerOptions = {
  verify: 'signature',
  target: 'fhir',
  timeoutMs: 5000,
  accessToken: async () => 'token',
  publicUrl: (context) => `https://${String(context.DOMAIN_NAME)}/ie-endpoint`,
};
const onReply: FunctionHandler = twilioAdapters.createReplyHandler(replyOptions);

// Private-asset mode: the slim glue, initialized synchronously from the .wasm bytes.
declare const wasmBytes: Uint8Array;
slim.initSync({ module: wasmBytes });
const ready: boolean = slim.isInitialized();
const api: typeof slim = twilioAdapters.loadApiFromAsset(twilioAdapters.DEFAULT_WASM_ASSET);
const mapper = new api.Mapper({ studio: { flowSid: 'FW00000000000000000000000000000000', from: '+15035550100' } });
const payload = twilioAdapters.eventPayload({ hl7: 'MSH|^~\\&|' });
const input: string | Uint8Array | undefined = payload?.input;
const bodies: string[] = twilioAdapters.replyBodyCandidates({ flow_sid: 'FW…' });

// @ts-expect-error: onConflict is "reject" | "end-and-retry"
twilioAdapters.createEventHandler({ onConflict: 'end' });

// Reminders: a host-provided store, or the Sync one from the environment.
const memory: ReminderStore = {
  load: async () => ({ reminders: [{ id: 'rm1-…', status: 'pending' }], version: 1 }),
  apply: async (plan) => plan.reminders.length >= 0,
  claimDue: async () => [],
  finish: async () => {},
  release: async () => {},
};
const dueOptions: DueRemindersHandlerOptions = { reminders: memory, batchSize: 5, leaseMs: 60_000, clock: () => Date.now() };
const onDue: FunctionHandler = twilioAdapters.createDueRemindersHandler(dueOptions);
const onEventWithReminders: FunctionHandler = twilioAdapters.createEventHandler({ reminders: (context) => twilioAdapters.syncReminderStoreFromContext(context) });
const sync: ReminderStore = twilioAdapters.createSyncReminderStore({ client: {}, serviceSid: 'IS…', prefix: 'clinic' });
// @ts-expect-error: batchSize is a number
twilioAdapters.createDueRemindersHandler({ batchSize: '5' });

export = { onEvent, onReply, ready, mapper, input, bodies, onDue, onEventWithReminders, sync };
