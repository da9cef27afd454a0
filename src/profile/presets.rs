//! Presets: profiles shipped for the senders in the corpus whose feeds differ from the defaults,
//! and the deep merge of a profile over its preset.

use super::schema::bad;
use crate::error::{Error, ErrorCode, Result};
use serde_json::Value;

/// A named preset: `(name, description, profile JSON)`.
pub type Preset = (&'static str, &'static str, &'static str);

/// Presets for the senders in the corpus whose messages differ from the defaults.
pub const PRESETS: &[Preset] = &[
    (
        "generic",
        "The defaults: HL7 v2.2–2.8 as in docs/siu-mapping.md, US phone numbers.",
        "{}",
    ),
    (
        "athenahealth",
        "athenaNet SIU (v2.2): department name in AIL-3.2, provider only as a username (AIG-3) and a numeric id in PV1-7, patient id also in PID-2, unmarked home/work phones.",
        r#"{"sender":{"defaultCountry":"US"},
            "hl7":{"fields":{"appointment_location":["AIL-3.2","PV1-3.4","AIL-3.1"]}}}"#,
    ),
    (
        "renalware",
        "Barts Health TIE → Renalware (v2.4, UK): GB numbers, Europe/London, MRN type code, only a placer id (SCH-1), provider name as free text in AIG-3, SCH-25 'Confirmed' on every message (not a confirmation).",
        r#"{"sender":{"timeZone":"Europe/London","defaultCountry":"GB"},
            "hl7":{"confirmedStatuses":[],"patientIdTypes":["MRN","MR"],"appointmentId":"placer"}}"#,
    ),
    (
        "clicrdv",
        "ClicRDV (v2.5.1, France): FR numbers, Europe/Paris, PI patient ids, filler id in SCH-2 with namespace, the practitioner booked in SCH-16 (filler contact) as there is no AIP.",
        r#"{"sender":{"timeZone":"Europe/Paris","defaultCountry":"FR"},
            "hl7":{"patientIdTypes":["PI","MR"],
                   "fields":{"provider_id":["AIP-3.1","SCH-16.1"],
                             "provider_last_name":["AIP-3.2.1","SCH-16.2.1"],
                             "provider_first_name":["AIP-3.3","SCH-16.3"]}}}"#,
    ),
    (
        "xplore",
        "XPLORE → ORBIS (v2.3.1, France): FR numbers, Europe/Paris, PI patient ids, filler id in SCH-2; SCH-11.4 carries the message time, the appointment start is AIS-4.",
        r#"{"sender":{"timeZone":"Europe/Paris","defaultCountry":"FR"},
            "hl7":{"patientIdTypes":["PI","MR"],
                   "fields":{"appointment_datetime":["AIS-4","SCH-11.4"]}}}"#,
    ),
];

/// Render the presets as Markdown (the "Presets" part of `docs/profiles.md`).
pub fn render_presets_markdown() -> String {
    let mut s = String::from("| preset | for | profile JSON |\n|---|---|---|\n");
    for (name, what, json) in PRESETS {
        let compact = serde_json::from_str::<Value>(json)
            .map(|v| v.to_string())
            .unwrap_or_default();
        s.push_str(&format!("| `{name}` | {what} | `{compact}` |\n"));
    }
    s
}

/// Deep-merge `over` into `base`: objects merge, everything else replaces.
pub(super) fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// The JSON of a preset (case-insensitive name).
pub(super) fn preset_value(name: &str) -> Result<Value> {
    let (_, _, json) = PRESETS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            let names: Vec<&str> = PRESETS.iter().map(|p| p.0).collect();
            Error::new(
                ErrorCode::ProfileUnknownPreset,
                format!("unknown preset; known presets: {}", names.join(", ")),
            )
            .at_pointer("/preset")
        })?;
    serde_json::from_str(json).map_err(|_| bad("/preset", "the preset is malformed"))
}

/// A preset's JSON with its name in `preset` (what [`super::Profile::preset`] reads).
pub(super) fn named_preset_value(name: &str) -> Result<Value> {
    let mut v = preset_value(name)?;
    if let Value::Object(o) = &mut v {
        o.insert("preset".into(), Value::String(name.to_owned()));
    }
    Ok(v)
}
