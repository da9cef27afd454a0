// EHR appointment events → Studio executions of the PAM flow.
//
// The interface engine POSTs here with `Authorization: Bearer <EHR_BRIDGE_EVENT_TOKEN>` and one of
//   {"hl7": "MSH|^~\\&|..."}            (application/json; or the form field hl7=...)
//   {"hl7Base64": "TVNIfF5+XCZ8..."}    (exact bytes, e.g. Latin-1 HL7)
//   a FHIR / Redox / Table B JSON object (application/json; see docs/twilio-functions.md)
//
// Answers: 201 {executionSid}, 200 {skip}, 4xx {code} (do not resend as is), 409 + Retry-After
// (the patient's previous conversation is still open), 429/502/503 (retry later).
//
// The package is loaded from node_modules, or — when EHR_BRIDGE_WASM_ASSET is set (e.g.
// /ehr_studio_bridge_bg.wasm) — the .wasm is read from that private asset and instantiated
// synchronously (ehr-studio-bridge/slim). Everything is configured in the environment (.env.example).
//
// Reminders: with TWILIO_SYNC_SERVICE_SID set and a `reminders` section in the profile, each event
// also plans the appointment's REMIND executions into Twilio Sync (before the execution is
// started; /remind-due sends them). Without it, no reminders are planned.
const { createEventHandler, syncReminderStoreFromContext } = require('ehr-studio-bridge/twilio');

exports.handler = createEventHandler({ reminders: syncReminderStoreFromContext });
