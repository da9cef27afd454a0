//! Input-kind detection and the one entry point that dispatches to the format mappers.
//!
//! [`detect`] looks at the bytes only: HL7 v2 (`MSH`, `FHS`, `BHS` after an optional UTF-8 BOM,
//! leading whitespace and MLLP start byte), else JSON by shape — `resourceType` → FHIR,
//! `Meta.DataModel` → Redox, only Table B keys (with `event_type` and an id) → Table B, any other
//! object → `json` (mapped when the profile has a `json` section). [`map_input`] detects (or takes
//! `MapOptions.kind`) and calls [`crate::inbound::map_hl7`], [`crate::inbound::fhir::map_fhir`],
//! [`crate::inbound::redox::map_redox`] or [`crate::inbound::json_map::map_json`], parsing JSON only
//! once.
//!
//! Errors besides the mappers' own: `EMPTY_INPUT`, `UNKNOWN_INPUT_KIND` (not HL7 and not JSON; or
//! JSON of no known shape while the profile has no `json` mapping), `BAD_ARGUMENT` (options).

use super::fhir::{self, FhirOptions};
use super::json;
use super::{json_map, redox};
use crate::error::{Error, ErrorCode, Result};
use crate::event::{Detail, MapResult};
use crate::profile::CompiledProfile;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What an input is. JSON: `"hl7" | "fhir" | "redox" | "tableB" | "json" | "unknown"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum InputKind {
    /// HL7 v2 (ER7 text, optionally MLLP-framed).
    Hl7,
    /// A FHIR resource or Bundle (`resourceType`).
    Fhir,
    /// A Redox Data Model document (`Meta.DataModel`).
    Redox,
    /// The 14 Table B keys already.
    TableB,
    /// Another JSON object (mapped by the profile's `json` section).
    Json,
    /// None of the above.
    Unknown,
}

impl InputKind {
    /// The JSON spelling (`"tableB"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            InputKind::Hl7 => "hl7",
            InputKind::Fhir => "fhir",
            InputKind::Redox => "redox",
            InputKind::TableB => "tableB",
            InputKind::Json => "json",
            InputKind::Unknown => "unknown",
        }
    }
}

/// Options of [`map_input`] (JSON: `{"kind": "fhir", "previous": {...}, "trigger": "S13",
/// "nowMs": 0, "resources": [...]}`, every key optional; the FHIR keys are ignored for other
/// kinds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MapOptions {
    /// Skip detection and treat the input as this kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<InputKind>,
    /// FHIR: see [`FhirOptions::previous`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Value>,
    /// FHIR: see [`FhirOptions::trigger`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// FHIR: see [`FhirOptions::now_ms`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now_ms: Option<i64>,
    /// FHIR: see [`FhirOptions::resources`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Value>,
    /// What the result records besides its outcome (Rust only, not read from JSON:
    /// `Mapper.execution` asks for [`Detail::Codes`]; see [`crate::inbound::siu::map_hl7_with`]).
    #[serde(skip)]
    pub detail: Detail,
}

impl MapOptions {
    /// Parse options from JSON (`null` or `{}` = defaults; `BAD_ARGUMENT` otherwise on error).
    pub fn from_json(s: &str) -> Result<MapOptions> {
        Self::from_value(json::parse(s.as_bytes())?)
    }

    /// [`MapOptions::from_json`] for a parsed value.
    pub fn from_value(v: Value) -> Result<MapOptions> {
        if v.is_null() {
            return Ok(MapOptions::default());
        }
        fhir::check_options(
            &v,
            &[(
                "kind",
                |x| {
                    x.is_null()
                        || x.as_str().is_some_and(|s| {
                            ["hl7", "fhir", "redox", "tableB", "json"].contains(&s)
                        })
                },
                "one of hl7, fhir, redox, tableB, json",
            )],
        )?;
        serde_json::from_value(v).map_err(|_| {
            Error::new(
                ErrorCode::BadArgument,
                "map options do not match the schema",
            )
        })
    }

    /// The FHIR part.
    pub fn fhir(&self) -> FhirOptions {
        FhirOptions {
            previous: self.previous.clone(),
            trigger: self.trigger.clone(),
            now_ms: self.now_ms,
            resources: self.resources.clone(),
        }
    }
}

/// The input after a BOM, MLLP start byte and whitespace.
fn body(input: &[u8]) -> &[u8] {
    let mut b = json::strip_bom(input);
    loop {
        match b.split_first() {
            Some((c, rest)) if c.is_ascii_whitespace() || *c == 0x0B => b = rest,
            _ => break,
        }
    }
    json::strip_bom(b)
}

/// The HL7 bytes for the parser: without leading whitespace and BOM, but with the MLLP start
/// byte kept when there was one (the parser unframes).
fn hl7_bytes<'a>(input: &'a [u8], body: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
    let framed = json::strip_bom(input)
        .iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|c| *c == 0x0B);
    if !framed {
        return std::borrow::Cow::Borrowed(body);
    }
    let mut v = Vec::with_capacity(body.len() + 1);
    v.push(0x0B);
    v.extend_from_slice(body);
    std::borrow::Cow::Owned(v)
}

fn is_hl7(b: &[u8]) -> bool {
    (b.starts_with(b"MSH") || b.starts_with(b"FHS") || b.starts_with(b"BHS")) && b.len() > 3
}

/// The kind of a parsed JSON value.
pub fn detect_value(v: &Value) -> InputKind {
    let Some(o) = v.as_object() else {
        return InputKind::Unknown;
    };
    if o.get("resourceType").is_some_and(Value::is_string) {
        InputKind::Fhir
    } else if o
        .get("Meta")
        .and_then(|m| m.get("DataModel"))
        .is_some_and(Value::is_string)
    {
        InputKind::Redox
    } else if json_map::is_table_b(v) {
        InputKind::TableB
    } else {
        InputKind::Json
    }
}

/// Detect the kind of an input (see the module docs). Invalid JSON is `Unknown`.
///
/// ```
/// use ehr_studio_bridge::inbound::detect::{detect, InputKind};
/// assert_eq!(detect(b"\x0bMSH|^~\\&|A"), InputKind::Hl7);
/// assert_eq!(detect(b"\xEF\xBB\xBF {\"resourceType\":\"Appointment\"}"), InputKind::Fhir);
/// assert_eq!(detect(br#"{"Meta":{"DataModel":"Scheduling"}}"#), InputKind::Redox);
/// assert_eq!(detect(br#"{"event_type":"BOOKED","appointment_id":"1"}"#), InputKind::TableB);
/// assert_eq!(detect(br#"{"kind":"new"}"#), InputKind::Json);
/// assert_eq!(detect(b"hello"), InputKind::Unknown);
/// ```
pub fn detect(input: &[u8]) -> InputKind {
    let b = body(input);
    if is_hl7(b) {
        return InputKind::Hl7;
    }
    match b.first() {
        Some(b'{') => json::parse(b).map_or(InputKind::Unknown, |v| detect_value(&v)),
        _ => InputKind::Unknown,
    }
}

/// Map any supported input: detect its kind (or take `opts.kind`) and dispatch (see the module
/// docs). The JSON is parsed once.
///
/// ```
/// use ehr_studio_bridge::{inbound::detect::{map_input, MapOptions}, CompiledProfile};
/// let raw = std::fs::read("tests/fixtures/perf/siu_s12_small.hl7").unwrap();
/// let r = map_input(&raw, &CompiledProfile::default(), &MapOptions::default()).unwrap();
/// assert_eq!(r.event.unwrap().event_type, "BOOKED");
/// ```
pub fn map_input(input: &[u8], profile: &CompiledProfile, opts: &MapOptions) -> Result<MapResult> {
    let b = body(input);
    if b.is_empty() {
        return Err(Error::new(ErrorCode::EmptyInput, "the input is empty"));
    }
    let forced = opts.kind;
    if forced == Some(InputKind::Hl7) || (forced.is_none() && is_hl7(b)) {
        return super::siu::map_hl7_with(&hl7_bytes(input, b), profile, opts.detail);
    }
    let json_like = matches!(b.first(), Some(b'{') | Some(b'['));
    if !json_like && forced.is_none() {
        return Err(Error::new(
            ErrorCode::UnknownInputKind,
            "the input is neither HL7 v2 (MSH…) nor JSON (FHIR, Redox, Table B or a profile-mapped document)",
        ));
    }
    let doc = json::parse(b)?;
    let kind = forced.unwrap_or_else(|| detect_value(&doc));
    match kind {
        InputKind::Fhir => fhir::map_fhir_value(&doc, profile, &opts.fhir()),
        InputKind::Redox => redox::map_redox_value(&doc, profile),
        InputKind::TableB => json_map::map_json_value(&doc, profile),
        InputKind::Json if profile.json.configured() => json_map::map_json_value(&doc, profile),
        InputKind::Json | InputKind::Unknown | InputKind::Hl7 => Err(Error::new(
            ErrorCode::UnknownInputKind,
            "the JSON is not FHIR (resourceType), Redox (Meta.DataModel) or Table B, and the profile has no json mapping",
        )),
    }
}
