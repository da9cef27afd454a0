//! The FHIR → Table B mapping **as data**: the sources of each key in the order they are tried
//! (each with the provenance rule text the mapper records), the status table, the built-in
//! trigger/topic hints and the change rules that tell BOOKED / RESCHEDULED / CONFIRMED / MODIFIED
//! apart. [`render_markdown`] renders all of it to `docs/fhir-mapping.md` (a test keeps the
//! document in sync); the mapper takes its rule texts from here, so the document cannot drift
//! from what the provenance says.

use crate::event::{EventType, Field};

/// One source of a key: where it is read and the rule text recorded in the provenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Src {
    /// The FHIR element (FHIRPath-like, for the documentation).
    pub path: &'static str,
    /// The provenance rule.
    pub rule: &'static str,
}

const fn s(path: &'static str, rule: &'static str) -> Src {
    Src { path, rule }
}

// ---- sources (the mapper refers to these by name) ---------------------------------------------

/// Event type from the status and the change rules below.
pub const EVENT: Src = s(
    "Appointment.status (+ previous snapshot, trigger/topic, R5 replaces)",
    "derived from status, previous snapshot and trigger (docs/fhir-mapping.md)",
);
/// Event time: the notification event's timestamp.
pub const EVENT_TIME_NOTIFICATION: Src = s(
    "notification-event.timestamp / SubscriptionStatus.notificationEvent.timestamp",
    "the notification event's timestamp (the time of the change)",
);
/// Event time: `meta.lastUpdated`.
pub const EVENT_TIME_LAST_UPDATED: Src = s(
    "Appointment.meta.lastUpdated",
    "the appointment's last update",
);
/// Event time: `Bundle.timestamp`.
pub const EVENT_TIME_BUNDLE: Src = s(
    "Bundle.timestamp",
    "the Bundle's timestamp (assembly or notification time)",
);
/// Patient id: logical id.
pub const PATIENT_ID_LOGICAL: Src = s(
    "Patient.id (participant.actor / R5 subject reference)",
    "logical id of the patient (fhir.patientId = id)",
);
/// Patient id: identifier.
pub const PATIENT_ID_IDENTIFIER: Src = s(
    "Patient.identifier (type in fhir.patientIdTypes, system fhir.patientIdSystem)",
    "patient identifier (fhir.patientId = identifier)",
);
/// Patient id of a contained Patient.
pub const PATIENT_ID_CONTAINED: Src = s(
    "Patient.identifier (contained Patient: its id is local to the Appointment)",
    "identifier of a contained patient (a contained id is not a server id)",
);
/// Patient names.
pub const PATIENT_NAME: Src = s("Patient.name (current; official, then usual, then no use; complete first)", "current name preferring complete, then official, usual, no use (old/maiden/anonymous and expired names dropped)");
/// First name from the usual name.
pub const PATIENT_FIRST_USUAL: Src = s(
    "Patient.name[use=usual].given[0] (fhir.firstName = usual)",
    "first given name of the current usual name (fhir.firstName = usual)",
);
/// Names split from `HumanName.text`.
pub const NAME_TEXT: Src = s(
    "HumanName.text",
    "split from the name text (\"Family, Given\" or \"Given Family\")",
);
/// Names parsed from a reference's display.
pub const NAME_DISPLAY: Src = s(
    "participant.actor.display",
    "parsed from the reference display (resource not included)",
);
/// Patient phone, marked mobile.
pub const PATIENT_PHONE: Src = s(
    "Patient.telecom (sms, phone+mobile, then by rank; home/unmarked, work per phones.*)",
    "first number marked mobile (system sms or use mobile), by rank",
);
/// Provider id: logical id.
pub const PROVIDER_ID_LOGICAL: Src = s(
    "Practitioner.id (participant PPRF/ATND/SPRF first; via PractitionerRole.practitioner)",
    "logical id of the provider participant's Practitioner (primary performer / attender first)",
);
/// Provider id of a contained Practitioner.
pub const PROVIDER_ID_CONTAINED: Src = s(
    "Practitioner.identifier (contained: fhir.providerIdSystem, else NPI, else the first)",
    "identifier of a contained practitioner (a contained id is not a server id)",
);
/// Provider id: PractitionerRole id.
pub const PROVIDER_ID_ROLE: Src = s(
    "PractitionerRole.id",
    "the PractitionerRole's logical id (no Practitioner)",
);
/// Provider id: identifier.
pub const PROVIDER_ID_IDENTIFIER: Src = s(
    "Practitioner.identifier (system fhir.providerIdSystem)",
    "practitioner identifier of fhir.providerIdSystem",
);
/// Provider names.
pub const PROVIDER_NAME: Src = s(
    "Practitioner.name (same rule as the patient; prefix ignored)",
    "practitioner's current name preferring complete, then official, usual, no use",
);
/// Callback: PractitionerRole telecom.
pub const CALLBACK_ROLE: Src = s(
    "PractitionerRole.telecom",
    "practitioner role phone (work first, then unmarked, mobile)",
);
/// Callback: Location telecom.
pub const CALLBACK_LOCATION: Src = s(
    "Location.telecom",
    "location phone (work first, then unmarked, mobile)",
);
/// Callback: Practitioner telecom.
pub const CALLBACK_PRACTITIONER: Src = s(
    "Practitioner.telecom",
    "practitioner phone (work first, then unmarked, mobile)",
);
/// Callback: Organization telecom.
pub const CALLBACK_ORGANIZATION: Src = s(
    "Organization.telecom (PractitionerRole.organization, Location.managingOrganization)",
    "organization phone (work first, then unmarked, mobile)",
);
/// Location name.
pub const LOCATION_NAME: Src = s(
    "Location.name (Location participant)",
    "name of the Location participant",
);
/// Location from the reference display.
pub const LOCATION_DISPLAY: Src = s(
    "participant.actor.display (Location)",
    "display of the Location participant (resource not included)",
);
/// Location from a HealthcareService.
pub const LOCATION_SERVICE: Src = s(
    "HealthcareService.name / display",
    "HealthcareService participant (no Location)",
);
/// Appointment id: logical id.
pub const APPOINTMENT_ID_LOGICAL: Src = s(
    "Appointment.id",
    "logical id (fhir.appointmentId = id): what write-backs address",
);
/// Appointment id: identifier.
pub const APPOINTMENT_ID_IDENTIFIER: Src = s(
    "Appointment.identifier (type in fhir.appointmentIdTypes, default FILL, PLAC)",
    "appointment identifier (fhir.appointmentId = identifier)",
);
/// Start with an IANA zone.
pub const START_ZONED: Src = s(
    "Appointment.start",
    "instant converted to the zone (Location time-zone extension, fhir.timeZone, sender.timeZone)",
);
/// Zone from the Location extension.
pub const ZONE_LOCATION: Src = s(
    "Location.extension[timezone].valueCode (or the deprecated tz-code)",
    "IANA zone of the Location",
);

/// The mapping of one key.
#[derive(Debug, Clone, Copy)]
pub struct FieldMap {
    /// The key.
    pub field: Field,
    /// Sources in order (computed fallbacks are in `notes`).
    pub sources: &'static [Src],
    /// Fallbacks and rules.
    pub notes: &'static str,
}

/// The table, in Table B order.
pub const FHIR_MAP: [FieldMap; 14] = [
    FieldMap { field: Field::EventType, sources: &[EVENT], notes: "see the status, trigger and change tables below" },
    FieldMap { field: Field::EventDatetimeUtc, sources: &[EVENT_TIME_NOTIFICATION, EVENT_TIME_LAST_UPDATED, EVENT_TIME_BUNDLE], notes: "then the host's `nowMs` option; converted to `Z`; empty with `MAP_NO_EVENT_TIME` when nothing is known" },
    FieldMap { field: Field::PatientId, sources: &[PATIENT_ID_LOGICAL, PATIENT_ID_IDENTIFIER, PATIENT_ID_CONTAINED], notes: "both kept in `ids` (`patientRef`, `patientIdentifier`); no patient participant → `SKIP_NO_PATIENT`; Patient not in the input → `NEEDS_FETCH`" },
    FieldMap { field: Field::PatientFirstName, sources: &[PATIENT_NAME, PATIENT_FIRST_USUAL, NAME_TEXT], notes: "`given[0]`" },
    FieldMap { field: Field::PatientLastName, sources: &[PATIENT_NAME, NAME_TEXT], notes: "`family`" },
    FieldMap { field: Field::PatientPhone, sources: &[PATIENT_PHONE], notes: "`fax`/`email`/`pager`/`url`/`other`, `use=old` and expired `period`s dropped; E.164 with sender.defaultCountry, validated and typed by the numbering plan (docs/phone-numbers.md); the SIU phone tiers and warnings; none → `SKIP_NO_MOBILE_PHONE`, all invalid → `SKIP_INVALID_PHONE`" },
    FieldMap { field: Field::ProviderId, sources: &[PROVIDER_ID_IDENTIFIER, PROVIDER_ID_LOGICAL, PROVIDER_ID_CONTAINED, PROVIDER_ID_ROLE], notes: "identifier only with fhir.providerIdSystem; then profile.defaults.providerId" },
    FieldMap { field: Field::ProviderFirstName, sources: &[PROVIDER_NAME, NAME_TEXT, NAME_DISPLAY], notes: "then profile.defaults.providerFirstName" },
    FieldMap { field: Field::ProviderLastName, sources: &[PROVIDER_NAME, NAME_TEXT, NAME_DISPLAY], notes: "then profile.defaults.providerLastName" },
    FieldMap { field: Field::ProviderCallbackPhone, sources: &[CALLBACK_ROLE, CALLBACK_LOCATION, CALLBACK_PRACTITIONER, CALLBACK_ORGANIZATION], notes: "order = fhir.callbackFrom; `system=phone`, `use` work → none → mobile → temp (home/old dropped), by rank; invalid numbers rejected, not guessed; then profile.defaults.providerCallbackPhone; rendered per phones.callbackFormat" },
    FieldMap { field: Field::AppointmentLocation, sources: &[LOCATION_NAME, LOCATION_DISPLAY, LOCATION_SERVICE], notes: "then profile.defaults.appointmentLocation" },
    FieldMap { field: Field::AppointmentId, sources: &[APPOINTMENT_ID_LOGICAL, APPOINTMENT_ID_IDENTIFIER], notes: "FILL/PLAC identifiers kept in `ids` with their systems; `Appointment/{id}` and `meta.versionId` in `ids.appointmentRef` / `appointmentVersion`" },
    FieldMap { field: Field::AppointmentDatetime, sources: &[START_ZONED], notes: "`YYYY-MM-DDTHH:mm:ss` in the zone; no zone: a non-UTC offset as written (`MAP_ZONE_FROM_OFFSET`, fhir.trustOffset), never `Z`/`+00:00` (`MAP_ZONE_UNKNOWN` → `SKIP_MISSING_REQUIRED`)" },
    FieldMap { field: Field::AppointmentTimezone, sources: &[ZONE_LOCATION], notes: "then profile fhir.timeZone, sender.timeZone; `±HHMM` at the appointment instant (DST-aware)" },
];

/// Appointment.status → what it means for the flow (same codes in R4, R4B and R5).
pub const STATUS_TABLE: &[(&str, &str)] = &[
    ("booked", "BOOKED / RESCHEDULED / MODIFIED / CONFIRMED, decided by the rules below"),
    ("cancelled", "CANCELED"),
    ("noshow", "NOSHOWED"),
    ("entered-in-error", "CANCELED with `FHIR_ENTERED_IN_ERROR` (fhir.enteredInError = cancel), or `SKIP_EVENT_POLICY` (skip)"),
    ("proposed, pending, waitlist", "`SKIP_STATUS_NOT_NOTIFIABLE` (not yet finalized)"),
    ("arrived, checked-in, fulfilled", "`SKIP_STATUS_NOT_NOTIFIABLE` (visit underway or done)"),
    ("missing or other", "`SKIP_STATUS_NOT_NOTIFIABLE` with `FHIR_STATUS_UNRECOGNIZED`"),
];

/// Built-in trigger / topic hints (the profile's `fhir.events` is consulted first). `None`: not
/// an appointment event (`SKIP_NOT_SCHEDULING_EVENT`).
pub const TRIGGERS: &[(&str, Option<EventType>, &str)] = &[
    (
        "S12",
        Some(EventType::Booked),
        "HL7 v2 trigger (MessageHeader.eventCoding, v2-0003)",
    ),
    ("S13", Some(EventType::Rescheduled), "HL7 v2 trigger"),
    ("S14", Some(EventType::Modified), "HL7 v2 trigger"),
    ("S15", Some(EventType::Canceled), "HL7 v2 trigger"),
    ("S16", Some(EventType::Canceled), "HL7 v2 trigger"),
    (
        "S17",
        Some(EventType::Canceled),
        "HL7 v2 trigger (deletion)",
    ),
    ("S26", Some(EventType::Noshowed), "HL7 v2 trigger"),
    ("S18", None, "HL7 v2 resource trigger"),
    ("S19", None, "HL7 v2 resource trigger"),
    ("S20", None, "HL7 v2 resource trigger"),
    ("S21", None, "HL7 v2 resource trigger"),
    ("S22", None, "HL7 v2 resource trigger"),
    ("S23", None, "HL7 v2 resource trigger"),
    ("S24", None, "HL7 v2 resource trigger"),
    (
        "Appointment.schedule",
        Some(EventType::Booked),
        "athenaOne subscription topic",
    ),
    (
        "Appointment.reschedule",
        Some(EventType::Rescheduled),
        "athenaOne subscription topic",
    ),
    (
        "Appointment.update",
        Some(EventType::Modified),
        "athenaOne subscription topic",
    ),
    (
        "Appointment.cancel",
        Some(EventType::Canceled),
        "athenaOne subscription topic",
    ),
    (
        "AppointmentCreate",
        Some(EventType::Booked),
        "Redox FHIR EventDefinition (MessageHeader.eventUri)",
    ),
    (
        "AppointmentCancel",
        Some(EventType::Canceled),
        "Redox FHIR EventDefinition (MessageHeader.eventUri)",
    ),
];

/// The built-in hint for a trigger/topic text: exact (case-insensitive) or its last path
/// segment (`https://…/SubscriptionTopic/Appointment.schedule`).
pub fn builtin_trigger(text: &str) -> Option<(&'static str, Option<EventType>)> {
    let t = text.trim();
    let last = t.rsplit(['/', '#']).next().unwrap_or(t);
    TRIGGERS
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(t) || k.eq_ignore_ascii_case(last))
        .map(|(k, e, _)| (*k, *e))
}

/// Which participants a change rule compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Patient actors (and R5 `subject`).
    Patient,
    /// Practitioner / PractitionerRole actors.
    Provider,
    /// Location actors.
    Location,
    /// HealthcareService actors.
    Service,
}

/// What a change rule compares between the previous and the current snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// A top-level element (JSON equality).
    Element(&'static str),
    /// The set of actors (reference as `Type/id`, display) of a role.
    Actors(Role),
    /// The patient participant's status became `accepted`.
    PatientAccepted,
}

/// One change rule.
#[derive(Debug, Clone, Copy)]
pub struct ChangeRule {
    /// What is compared.
    pub cmp: Cmp,
    /// The event when it changed.
    pub event: EventType,
    /// The provenance rule.
    pub rule: &'static str,
}

/// The change rules for a `booked` appointment with a previous snapshot, in priority order (the
/// first rule that sees a change decides). Before them: a previous status other than `booked` →
/// BOOKED. After them: nothing changed → `SKIP_NO_RELEVANT_CHANGE`.
pub const CHANGE_RULES: &[ChangeRule] = &[
    ChangeRule {
        cmp: Cmp::Element("start"),
        event: EventType::Rescheduled,
        rule: "start changed since the previous snapshot → RESCHEDULED",
    },
    ChangeRule {
        cmp: Cmp::Element("end"),
        event: EventType::Rescheduled,
        rule: "end changed since the previous snapshot → RESCHEDULED",
    },
    ChangeRule {
        cmp: Cmp::Element("slot"),
        event: EventType::Rescheduled,
        rule: "slot changed since the previous snapshot (Oracle Health reschedule) → RESCHEDULED",
    },
    ChangeRule {
        cmp: Cmp::PatientAccepted,
        event: EventType::Confirmed,
        rule: "patient participant status became accepted → CONFIRMED",
    },
    ChangeRule {
        cmp: Cmp::Actors(Role::Location),
        event: EventType::Modified,
        rule: "Location participant changed → MODIFIED",
    },
    ChangeRule {
        cmp: Cmp::Actors(Role::Provider),
        event: EventType::Modified,
        rule: "Practitioner participant changed → MODIFIED",
    },
    ChangeRule {
        cmp: Cmp::Actors(Role::Service),
        event: EventType::Modified,
        rule: "HealthcareService participant changed → MODIFIED",
    },
    ChangeRule {
        cmp: Cmp::Actors(Role::Patient),
        event: EventType::Modified,
        rule: "Patient participant changed → MODIFIED",
    },
];

/// Elements whose changes send nothing: the SMS and the reminders do not use them.
pub const IGNORED_CHANGES: &[&str] = &[
    "serviceType",
    "appointmentType",
    "reasonCode",
    "description",
    "comment / note",
    "priority",
    "minutesDuration",
    "other participants' status",
    "meta",
    "text",
    "extension",
];

/// Provenance rules of the event derivation (besides [`CHANGE_RULES`]).
pub mod rules {
    /// Status cancelled.
    pub const CANCELLED: &str = "status cancelled → CANCELED";
    /// Status noshow.
    pub const NOSHOW: &str = "status noshow → NOSHOWED";
    /// Status entered-in-error.
    pub const ENTERED_IN_ERROR: &str =
        "status entered-in-error → CANCELED (fhir.enteredInError = cancel)";
    /// R5 replaces.
    pub const REPLACES: &str = "R5 replaces: a new appointment replacing another → RESCHEDULED";
    /// Previous not booked.
    pub const PREVIOUS_NOT_BOOKED: &str = "previous snapshot was not booked → BOOKED";
    /// Trigger.
    pub const TRIGGER: &str = "trigger / topic hint (no previous snapshot)";
    /// Trigger from the profile.
    pub const TRIGGER_PROFILE: &str =
        "trigger / topic mapped by profile fhir.events (no previous snapshot)";
    /// First version.
    pub const FIRST_VERSION: &str = "first version (meta.versionId 1) → BOOKED";
    /// No information.
    pub const ASSUMED_BOOKED: &str =
        "no previous snapshot or trigger → BOOKED (fhir.withoutPrevious = booked)";
}

/// Render the tables as Markdown (the content of `docs/fhir-mapping.md`).
pub fn render_markdown() -> String {
    let mut out = String::new();
    out.push_str("# FHIR → Studio `Parameters` mapping\n\n");
    out.push_str("Generated from `src/inbound/fhir/table.rs` (a test fails when this file is out of date; regenerate with\n`UPDATE_GOLDEN=1 cargo test --test fhir_golden`). Sources are tried top to bottom; the rule text is what the\nprovenance of each value says. Inputs: a bare Appointment (with `contained`), a Bundle (searchset with `_include`,\ncollection, batch/transaction, history), R4 backport / R4B / R5 subscription notifications, plus resources the host\nfetched (`resources` option). References resolve `#contained`, relative, absolute, `urn:uuid:` and `/_history/n`.\n\n");
    out.push_str("| key | sources (in order) | rule recorded in the provenance | notes |\n|---|---|---|---|\n");
    for m in FHIR_MAP {
        for (i, src) in m.sources.iter().enumerate() {
            if i == 0 {
                out.push_str(&format!(
                    "| `{}` | `{}` | {} | {} |\n",
                    m.field.name(),
                    src.path,
                    src.rule,
                    m.notes
                ));
            } else {
                out.push_str(&format!("| | `{}` | {} | |\n", src.path, src.rule));
            }
        }
    }
    out.push_str("\n## Appointment.status\n\n| status | event |\n|---|---|\n");
    for (st, what) in STATUS_TABLE {
        out.push_str(&format!("| `{st}` | {what} |\n"));
    }
    out.push_str(
        "\n## Telling the booked events apart\n\nFor a `booked` appointment, in this order:\n\n",
    );
    out.push_str(&format!("1. R5 `replaces` → RESCHEDULED (`{}`); the replaced appointment in the same input gives `SKIP_REPLACED`.\n", rules::REPLACES));
    out.push_str(&format!("2. A previous snapshot (`previous` option, or the preceding version in a history Bundle) whose status is not `booked` → BOOKED (`{}`).\n", rules::PREVIOUS_NOT_BOOKED));
    out.push_str("3. Otherwise the change rules, first match wins; a trigger that disagrees is reported (`FHIR_TRIGGER_DISAGREES`):\n\n| compared | event | rule |\n|---|---|---|\n");
    for r in CHANGE_RULES {
        let what = match r.cmp {
            Cmp::Element(e) => format!("`{e}`"),
            Cmp::Actors(role) => format!("{role:?} actors (reference `Type/id` and display)"),
            Cmp::PatientAccepted => "patient participant status → `accepted`".into(),
        };
        out.push_str(&format!("| {what} | {} | {} |\n", r.event.as_str(), r.rule));
    }
    out.push_str(&format!("\n   No change → `SKIP_NO_RELEVANT_CHANGE`. Changes to {} send nothing (the SMS and reminders do not use them).\n", IGNORED_CHANGES.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ")));
    out.push_str(&format!("4. No previous snapshot: the trigger / topic hint (`{}`; profile `fhir.events` first: `{}`).\n", rules::TRIGGER, rules::TRIGGER_PROFILE));
    out.push_str(&format!("5. Nothing: `meta.versionId` 1 → BOOKED (`{}`); otherwise `fhir.withoutPrevious`: BOOKED with `FHIR_EVENT_WITHOUT_PREVIOUS` (`{}`), `NEEDS_FETCH` of version n-1, or `SKIP_EVENT_POLICY`.\n", rules::FIRST_VERSION, rules::ASSUMED_BOOKED));
    out.push_str("\nA trigger that says CANCELED/NOSHOWED on a booked appointment, or BOOKED… on a cancelled one, does not override the status (the resource is the state of record; `FHIR_TRIGGER_STATUS_MISMATCH`).\n");
    out.push_str("\n## Built-in triggers and topics\n\nMatched case-insensitively on the whole text or its last path segment; profile `fhir.events` entries win.\n\n| trigger / topic | event | source |\n|---|---|---|\n");
    for (k, e, note) in TRIGGERS {
        out.push_str(&format!(
            "| `{k}` | {} | {note} |\n",
            e.map_or(
                "not an appointment event (`SKIP_NOT_SCHEDULING_EVENT`)",
                EventType::as_str
            )
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_table_b_order_and_triggers_resolve() {
        for (m, f) in FHIR_MAP.iter().zip(Field::ALL) {
            assert_eq!(m.field, f);
            assert!(!m.sources.is_empty());
        }
        assert_eq!(
            builtin_trigger("https://api.platform.athenahealth.com/fhir/r4/SubscriptionTopic/Appointment.schedule"),
            Some(("Appointment.schedule", Some(EventType::Booked)))
        );
        assert_eq!(
            builtin_trigger("s13"),
            Some(("S13", Some(EventType::Rescheduled)))
        );
        assert_eq!(builtin_trigger("appointment-change"), None);
    }
}
