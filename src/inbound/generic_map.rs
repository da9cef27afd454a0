//! The generic JSON and Table B → Table B mapping **as data**: per key, where the profile-mapped
//! document is read (`json.fields.<key>`, `json.eventTime`, `json.timeZone`), how, and the
//! provenance rules recorded; the Table B passthrough rule. [`super::json_map`] walks
//! [`GENERIC_MAP`] (the keys it reads as plain values, the rules it records) and
//! [`render_markdown`] renders it to `docs/json-mapping.md` (a test keeps the document in sync).

use crate::event::Field;

/// How a key is read from a profile-mapped document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenericHow {
    /// The value at `json.fields.event_type`, looked up in `json.events` (case-insensitive),
    /// else read as an event type itself.
    EventType,
    /// An ISO 8601 instant at `json.eventTime` (no offset: `sender.timeZone`, else UTC).
    EventTime,
    /// The first non-empty string or number at `json.fields.<key>`, else `defaults`.
    Value,
    /// Each pointer of `json.fields.patient_phone` in order: the first is the mobile number,
    /// the others are unmarked fallbacks (the SIU phone tiers and warnings apply).
    PatientPhone,
    /// The first pointer whose value normalizes as a phone, rendered per
    /// `phones.callbackFormat`, else `defaults`.
    Callback,
    /// An ISO 8601 date-time at `json.fields.appointment_datetime`, converted to the zone.
    Start,
    /// Computed with the start: the zone at `json.timeZone`, else `sender.timeZone`, else a
    /// non-UTC offset written on the start.
    Zone,
}

/// The mapping of one key.
#[derive(Debug, Clone, Copy)]
pub struct GenericFieldMap {
    /// The key.
    pub field: Field,
    /// Where the profile points (the profile setting).
    pub source: &'static str,
    /// How the value is read.
    pub how: GenericHow,
    /// The provenance rules the mapper records for this key, by case (see [`rule`]).
    pub rules: &'static [&'static str],
    /// Fallbacks and warnings.
    pub notes: &'static str,
}

/// The rule of every plain value.
pub const VALUE_RULE: &str = "profile json.fields (first non-empty pointer)";

/// The rule of every value of a Table B document passed through.
pub const PASS_RULE: &str = "Table B passthrough";

const fn m(
    field: Field,
    source: &'static str,
    how: GenericHow,
    rules: &'static [&'static str],
    notes: &'static str,
) -> GenericFieldMap {
    GenericFieldMap {
        field,
        source,
        how,
        rules,
        notes,
    }
}

/// The table, in Table B order.
pub const GENERIC_MAP: [GenericFieldMap; 14] = [
    m(Field::EventType, "json.fields.event_type", GenericHow::EventType, &["event value mapped by json.events", "event value read as an event type"], "`json.events` value `skip` → SKIP_EVENT_POLICY; no value, or neither mapped nor an event type → SKIP_NOT_SCHEDULING_EVENT"),
    m(Field::EventDatetimeUtc, "json.eventTime", GenericHow::EventTime, &["json.eventTime"], "no offset: sender.timeZone, else UTC (warning); none → MAP_NO_EVENT_TIME (empty)"),
    m(Field::PatientId, "json.fields.patient_id", GenericHow::Value, &[VALUE_RULE], "required (SKIP_MISSING_REQUIRED)"),
    m(Field::PatientFirstName, "json.fields.patient_first_name", GenericHow::Value, &[VALUE_RULE], ""),
    m(Field::PatientLastName, "json.fields.patient_last_name", GenericHow::Value, &[VALUE_RULE], ""),
    m(Field::PatientPhone, "json.fields.patient_phone", GenericHow::PatientPhone, &["json.fields.patient_phone (the first pointer is the mobile number)"], "no usable number → SKIP_NO_MOBILE_PHONE"),
    m(Field::ProviderId, "json.fields.provider_id", GenericHow::Value, &[VALUE_RULE], "then profile.defaults.providerId"),
    m(Field::ProviderFirstName, "json.fields.provider_first_name", GenericHow::Value, &[VALUE_RULE], "then profile.defaults.providerFirstName"),
    m(Field::ProviderLastName, "json.fields.provider_last_name", GenericHow::Value, &[VALUE_RULE], "then profile.defaults.providerLastName"),
    m(Field::ProviderCallbackPhone, "json.fields.provider_callback_phone", GenericHow::Callback, &[VALUE_RULE], "then profile.defaults.providerCallbackPhone"),
    m(Field::AppointmentLocation, "json.fields.appointment_location", GenericHow::Value, &[VALUE_RULE], "then profile.defaults.appointmentLocation"),
    m(Field::AppointmentId, "json.fields.appointment_id", GenericHow::Value, &[VALUE_RULE], "required (SKIP_MISSING_REQUIRED)"),
    m(Field::AppointmentDatetime, "json.fields.appointment_datetime", GenericHow::Start, &["start converted to the zone at json.timeZone", "start converted to profile.sender.timeZone"], "not ISO 8601 → MAP_BAD_DATETIME; required (SKIP_MISSING_REQUIRED)"),
    m(Field::AppointmentTimezone, "json.timeZone", GenericHow::Zone, &[], "computed with the start (DST-aware); a value at json.timeZone that is not an IANA zone → MAP_BAD_TIMEZONE_VALUE (sender.timeZone is used)"),
];

/// The entry of a key.
pub fn entry(f: Field) -> Option<&'static GenericFieldMap> {
    GENERIC_MAP.iter().find(|m| m.field == f)
}

/// Rule `i` of a key (empty when the table has none: a test keeps every rule the mapper uses in
/// the table).
pub fn rule(f: Field, i: usize) -> &'static str {
    entry(f).and_then(|m| m.rules.get(i)).copied().unwrap_or("")
}

fn how_text(h: GenericHow) -> &'static str {
    match h {
        GenericHow::EventType => "value → `json.events` (case-insensitive) or an event type",
        GenericHow::EventTime => "ISO 8601 instant",
        GenericHow::Value => "first non-empty string or number",
        GenericHow::PatientPhone => {
            "each pointer: the first is the mobile number, the rest unmarked"
        }
        GenericHow::Callback => "first value that normalizes as a phone (`phones.callbackFormat`)",
        GenericHow::Start => "ISO 8601 date-time, converted to the zone",
        GenericHow::Zone => {
            "computed: zone at the pointer, else `sender.timeZone`, else the start's offset"
        }
    }
}

/// Render the table as Markdown (the content of `docs/json-mapping.md`).
pub fn render_markdown() -> String {
    let mut out = String::from("# Generic JSON and Table B → Studio `Parameters` mapping\n\n");
    out.push_str("Generated from `src/inbound/generic_map.rs` (a test fails when this file is out of date; regenerate with\n`UPDATE_GOLDEN=1 cargo test --test json_inputs`). A home-grown JSON feed is mapped by the profile's `json` section:\n`json.fields.<key>` holds the JSON pointers (RFC 6901) tried in order for each key. The rule text is what the\nprovenance says.\n\n");
    out.push_str("| key | profile setting | read as | rules recorded in the provenance | notes |\n|---|---|---|---|---|\n");
    for m in GENERIC_MAP {
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} |\n",
            m.field.name(),
            m.source,
            how_text(m.how),
            if m.rules.is_empty() {
                "(computed)".to_owned()
            } else {
                m.rules.join("; ")
            },
            m.notes
        ));
    }
    out.push_str(&format!("\n## Table B passthrough\n\nWithout a `json` section, a document that already is Table B (the 14 keys, snake_case or camelCase, strings or\nnull) is passed through; every value records the rule \"{PASS_RULE}\". Repairs, each with a warning: `event_type`\ncase (`TABLEB_EVENT_TYPE_NORMALIZED`), a patient phone not in E.164 (the `PHONE_*` notes), an\n`appointment_datetime` with an offset or `Z` (converted to the zone, `TABLEB_DATETIME_LOCALIZED`), an\n`appointment_timezone` written `±HH:MM` or missing while `sender.timeZone` is known (`TABLEB_TIMEZONE_COMPUTED`), an\n`event_datetime_utc` with a non-`Z` offset (converted). Then PAM sanitization and the usual skips.\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_key_in_table_b_order_with_the_rules_the_mapper_records() {
        let fields: Vec<Field> = GENERIC_MAP.iter().map(|m| m.field).collect();
        assert_eq!(fields, Field::ALL);
        // The cases json_map records: event type mapped / read as a type; start in the zone of
        // json.timeZone / sender.timeZone; every other key one rule, the zone none (computed).
        for m in GENERIC_MAP {
            let want = match m.how {
                GenericHow::EventType | GenericHow::Start => 2,
                GenericHow::Zone => 0,
                _ => 1,
            };
            assert_eq!(m.rules.len(), want, "{}", m.field.name());
            assert!(m.rules.iter().all(|r| !r.is_empty()));
        }
        assert_eq!(rule(Field::PatientId, 0), VALUE_RULE);
        assert_eq!(rule(Field::AppointmentTimezone, 0), "");
    }
}
