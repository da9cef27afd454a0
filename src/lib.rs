//! # ehr-studio-bridge
//!
//! The integration layer between an EHR and Twilio's "Appointment Management with EHR Integration"
//! (PAM) Studio flow, as one Rust core compiled to WebAssembly.
//!
//! Read the crate as a pipeline:
//!
//! * [`hl7`] — HL7 v2 parse (zero-copy, byte ranges), escape, write, MLLP, ACK.
//! * [`inbound`] — EHR messages (HL7 v2 SIU, FHIR R4/R4B/R5, Redox Scheduling, profile-mapped JSON,
//!   Table B JSON) → [`event::MapResult`]: an [`event::AppointmentEvent`] or a coded skip, with
//!   provenance and warnings, driven by a [`profile::Profile`]; [`map_input`] detects the kind.
//! * [`studio`] — PAM parameter rules, sanitization, and the Studio v2 Executions request.
//! * [`phone`], [`time`] — E.164 normalization and DST-aware zones.
//! * [`remind`] — REMIND planning: the reminders an event creates, updates or cancels, the late
//!   rule, and the REMIND execution (the profile's `reminders` section).
//! * [`reply`] — patient replies (Twilio → EHR): reply parsing, Twilio signature verification,
//!   SRM^S03/S04, FHIR write requests, EHR responses, Studio flow patching.
//!
//! Everything that touches JavaScript lives in one module (`src/wasm.rs`, compiled only for
//! `wasm32`); the rest of the crate is plain Rust and is tested natively with `cargo test`.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod event;
pub mod hl7;
pub mod inbound;
#[doc(hidden)]
pub mod jsonw;
pub mod phone;
pub mod profile;
pub mod remind;
pub mod reply;
pub mod studio;
mod text;
pub mod time;

#[doc(hidden)]
pub mod fuzz_entry;

pub use error::{Error, ErrorCode, Position, Result};
pub use event::{AppointmentEvent, MapOutcome, MapResult};
pub use inbound::{
    detect, map_fhir, map_fhir_all, map_hl7, map_input, map_json, map_redox, FhirOptions,
    InputKind, MapOptions,
};
pub use profile::Profile;
pub use studio::{build_studio_execution, Credentials, StudioConfig, StudioRequest};

/// The crate version (also exported to JavaScript as `version()`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)] // wasm-bindgen generated glue
mod wasm;
