// Due reminders → REMIND executions of the PAM flow (replaces the template's hourly AWS Lambda:
// disable its EventBridge rule, or patients get both).
//
// An external scheduler (cron, EventBridge, a CI schedule…) POSTs here every few minutes with
// `Authorization: Bearer <EHR_BRIDGE_EVENT_TOKEN>`. Each call claims up to EHR_BRIDGE_REMIND_BATCH
// due reminders from Twilio Sync (TWILIO_SYNC_SERVICE_SID), sends each one that is still useful
// (the profile's lateGrace and outreach window) and records the others as skipped.
//
// Answers 200 {claimed, sent, skipped, retried, failed, storeErrors, more, codes?}; `more: true`:
// call again now. 503: Sync is unavailable (retry later). Logs: counts and codes only.
const { createDueRemindersHandler, syncReminderStoreFromContext } = require('ehr-studio-bridge/twilio');

exports.handler = createDueRemindersHandler({ reminders: syncReminderStoreFromContext });
