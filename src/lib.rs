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
//! * [`phone`], [`time`] — E.164 normalization and DST-aware zones; [`pointer`](mod@pointer) — JSON pointers.
//! * [`reply`] — patient replies (Twilio → EHR): reply parsing, Twilio signature verification,
//!   SRM^S03/S04, FHIR write requests, EHR responses, Studio flow patching.
//! * [`remind`] — REMIND planning: the reminders an event creates, updates or cancels, the late
//!   rule, and the REMIND execution (the profile's `reminders` section).
//!
//! Everything that touches JavaScript lives in one module (`src/wasm.rs`, compiled only for
//! `wasm32`); the rest of the crate is plain Rust and is tested natively with `cargo test`.
//!
//! Dependencies only point down. The floors, lowest first (a module uses its own floor and the
//! ones below; `tests/layers.rs` fails on a use that points up):
//!
//! 1. [`error`], `text`, `jsonw`, [`pointer`](mod@pointer) — leaves;
//! 2. [`hl7`], [`time`], [`phone`] — formats and primitives;
//! 3. [`event`] — the Table B event, provenance, skips;
//! 4. [`studio`] — the PAM contract (parameter rules, sanitization) and the Studio request;
//! 5. [`reply`] — patient replies back to the EHR;
//! 6. [`profile`] — the mapping profile (it holds the `studio` and `reply` sections);
//! 7. [`inbound`] — EHR messages → events (reads the profile, sanitizes with `studio`);
//! 8. [`remind`] — reminder plans from mapped events;
//! 9. the wasm boundary, the fuzz entries and this root.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod event;
pub mod hl7;
pub mod inbound;
#[doc(hidden)]
pub mod jsonw;
pub mod phone;
pub mod pointer;
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
pub use profile::{CompiledProfile, Profile};
pub use studio::{build_studio_execution, Credentials, StudioConfig, StudioRequest};

/// The crate version (also exported to JavaScript as `version()`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)] // wasm-bindgen generated glue
mod wasm;
