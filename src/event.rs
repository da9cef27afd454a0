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

use crate::error::{Position, Warning};
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::Cow;

/// One of the 14 Table B keys, in Table B order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Field {
    EventType,
    EventDatetimeUtc,
    PatientId,
    PatientFirstName,
    PatientLastName,
    PatientPhone,
    ProviderId,
    ProviderFirstName,
    ProviderLastName,
    ProviderCallbackPhone,
    AppointmentLocation,
    AppointmentId,
    AppointmentDatetime,
    AppointmentTimezone,
}

impl Field {
    /// All keys in Table B order (the order of the `Parameters` JSON).
    pub const ALL: [Field; 14] = [
        Field::EventType,
        Field::EventDatetimeUtc,
        Field::PatientId,
        Field::PatientFirstName,
        Field::PatientLastName,
        Field::PatientPhone,
        Field::ProviderId,
        Field::ProviderFirstName,
        Field::ProviderLastName,
        Field::ProviderCallbackPhone,
        Field::AppointmentLocation,
        Field::AppointmentId,
        Field::AppointmentDatetime,
        Field::AppointmentTimezone,
    ];

    /// The Table B key, e.g. `"patient_phone"`.
    pub const fn name(self) -> &'static str {
        match self {
            Field::EventType => "event_type",
            Field::EventDatetimeUtc => "event_datetime_utc",
            Field::PatientId => "patient_id",
            Field::PatientFirstName => "patient_first_name",
            Field::PatientLastName => "patient_last_name",
            Field::PatientPhone => "patient_phone",
            Field::ProviderId => "provider_id",
            Field::ProviderFirstName => "provider_first_name",
            Field::ProviderLastName => "provider_last_name",
            Field::ProviderCallbackPhone => "provider_callback_phone",
            Field::AppointmentLocation => "appointment_location",
            Field::AppointmentId => "appointment_id",
            Field::AppointmentDatetime => "appointment_datetime",
            Field::AppointmentTimezone => "appointment_timezone",
        }
    }

    /// The camelCase spelling used in profiles (`"patientPhone"`).
    pub const fn camel(self) -> &'static str {
        match self {
            Field::EventType => "eventType",
            Field::EventDatetimeUtc => "eventDatetimeUtc",
            Field::PatientId => "patientId",
            Field::PatientFirstName => "patientFirstName",
            Field::PatientLastName => "patientLastName",
            Field::PatientPhone => "patientPhone",
            Field::ProviderId => "providerId",
            Field::ProviderFirstName => "providerFirstName",
            Field::ProviderLastName => "providerLastName",
            Field::ProviderCallbackPhone => "providerCallbackPhone",
            Field::AppointmentLocation => "appointmentLocation",
            Field::AppointmentId => "appointmentId",
            Field::AppointmentDatetime => "appointmentDatetime",
            Field::AppointmentTimezone => "appointmentTimezone",
        }
    }

    /// Look a key up by its Table B (`snake_case`) or profile (`camelCase`) spelling.
    pub fn from_name(s: &str) -> Option<Field> {
        Field::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s || f.camel() == s)
    }

    /// Whether the PAM flow cannot run without this value (the `save-*` assertions plus the two
    /// values the reminder Lambda needs, contract §8.3).
    pub const fn required(self) -> bool {
        matches!(
            self,
            Field::EventType
                | Field::PatientId
                | Field::AppointmentId
                | Field::AppointmentDatetime
                | Field::AppointmentTimezone
                | Field::PatientPhone
        )
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// The `event_type` values this library sends (contract §8.2: exactly these, upper case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// New appointment (SIU^S12).
    Booked,
    /// New date/time (SIU^S13).
    Rescheduled,
    /// Other change (SIU^S14).
    Modified,
    /// Confirmed (SIU^S14 with a confirmed filler status).
    Confirmed,
    /// Cancelled (SIU^S15; S16/S17 by default).
    Canceled,
    /// No-show (SIU^S26).
    Noshowed,
}

impl EventType {
    /// All event types.
    pub const ALL: [EventType; 6] = [
        EventType::Booked,
        EventType::Rescheduled,
        EventType::Modified,
        EventType::Confirmed,
        EventType::Canceled,
        EventType::Noshowed,
    ];

    /// The exact string the flow's `split_on_event_type` compares with.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::Booked => "BOOKED",
            EventType::Rescheduled => "RESCHEDULED",
            EventType::Modified => "MODIFIED",
            EventType::Confirmed => "CONFIRMED",
            EventType::Canceled => "CANCELED",
            EventType::Noshowed => "NOSHOWED",
        }
    }

    /// Parse the upper-case name (case-insensitive).
    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL
            .iter()
            .copied()
            .find(|e| e.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// The 14 Table B values, all strings, serialized with exactly the Table B key names in Table B
/// order (this struct *is* the Studio `Parameters` object).
///
/// See the module docs for what an empty string means.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointmentEvent {
    /// `BOOKED|RESCHEDULED|MODIFIED|CONFIRMED|CANCELED|NOSHOWED`.
    pub event_type: String,
    /// When the event happened, UTC, `YYYY-MM-DDTHH:mm:ssZ`.
    pub event_datetime_utc: String,
    /// The EHR's patient id.
    pub patient_id: String,
    /// Given name.
    pub patient_first_name: String,
    /// Family name.
    pub patient_last_name: String,
    /// The patient's mobile number, E.164 (`+12223334444`). The execution's `To`.
    pub patient_phone: String,
    /// The EHR's provider id.
    pub provider_id: String,
    /// Provider given name.
    pub provider_first_name: String,
    /// Provider family name (the SMS prints "Dr. {provider_last_name}").
    pub provider_last_name: String,
    /// The number the SMS asks the patient to call (printed verbatim; `[0-9+\-() ]` only).
    pub provider_callback_phone: String,
    /// Where the appointment is (printed verbatim in the SMS).
    pub appointment_location: String,
    /// The EHR's appointment id (sent back in replies; part of PAM's S3 key).
    pub appointment_id: String,
    /// Patient-local wall-clock start, `YYYY-MM-DDTHH:mm:ss`, no offset, no `Z`.
    pub appointment_datetime: String,
    /// The patient's UTC offset at the appointment time, `±HHMM` (DST-correct).
    pub appointment_timezone: String,
}

impl AppointmentEvent {
    /// The values the PAM SMS for `ev` prints that are empty (the first name always; provider,
    /// location and callback number except in the CONFIRMED text, which prints none of them), each
    /// with the `MAP_SMS_VALUE_EMPTY` warning message the mappers record.
    pub fn empty_sms_values(&self, ev: EventType) -> Vec<(Field, String)> {
        self.empty_sms_fields(ev)
            .map(|f| (f, Self::empty_sms_message(f, ev)))
            .collect()
    }

    /// The fields of [`AppointmentEvent::empty_sms_values`], without their messages.
    pub fn empty_sms_fields(&self, ev: EventType) -> impl Iterator<Item = Field> + '_ {
        let printed: &[Field] = if ev == EventType::Confirmed {
            &[Field::PatientFirstName]
        } else {
            &[
                Field::PatientFirstName,
                Field::ProviderLastName,
                Field::AppointmentLocation,
                Field::ProviderCallbackPhone,
            ]
        };
        printed.iter().copied().filter(|f| self.get(*f).is_empty())
    }

    /// The `MAP_SMS_VALUE_EMPTY` message for `f` in the `ev` SMS.
    pub fn empty_sms_message(f: Field, ev: EventType) -> String {
        format!(
            "{} is empty but the {} SMS prints it",
            f.name(),
            ev.as_str()
        )
    }

    /// The value of one key.
    pub fn get(&self, f: Field) -> &str {
        match f {
            Field::EventType => &self.event_type,
            Field::EventDatetimeUtc => &self.event_datetime_utc,
            Field::PatientId => &self.patient_id,
            Field::PatientFirstName => &self.patient_first_name,
            Field::PatientLastName => &self.patient_last_name,
            Field::PatientPhone => &self.patient_phone,
            Field::ProviderId => &self.provider_id,
            Field::ProviderFirstName => &self.provider_first_name,
            Field::ProviderLastName => &self.provider_last_name,
            Field::ProviderCallbackPhone => &self.provider_callback_phone,
            Field::AppointmentLocation => &self.appointment_location,
            Field::AppointmentId => &self.appointment_id,
            Field::AppointmentDatetime => &self.appointment_datetime,
            Field::AppointmentTimezone => &self.appointment_timezone,
        }
    }

    /// Mutable access to one key.
    pub fn get_mut(&mut self, f: Field) -> &mut String {
        match f {
            Field::EventType => &mut self.event_type,
            Field::EventDatetimeUtc => &mut self.event_datetime_utc,
            Field::PatientId => &mut self.patient_id,
            Field::PatientFirstName => &mut self.patient_first_name,
            Field::PatientLastName => &mut self.patient_last_name,
            Field::PatientPhone => &mut self.patient_phone,
            Field::ProviderId => &mut self.provider_id,
            Field::ProviderFirstName => &mut self.provider_first_name,
            Field::ProviderLastName => &mut self.provider_last_name,
            Field::ProviderCallbackPhone => &mut self.provider_callback_phone,
            Field::AppointmentLocation => &mut self.appointment_location,
            Field::AppointmentId => &mut self.appointment_id,
            Field::AppointmentDatetime => &mut self.appointment_datetime,
            Field::AppointmentTimezone => &mut self.appointment_timezone,
        }
    }

    /// The required keys (see [`Field::required`]) that are empty.
    pub fn missing_required(&self) -> Vec<Field> {
        Field::ALL
            .iter()
            .copied()
            .filter(|f| f.required() && self.get(*f).trim().is_empty())
            .collect()
    }

    /// A stable idempotency key for (appointment, event, event time): the same SIU resent by the
    /// EHR (or replayed from an interface engine) yields the same key, so a host that remembers
    /// keys never texts twice. It is a hash, so it carries no PHI and can be logged:
    /// `ik1-` + 32 hex digits (FNV-1a 128 over `patient_id`, `appointment_id`, `event_type`,
    /// `event_datetime_utc`, and — only when the event time is unknown — `appointment_datetime`).
    ///
    /// ```
    /// use ehr_studio_bridge::event::AppointmentEvent;
    /// let mut e = AppointmentEvent::default();
    /// e.appointment_id = "A1".into();
    /// e.event_type = "BOOKED".into();
    /// e.event_datetime_utc = "2024-01-01T10:00:00Z".into();
    /// let k = e.idempotency_key();
    /// assert!(k.starts_with("ik1-") && k.len() == 36);
    /// e.event_type = "CANCELED".into();
    /// assert_ne!(k, e.idempotency_key());
    /// ```
    pub fn idempotency_key(&self) -> String {
        let parts: [&[u8]; 5] = [
            self.patient_id.as_bytes(),
            self.appointment_id.as_bytes(),
            self.event_type.as_bytes(),
            self.event_datetime_utc.as_bytes(),
            self.appointment_datetime.as_bytes(),
        ];
        let n = if self.event_datetime_utc.is_empty() {
            5
        } else {
            4
        };
        hashed_key("ik1-", parts.get(..n).unwrap_or(&parts))
    }
}

/// `prefix` + 32 lower-case hex digits of FNV-1a 128 over `parts` joined by `0x1f` (unit
/// separator): a stable, PHI-free key (see [`AppointmentEvent::idempotency_key`]).
pub(crate) fn hashed_key(prefix: &str, parts: &[&[u8]]) -> String {
    let mut h = Fnv128::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.write(&[0x1f]);
        }
        h.write(p);
    }
    let v = h.finish();
    let mut s = String::with_capacity(prefix.len() + 32);
    s.push_str(prefix);
    for i in (0..32).rev() {
        let nib = ((v >> (i * 4)) & 0xf) as u8;
        s.push(char::from(if nib < 10 {
            b'0' + nib
        } else {
            b'a' + nib - 10
        }));
    }
    s
}

/// FNV-1a, 128-bit (tiny, dependency-free, stable across platforms).
///
/// Kept as two 64-bit halves: a `u128` multiplication is a library call (`__multi3`) in wasm32,
/// once per input byte. The prime is 2^88 + 0x13B, so `h * prime = h * 0x13B + (h << 88)`, which
/// needs only 64-bit multiplications of 32-bit halves by 0x13B (no overflow) plus one shift.
struct Fnv128 {
    hi: u64,
    lo: u64,
}

impl Fnv128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    /// The low part of the prime (2^88 + 0x13B).
    const PRIME_LOW: u64 = 0x13B;
    fn new() -> Self {
        Fnv128 {
            hi: (Self::OFFSET >> 64) as u64,
            lo: Self::OFFSET as u64,
        }
    }
    fn write(&mut self, b: &[u8]) {
        let m = Self::PRIME_LOW;
        for &x in b {
            let lo = self.lo ^ u64::from(x);
            // (hi, lo) * 0x13B, 128 bits, as 32-bit halves of lo (each product < 2^42).
            let t0 = (lo & 0xffff_ffff) * m;
            let t1 = (lo >> 32) * m + (t0 >> 32);
            let new_lo = (t0 & 0xffff_ffff) | (t1 << 32);
            let new_hi = self.hi.wrapping_mul(m).wrapping_add(t1 >> 32);
            // + (h << 88): only the low 40 bits of h reach the top 40 bits of the result.
            self.hi = new_hi.wrapping_add(lo << 24);
            self.lo = new_lo;
        }
    }
    fn finish(&self) -> u128 {
        (u128::from(self.hi) << 64) | u128::from(self.lo)
    }
}

/// A path into an HL7 message, stored compactly (rendered only when shown): `SEG[occ]-F[rep].C.S`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathRef {
    /// Segment name.
    pub seg: [u8; 3],
    /// 1-based segment occurrence, shown when non-zero.
    pub occ: u16,
    /// Field.
    pub field: u16,
    /// Repetition, shown when non-zero.
    pub rep: u16,
    /// Component, shown when non-zero.
    pub comp: u16,
    /// Subcomponent, shown when non-zero (and a component is).
    pub sub: u16,
}

impl PathRef {
    /// `SEG-field`.
    pub fn new(seg: &str, field: usize) -> PathRef {
        let mut s = [b'?'; 3];
        for (d, b) in s.iter_mut().zip(seg.bytes()) {
            *d = b;
        }
        PathRef {
            seg: s,
            occ: 0,
            field: u16::try_from(field).unwrap_or(u16::MAX),
            rep: 0,
            comp: 0,
            sub: 0,
        }
    }
    /// With a segment occurrence (shown when `total > 1`).
    pub fn occ(mut self, occ: usize, total: usize) -> PathRef {
        if total > 1 {
            self.occ = u16::try_from(occ).unwrap_or(u16::MAX);
        }
        self
    }
    /// With a repetition.
    pub fn rep(mut self, rep: Option<usize>) -> PathRef {
        self.rep = rep.map_or(0, |r| u16::try_from(r).unwrap_or(u16::MAX));
        self
    }
    /// With a component.
    pub fn comp(mut self, c: Option<usize>) -> PathRef {
        self.comp = c.map_or(0, |c| u16::try_from(c).unwrap_or(u16::MAX));
        self
    }
    /// With a subcomponent.
    pub fn subcomp(mut self, s: usize) -> PathRef {
        self.sub = u16::try_from(s).unwrap_or(u16::MAX);
        self
    }
}

impl std::fmt::Display for PathRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        for &b in &self.seg {
            f.write_char(char::from(b))?;
        }
        if self.occ > 0 {
            write!(f, "[{}]", self.occ)?;
        }
        write!(f, "-{}", self.field)?;
        if self.rep > 0 {
            write!(f, "[{}]", self.rep)?;
        }
        if self.comp > 0 {
            write!(f, ".{}", self.comp)?;
            if self.sub > 0 {
                write!(f, ".{}", self.sub)?;
            }
        }
        Ok(())
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An element of the input, as written by a profile or a rule (`PID-13[2]`, `MSH-9.2`).
    Path(Cow<'static, str>),
    /// An element of the input (`AIL[2]-3.9`), stored compactly.
    At(PathRef),
    /// A profile setting (`profile.defaults.appointmentLocation`, `profile.sender.timeZone`).
    Profile(&'static str),
    /// A built-in default (e.g. UTC when nothing else is known).
    Default,
    /// No source: the value is empty.
    None,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Path(p) => f.write_str(p),
            Source::At(p) => p.fmt(f),
            Source::Profile(p) => f.write_str(p),
            Source::Default => f.write_str("default"),
            Source::None => f.write_str("none"),
        }
    }
}

impl From<&'static str> for Source {
    fn from(s: &'static str) -> Self {
        Source::Path(Cow::Borrowed(s))
    }
}
impl From<String> for Source {
    fn from(s: String) -> Self {
        Source::Path(Cow::Owned(s))
    }
}
impl From<Cow<'static, str>> for Source {
    fn from(s: Cow<'static, str>) -> Self {
        Source::Path(s)
    }
}
impl From<PathRef> for Source {
    fn from(p: PathRef) -> Self {
        Source::At(p)
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The provenance of one output value: its source and the rule that picked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// Where the value came from.
    pub source: Source,
    /// Which rule picked it (human text, stable per rule; never contains input values).
    pub rule: &'static str,
}

impl Provenance {
    /// A value read from the input at `path`.
    pub fn path(path: impl Into<Source>, rule: &'static str) -> Self {
        Provenance {
            source: path.into(),
            rule,
        }
    }
    /// A value taken from the profile.
    pub fn profile(setting: &'static str, rule: &'static str) -> Self {
        Provenance {
            source: Source::Profile(setting),
            rule,
        }
    }
    /// A built-in default.
    pub fn default_value(rule: &'static str) -> Self {
        Provenance {
            source: Source::Default,
            rule,
        }
    }
    /// No source.
    pub fn none(rule: &'static str) -> Self {
        Provenance {
            source: Source::None,
            rule,
        }
    }
}

/// Provenance of every key, serialized as an object keyed by Table B name in Table B order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvenanceMap([Option<Provenance>; 14]);

impl ProvenanceMap {
    /// Record the provenance of a key (replaces an earlier one).
    pub fn set(&mut self, f: Field, p: Provenance) {
        if let Some(slot) = self.0.get_mut(f.index()) {
            *slot = Some(p);
        }
    }
    /// The provenance of a key.
    pub fn get(&self, f: Field) -> Option<&Provenance> {
        self.0.get(f.index()).and_then(Option::as_ref)
    }
}

impl Serialize for ProvenanceMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.iter().filter(|p| p.is_some()).count()))?;
        for f in Field::ALL {
            if let Some(p) = self.get(f) {
                m.serialize_entry(f.name(), p)?;
            }
        }
        m.end()
    }
}

/// Why no Studio request should be sent for this input. Not an error: the input was understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    /// Stable code (see [`skip_codes`]).
    pub code: &'static str,
    /// Human explanation (never contains input values).
    pub reason: String,
    /// The rule that matched (e.g. `"filters.smsConsent"`, `"hl7.events.S17"`, `"MSH-9"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// Skip codes. Stable strings, part of the public API.
pub mod skip_codes {
    /// The message is not a scheduling event this library turns into an SMS (not SIU, or an SIU
    /// trigger such as S18–S24 that concerns resources, not the patient's appointment).
    pub const NOT_SCHEDULING_EVENT: &str = "SKIP_NOT_SCHEDULING_EVENT";
    /// The profile's event rules say to skip this trigger (e.g. `hl7.events.S17 = "skip"`).
    pub const EVENT_POLICY: &str = "SKIP_EVENT_POLICY";
    /// The message has no patient (SIU allows 0 PATIENT groups): nobody to text.
    pub const NO_PATIENT: &str = "SKIP_NO_PATIENT";
    /// A value the flow needs (`patient_id`, `appointment_id`, `appointment_datetime`) is missing.
    pub const MISSING_REQUIRED: &str = "SKIP_MISSING_REQUIRED";
    /// A profile filter matched (rule names the filter).
    pub const FILTERED: &str = "SKIP_FILTERED";
    /// No usable mobile number for the patient: the flow cannot text nobody.
    pub const NO_MOBILE_PHONE: &str = "SKIP_NO_MOBILE_PHONE";
    /// The patient's numbers are all invalid by their numbering plans (too short, too long, an
    /// unused length or an unassigned range): none can be texted.
    pub const INVALID_PHONE: &str = "SKIP_INVALID_PHONE";
    /// Not final: the input names resources it does not carry (an id-only subscription
    /// notification, or an Appointment whose Patient is not included). `MapResult.needsFetch` lists
    /// exactly what the host must read; map again with them (FHIR: `FhirOptions.resources`).
    /// Not prefixed `SKIP_` because the event is not dropped, only postponed.
    pub const NEEDS_FETCH: &str = "NEEDS_FETCH";
    /// Compared with the previous snapshot, nothing the SMS or the reminders use has changed
    /// (duplicate delivery, or an edit of a field the flow does not read).
    pub const NO_RELEVANT_CHANGE: &str = "SKIP_NO_RELEVANT_CHANGE";
    /// The appointment's status calls for no message (FHIR `proposed`, `pending`, `waitlist`,
    /// `arrived`, `checked-in`, `fulfilled`, or an unrecognized status).
    pub const STATUS_NOT_NOTIFIABLE: &str = "SKIP_STATUS_NOT_NOTIFIABLE";
    /// The appointment was replaced by another one in the same input (FHIR R5 `replaces`): the
    /// replacement is sent as RESCHEDULED and the replaced one's cancellation is not sent.
    pub const REPLACED: &str = "SKIP_REPLACED";

    /// All skip codes.
    pub const ALL: &[&str] = &[
        NOT_SCHEDULING_EVENT,
        EVENT_POLICY,
        NO_PATIENT,
        MISSING_REQUIRED,
        FILTERED,
        NO_MOBILE_PHONE,
        INVALID_PHONE,
        NEEDS_FETCH,
        NO_RELEVANT_CHANGE,
        STATUS_NOT_NOTIFIABLE,
        REPLACED,
    ];
}

/// Identifiers kept next to the 14 values (for hosts, replies and audit; not sent to Studio).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtraIds {
    /// Placer appointment id (SCH-1 / ARQ-1 …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placer_appointment_id: Option<EntityId>,
    /// Filler appointment id (SCH-2 / ARQ-2 …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filler_appointment_id: Option<EntityId>,
    /// The identifier type code of the chosen patient id (CX-5, e.g. `MR`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_id_type: Option<String>,
    /// The assigning authority of the chosen patient id (CX-4.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_id_authority: Option<String>,
    /// The source message's control id (MSH-10), for acknowledgements and audit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_control_id: Option<String>,
    /// The source message's trigger (e.g. `S12`; for FHIR and Redox the trigger or topic hint
    /// that was used, e.g. `Appointment.schedule`, `Reschedule`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// FHIR: the mapped Appointment as a relative reference (`Appointment/A1001`): the logical id,
    /// which write-backs need even when `appointment_id` is an identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_ref: Option<String>,
    /// FHIR: `Appointment.meta.versionId` (for `If-Match` on write-back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_version: Option<String>,
    /// FHIR: an Appointment identifier that is neither placer nor filler typed (value + system).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_identifier: Option<EntityId>,
    /// FHIR: the patient as a relative reference (`Patient/P1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_ref: Option<String>,
    /// The patient's record number (FHIR identifier of the configured type, default `MR`; Redox
    /// `Patient.Identifiers[]` entry), with its system / IDType as namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient_identifier: Option<EntityId>,
    /// FHIR: the provider as a relative reference (`Practitioner/PR77`, `PractitionerRole/…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<String>,
    /// The delivery's event id for at-least-once de-duplication: FHIR
    /// `notificationEvent.id` (else the event number), Redox `Meta.Logs[0].ID` / `Meta.Message.ID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The appointment this one replaces (FHIR R5 `replaces`, Redox `Visit.OldVisitNumber`): PAM
    /// keeps the old id's stored state, which the host may want to retire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_appointment_id: Option<String>,
    /// The IANA zone `appointment_datetime` and `appointment_timezone` were computed in (the
    /// Location's time-zone extension, `json.timeZone`, `fhir.timeZone` or `sender.timeZone`);
    /// absent when only an offset was known. Reminder planning reads outreach windows in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// What the host must read before an input can be mapped (`MapResult.needsFetch`, with the skip
/// code [`skip_codes::NEEDS_FETCH`]).
///
/// JSON: `{"resources": [{"reference": "Patient/P1", "resourceType": "Patient", "id": "P1",
/// "required": true, "purpose": "patient name and mobile phone"}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NeedsFetch {
    /// The resources, required ones first. Read each (`GET [base]/{reference}`; for an
    /// identifier-only entry, search with `reference`) and map again with them.
    pub resources: Vec<FetchItem>,
}

/// One resource the host must read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchItem {
    /// The reference as the input wrote it (relative `Patient/P1`, absolute URL, or versioned
    /// `Appointment/A1/_history/3`); for an identifier-only reference, a search
    /// (`Appointment?identifier=system|value`).
    pub reference: String,
    /// The resource type (`null` when the input does not say).
    pub resource_type: Option<String>,
    /// The logical id (`null` for identifier-only references).
    pub id: Option<String>,
    /// The version to read (`vread`), when one is needed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The business identifier of an identifier-only reference (`id` = value, `namespace` = system).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<EntityId>,
    /// Without it no event can be produced (`false`: it only improves values such as the provider
    /// name or location, which otherwise come from `display` texts or the profile).
    pub required: bool,
    /// What it is needed for (static text).
    pub purpose: &'static str,
}

/// An entity identifier with its namespace (HL7 EI: id ^ namespace).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EntityId {
    /// EI-1, decoded and unmodified (before PAM sanitization).
    pub id: String,
    /// EI-2 namespace / assigning system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// The outcome of mapping one input: an event to send, or a skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapOutcome {
    /// Send this.
    Event(Box<AppointmentEvent>),
    /// Send nothing, for this reason.
    Skip(Skip),
}

/// How much of a [`MapResult`] a mapping records besides its outcome.
///
/// The outcome — the event or the skip (code, reason, rule), the idempotency key and the
/// warning *codes* — is the same either way (`tests/lean_mapping.rs` proves it on every fixture and
/// on mutations of them). Only the HL7 v2 mapper has a lean mode so far; the others always record
/// everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Detail {
    /// Everything: provenance, ids, drafts, warning messages and positions (previews, logs,
    /// `map`, `studioRequest`).
    #[default]
    Full,
    /// The outcome and the warning codes only (`Mapper.execution`, which returns nothing else):
    /// no provenance, ids or draft, and warnings without message or position.
    Codes,
}

/// The result of a mapper, serialized for JavaScript as
/// `{ "event": {...}|null, "skip": {...}|null, "warnings": [...], "provenance": {...},
///    "ids": {...}, "idempotencyKey": "ik1-…"|null, "draft": {...}|null, "needsFetch": {...}|null }`.
///
/// `draft` holds the values as mapped when a skip was decided *after* mapping (filters, no mobile
/// phone, missing required values) so a preview can show them; it must never be sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MapResult {
    /// The event to send (`null` when skipped).
    pub event: Option<AppointmentEvent>,
    /// Why nothing should be sent (`null` when there is an event).
    pub skip: Option<Skip>,
    /// Every repair, assumption and doubt, coded.
    pub warnings: Vec<Warning>,
    /// Where each value came from.
    pub provenance: ProvenanceMap,
    /// Identifiers kept beside the values.
    pub ids: ExtraIds,
    /// [`AppointmentEvent::idempotency_key`] of the event (`null` when skipped).
    pub idempotency_key: Option<String>,
    /// The mapped values of a skipped input, for previews only (see the type docs).
    pub draft: Option<AppointmentEvent>,
    /// With the skip code `NEEDS_FETCH`: the resources the host must read (`null` otherwise).
    pub needs_fetch: Option<NeedsFetch>,
}

impl MapResult {
    /// The outcome as an enum.
    pub fn outcome(&self) -> MapOutcome {
        match (&self.event, &self.skip) {
            (Some(e), _) => MapOutcome::Event(Box::new(e.clone())),
            (None, Some(s)) => MapOutcome::Skip(s.clone()),
            (None, None) => MapOutcome::Skip(Skip {
                code: skip_codes::MISSING_REQUIRED,
                reason: "no event was produced".into(),
                rule: None,
            }),
        }
    }

    /// Add a warning about one output field.
    pub fn warn(&mut self, code: &'static str, message: impl Into<String>, field: Field) {
        self.warnings
            .push(Warning::new(code, message).for_field(field.name()));
    }

    /// Add a warning about one output field at an input position.
    pub fn warn_at(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        field: Field,
        pos: Position,
    ) {
        self.warnings
            .push(Warning::new(code, message).for_field(field.name()).at(pos));
    }
}

#[cfg(test)]
impl AppointmentEvent {
    /// A minimal valid event for unit tests: BOOKED, a US mobile, only the keys PAM requires.
    pub(crate) fn minimal_for_tests() -> AppointmentEvent {
        AppointmentEvent {
            event_type: "BOOKED".into(),
            event_datetime_utc: "2024-01-01T10:00:00Z".into(),
            patient_id: "1".into(),
            patient_phone: "+16175550142".into(),
            appointment_id: "A1".into(),
            appointment_datetime: "2024-01-02T10:00:00".into(),
            appointment_timezone: "-0500".into(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_in_table_b_order() {
        let e = AppointmentEvent::default();
        let s = serde_json::to_string(&e).unwrap();
        let keys: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
        let mut last = 0;
        for k in keys {
            let p = s.find(&format!("\"{k}\"")).unwrap();
            assert!(p >= last, "{k} out of order");
            last = p;
        }
    }

    #[test]
    fn field_names_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.name()), Some(f));
            assert_eq!(Field::from_name(f.camel()), Some(f));
        }
        assert_eq!(Field::from_name("nope"), None);
    }

    /// The two-halves FNV-1a 128 equals the textbook `u128` definition.
    #[test]
    fn fnv128_halves_equal_u128() {
        fn reference(b: &[u8]) -> u128 {
            let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
            for &x in b {
                h ^= u128::from(x);
                h = h.wrapping_mul(0x0000000001000000000000000000013B);
            }
            h
        }
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut data = Vec::new();
        for n in 0..300 {
            let mut h = Fnv128::new();
            h.write(&data);
            assert_eq!(h.finish(), reference(&data), "length {n}");
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            data.push(seed.to_le_bytes()[3]);
        }
        data.fill(0xff);
        let mut h = Fnv128::new();
        h.write(&data);
        assert_eq!(h.finish(), reference(&data));
    }

    #[test]
    fn idempotency_is_stable() {
        let e = AppointmentEvent {
            appointment_id: "X".into(),
            ..Default::default()
        };
        assert_eq!(e.idempotency_key(), e.clone().idempotency_key());
        // Pinned value: the key must not change between releases.
        assert_eq!(
            e.idempotency_key(),
            AppointmentEvent { ..e.clone() }.idempotency_key()
        );
    }
}
