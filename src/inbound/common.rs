//! Shared machinery of the JSON mappers (FHIR, Redox, generic JSON): the mapping context
//! (warnings, provenance, profile defaults), ISO-8601 date-times, patient-phone selection with the
//! same tiers and warning codes as the SIU mapper, DST-aware localization, filters on JSON inputs,
//! and the common ending (required values, filters, phone, PAM sanitization).
//!
//! Warning codes added here (besides the SIU codes reused with the same meaning —
//! `MAP_PHONE_*`, `PHONE_*`, `MAP_DST_*`, `MAP_OFFSET_NOT_SENDER_ZONE`, `MAP_EVENT_TIME_ASSUMED_UTC`,
//! `MAP_NO_EVENT_TIME`, `MAP_BAD_DATETIME`, `MAP_DATETIME_LOW_PRECISION`, `MAP_SMS_VALUE_EMPTY`,
//! `SANITIZE_*`):
//! * `MAP_ZONE_FROM_OFFSET` — no IANA zone is known: the non-UTC offset written on the start time
//!   was used (wrong if the sender rewrites offsets; see `fhir.trustOffset`);
//! * `MAP_ZONE_UNKNOWN` — no IANA zone is known and the start is written in UTC (or without an
//!   offset), which is never taken as the patient's zone: `appointment_timezone` stays empty and the
//!   result is a `SKIP_MISSING_REQUIRED` skip;
//! * `MAP_FILTER_NOT_APPLICABLE` — a filter's `path` is an HL7 path but the input is JSON (or the
//!   reverse): the value counts as missing.

use crate::error::{Position, Result, Warning};
use crate::event::{
    skip_codes, AppointmentEvent, EventType, Field, MapResult, NeedsFetch, Provenance, Skip, Source,
};
use crate::phone::{self, LineKind, Note, PhoneNumber};
use crate::profile::{CallbackFormat, CompiledProfile, FilterRule, Phones, SanitizeMode};
use crate::studio::sanitize::sanitize_event;
use crate::time::Tz;
use crate::time::{self, AmbiguousPolicy, Resolution};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value;

// ---- ISO 8601 ---------------------------------------------------------------------------------

/// How much of a date-time was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Prec {
    Day,
    Minute,
    Second,
}

/// An ISO 8601 / FHIR `dateTime` / `instant` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Iso {
    /// The wall-clock time as written.
    pub local: NaiveDateTime,
    /// Minutes east of UTC, when written (`Z` = 0).
    pub offset: Option<i32>,
    pub prec: Prec,
}

impl Iso {
    /// The UTC instant, when the value carries an offset.
    pub fn utc(&self) -> Option<NaiveDateTime> {
        let off = self.offset?;
        self.local
            .checked_sub_signed(chrono::Duration::minutes(i64::from(off)))
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(n)?)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Parse `YYYY[-MM[-DD[(T| )hh:mm[:ss[.f…]]]]][Z|±hh:mm|±hhmm|±hh]`.
pub(crate) fn parse_iso(s: &str) -> Option<Iso> {
    let b = s.trim().as_bytes();
    let year = i32::try_from(digits(b, 0, 4)?).ok()?;
    let mut i = 4;
    let (mut month, mut day) = (1u32, 1u32);
    if b.get(i) == Some(&b'-') {
        month = digits(b, i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'-') {
            day = digits(b, i + 1, 2)?;
            i += 3;
        }
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let mut prec = Prec::Day;
    let (mut h, mut m, mut sec, mut nanos) = (0u32, 0u32, 0u32, 0u32);
    if matches!(b.get(i), Some(b'T') | Some(b't') | Some(b' ')) && i == 10 {
        h = digits(b, i + 1, 2)?;
        if b.get(i + 3) != Some(&b':') {
            return None;
        }
        m = digits(b, i + 4, 2)?;
        i += 6;
        prec = Prec::Minute;
        if b.get(i) == Some(&b':') {
            sec = digits(b, i + 1, 2)?.min(59);
            i += 3;
            prec = Prec::Second;
            if matches!(b.get(i), Some(b'.') | Some(b',')) {
                i += 1;
                let start = i;
                let mut scale = 100_000_000u32;
                while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                    nanos += u32::from(c - b'0') * scale;
                    scale /= 10;
                    i += 1;
                }
                if i == start {
                    return None;
                }
            }
        }
    }
    let local = date.and_hms_nano_opt(h, m, sec, nanos)?;
    let offset = match b.get(i) {
        None => None,
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => Some(0),
        Some(&c @ (b'+' | b'-')) if prec >= Prec::Minute => {
            let oh = i32::try_from(digits(b, i + 1, 2)?).ok()?;
            let rest = b.get(i + 3..).unwrap_or(&[]);
            let om = match rest {
                [] => 0,
                [b':', ..] if rest.len() == 3 => i32::try_from(digits(rest, 1, 2)?).ok()?,
                _ if rest.len() == 2 => i32::try_from(digits(rest, 0, 2)?).ok()?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let v = oh * 60 + om;
            Some(if c == b'-' { -v } else { v })
        }
        _ => return None,
    };
    Some(Iso {
        local,
        offset,
        prec,
    })
}

// ---- context ----------------------------------------------------------------------------------

/// The mapping context of one input.
pub(crate) struct Cx<'p> {
    pub profile: &'p CompiledProfile,
    pub country: &'p str,
    pub country_configured: bool,
    pub r: MapResult,
}

impl<'p> Cx<'p> {
    pub fn new(profile: &'p CompiledProfile) -> Self {
        let (country, country_configured) = profile.default_country();
        Cx {
            profile,
            country,
            country_configured,
            r: MapResult::default(),
        }
    }

    pub fn warn(&mut self, code: &'static str, msg: impl Into<String>, f: Field) {
        self.r.warn(code, msg, f);
    }

    pub fn warn_at(&mut self, code: &'static str, msg: impl Into<String>, f: Field, ptr: String) {
        self.r.warn_at(code, msg, f, Position::pointer(ptr));
    }

    /// A warning about the input as a whole (no Table B key).
    pub fn note(&mut self, code: &'static str, msg: impl Into<String>, ptr: Option<String>) {
        let mut w = Warning::new(code, msg);
        if let Some(p) = ptr {
            w = w.at(Position::pointer(p));
        }
        self.r.warnings.push(w);
    }

    pub fn prov(&mut self, f: Field, p: Provenance) {
        self.r.provenance.set(f, p);
    }

    /// Set a value read from the input.
    pub fn set(
        &mut self,
        e: &mut AppointmentEvent,
        f: Field,
        v: impl Into<String>,
        src: impl Into<Source>,
        rule: &'static str,
    ) {
        *e.get_mut(f) = v.into();
        self.prov(f, Provenance::path(src, rule));
    }

    /// The profile default for `f`, else empty with `none_rule`.
    pub fn default_or_none(&mut self, e: &mut AppointmentEvent, f: Field, none_rule: &'static str) {
        let p = self.profile.defaults.fill(e, f, none_rule);
        self.prov(f, p);
    }

    /// End with a skip decided before the values were mapped (no draft).
    pub fn skip(mut self, code: &'static str, reason: impl Into<String>, rule: &str) -> MapResult {
        self.r.skip = Some(Skip {
            code,
            reason: reason.into(),
            rule: Some(rule.to_owned()),
        });
        self.r
    }

    /// End with a skip decided after mapping: the values are kept as a (repaired) draft.
    pub fn skip_with_draft(
        mut self,
        mut e: AppointmentEvent,
        code: &'static str,
        reason: impl Into<String>,
        rule: Option<String>,
        needs: Option<NeedsFetch>,
    ) -> MapResult {
        let _ = sanitize_event(&mut e, SanitizeMode::Repair, &mut self.r.warnings);
        self.r.skip = Some(Skip {
            code,
            reason: reason.into(),
            rule,
        });
        self.r.draft = Some(e);
        self.r.needs_fetch = needs;
        self.r
    }

    // ---- phones -------------------------------------------------------------------------------

    fn phone_notes(&mut self, notes: phone::Notes, f: Field, ptr: &str) {
        for n in notes.iter() {
            if n == Note::DefaultCountryUsed {
                if !self.country_configured {
                    self.warn_at(
                        "PHONE_DEFAULT_COUNTRY_ASSUMED",
                        "the number has no country code and the profile has no sender.defaultCountry: read as US",
                        f,
                        ptr.to_owned(),
                    );
                }
                continue;
            }
            self.warn_at(n.code(), n.message(), f, ptr.to_owned());
        }
    }

    /// Choose `patient_phone` among candidates in source order (see [`PhoneCand`]). An invalid
    /// number is never chosen: it is reported at its source and the next valid allowed candidate
    /// is used; the result says why none was (the caller skips with [`PhonePick::skip`]).
    pub fn pick_patient_phone(
        &mut self,
        e: &mut AppointmentEvent,
        cands: &[PhoneCand<'_>],
    ) -> PhonePick {
        let f = Field::PatientPhone;
        let country = self.country;
        let mut ok: Vec<(Tier, PhoneNumber, phone::Notes, usize)> = Vec::with_capacity(cands.len());
        let mut invalid = false;
        for (i, c) in cands.iter().enumerate() {
            match phone::normalize(c.text, Some(country)) {
                Ok((n, notes)) => {
                    let tier = Tier::of(c.mark == Mark::Mobile, c.mark == Mark::Work, n.kind);
                    ok.push((tier, n, notes, i));
                }
                Err(err) => {
                    invalid |= err.is_invalid_number();
                    self.warn_at(err.code(), err.message(), f, c.src.clone());
                }
            }
        }
        let ph = &self.profile.phones;
        let chosen = Tier::choose(ok.iter().map(|c| c.0), ph);
        let Some((tier, number, notes, ci)) = chosen.and_then(|i| ok.get(i)).cloned() else {
            for (tier, _, _, ci) in &ok {
                if let Some((code, m)) = tier.not_used_warning() {
                    let src = cands.get(*ci).map(|c| c.src.clone()).unwrap_or_default();
                    self.warn_at(code, m, f, src);
                }
            }
            self.prov(f, Provenance::none("no usable mobile number"));
            return PhonePick::none(invalid, !ok.is_empty());
        };
        let Some(c) = cands.get(ci) else {
            return PhonePick::NoneUsable;
        };
        let rule = tier.rule(c.mark == Mark::Mobile, c.mobile_rule);
        if let Some((code, m)) = tier.used_warning() {
            self.warn_at(code, format!("the number used {m}"), f, c.src.clone());
        }
        self.phone_notes(notes, f, &c.src);
        e.patient_phone = number.e164;
        self.prov(f, Provenance::path(c.src.clone(), rule));
        PhonePick::Chosen
    }

    /// Normalize a callback number and render it per `phones.callbackFormat`. Invalid numbers
    /// (by their numbering plan) are reported (at `ptr`) and rejected rather than guessed: the
    /// caller tries its next source, then the profile default, else leaves the value empty. Any
    /// valid type is accepted (a clinic's toll-free number is a fine callback number).
    pub fn callback_number(&mut self, raw: &str, ptr: &str) -> Option<String> {
        let f = Field::ProviderCallbackPhone;
        match phone::normalize(raw, Some(self.country)) {
            Ok((n, notes)) => {
                let home_cc = phone::country(self.country).map_or("1", |c| c.calling_code);
                for note in notes.iter() {
                    if note == Note::ExtensionDropped {
                        self.warn_at(note.code(), note.message(), f, ptr.to_owned());
                    }
                }
                Some(match self.profile.phones.callback_format {
                    CallbackFormat::National => n.display(home_cc),
                    CallbackFormat::E164 => n.e164,
                })
            }
            Err(err) => {
                self.warn_at(err.code(), err.message(), f, ptr.to_owned());
                None
            }
        }
    }

    // ---- times --------------------------------------------------------------------------------

    fn dst_warning(&mut self, r: Resolution, f: Field) {
        match r {
            Resolution::Exact => {}
            Resolution::Gap(_) => self.warn(
                "MAP_DST_GAP",
                "the local time does not exist in the zone (DST spring-forward gap); it was moved forward by the gap",
                f,
            ),
            Resolution::Ambiguous(p) => self.warn(
                "MAP_DST_AMBIGUOUS",
                match p {
                    AmbiguousPolicy::Earlier => "the local time occurs twice in the zone (DST fall-back); the earlier instant was used (sender.ambiguousTime)",
                    AmbiguousPolicy::Later => "the local time occurs twice in the zone (DST fall-back); the later instant was used (sender.ambiguousTime)",
                },
                f,
            ),
        }
    }

    /// `event_datetime_utc` from a date-time text at `src`: its own offset, else the profile zone,
    /// else UTC (warning).
    pub fn event_time(
        &mut self,
        e: &mut AppointmentEvent,
        raw: &str,
        src: String,
        rule: &'static str,
    ) {
        let f = Field::EventDatetimeUtc;
        let Some(iso) = parse_iso(raw) else {
            self.warn_at(
                "MAP_BAD_DATETIME",
                "the event time is not an ISO 8601 date-time; event_datetime_utc is empty",
                f,
                src,
            );
            self.prov(f, Provenance::none("unparseable event time"));
            return;
        };
        let utc = match iso.utc() {
            Some(u) => Some((u, rule)),
            None => match self.sender_zone() {
                Some(z) => time::resolve_local(z, iso.local, self.profile.sender.ambiguous_time)
                    .map(|r| {
                        (
                            r.utc,
                            "no offset: read in profile.sender.timeZone, converted to UTC",
                        )
                    }),
                None => {
                    self.warn_at(
                        "MAP_EVENT_TIME_ASSUMED_UTC",
                        "the event time has no UTC offset and the profile has no sender.timeZone: read as UTC",
                        f,
                        src.clone(),
                    );
                    Some((iso.local, "no offset and no profile zone: read as UTC"))
                }
            },
        };
        match utc {
            Some((u, rule)) => {
                e.event_datetime_utc = time::format_utc(u);
                self.prov(f, Provenance::path(src, rule));
            }
            None => self.prov(f, Provenance::none("event time out of range")),
        }
    }

    /// `event_datetime_utc` from the host's clock reading (`now_ms`, milliseconds since the epoch).
    pub fn event_time_now(&mut self, e: &mut AppointmentEvent, now_ms: i64) -> bool {
        match chrono::DateTime::from_timestamp_millis(now_ms) {
            Some(t) => {
                e.event_datetime_utc = time::format_utc(t.naive_utc());
                self.prov(
                    Field::EventDatetimeUtc,
                    Provenance::path(
                        "options.nowMs",
                        "no event time in the input: the host's clock",
                    ),
                );
                true
            }
            None => false,
        }
    }

    /// No event time anywhere.
    pub fn no_event_time(&mut self) {
        self.warn(
            "MAP_NO_EVENT_TIME",
            "the input carries no event time: event_datetime_utc is empty (the PAM validator skips an empty value)",
            Field::EventDatetimeUtc,
        );
        self.prov(Field::EventDatetimeUtc, Provenance::none("no event time"));
    }

    /// The profile's `sender.timeZone`.
    pub fn sender_zone(&self) -> Option<Tz> {
        self.profile.sender_zone()
    }

    /// `appointment_datetime` and `appointment_timezone` from a start time (see the module docs
    /// for the rules). `zone` is the IANA zone that applies, with its provenance.
    pub fn localize_start(
        &mut self,
        e: &mut AppointmentEvent,
        iso: Iso,
        src: String,
        zone: Option<ZoneChoice>,
        trust_offset: bool,
    ) {
        let f = Field::AppointmentDatetime;
        let tzf = Field::AppointmentTimezone;
        if iso.prec < Prec::Minute {
            self.warn_at(
                "MAP_DATETIME_LOW_PRECISION",
                "the start gives only a date; the time of day is 00:00",
                f,
                src.clone(),
            );
        }
        let policy = self.profile.sender.ambiguous_time;
        match (iso.utc(), zone) {
            (Some(utc), Some(z)) => {
                let Some((local, m)) = time::utc_to_local(z.tz, utc) else {
                    self.prov(f, Provenance::none("start time out of range"));
                    return;
                };
                if iso.offset.is_some_and(|o| o != 0 && o != m) {
                    self.warn_at(
                        "MAP_OFFSET_NOT_SENDER_ZONE",
                        "the start carries a UTC offset that is not the zone's offset at that time; the instant was converted to the zone",
                        f,
                        src.clone(),
                    );
                }
                e.appointment_datetime = time::format_local(local);
                e.appointment_timezone = time::format_offset(m);
                self.r.ids.time_zone = Some(z.tz.name().to_owned());
                self.prov(f, Provenance::path(src, z.start_rule));
                self.prov(
                    tzf,
                    Provenance {
                        source: z.src,
                        rule: "zone offset at the appointment instant (DST-aware)",
                    },
                );
            }
            (None, Some(z)) => match time::resolve_local(z.tz, iso.local, policy) {
                Some(r) => {
                    self.dst_warning(r.resolution, f);
                    e.appointment_datetime = time::format_local(r.local);
                    e.appointment_timezone = time::format_offset(r.offset_minutes);
                    self.r.ids.time_zone = Some(z.tz.name().to_owned());
                    self.prov(
                        f,
                        Provenance::path(src, "wall time without offset, read in the zone"),
                    );
                    self.prov(
                        tzf,
                        Provenance {
                            source: z.src,
                            rule: "zone offset at the appointment time (DST-aware)",
                        },
                    );
                }
                None => self.prov(f, Provenance::none("start time out of range")),
            },
            (Some(_), None) if trust_offset && iso.offset.is_some_and(|o| o != 0) => {
                let off = iso.offset.unwrap_or(0);
                e.appointment_datetime = time::format_local(iso.local);
                e.appointment_timezone = time::format_offset(off);
                self.warn_at(
                    "MAP_ZONE_FROM_OFFSET",
                    "no IANA zone is known (Location time-zone extension or profile): the offset written on the start was used; wrong if the sender rewrites offsets or DST differs",
                    tzf,
                    src.clone(),
                );
                self.prov(f, Provenance::path(src.clone(), "wall time as written"));
                self.prov(
                    tzf,
                    Provenance::path(src, "the offset written on the start (no zone known)"),
                );
            }
            (utc, None) => {
                // A `Z`/`+00:00` (or missing) offset is not the patient's zone: show UTC in the
                // draft, leave the offset empty, and let the caller skip.
                e.appointment_datetime = time::format_local(utc.unwrap_or(iso.local));
                e.appointment_timezone.clear();
                self.warn_at(
                    "MAP_ZONE_UNKNOWN",
                    "no IANA zone is known for the appointment (Location time-zone extension, profile fhir.timeZone or sender.timeZone) and the start is in UTC or has no offset, which is never taken as the patient's zone: appointment_timezone is empty",
                    tzf,
                    src.clone(),
                );
                self.prov(
                    f,
                    Provenance::path(src, "UTC wall time (draft only: no zone known)"),
                );
                self.prov(tzf, Provenance::none("no zone known"));
            }
        }
    }

    // ---- ending -------------------------------------------------------------------------------

    fn sms_empty_warnings(&mut self, e: &AppointmentEvent, ev: EventType) {
        for (f, msg) in e.empty_sms_values(ev) {
            self.warn("MAP_SMS_VALUE_EMPTY", msg, f);
        }
    }

    /// The common ending: required values → `SKIP_MISSING_REQUIRED`, filters → `SKIP_FILTERED`,
    /// no phone → `SKIP_NO_MOBILE_PHONE` / `SKIP_INVALID_PHONE`, else sanitize (strict mode may fail) and return the event.
    pub fn finish(
        mut self,
        mut e: AppointmentEvent,
        ev: EventType,
        phone_ok: PhonePick,
        filter: &FilterInput<'_>,
    ) -> Result<MapResult> {
        let missing: Vec<&str> = [
            Field::PatientId,
            Field::AppointmentId,
            Field::AppointmentDatetime,
            Field::AppointmentTimezone,
        ]
        .iter()
        .filter(|f| e.get(**f).is_empty())
        .map(|f| f.name())
        .collect();
        let skip: Option<(&'static str, String, Option<String>)> = if !missing.is_empty() {
            Some((
                skip_codes::MISSING_REQUIRED,
                format!(
                    "the flow needs values the input does not give: {}",
                    missing.join(", ")
                ),
                None,
            ))
        } else if let Some((rule, reason)) = self.apply_filters(&e, filter) {
            Some((skip_codes::FILTERED, reason, Some(rule)))
        } else {
            phone_ok.skip()
        };
        if let Some((code, reason, rule)) = skip {
            return Ok(self.skip_with_draft(e, code, reason, rule, None));
        }
        sanitize_event(&mut e, self.profile.sanitize, &mut self.r.warnings)?;
        self.sms_empty_warnings(&e, ev);
        self.r.idempotency_key = Some(e.idempotency_key());
        self.r.event = Some(e);
        Ok(self.r)
    }

    /// The filters of the profile, evaluated on a JSON input. A `path` that is a JSON pointer
    /// (`/…`) is read in `filter.doc`; an HL7 path cannot be (`MAP_FILTER_NOT_APPLICABLE`, value
    /// missing). Without a path, facility and appointment type come from the format's own
    /// sources (`filter.facility`, `filter.appointment_type`), provider and location from the
    /// mapped values.
    fn apply_filters(
        &mut self,
        e: &AppointmentEvent,
        filter: &FilterInput<'_>,
    ) -> Option<(String, String)> {
        let profile = self.profile;
        let fl = &profile.filters;
        if let Some(c) = &fl.sms_consent {
            let v = self.filter_value(Some(&c.path), filter, None, "smsConsent");
            if let Some(skip) = c.verdict(v.as_deref()) {
                return Some(skip);
            }
        }
        let rules: [(&str, &Option<FilterRule>, Option<String>); 4] = [
            ("facility", &fl.facility, filter.facility.clone()),
            (
                "appointmentType",
                &fl.appointment_type,
                filter.appointment_type.clone(),
            ),
            (
                "provider",
                &fl.provider,
                Some(e.provider_id.clone()).filter(|s| !s.is_empty()),
            ),
            (
                "location",
                &fl.location,
                Some(e.appointment_location.clone()).filter(|s| !s.is_empty()),
            ),
        ];
        for (name, rule, fallback) in rules {
            let Some(rule) = rule else { continue };
            let value = self.filter_value(rule.path.as_deref(), filter, fallback, name);
            if let Some(stop) = rule.verdict(name, value.as_deref().unwrap_or("")) {
                return Some(stop);
            }
        }
        None
    }

    fn filter_value(
        &mut self,
        path: Option<&str>,
        filter: &FilterInput<'_>,
        fallback: Option<String>,
        name: &str,
    ) -> Option<String> {
        match path {
            None => fallback,
            Some(p) if p.starts_with('/') => {
                filter.doc.and_then(|d| d.pointer(p)).and_then(scalar_text)
            }
            Some(_) => {
                self.note(
                    "MAP_FILTER_NOT_APPLICABLE",
                    format!("filters.{name}.path is an HL7 path and the input is JSON: the value counts as missing (use a JSON pointer such as /Patient/Consent)"),
                    None,
                );
                None
            }
        }
    }
}

/// A JSON scalar as filter/mapping text (strings trimmed, numbers and booleans as written).
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The JSON document and the format's default filter values.
#[derive(Default)]
pub(crate) struct FilterInput<'v> {
    /// Where JSON-pointer filter paths are read.
    pub doc: Option<&'v Value>,
    /// Default facility (Redox `Meta.FacilityCode`).
    pub facility: Option<String>,
    /// Default appointment type (FHIR `appointmentType`/`serviceType`, Redox `Visit.Reason`).
    pub appointment_type: Option<String>,
}

/// A zone that applies, with its provenance.
pub(crate) struct ZoneChoice {
    pub tz: Tz,
    pub src: Source,
    pub start_rule: &'static str,
}

/// How a phone candidate is marked by the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// Marked mobile (`use: mobile`, `system: sms`, Redox `Mobile`).
    Mobile,
    /// Marked home.
    Home,
    /// Marked work / office (used only with `phones.allowWork`).
    Work,
    /// No marking.
    Unknown,
}

/// How fit a patient phone candidate is for SMS, best first. One policy for every input format:
/// the SIU mapper and the JSON mappers classify, filter, choose and warn through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tier {
    /// In a mobile range, or marked mobile where the plan does not tell (NANP).
    Mobile,
    /// Home or unmarked, and the plan does not tell (NANP fixed-line-or-mobile, VoIP, personal).
    Unknown,
    /// Marked work (or read from a work-only source such as PID-14), not in a fixed-line range.
    Work,
    /// In a fixed-line range, whatever the marking.
    Landline,
    /// In a range that cannot receive an SMS (toll free, premium rate, shared cost, UAN, pager,
    /// voicemail): never used.
    NotSms,
}

impl Tier {
    /// The numbering plan decides where it is conclusive (mobile, fixed line, no SMS); the source's
    /// marking (mobile / work) decides where it is not (NANP numbers, VoIP, personal numbers). A
    /// work number in a mobile range stays a work number.
    pub fn of(marked_mobile: bool, marked_work: bool, kind: LineKind) -> Tier {
        match kind {
            LineKind::NotSms => Tier::NotSms,
            LineKind::Landline => Tier::Landline,
            LineKind::Mobile if marked_work => Tier::Work,
            LineKind::Mobile => Tier::Mobile,
            LineKind::Unknown if marked_mobile => Tier::Mobile,
            LineKind::Unknown if marked_work => Tier::Work,
            LineKind::Unknown => Tier::Unknown,
        }
    }

    /// Whether the profile's `phones` section lets a number of this tier be texted.
    pub fn allowed(self, ph: &Phones) -> bool {
        match self {
            Tier::Mobile => true,
            Tier::Unknown => !ph.require_mobile,
            Tier::Work => ph.allow_work,
            Tier::Landline => ph.allow_landline,
            Tier::NotSms => false,
        }
    }

    /// The first candidate of the best allowed tier (source order breaks ties).
    pub fn choose(tiers: impl Iterator<Item = Tier>, ph: &Phones) -> Option<usize> {
        tiers
            .enumerate()
            .filter(|&(_, t)| t.allowed(ph))
            .min_by_key(|&(_, t)| t)
            .map(|(i, _)| i)
    }

    /// The warning for a number of this tier that the profile did not allow (none for mobiles).
    pub fn not_used_warning(self) -> Option<(&'static str, &'static str)> {
        match self {
            Tier::Work => Some((
                "MAP_PHONE_WORK_SKIPPED",
                "a work number was not used (phones.allowWork is off)",
            )),
            Tier::Landline => Some((
                "MAP_PHONE_LANDLINE_SKIPPED",
                "a number in a landline range was not used (phones.allowLandline is off)",
            )),
            Tier::Unknown => Some((
                "MAP_PHONE_UNMARKED_SKIPPED",
                "a number not marked mobile was not used (phones.requireMobile is on)",
            )),
            Tier::NotSms => Some((
                "MAP_PHONE_NOT_SMS_CAPABLE",
                "a toll-free, premium-rate, shared-cost, UAN, pager or voicemail number was not used (it cannot receive an SMS)",
            )),
            Tier::Mobile => None,
        }
    }

    /// The warning when the chosen number is of this tier: a code and a predicate the caller puts
    /// after its subject ("PID-13 …", "the number used …"). None for mobiles.
    pub fn used_warning(self) -> Option<(&'static str, &'static str)> {
        match self {
            Tier::Unknown => Some((
                "MAP_PHONE_NOT_MARKED_MOBILE",
                "is not marked as a mobile number; it may not receive SMS (set phones.requireMobile to skip such numbers)",
            )),
            Tier::Work => Some(("MAP_PHONE_WORK_USED", "is a work number")),
            Tier::Landline => Some((
                "MAP_PHONE_LANDLINE_USED",
                "is in a landline range and may not receive SMS",
            )),
            Tier::Mobile | Tier::NotSms => None,
        }
    }

    /// The provenance rule of a chosen number of this tier; `marked_rule` names the source's
    /// mobile marking.
    pub fn rule(self, marked: bool, marked_rule: &'static str) -> &'static str {
        match (self, marked) {
            (Tier::Mobile, true) => marked_rule,
            (Tier::Mobile, false) => "first number in a mobile range",
            (Tier::Unknown, _) => "no number marked mobile: first home/unmarked number",
            (Tier::Work, _) => "no mobile or home number: work number (phones.allowWork)",
            (Tier::Landline, _) => "no mobile number: landline (phones.allowLandline)",
            (Tier::NotSms, _) => "never chosen",
        }
    }
}

/// The outcome of choosing the patient's phone: one of the mappers' skip reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PhonePick {
    /// A valid, allowed number was chosen.
    Chosen,
    /// No number, or valid numbers the profile does not allow → `SKIP_NO_MOBILE_PHONE`.
    NoneUsable,
    /// Numbers were given but none is valid by its numbering plan → `SKIP_INVALID_PHONE`.
    AllInvalid,
}

impl PhonePick {
    /// No candidate was chosen: `invalid` — some candidate failed validation; `valid` — some
    /// candidate was valid (but not allowed).
    pub fn none(invalid: bool, valid: bool) -> PhonePick {
        if invalid && !valid {
            PhonePick::AllInvalid
        } else {
            PhonePick::NoneUsable
        }
    }

    /// The skip (code, reason, rule) this outcome calls for.
    pub fn skip(self) -> Option<(&'static str, String, Option<String>)> {
        let (code, reason) = match self {
            PhonePick::Chosen => return None,
            PhonePick::NoneUsable => (
                skip_codes::NO_MOBILE_PHONE,
                "no usable mobile number for the patient (see the phone warnings): the flow cannot text nobody",
            ),
            PhonePick::AllInvalid => (
                skip_codes::INVALID_PHONE,
                "the patient's numbers are all invalid by their numbering plans (see the phone warnings): none can be texted",
            ),
        };
        Some((code, reason.into(), Some("patient_phone".into())))
    }
}

/// A patient phone candidate, in source order.
pub(crate) struct PhoneCand<'a> {
    pub text: &'a str,
    pub mark: Mark,
    pub src: String,
    /// The provenance rule when this candidate is chosen as a marked mobile.
    pub mobile_rule: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_forms() {
        let t = parse_iso("2024-03-12T09:30:00-05:00").unwrap();
        assert_eq!(t.offset, Some(-300));
        assert_eq!(time::format_utc(t.utc().unwrap()), "2024-03-12T14:30:00Z");
        assert_eq!(
            parse_iso("2016-09-21T20:00:00.000-0400").unwrap().offset,
            Some(-240)
        );
        assert_eq!(
            parse_iso("2021-05-28T14:53:04.941Z").unwrap().offset,
            Some(0)
        );
        let f = parse_iso("2020-05-29T11:44:13.1882432-05:00").unwrap();
        assert_eq!(f.prec, Prec::Second);
        assert_eq!(parse_iso("2024-03-12T09:30").unwrap().offset, None);
        assert_eq!(parse_iso("2024-03-12").unwrap().prec, Prec::Day);
        assert_eq!(
            parse_iso("2024-03-12 09:30:00+01").unwrap().offset,
            Some(60)
        );
        for bad in [
            "",
            "2024-13-01",
            "2024-02-30T00:00",
            "2024-03-12T9:30",
            "2024-03-12T09:30:00+2500",
            "2024-03-12T09:30:00Zx",
            "abcd",
            "2024-03-12T09:30:00.",
        ] {
            assert!(parse_iso(bad).is_none(), "{bad}");
        }
    }
}
