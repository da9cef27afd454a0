//! Patient replies (Twilio → EHR): parse the body the PAM flow's HTTP Request widgets POST, prove it
//! came from Twilio, and describe the EHR request (HL7 v2 SRM or FHIR R4) — plus reading the EHR's
//! answer and patching the Studio flow's known defects.
//!
//! | step | function |
//! |---|---|
//! | is it from Twilio? | [`verify_twilio_signature`] |
//! | what did the patient answer? | [`parse_reply`] / [`parse_reply_with`], [`check_content_type`] |
//! | HL7 v2 | [`reply_to_hl7`] (SRM^S03 / SRM^S04) |
//! | FHIR R4 | [`reply_to_fhir`] (JSON Patch, FHIRPath Patch, PUT, AppointmentResponse, Oracle Millennium) |
//! | what did the EHR say? | [`parse_ehr_response`], [`parse_fhir_response`] |
//! | fix the flow | [`patch_studio_flow`] |
//! | no raw body (Twilio Functions)? | [`widget_body_candidates`]: rebuild the widget's exact body to check `bodySHA256` |
//!
//! Configuration: [`ReplyConfig`] (the profile's `reply` section). The core never sends anything:
//! hosts send the requests it describes.

pub mod config;
pub mod ehr_response;
pub mod fhir;
pub mod flow_patch;
pub mod parse;
pub mod signature;
pub mod srm;
mod urlnorm;
pub mod widget;

pub use config::{FhirReplyConfig, Hl7ReplyConfig, ReplyConfig};
pub use ehr_response::{parse_ehr_response, parse_fhir_response, EhrError, EhrOutcome};
pub use fhir::{reply_to_fhir, FhirRequest, HttpRequest};
pub use flow_patch::{
    patch_studio_flow, FlowChange, FlowPatchOptions, FlowPatchResult, ValueEscaping,
};
pub use parse::{check_content_type, parse_reply, parse_reply_with, Reply, ReplyEvent};
pub use signature::{
    body_sha256_hex, expected_signature, verify_twilio_signature, SignatureAlgorithm,
    SignatureInput, Verdict,
};
pub use srm::reply_to_hl7;
pub use widget::{widget_body_candidates, WIDGET_KEYS};
