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
//!
//! ## Where things are
//!
//! * here — the mapping context [`Cx`]: warnings, provenance, profile defaults, skips;
//! * `common/iso.rs` — ISO-8601 date-times ([`parse_iso`], [`Iso`], [`Prec`]);
//! * `common/phones.rs` — patient-phone selection ([`Tier`], [`PhoneCand`], [`PhonePick`]) and
//!   the callback number;
//! * `common/times.rs` — event time and DST-aware localization of the start ([`ZoneChoice`]);
//! * `common/finish.rs` — the common ending and the filters on JSON inputs ([`FilterInput`]).

use crate::error::{Position, Warning};
use crate::event::{AppointmentEvent, Field, MapResult, NeedsFetch, Provenance, Skip, Source};
use crate::profile::{CompiledProfile, SanitizeMode};
use crate::studio::sanitize::sanitize_event;

mod finish;
mod iso;
mod phones;
mod times;

pub(crate) use finish::FilterInput;
pub(crate) use iso::{parse_iso, Iso, Prec};
pub(crate) use phones::{Mark, PhoneCand, PhonePick, Tier};
pub(crate) use times::ZoneChoice;

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
}
