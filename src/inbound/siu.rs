//! SIU → Studio `Parameters`: turn an HL7 v2 scheduling message into an [`AppointmentEvent`] the
//! PAM flow accepts, or a coded [`Skip`].
//!
//! The sources of each key are the data in [`super::siu_map`] (rendered in `docs/siu-mapping.md`);
//! this module applies them with the profile's overrides, picks phones and times, records the
//! provenance of every value, applies the filters and sanitizes for PAM.
//!
//! This file holds the entry points and [`map_message`]'s steps; one file per concern in `siu/`:
//! * `view.rs` — the segment index and raw field/component views (read once, walked by byte scans);
//! * `status.rs` — trigger → event type and the filler-status (SCH-25) check;
//! * `times.rs` — `event_datetime_utc`, `appointment_datetime`, `appointment_timezone`;
//! * `patient.rs` — `patient_id` and the patient's names;
//! * `provider.rs` — `provider_id` and the provider's names;
//! * `phones.rs` — phone selection: `patient_phone` and `provider_callback_phone`;
//! * `location.rs` — `appointment_location` and `appointment_id`;
//! * `filters.rs` — the profile's filters.
//!
//! Warning codes (all carry `field`; none carries an input value):
//! `MAP_EVENT_MAPPED_TO_CANCELED`, `MAP_EVENT_STATUS_MISMATCH`, `MAP_STATUS_UNRECOGNIZED`,
//! `MAP_MULTIPLE_PATIENTS`, `MAP_RESOURCES_DISAGREE`, `MAP_SOURCES_DISAGREE`,
//! `MAP_BAD_DATETIME`, `MAP_DATETIME_LOW_PRECISION`, `MAP_EVENT_TIME_ASSUMED_UTC`,
//! `MAP_NO_EVENT_TIME`, `MAP_ZONE_ASSUMED_UTC`, `MAP_ZONE_FROM_MESSAGE_TIME`,
//! `MAP_ZONE_UNKNOWN_OFFSET`, `MAP_OFFSET_NOT_SENDER_ZONE`, `MAP_DST_GAP`, `MAP_DST_AMBIGUOUS`,
//! `MAP_PATIENT_ID_NO_TYPE_MATCH`, `MAP_PATIENT_ID_FROM_PID2`, `MAP_PROVIDER_USERNAME_ONLY`,
//! `MAP_LOCATION_IS_CODE`, `MAP_PHONE_NOT_MARKED_MOBILE`, `MAP_PHONE_WORK_USED`,
//! `MAP_PHONE_LANDLINE_USED`, `MAP_PHONE_WORK_SKIPPED`, `MAP_PHONE_LANDLINE_SKIPPED`,
//! `MAP_PHONE_UNMARKED_SKIPPED`, `MAP_PHONE_COMPONENTS_DISAGREE`, `PHONE_DEFAULT_COUNTRY_ASSUMED`,
//! the `PHONE_*` codes of [`crate::phone`], the `SANITIZE_*` codes of
//! [`crate::studio::sanitize`], `MAP_SMS_VALUE_EMPTY`, and the parser's `HL7_*` warnings.
//!
//! ```
//! use ehr_studio_bridge::{inbound::map_hl7, profile::CompiledProfile};
//! let raw = std::fs::read("tests/fixtures/perf/siu_s12_small.hl7").unwrap();
//! let r = map_hl7(&raw, &CompiledProfile::default()).unwrap();
//! let e = r.event.unwrap();
//! assert_eq!(e.event_type, "BOOKED");
//! assert_eq!(e.patient_phone, "+16175550143"); // the CP repetition, not the home number
//! assert_eq!(e.appointment_datetime, "2025-03-10T08:30:00");
//! assert_eq!(e.appointment_timezone, "-0500");
//! assert_eq!(e.event_datetime_utc, "2025-03-05T19:30:12Z");
//! assert_eq!(e.appointment_location, "Cardiology and Vascular Clinic");
//! assert_eq!(r.provenance.get(ehr_studio_bridge::event::Field::PatientPhone).unwrap().source.to_string(), "PID-13[3]");
//! ```

mod filters;
mod location;
mod patient;
mod phones;
mod provider;
mod status;
mod times;
mod view;

use filters::apply_filters;
use location::{map_appointment_id, map_location};
use patient::{map_patient_id, map_patient_name};
use phones::{map_callback, map_phone};
use provider::map_provider;
use status::{default_event, status_check, trigger_rule};
use times::{map_event_time, map_start};
use view::{leaf, parse_version, query, val, Idx, SegView};

use super::siu_map::band_of;
use crate::error::{Error, ErrorCode, Position, Result, Warning};
use crate::event::{
    skip_codes, AppointmentEvent, Detail, EventType, Field, MapResult, Provenance, Skip,
};
use crate::hl7::{mllp, Message, Path};
use crate::phone::PhoneReader;
use crate::profile::{CompiledProfile, Profile, SanitizeMode};
use crate::studio::sanitize::sanitize_event_with;
use crate::time::Tz;
use std::borrow::Cow;

/// Map one HL7 v2 message (raw bytes: MLLP framing, charsets and line endings are handled by the
/// parser). Only the first MLLP frame is read; use [`map_hl7_stream`] for streams.
///
/// `Err` only for input that is not HL7 v2 at all (`EMPTY_INPUT`, `HL7_NO_MSH`,
/// `HL7_BAD_ENCODING_CHARS`), or strict sanitization
/// (`MAP_STRICT_REJECTED`). Everything else is a [`MapResult`] with an event or a coded skip.
pub fn map_hl7(input: &[u8], profile: &CompiledProfile) -> Result<MapResult> {
    map_hl7_with(input, profile, Detail::Full)
}

/// [`map_hl7`], recording only what `detail` asks for: with [`Detail::Codes`] the same event or
/// skip, idempotency key and warning codes, without provenance, ids, draft or warning messages
/// (the send path, `Mapper.execution`).
///
/// ```
/// use ehr_studio_bridge::{event::Detail, inbound::siu::map_hl7_with, map_hl7, CompiledProfile};
/// let raw = std::fs::read("tests/fixtures/perf/siu_s12_small.hl7").unwrap();
/// let p = CompiledProfile::default();
/// let (full, lean) = (map_hl7(&raw, &p).unwrap(), map_hl7_with(&raw, &p, Detail::Codes).unwrap());
/// assert_eq!(lean.event, full.event);
/// assert_eq!(lean.idempotency_key, full.idempotency_key);
/// assert!(lean.provenance.get(ehr_studio_bridge::event::Field::PatientPhone).is_none());
/// ```
pub fn map_hl7_with(input: &[u8], profile: &CompiledProfile, detail: Detail) -> Result<MapResult> {
    let msg = Message::parse(input)?;
    map_message_with(&msg, profile, detail)
}

/// Map every message of a byte stream: MLLP frames (`0x0B … 0x1C 0x0D`), or several `MSH`
/// messages in one text (batch files).
pub fn map_hl7_stream(input: &[u8], profile: &CompiledProfile) -> Result<Vec<MapResult>> {
    let split = mllp::split(input, true)?;
    let frames: Vec<&[u8]> = if split.frames.is_empty() {
        vec![input]
    } else {
        split
            .frames
            .iter()
            .filter_map(|r| input.get(r.clone()))
            .collect()
    };
    let mut out = Vec::new();
    for f in frames {
        let msg = Message::parse(f)?;
        let ranges = msg.message_ranges();
        if ranges.len() <= 1 {
            out.push(map_message(&msg, profile)?);
        } else {
            for r in ranges {
                let text = msg.text().get(r).unwrap_or("");
                let m = Message::parse_str(text)?;
                out.push(map_message(&m, profile)?);
            }
        }
    }
    Ok(out)
}

/// The mapping context of one message: the profile, the version band of the source table, the
/// sender's zone and country, and the result being built (warnings, provenance, ids).
struct Ctx<'p> {
    profile: &'p Profile,
    band: usize,
    zone: Option<Tz>,
    country: &'p str,
    country_configured: bool,
    /// Reads every phone number of the message with the default country (each classified once).
    phones: PhoneReader,
    /// What is recorded besides the outcome (see [`Detail`]).
    detail: Detail,
    r: MapResult,
}

impl<'p> Ctx<'p> {
    fn new(
        profile: &'p CompiledProfile,
        msg: &Message<'_>,
        msh: Option<&SegView<'_>>,
        detail: Detail,
    ) -> Self {
        let (country, country_configured) = profile.default_country();
        let warnings = match detail {
            Detail::Full => msg.warnings().to_vec(),
            Detail::Codes => msg
                .warnings()
                .iter()
                .map(|w| Warning {
                    field: w.field,
                    ..Warning::code_only(w.code)
                })
                .collect(),
        };
        Ctx {
            profile,
            band: band_of(msh.map_or((2, 5), parse_version)),
            zone: profile.sender_zone(),
            country,
            country_configured,
            phones: PhoneReader::new(Some(country)),
            detail,
            r: MapResult {
                warnings,
                ..MapResult::default()
            },
        }
    }
    /// Whether provenance, ids and warning messages are recorded.
    fn full(&self) -> bool {
        self.detail == Detail::Full
    }
    /// A warning about `f` with a fixed message.
    fn warn(&mut self, code: &'static str, msg: &'static str, f: Field) {
        let message = self.full().then(|| msg.to_owned());
        self.record(code, f, message, None);
    }
    /// A warning about `f` whose message is built only when it is recorded.
    fn warn_with(&mut self, code: &'static str, f: Field, msg: impl FnOnce() -> String) {
        let message = self.full().then(msg);
        self.record(code, f, message, None);
    }
    /// A warning about `f` at an input position.
    fn warn_at(
        &mut self,
        code: &'static str,
        msg: &'static str,
        f: Field,
        p: impl FnOnce() -> Position,
    ) {
        match self.full() {
            true => self.record(code, f, Some(msg.to_owned()), Some(p())),
            false => self.record(code, f, None, None),
        }
    }
    /// Push a warning (one copy of this code for every call site).
    #[inline(never)]
    fn record(
        &mut self,
        code: &'static str,
        f: Field,
        message: Option<String>,
        position: Option<Position>,
    ) {
        self.r.warnings.push(Warning {
            code,
            message: message.unwrap_or_default(),
            field: Some(f.name()),
            position,
        });
    }
    fn prov(&mut self, f: Field, p: Provenance) {
        if self.full() {
            self.r.provenance.set(f, p);
        }
    }
}

// ---- per-key profile overrides and defaults (used by every field rule) ---------------------

/// The text at the first of `paths` that has a value (a path without a component reads the first
/// subcomponent), with that path.
fn override_text<'m>(msg: &'m Message<'m>, paths: &[String]) -> Option<(Cow<'m, str>, String)> {
    for p in paths {
        let Ok(pp) = Path::parse(p) else { continue };
        let Some(el) = query(msg, &pp) else { continue };
        let el = if pp.component.is_none() { leaf(el) } else { el };
        if let Some(v) = val(Some(el)) {
            return Some((v, p.clone()));
        }
    }
    None
}

/// Apply a profile override for a text key. Returns true when the key is overridden.
fn apply_override(cx: &mut Ctx<'_>, msg: &Message<'_>, f: Field, e: &mut AppointmentEvent) -> bool {
    let Some(list) = cx.profile.field_override(f) else {
        return false;
    };
    match override_text(msg, list.paths()) {
        Some((v, p)) => {
            *e.get_mut(f) = v.into_owned();
            cx.prov(f, Provenance::path(p, "profile.hl7.fields source"));
        }
        None => apply_default(cx, f, e, "profile.hl7.fields sources are empty"),
    }
    true
}

/// The profile default for `f` (or an empty value), with its provenance.
fn apply_default(cx: &mut Ctx<'_>, f: Field, e: &mut AppointmentEvent, none_rule: &'static str) {
    let p = cx.profile.defaults.fill(e, f, none_rule);
    cx.prov(f, p);
}

/// Map a parsed message (see [`map_hl7`]): read the trigger and its event type, check the
/// filler status, map the 14 values, then skip (with a draft) or finish the event.
pub fn map_message(msg: &Message<'_>, profile: &CompiledProfile) -> Result<MapResult> {
    map_message_with(msg, profile, Detail::Full)
}

/// [`map_message`] recording what `detail` asks for (see [`map_hl7_with`]).
pub fn map_message_with(
    msg: &Message<'_>,
    profile: &CompiledProfile,
    detail: Detail,
) -> Result<MapResult> {
    let msh = msg
        .segment("MSH")
        .map(|s| SegView::header(s, msg.delimiters()));
    let mut cx = Ctx::new(profile, msg, msh.as_ref(), detail);
    let (event_type, trig) = match read_event_type(&mut cx, msh.as_ref())? {
        Ok(found) => found,
        Err((code, reason, rule)) => return Ok(skip(cx.r, code, reason, &rule)),
    };
    let mut idx = Idx::build(msg);
    idx.msh = msh;
    let event_type = status_check(&mut cx, msg, &idx, &trig, event_type);
    let (e, phone_ok) = map_values(&mut cx, msg, &idx, event_type);
    match skip_reason(&cx, msg, &idx, &e, phone_ok) {
        Some(why) => Ok(skip_with_draft(cx, e, why)),
        None => finish_event(cx, e, event_type),
    }
}

/// A skip decided before the values are mapped: `(code, reason, rule)`.
type Early = (&'static str, &'static str, String);

/// The message type and trigger (MSH-9, recorded in `ids` with MSH-10), then the event type the
/// trigger maps to: `Ok(Err(…))` for a message that is not an SIU appointment event to text.
fn read_event_type(
    cx: &mut Ctx<'_>,
    msh: Option<&SegView<'_>>,
) -> Result<std::result::Result<(EventType, String), Early>> {
    let Some(msh) = msh else {
        return Ok(Err((
            skip_codes::NOT_SCHEDULING_EVENT,
            "the message has no MSH segment",
            "MSH".into(),
        )));
    };
    let mtype = msh.field(9);
    let code = val(mtype.and_then(|f| f.component(1)));
    let trigger = val(mtype.and_then(|f| f.component(2)));
    let trigger = trigger.as_deref().map(str::to_ascii_uppercase);
    if cx.full() {
        cx.r.ids.message_control_id = val(msh.field(10)).map(Cow::into_owned);
        cx.r.ids.trigger.clone_from(&trigger);
    }
    if !code
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("SIU"))
    {
        return Ok(Err((
            skip_codes::NOT_SCHEDULING_EVENT,
            "the message type (MSH-9.1) is not SIU",
            "MSH-9.1".into(),
        )));
    }
    let trig = trigger.unwrap_or_default();
    Ok(trigger_event(cx, &trig)?.map(|ev| (ev, trig)))
}

/// The event type of a trigger: the profile's `hl7.events` rule, else the default (S12 → BOOKED
/// …), with its provenance.
fn trigger_event(cx: &mut Ctx<'_>, trig: &str) -> Result<std::result::Result<EventType, Early>> {
    let (event_type, configured) = match cx.profile.hl7.events.get(trig) {
        Some(v) if v.eq_ignore_ascii_case("skip") => {
            return Ok(Err((
                skip_codes::EVENT_POLICY,
                "the profile's event rules skip this trigger",
                format!("hl7.events.{trig}"),
            )));
        }
        Some(v) => match EventType::parse(v) {
            Some(e) => (e, true),
            None => {
                return Err(Error::new(ErrorCode::ProfileBadValue, "bad event rule")
                    .at_pointer(format!("/hl7/events/{trig}")))
            }
        },
        None => match default_event(trig) {
            Some(e) => (e, false),
            None => {
                return Ok(Err((
                    skip_codes::NOT_SCHEDULING_EVENT,
                    "the SIU trigger (MSH-9.2) is not an appointment event the flow texts about (S12–S17, S26)",
                    "MSH-9.2".into(),
                )))
            }
        },
    };
    if configured {
        cx.prov(
            Field::EventType,
            Provenance::profile("profile.hl7.events", "trigger mapped by the profile"),
        );
    } else {
        cx.prov(
            Field::EventType,
            Provenance::path("MSH-9.2", trigger_rule(trig)),
        );
        if matches!(trig, "S16" | "S17") {
            cx.warn(
                "MAP_EVENT_MAPPED_TO_CANCELED",
                "S16 (discontinued) / S17 (deleted) is sent as CANCELED; set hl7.events to choose another event or skip",
                Field::EventType,
            );
        }
    }
    Ok(Ok(event_type))
}

/// The 14 values, key by key (each rule records its provenance and warnings); whether a patient
/// phone the flow can text was found.
fn map_values(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    event_type: EventType,
) -> (AppointmentEvent, crate::inbound::common::PhonePick) {
    let mut e = AppointmentEvent {
        event_type: event_type.as_str().to_owned(),
        ..Default::default()
    };
    if idx.pid_count > 1 {
        cx.warn(
            "MAP_MULTIPLE_PATIENTS",
            "the message has several PATIENT groups; the first is used",
            Field::PatientId,
        );
    }
    map_event_time(cx, msg, idx, &mut e);
    map_patient_id(cx, msg, idx, &mut e);
    map_patient_name(cx, msg, idx, &mut e);
    map_provider(cx, msg, idx, &mut e);
    map_callback(cx, msg, idx, &mut e);
    map_location(cx, msg, idx, &mut e);
    map_appointment_id(cx, msg, idx, &mut e);
    map_start(cx, msg, idx, &mut e);
    let phone_ok = map_phone(cx, msg, idx, &mut e);
    (e, phone_ok)
}

/// Why a mapped message is not sent, in order: no patient, a required value missing, a filter,
/// no phone to text: `(code, reason, rule)`.
fn skip_reason(
    cx: &Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &AppointmentEvent,
    phone_ok: crate::inbound::common::PhonePick,
) -> Option<(&'static str, String, Option<String>)> {
    if idx.pid.is_none() {
        return Some((
            skip_codes::NO_PATIENT,
            "the message has no PATIENT group (PID): there is nobody to text".into(),
            Some("PID".into()),
        ));
    }
    let missing: Vec<&str> = [
        Field::PatientId,
        Field::AppointmentId,
        Field::AppointmentDatetime,
    ]
    .iter()
    .filter(|f| e.get(**f).is_empty())
    .map(|f| f.name())
    .collect();
    if !missing.is_empty() {
        return Some((
            skip_codes::MISSING_REQUIRED,
            format!(
                "the flow needs values the message does not carry: {}",
                missing.join(", ")
            ),
            None,
        ));
    }
    if let Some((rule, reason)) = apply_filters(cx, msg, e) {
        return Some((skip_codes::FILTERED, reason, Some(rule)));
    }
    phone_ok.skip()
}

/// A skip after mapping: the values are kept as a draft, sanitized in repair mode so previews
/// show what would be sent.
fn skip_with_draft(
    mut cx: Ctx<'_>,
    mut draft: AppointmentEvent,
    (code, reason, rule): (&'static str, String, Option<String>),
) -> MapResult {
    let _ = sanitize_event_with(
        &mut draft,
        SanitizeMode::Repair,
        &mut cx.r.warnings,
        cx.detail,
    );
    cx.r.skip = Some(Skip { code, reason, rule });
    if cx.full() {
        cx.r.draft = Some(draft);
    }
    cx.r
}

/// Sanitize for PAM (per the profile's mode), warn about empty SMS values, key and return the
/// event.
fn finish_event(
    mut cx: Ctx<'_>,
    mut e: AppointmentEvent,
    event_type: EventType,
) -> Result<MapResult> {
    sanitize_event_with(&mut e, cx.profile.sanitize, &mut cx.r.warnings, cx.detail)?;
    sms_empty_warnings(&mut cx, &e, event_type);
    cx.r.idempotency_key = Some(e.idempotency_key());
    cx.r.event = Some(e);
    Ok(cx.r)
}

fn skip(mut r: MapResult, code: &'static str, reason: &str, rule: &str) -> MapResult {
    r.skip = Some(Skip {
        code,
        reason: reason.to_owned(),
        rule: Some(rule.to_owned()),
    });
    r
}

fn sms_empty_warnings(cx: &mut Ctx<'_>, e: &AppointmentEvent, ev: EventType) {
    for f in e.empty_sms_fields(ev) {
        cx.warn_with("MAP_SMS_VALUE_EMPTY", f, || {
            AppointmentEvent::empty_sms_message(f, ev)
        });
    }
}

/// Map an input and report only the warning codes (tests, docs).
#[doc(hidden)]
pub fn warning_codes(r: &MapResult) -> Vec<&'static str> {
    r.warnings.iter().map(|w: &Warning| w.code).collect()
}
