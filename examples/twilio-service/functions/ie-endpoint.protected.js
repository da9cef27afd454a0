// The PAM flow's IE_ENDPOINT: the patient's CONFIRM APPT / CANCEL APPT reply → the EHR.
//
// Set the flow variable IE_ENDPOINT to https://<your-domain>/ie-endpoint (Studio editor →
// set_global_variables → Publish). As a *protected* Function, Twilio's gateway rejects requests
// without a valid X-Twilio-Signature; the handler additionally verifies the signature in code
// against the exact widget body rebuilt from the parsed fields (the gateway's check of the
// bodySHA256 of a JSON body is not documented). See docs/twilio-functions.md.
//
// Then it sends SRM^S03/S04 to EHR_HL7_ENDPOINT (EHR_REPLY_TARGET=hl7), or the FHIR write
// described by the profile's reply.fhir section (EHR_REPLY_TARGET=fhir), and answers Studio
// within its 10 s with a small JSON (no patient data).
const { createReplyHandler } = require('ehr-studio-bridge/twilio');

exports.handler = createReplyHandler();
