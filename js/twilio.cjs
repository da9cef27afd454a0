// @ts-check
// ehr-studio-bridge/twilio: Twilio Functions adapters (docs/twilio-functions.md).
//
//   exports.handler = createEventHandler();   // EHR event → Studio execution (twilio-node)
//   exports.handler = createReplyHandler();   // the flow's IE_ENDPOINT → SRM^S03/S04 or FHIR write
//   exports.handler = createDueRemindersHandler({ reminders });   // cron → REMIND executions
//
// With a ReminderStore (`reminders` option; createSyncReminderStore is one on Twilio Sync) the
// event handler also plans the appointment's reminders (the package's planReminders) and stores
// the plan before starting the execution; the due handler claims due reminders and sends them.
// Thin by design: mapping, reply parsing, signature checks, EHR messages and response parsing are
// all the package API's. These files only move data between the Functions runtime (context, event,
// callback, Twilio.Response), twilio-node and fetch. They never log or return patient data: logs
// carry codes, HTTP statuses, execution SIDs, idempotency keys (hashes) and durations.
//
// The modules (twilio/*.cjs): runtime (option types, coded errors, answers, logs, the bearer
// check), load (the wasm API, the profile, the cached Mapper), event (createEventHandler), reply
// (createReplyHandler), reminders (planning into the store, createDueRemindersHandler).
'use strict';

const { DEFAULT_WASM_ASSET, loadApiFromAsset } = require('./twilio/load.cjs');
const { eventPayload, createEventHandler } = require('./twilio/event.cjs');
const { replyBodyCandidates, createReplyHandler } = require('./twilio/reply.cjs');
const { syncReminderStoreFromContext, createDueRemindersHandler } = require('./twilio/reminders.cjs');

/** @param {Parameters<typeof import('./twilio-sync-store.cjs').createSyncReminderStore>[0]} options */
function createSyncReminderStore(options) {
  return require('./twilio-sync-store.cjs').createSyncReminderStore(options);
}

module.exports = {
  createEventHandler,
  createReplyHandler,
  createDueRemindersHandler,
  createSyncReminderStore,
  syncReminderStoreFromContext,
  loadApiFromAsset,
  eventPayload,
  replyBodyCandidates,
  DEFAULT_WASM_ASSET,
};
