//! Inbound mappers: EHR messages → [`crate::event::MapResult`].
//!
//! * [`siu`] — HL7 v2 SIU^S12…S26 (v2.2–2.8), driven by the table in [`siu_map`].
//! * [`fhir`] — FHIR R4/R4B/R5 Appointments, Bundles and subscription notifications
//!   ([`fhir::table`]).
//! * [`redox`] — Redox Scheduling (Data Model API) documents ([`redox_map`]).
//! * [`json_map`] — a profile-mapped JSON feed, or Table B JSON passed through.
//! * [`mod@detect`] — input-kind detection and [`map_input`], the one entry point for every format.
//! * [`json`] — JSON parsing with limits and coded errors, shared by the JSON mappers.

pub(crate) mod common;
pub mod detect;
pub mod fhir;
pub mod generic_map;
pub mod json;
pub mod json_map;
pub mod redox;
pub mod redox_map;
pub mod siu;
pub mod siu_map;
mod table_b;

pub use detect::{detect, map_input, InputKind, MapOptions};
pub use fhir::{map_fhir, map_fhir_all, FhirOptions};
pub use json_map::map_json;
pub use redox::map_redox;
pub use siu::{map_hl7, map_hl7_stream, map_message};
