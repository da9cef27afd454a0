//! The format-neutral appointment event: the 14 "Table B" values the PAM Studio flow reads as
//! `{{flow.data.*}}`, plus where each value came from ([`Provenance`]) and the outcome of a mapping
//! ([`MapResult`]: an event to send, or a coded [`Skip`]).
//!
//! Every inbound format (HL7 v2 SIU here; FHIR, Redox and Table B JSON elsewhere) produces the same
//! [`AppointmentEvent`], and [`crate::studio`] turns it into a Studio Executions request.
//!
//! ## Values that have no source
//!
//! All 14 keys are **always present** and always strings. A value that has no source (and no
//! profile default) is the **empty string**, never omitted and never `null`:
//!
//! * the PAM `save-*` functions assert `hasOwnProperty` on `event_type`, `patient_id`,
//!   `appointment_id` and `appointment_datetime`, and every event **overwrites** the stored snapshot
//!   that the reminder Lambda reads, so a key must never disappear;
//! * `validateAppointment` checks the optional keys only when they are truthy, and the
//!   `{k=v, …}` rendering of `{{flow.data}}` turns `k=` into `""` without error;
//! * a JSON `null` would be rendered by Studio in an undocumented way (contract §6).
//!
//! The four keys the flow requires (`event_type`, `patient_id`, `appointment_id`,
//! `appointment_datetime`) plus the two required in practice (`appointment_timezone`,
//! `patient_phone`) are never empty in an [`AppointmentEvent`] produced by a mapper: when one
//! cannot be produced the mapper returns a [`Skip`] instead.
//!
//! ## Where things are
//!
//! * `event/field.rs` — the 14 keys ([`Field`]) and the event types ([`EventType`]);
//! * `event/appointment.rs` — [`AppointmentEvent`] and the values its SMS prints;
//! * `event/key.rs` — the idempotency key and the FNV-1a 128 hash behind it;
//! * `event/provenance.rs` — [`PathRef`], [`Source`], [`Provenance`], [`ProvenanceMap`];
//! * `event/ids.rs` — [`ExtraIds`] and [`EntityId`], kept beside the values;
//! * `event/outcome.rs` — [`MapResult`], [`MapOutcome`], [`Skip`], [`Detail`], [`NeedsFetch`];
//! * `event/skip_codes.rs` — the stable skip codes ([`skip_codes`]).

mod appointment;
mod field;
mod ids;
mod key;
mod outcome;
mod provenance;
pub mod skip_codes;

pub use appointment::AppointmentEvent;
pub use field::{EventType, Field};
pub use ids::{EntityId, ExtraIds};
pub(crate) use key::hashed_key;
pub use outcome::{Detail, FetchItem, MapOutcome, MapResult, NeedsFetch, Skip};
pub use provenance::{PathRef, Provenance, ProvenanceMap, Source};
