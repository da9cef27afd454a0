//! Inbound mappers: EHR messages → [`crate::event::MapResult`].
//!
//! * [`siu`] — HL7 v2 SIU^S12…S26 (v2.2–2.8), driven by the table in [`siu_map`].

pub mod siu;
pub mod siu_map;

pub use siu::{map_hl7, map_hl7_stream, map_message};
