//! The Redox Scheduling → Table B mapping **as data**: per key, the JSON pointers tried in order
//! and the provenance rule each records; the event-type table. [`render_markdown`] renders it to
//! `docs/redox-mapping.md` (a test keeps the document in sync) and [`super::redox`] walks it.

use crate::event::{EventType, Field};

/// One source: a JSON pointer into the Redox document and the provenance rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RSrc {
    /// JSON pointer (`/Visit/VisitNumber`).
    pub pointer: &'static str,
    /// The provenance rule.
    pub rule: &'static str,
}

const fn r(pointer: &'static str, rule: &'static str) -> RSrc {
    RSrc { pointer, rule }
}

/// The mapping of one key.
#[derive(Debug, Clone, Copy)]
pub struct RedoxFieldMap {
    /// The key.
    pub field: Field,
    /// Sources in order.
    pub sources: &'static [RSrc],
    /// Fallbacks and rules.
    pub notes: &'static str,
}

/// The providers, in order: the first that is not an all-null object is "the provider".
pub const PROVIDERS: [&str; 4] = [
    "/Visit/AttendingProvider",
    "/Visit/VisitProvider",
    "/Visit/ReferringProvider",
    "/Visit/ConsultingProvider",
];

/// Provider rule text.
pub const PROVIDER_RULE: &str =
    "first provider that is not all-null (Attending, Visit, Referring, Consulting)";

/// The table, in Table B order. Provider keys read `<provider>` = the first of [`PROVIDERS`].
pub const REDOX_MAP: [RedoxFieldMap; 14] = [
    RedoxFieldMap { field: Field::EventType, sources: &[r("/Meta/EventType", "Meta.EventType (see the event table)"), r("/Visit/Status", "Modification with a confirmed Visit.Status (redox.confirmedStatuses) → CONFIRMED")], notes: "redox.events overrides per EventType; other data models / event types → SKIP_NOT_SCHEDULING_EVENT" },
    RedoxFieldMap { field: Field::EventDatetimeUtc, sources: &[r("/Meta/EventDateTime", "Meta.EventDateTime (Redox's transmission time; the EHR edit time is not sent)")], notes: "no offset: sender.timeZone, else UTC (warning)" },
    RedoxFieldMap { field: Field::PatientId, sources: &[r("/Patient/Identifiers/*/ID", "Patient.Identifiers[] entry whose IDType is the first of redox.patientIdTypes present (default MR, MRN), else the first")], notes: "the chosen IDType is kept in `ids.patientIdType`; no Patient → SKIP_NO_PATIENT (holds and blocks carry none)" },
    RedoxFieldMap { field: Field::PatientFirstName, sources: &[r("/Patient/Demographics/FirstName", "Patient.Demographics.FirstName")], notes: "" },
    RedoxFieldMap { field: Field::PatientLastName, sources: &[r("/Patient/Demographics/LastName", "Patient.Demographics.LastName")], notes: "" },
    RedoxFieldMap { field: Field::PatientPhone, sources: &[r("/Patient/Demographics/PhoneNumber/Mobile", "PhoneNumber.Mobile"), r("/Patient/Demographics/PhoneNumber/Home", "PhoneNumber.Home"), r("/Patient/Demographics/PhoneNumber/Office", "PhoneNumber.Office")], notes: "Mobile first; Home is used with MAP_PHONE_NOT_MARKED_MOBILE unless phones.requireMobile; Office only with phones.allowWork; validated by the numbering plan (docs/phone-numbers.md); none → SKIP_NO_MOBILE_PHONE, all invalid → SKIP_INVALID_PHONE" },
    RedoxFieldMap { field: Field::ProviderId, sources: &[r("<provider>/ID", PROVIDER_RULE)], notes: "then profile.defaults.providerId" },
    RedoxFieldMap { field: Field::ProviderFirstName, sources: &[r("<provider>/FirstName", PROVIDER_RULE)], notes: "then profile.defaults.providerFirstName" },
    RedoxFieldMap { field: Field::ProviderLastName, sources: &[r("<provider>/LastName", PROVIDER_RULE)], notes: "then profile.defaults.providerLastName" },
    RedoxFieldMap { field: Field::ProviderCallbackPhone, sources: &[r("<provider>/PhoneNumber/Office", "the provider's office phone")], notes: "Scheduling has no location phone: then profile.defaults.providerCallbackPhone; rendered per phones.callbackFormat" },
    RedoxFieldMap { field: Field::AppointmentLocation, sources: &[r("/Visit/Location/Facility", "Visit.Location.Facility"), r("/Visit/Location/Department", "Visit.Location.Department (the only required part; often a code)"), r("/Visit/Location/Room", "Visit.Location.Room")], notes: "then profile.defaults.appointmentLocation" },
    RedoxFieldMap { field: Field::AppointmentId, sources: &[r("/Visit/VisitNumber", "Visit.VisitNumber (string or number)")], notes: "Reschedule: Visit.OldVisitNumber kept in `ids.previousAppointmentId` (a rebooked visit gets a new number)" },
    RedoxFieldMap { field: Field::AppointmentDatetime, sources: &[r("/Visit/VisitDateTime", "Visit.VisitDateTime converted to profile.sender.timeZone")], notes: "`Z`, `±hh:mm`, `±hhmm` and no offset accepted; Redox sends no zone, so the local time needs sender.timeZone (a `Z` time without one → MAP_ZONE_UNKNOWN → SKIP_MISSING_REQUIRED)" },
    RedoxFieldMap { field: Field::AppointmentTimezone, sources: &[r("profile.sender.timeZone", "profile.sender.timeZone offset at the appointment (DST-aware)")], notes: "a non-UTC offset written on VisitDateTime when no zone is configured (MAP_ZONE_FROM_OFFSET)" },
];

/// `Meta.EventType` → event (`None`: not an appointment event).
pub const EVENT_TYPES: &[(&str, Option<EventType>, &str)] = &[
    ("New", Some(EventType::Booked), "new appointment"),
    (
        "Reschedule",
        Some(EventType::Rescheduled),
        "date or time changed (Visit.OldDateTime, OldVisitNumber)",
    ),
    (
        "Modification",
        Some(EventType::Modified),
        "any other change; CONFIRMED when Visit.Status is a confirmed value",
    ),
    (
        "Cancel",
        Some(EventType::Canceled),
        "reason in Visit.CancelReason",
    ),
    (
        "NoShow",
        Some(EventType::Noshowed),
        "reason in Visit.NoShowReason",
    ),
    ("AvailableSlots", None, "slot query"),
    ("AvailableSlotsResponse", None, "slot query response"),
    ("Booked", None, "booked-appointments query"),
    ("BookedResponse", None, "booked-appointments query response"),
    ("PushSlots", None, "slot push"),
];

/// The provenance rule of each built-in event type.
pub fn event_rule(ev: &str) -> &'static str {
    match ev {
        "New" => "Meta.EventType New → BOOKED",
        "Reschedule" => "Meta.EventType Reschedule → RESCHEDULED",
        "Modification" => "Meta.EventType Modification → MODIFIED",
        "Cancel" => "Meta.EventType Cancel → CANCELED",
        "NoShow" => "Meta.EventType NoShow → NOSHOWED",
        _ => "Meta.EventType",
    }
}

/// Render the table as Markdown (the content of `docs/redox-mapping.md`).
pub fn render_markdown() -> String {
    let mut out = String::from("# Redox Scheduling → Studio `Parameters` mapping\n\n");
    out.push_str("Generated from `src/inbound/redox_map.rs` (a test fails when this file is out of date; regenerate with\n`UPDATE_GOLDEN=1 cargo test --test redox_golden`). Sources are JSON pointers into the Redox Data Model document,\ntried top to bottom; `<provider>` is the first of Attending, Visit, Referring, Consulting provider that is not an\nall-null object. Null leaves count as absent. The rule text is what the provenance says.\n\n");
    out.push_str("| key | sources (in order) | rule recorded in the provenance | notes |\n|---|---|---|---|\n");
    for m in REDOX_MAP {
        for (i, s) in m.sources.iter().enumerate() {
            if i == 0 {
                out.push_str(&format!(
                    "| `{}` | `{}` | {} | {} |\n",
                    m.field.name(),
                    s.pointer,
                    s.rule,
                    m.notes
                ));
            } else {
                out.push_str(&format!("| | `{}` | {} | |\n", s.pointer, s.rule));
            }
        }
    }
    out.push_str("\n## Meta.EventType\n\n`Meta.DataModel` must be `Scheduling` (other data models → `SKIP_NOT_SCHEDULING_EVENT`). A document without\n`Meta.DataModel` is not Redox (`REDOX_UNSUPPORTED`).\n\n| EventType | event | note |\n|---|---|---|\n");
    for (k, e, note) in EVENT_TYPES {
        out.push_str(&format!(
            "| `{k}` | {} | {note} |\n",
            e.map_or("`SKIP_NOT_SCHEDULING_EVENT`", EventType::as_str)
        ));
    }
    out.push_str("\n`Visit.Status` is free text: a cancelled / no-show status on another event type gives `MAP_EVENT_STATUS_MISMATCH`\n(the event type decides). `Meta.Test: true` gives `REDOX_TEST_MESSAGE`.\n");
    out
}
