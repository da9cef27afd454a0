//! SIU → Studio `Parameters`: turn an HL7 v2 scheduling message into an [`AppointmentEvent`] the
//! PAM flow accepts, or a coded [`Skip`].
//!
//! The sources of each key are the data in [`super::siu_map`] (rendered in `docs/siu-mapping.md`);
//! this module applies them with the profile's overrides, picks phones and times, records the
//! provenance of every value, applies the filters and sanitizes for PAM.
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
//! use ehr_studio_bridge::{inbound::map_hl7, profile::Profile};
//! let raw = std::fs::read("tests/fixtures/perf/siu_s12_small.hl7").unwrap();
//! let r = map_hl7(&raw, &Profile::default()).unwrap();
//! let e = r.event.unwrap();
//! assert_eq!(e.event_type, "BOOKED");
//! assert_eq!(e.patient_phone, "+16175550143"); // the CP repetition, not the home number
//! assert_eq!(e.appointment_datetime, "2025-03-10T08:30:00");
//! assert_eq!(e.appointment_timezone, "-0500");
//! assert_eq!(e.event_datetime_utc, "2025-03-05T19:30:12Z");
//! assert_eq!(e.appointment_location, "Cardiology and Vascular Clinic");
//! assert_eq!(r.provenance.get(ehr_studio_bridge::event::Field::PatientPhone).unwrap().source.to_string(), "PID-13[3]");
//! ```

use super::common::Tier;
use super::siu_map::{self, band_of, How};
use crate::error::{Error, ErrorCode, Position, Result, Warning};
use crate::event::{
    skip_codes, AppointmentEvent, EntityId, EventType, ExtraIds, Field, MapResult, PathRef,
    Provenance, ProvenanceMap, Skip, Source,
};
use crate::hl7::datetime::{DateTime, Offset, Precision};
use crate::hl7::{mllp, Delimiters, Level, Message, Path};
use crate::phone::{self, Note, PhoneNumber};
use crate::profile::{AppointmentIdChoice, CallbackFormat, Profile, SanitizeMode};
use crate::studio::sanitize::sanitize_event;
use crate::time::Tz;
use crate::time::{self, AmbiguousPolicy, Resolution};
use std::borrow::Cow;

/// Map one HL7 v2 message (raw bytes: MLLP framing, charsets and line endings are handled by the
/// parser). Only the first MLLP frame is read; use [`map_hl7_stream`] for streams.
///
/// `Err` only for input that is not HL7 v2 at all (`EMPTY_INPUT`, `HL7_NO_MSH`,
/// `HL7_BAD_ENCODING_CHARS`), a profile that fails validation, or strict sanitization
/// (`MAP_STRICT_REJECTED`). Everything else is a [`MapResult`] with an event or a coded skip.
pub fn map_hl7(input: &[u8], profile: &Profile) -> Result<MapResult> {
    let msg = Message::parse(input)?;
    map_message(&msg, profile)
}

/// Map every message of a byte stream: MLLP frames (`0x0B … 0x1C 0x0D`), or several `MSH`
/// messages in one text (batch files).
pub fn map_hl7_stream(input: &[u8], profile: &Profile) -> Result<Vec<MapResult>> {
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

// ---- segment index ------------------------------------------------------------------------

#[derive(Default)]
struct Idx<'m> {
    msh: Option<SegView<'m>>,
    sch: Option<SegView<'m>>,
    tq1: Option<SegView<'m>>,
    pid: Option<SegView<'m>>,
    pid_count: usize,
    pv1: Option<SegView<'m>>,
    /// Every AIS, then every AIL, AIP and AIG (each kind in message order): one allocation.
    resources: Vec<SegView<'m>>,
    /// Where each kind ends in `resources` (AIS, AIL, AIP, AIG).
    resource_ends: [usize; 4],
}

/// The resource segments, in the order of [`Idx::resources`].
const RESOURCE_SEGS: [&[u8; 3]; 4] = [b"AIS", b"AIL", b"AIP", b"AIG"];

impl<'m> Idx<'m> {
    fn build(msg: &'m Message<'m>) -> Idx<'m> {
        let mut idx = Idx::default();
        let d = msg.delimiters();
        let mut counts = [0usize; 4];
        // (kind, segment index) of the first resource segments, so that they are not searched for
        // again below (messages with more fall back to a scan per kind).
        let mut seen = [(0u8, 0usize); 16];
        let mut n_seen = 0usize;
        for (i, s) in msg.segments().enumerate() {
            let name = s.name_bytes();
            let view = || Some(SegView::new(s.raw(), d));
            match name {
                b"SCH" if idx.sch.is_none() => idx.sch = view(),
                b"TQ1" if idx.tq1.is_none() => idx.tq1 = view(),
                b"PID" => {
                    idx.pid_count += 1;
                    if idx.pid.is_none() {
                        idx.pid = view();
                    }
                }
                // The PV1 of the first patient group.
                b"PV1" if idx.pv1.is_none() && idx.pid_count <= 1 => idx.pv1 = view(),
                _ => {
                    if let Some(k) = RESOURCE_SEGS.iter().position(|r| name == *r) {
                        if let Some(c) = counts.get_mut(k) {
                            *c += 1;
                        }
                        if let Some(slot) = seen.get_mut(n_seen) {
                            *slot = (k as u8, i);
                        }
                        n_seen += 1;
                    }
                }
            }
        }
        let total: usize = counts.iter().sum();
        idx.resources.reserve_exact(total);
        for (k, name) in RESOURCE_SEGS.iter().enumerate() {
            if n_seen <= seen.len() {
                for &(kind, i) in seen.iter().take(n_seen) {
                    if usize::from(kind) == k {
                        if let Some(s) = msg.segment_at(i) {
                            idx.resources.push(SegView::new(s.raw(), d));
                        }
                    }
                }
            } else if counts.get(k).copied().unwrap_or(0) > 0 {
                for s in msg.segments() {
                    if s.name_bytes() == *name {
                        idx.resources.push(SegView::new(s.raw(), d));
                    }
                }
            }
            if let Some(end) = idx.resource_ends.get_mut(k) {
                *end = idx.resources.len();
            }
        }
        idx
    }

    /// The segments a candidate reads: all occurrences for resource segments, else the first.
    fn segs(&self, name: &str) -> &[SegView<'m>] {
        if let Some(k) = RESOURCE_SEGS.iter().position(|r| name.as_bytes() == *r) {
            let start = match k.checked_sub(1) {
                Some(prev) => self.resource_ends.get(prev).copied().unwrap_or(0),
                None => 0,
            };
            let end = self.resource_ends.get(k).copied().unwrap_or(0);
            return self.resources.get(start..end).unwrap_or(&[]);
        }
        match name {
            "MSH" => opt_slice(&self.msh),
            "SCH" => opt_slice(&self.sch),
            "TQ1" => opt_slice(&self.tq1),
            "PID" => opt_slice(&self.pid),
            "PV1" => opt_slice(&self.pv1),
            _ => &[],
        }
    }
}

fn opt_slice<T>(o: &Option<T>) -> &[T] {
    match o {
        Some(s) => std::slice::from_ref(s),
        None => &[],
    }
}

// ---- raw views ----------------------------------------------------------------------------
//
// The mapper reads a handful of fields many times; these views split each indexed segment once
// and walk repetitions/components with a plain byte scan (fields are short), which is several
// times cheaper than re-scanning from the segment start on every access.

const MAX_FIELDS: usize = 48;

/// Call `f` with the position of every `sep` byte in `b`, in order, until it returns false.
/// Word-at-a-time (SWAR): separators are dense in HL7, where one SIMD search per match costs more
/// than it saves, and a byte loop is slow on long segments.
fn for_each_byte(b: &[u8], sep: u8, mut f: impl FnMut(usize) -> bool) {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let pat = u64::from_ne_bytes([sep; 8]);
    let mut i = 0usize;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        let w = u64::from_le_bytes(word) ^ pat;
        // High bit set exactly for the zero bytes of w (no false positives).
        let mut zeros = !((((w & LO7).wrapping_add(LO7)) | w) | LO7);
        while zeros != 0 {
            let byte = (zeros.trailing_zeros() / 8) as usize;
            if !f(i + byte) {
                return;
            }
            zeros &= zeros - 1;
        }
        i += 8;
    }
    for (k, &x) in chunks.remainder().iter().enumerate() {
        if x == sep && !f(i + k) {
            return;
        }
    }
}

/// One segment split into fields once (no allocation: field boundaries in a fixed array; fields
/// past [`MAX_FIELDS`] and segments longer than 64 KiB are read by scanning).
struct SegView<'m> {
    raw: &'m str,
    /// `ends[n]` is the byte offset where field n ends (`ends[0]` ends the segment name).
    ends: [u16; MAX_FIELDS + 1],
    count: usize,
    /// Offsets do not fit in `u16`: fields are found by scanning.
    long: bool,
    header: bool,
    /// MSH-1 and MSH-2 as the parser reads them (never split).
    msh12: [&'m str; 2],
    d: &'m Delimiters,
}

impl<'m> SegView<'m> {
    fn new(raw: &'m str, d: &'m Delimiters) -> Self {
        let mut ends = [0u16; MAX_FIELDS + 1];
        let mut count = 0usize;
        let long = raw.len() > usize::from(u16::MAX);
        if !long {
            for_each_byte(raw.as_bytes(), d.field, |i| {
                if let Some(slot) = ends.get_mut(count) {
                    *slot = u16::try_from(i).unwrap_or(u16::MAX);
                }
                count += 1;
                count <= MAX_FIELDS
            });
            if count <= MAX_FIELDS {
                if let Some(slot) = ends.get_mut(count) {
                    *slot = u16::try_from(raw.len()).unwrap_or(u16::MAX);
                }
            }
        }
        SegView {
            raw,
            ends,
            count,
            long,
            header: false,
            msh12: ["", ""],
            d,
        }
    }

    fn header(s: crate::hl7::Segment<'m>, d: &'m Delimiters) -> Self {
        let mut v = SegView::new(s.raw(), d);
        v.header = true;
        v.msh12 = [
            s.field(1).map_or("", |e| e.raw()),
            s.field(2).map_or("", |e| e.raw()),
        ];
        v
    }

    fn field(&self, n: usize) -> Option<El<'m>> {
        if n == 0 {
            return None;
        }
        let raw = if self.header {
            match n {
                1 | 2 => self.msh12.get(n - 1).copied(),
                // MSH-n follows the (n-1)-th separator.
                _ => self.nth(n - 1),
            }
        } else {
            self.nth(n)
        }?;
        Some(El {
            raw,
            level: 0,
            d: self.d,
        })
    }

    /// The text after the n-th field separator.
    fn nth(&self, n: usize) -> Option<&'m str> {
        if !self.long && n < MAX_FIELDS {
            if n > self.count {
                return None;
            }
            let start = usize::from(*self.ends.get(n - 1)?) + 1;
            let end = usize::from(*self.ends.get(n)?);
            return self.raw.get(start..end);
        }
        self.raw.split(char::from(self.d.field)).nth(n)
    }
}

/// A field (level 0), repetition (1), component (2) or subcomponent (3), as raw text.
#[derive(Clone, Copy)]
struct El<'m> {
    raw: &'m str,
    level: u8,
    d: &'m Delimiters,
}

fn nth_part(s: &str, sep: u8, n: usize) -> Option<&str> {
    let b = s.as_bytes();
    let mut idx = 1usize;
    let mut start = 0usize;
    for (i, &c) in b.iter().enumerate() {
        if c == sep {
            if idx == n {
                return s.get(start..i);
            }
            idx += 1;
            start = i + 1;
        }
    }
    if idx == n {
        s.get(start..)
    } else {
        None
    }
}

impl<'m> El<'m> {
    fn of(e: crate::hl7::Element<'m>, d: &'m Delimiters) -> Self {
        let level = match e.level() {
            Level::Field => 0,
            Level::Repetition => 1,
            Level::Component => 2,
            Level::Subcomponent => 3,
        };
        El {
            raw: e.raw(),
            level,
            d,
        }
    }

    fn sep(&self) -> Option<u8> {
        match self.level {
            0 => self.d.repetition,
            1 => self.d.component,
            2 => self.d.subcomponent,
            _ => None,
        }
    }

    fn level(&self) -> Level {
        match self.level {
            0 => Level::Field,
            1 => Level::Repetition,
            2 => Level::Component,
            _ => Level::Subcomponent,
        }
    }

    fn child(&self, n: usize) -> Option<El<'m>> {
        if n == 0 || self.level >= 3 {
            return None;
        }
        let raw = match self.sep() {
            Some(sep) => nth_part(self.raw, sep, n)?,
            None if n == 1 => self.raw,
            None => return None,
        };
        Some(El {
            raw,
            level: self.level + 1,
            d: self.d,
        })
    }

    fn children(&self) -> impl Iterator<Item = El<'m>> + 'm {
        let this = *self;
        let sep = if self.level >= 3 { None } else { self.sep() };
        let mut rest = Some(self.raw);
        std::iter::from_fn(move || {
            let r = rest?;
            if this.level >= 3 {
                rest = None;
                return None;
            }
            let (head, tail) = match sep.and_then(|s| r.as_bytes().iter().position(|&c| c == s)) {
                Some(p) => (r.get(..p).unwrap_or(""), r.get(p + 1..)),
                None => (r, None),
            };
            rest = tail;
            Some(El {
                raw: head,
                level: this.level + 1,
                d: this.d,
            })
        })
    }

    /// The first `N` children, split in one pass (missing ones are `None`).
    fn parts<const N: usize>(&self) -> [Option<El<'m>>; N] {
        let mut out = [None; N];
        for (slot, c) in out.iter_mut().zip(self.children()) {
            *slot = Some(c);
        }
        out
    }

    fn component(&self, c: usize) -> Option<El<'m>> {
        match self.level {
            0 => self.child(1)?.child(c),
            1 => self.child(c),
            _ => None,
        }
    }

    fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    fn is_null(&self) -> bool {
        self.raw == "\"\""
    }

    fn value(&self) -> Option<Cow<'m, str>> {
        if self.is_empty() || self.is_null() {
            None
        } else {
            Some(crate::hl7::escape::decode(self.raw, self.d))
        }
    }
}

fn query<'m>(msg: &'m Message<'m>, p: &Path) -> Option<El<'m>> {
    msg.query(p).map(|e| El::of(e, msg.delimiters()))
}

// ---- small helpers ------------------------------------------------------------------------

fn trim_cow(c: Cow<'_, str>) -> Option<Cow<'_, str>> {
    match c {
        Cow::Borrowed(s) => {
            let t = crate::text::trim(s);
            (!t.is_empty()).then_some(Cow::Borrowed(t))
        }
        Cow::Owned(s) => {
            let t = crate::text::trim(&s);
            if t.is_empty() {
                None
            } else if t.len() == s.len() {
                Some(Cow::Owned(s))
            } else {
                Some(Cow::Owned(t.to_owned()))
            }
        }
    }
}

fn val<'m>(e: Option<El<'m>>) -> Option<Cow<'m, str>> {
    e.and_then(|e| e.value()).and_then(trim_cow)
}

/// Descend to the first subcomponent (component 1 of repetition 1 …).
fn leaf(mut e: El<'_>) -> El<'_> {
    while e.level() != Level::Subcomponent {
        match e.child(1) {
            Some(c) => e = c,
            None => break,
        }
    }
    e
}

fn path_of(
    seg: &str,
    occ: usize,
    total: usize,
    field: usize,
    rep: Option<usize>,
    comp: Option<usize>,
) -> PathRef {
    PathRef::new(seg, field).occ(occ, total).rep(rep).comp(comp)
}

fn pos(seg: &str, field: usize, rep: Option<usize>) -> Position {
    Position {
        segment: Some(seg.to_owned()),
        field: Some(field),
        repetition: rep,
        ..Default::default()
    }
}

/// MSH-12.1 read as `(major, minor)`; `(2, 5)` when unreadable.
fn parse_version(msh: &SegView<'_>) -> (u8, u8) {
    // MSH-12, first repetition, first component (empty and `""` read as no version).
    let v = msh
        .field(12)
        .and_then(|f| f.child(1))
        .and_then(|r| r.child(1))
        .and_then(|c| c.value());
    let s = v.as_deref().unwrap_or("").trim();
    let mut it = s.split('.');
    let major = it.next().and_then(|x| x.trim().parse::<u8>().ok());
    let minor = it
        .next()
        .and_then(|x| x.trim().get(..1).and_then(|d| d.parse::<u8>().ok()));
    match (major, minor) {
        (Some(a), Some(b)) => (a, b),
        _ => (2, 5),
    }
}

struct Ctx<'p> {
    profile: &'p Profile,
    band: usize,
    zone: Option<Tz>,
    country: &'p str,
    country_configured: bool,
    r: MapResult,
}

impl Ctx<'_> {
    fn warn(&mut self, code: &'static str, msg: impl Into<String>, f: Field) {
        self.r.warn(code, msg, f);
    }
    fn warn_at(&mut self, code: &'static str, msg: impl Into<String>, f: Field, p: Position) {
        self.r.warn_at(code, msg, f, p);
    }
    fn prov(&mut self, f: Field, p: Provenance) {
        self.r.provenance.set(f, p);
    }
}

/// Map a parsed message (see [`map_hl7`]).
pub fn map_message(msg: &Message<'_>, profile: &Profile) -> Result<MapResult> {
    profile.validate()?;
    let zone = match &profile.sender.time_zone {
        Some(z) => Some(time::parse_zone(z).ok_or_else(|| {
            Error::new(ErrorCode::ProfileBadTimezone, "not an IANA time zone name")
                .at_pointer("/sender/timeZone")
        })?),
        None => None,
    };
    let (country, country_configured) = profile.default_country();
    let msh_seg = msg.segment("MSH");
    let msh_view = msh_seg.map(|s| SegView::header(s, msg.delimiters()));
    let version = msh_view.as_ref().map_or((2, 5), parse_version);
    let mut cx = Ctx {
        profile,
        band: band_of(version),
        zone,
        country,
        country_configured,
        r: MapResult {
            event: None,
            skip: None,
            warnings: msg.warnings().to_vec(),
            provenance: ProvenanceMap::default(),
            ids: ExtraIds::default(),
            idempotency_key: None,
            draft: None,
            needs_fetch: None,
        },
    };
    let Some(msh) = msh_view.as_ref() else {
        return Ok(skip(
            cx.r,
            skip_codes::NOT_SCHEDULING_EVENT,
            "the message has no MSH segment",
            "MSH",
        ));
    };
    let mtype = msh.field(9);
    let code = val(mtype.and_then(|f| f.component(1)));
    let trigger = val(mtype.and_then(|f| f.component(2)));
    cx.r.ids.message_control_id = val(msh.field(10)).map(Cow::into_owned);
    cx.r.ids.trigger = trigger.as_deref().map(str::to_ascii_uppercase);
    if !code
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case("SIU"))
    {
        return Ok(skip(
            cx.r,
            skip_codes::NOT_SCHEDULING_EVENT,
            "the message type (MSH-9.1) is not SIU",
            "MSH-9.1",
        ));
    }
    let trig = cx.r.ids.trigger.clone().unwrap_or_default();

    // ---- event type ------------------------------------------------------------------------
    let (mut event_type, configured) = match profile.hl7.events.get(trig.as_str()) {
        Some(v) if v.eq_ignore_ascii_case("skip") => {
            let rule = format!("hl7.events.{trig}");
            return Ok(skip(
                cx.r,
                skip_codes::EVENT_POLICY,
                "the profile's event rules skip this trigger",
                &rule,
            ));
        }
        Some(v) => match EventType::parse(v) {
            Some(e) => (e, true),
            None => return Err(Error::new(ErrorCode::ProfileBadValue, "bad event rule").at_pointer(format!("/hl7/events/{trig}"))),
        },
        None => match default_event(&trig) {
            Some(e) => (e, false),
            None => {
                return Ok(skip(
                    cx.r,
                    skip_codes::NOT_SCHEDULING_EVENT,
                    "the SIU trigger (MSH-9.2) is not an appointment event the flow texts about (S12–S17, S26)",
                    "MSH-9.2",
                ))
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
            Provenance::path("MSH-9.2", trigger_rule(&trig)),
        );
        if matches!(trig.as_str(), "S16" | "S17") {
            cx.warn(
                "MAP_EVENT_MAPPED_TO_CANCELED",
                "S16 (discontinued) / S17 (deleted) is sent as CANCELED; set hl7.events to choose another event or skip",
                Field::EventType,
            );
        }
    }
    let mut idx = Idx::build(msg);
    idx.msh = msh_view;
    event_type = status_check(&mut cx, msg, &idx, &trig, event_type);

    // ---- values ------------------------------------------------------------------------------
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
    map_event_time(&mut cx, msg, &idx, &mut e);
    map_patient_id(&mut cx, msg, &idx, &mut e);
    map_patient_name(&mut cx, msg, &idx, &mut e);
    map_provider(&mut cx, msg, &idx, &mut e);
    map_callback(&mut cx, msg, &idx, &mut e);
    map_location(&mut cx, msg, &idx, &mut e);
    map_appointment_id(&mut cx, msg, &idx, &mut e);
    map_start(&mut cx, msg, &idx, &mut e);
    let phone_ok = map_phone(&mut cx, msg, &idx, &mut e);

    // ---- skips -------------------------------------------------------------------------------
    let skip_reason: Option<(&'static str, String, Option<String>)> = if idx.pid.is_none() {
        Some((
            skip_codes::NO_PATIENT,
            "the message has no PATIENT group (PID): there is nobody to text".into(),
            Some("PID".into()),
        ))
    } else {
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
            Some((
                skip_codes::MISSING_REQUIRED,
                format!(
                    "the flow needs values the message does not carry: {}",
                    missing.join(", ")
                ),
                None,
            ))
        } else if let Some((rule, reason)) = apply_filters(&cx, msg, &e) {
            Some((skip_codes::FILTERED, reason, Some(rule)))
        } else if !phone_ok {
            Some((
                skip_codes::NO_MOBILE_PHONE,
                "no usable mobile number for the patient (see the phone warnings): the flow cannot text nobody".into(),
                Some("patient_phone".into()),
            ))
        } else {
            None
        }
    };

    if let Some((code, reason, rule)) = skip_reason {
        let mut draft = e;
        // Drafts are sanitized in repair mode so previews show what would be sent.
        let _ = sanitize_event(&mut draft, SanitizeMode::Repair, &mut cx.r.warnings);
        cx.r.skip = Some(Skip { code, reason, rule });
        cx.r.draft = Some(draft);
        return Ok(cx.r);
    }

    sanitize_event(&mut e, profile.sanitize, &mut cx.r.warnings)?;
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

fn default_event(trigger: &str) -> Option<EventType> {
    Some(match trigger {
        "S12" => EventType::Booked,
        "S13" => EventType::Rescheduled,
        "S14" => EventType::Modified,
        "S15" | "S16" | "S17" => EventType::Canceled,
        "S26" => EventType::Noshowed,
        _ => return None,
    })
}

fn trigger_rule(trigger: &str) -> &'static str {
    match trigger {
        "S12" => "trigger S12 (new booking) → BOOKED",
        "S13" => "trigger S13 (rescheduling) → RESCHEDULED",
        "S14" => "trigger S14 (modification) → MODIFIED",
        "S15" => "trigger S15 (cancellation) → CANCELED",
        "S16" => "trigger S16 (discontinuation) → CANCELED",
        "S17" => "trigger S17 (deletion) → CANCELED",
        "S26" => "trigger S26 (no-show) → NOSHOWED",
        _ => "trigger mapping",
    }
}

// ---- status (SCH-25) ------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Active,
    Confirmed,
    Started,
    Complete,
    Cancelled,
    Discontinued,
    Deleted,
    Noshow,
    Blocked,
    Other,
}

impl Status {
    fn describe(self) -> &'static str {
        match self {
            Status::Active => "booked/pending",
            Status::Confirmed => "confirmed",
            Status::Started => "started",
            Status::Complete => "complete",
            Status::Cancelled => "cancelled",
            Status::Discontinued => "discontinued",
            Status::Deleted => "deleted",
            Status::Noshow => "no-show",
            Status::Blocked => "blocked",
            Status::Other => "unrecognized",
        }
    }
}

fn classify_status(s: &str, profile: &Profile) -> Status {
    let t = crate::text::trim(s);
    if profile
        .confirmed_statuses()
        .any(|c| c.eq_ignore_ascii_case(t))
    {
        return Status::Confirmed;
    }
    // Every status below is at most 12 bytes: longer text is `Other` without lower-casing it.
    let mut buf = [0u8; 12];
    let l = match buf.get_mut(..t.len()) {
        Some(dst) => {
            for (d, b) in dst.iter_mut().zip(t.bytes()) {
                *d = b.to_ascii_lowercase();
            }
            std::str::from_utf8(dst).unwrap_or("")
        }
        None => "",
    };
    match l {
        "booked" | "pending" | "overbook" | "waitlist" | "confirmed" | "scheduled" | "arrived"
        | "checked in" => Status::Active,
        "started" => Status::Started,
        "complete" | "completed" => Status::Complete,
        "cancelled" | "canceled" => Status::Cancelled,
        "dc" | "discontinued" => Status::Discontinued,
        "deleted" => Status::Deleted,
        "noshow" | "no-show" | "no show" => Status::Noshow,
        "blocked" => Status::Blocked,
        _ => Status::Other,
    }
}

fn status_check(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    trig: &str,
    event: EventType,
) -> EventType {
    let (raw, path) = match &cx.profile.hl7.status_field {
        Some(p) => (
            Path::parse(p)
                .ok()
                .and_then(|p| query(msg, &p))
                .and_then(|e| {
                    let rep = if e.level() == Level::Field {
                        e.child(1)
                    } else {
                        Some(e)
                    };
                    rep.and_then(|r| val(r.child(1)).or_else(|| val(r.child(2))))
                        .or_else(|| val(Some(e)))
                }),
            Cow::Owned(p.clone()),
        ),
        None => {
            let f = idx.sch.as_ref().and_then(|s| s.field(25));
            (
                val(f.and_then(|f| f.component(1))).or_else(|| val(f.and_then(|f| f.component(2)))),
                "SCH-25".into(),
            )
        }
    };
    let Some(raw) = raw else { return event };
    let st = classify_status(&raw, cx.profile);
    if st == Status::Other {
        cx.warn(
            "MAP_STATUS_UNRECOGNIZED",
            format!("the filler status ({path}) is not a table 0278 value or a configured confirmed status; the trigger decides"),
            Field::EventType,
        );
        return event;
    }
    if trig == "S14" && event == EventType::Modified {
        match st {
            Status::Confirmed => {
                cx.prov(
                    Field::EventType,
                    Provenance::path(path, "S14 with a confirmed filler status → CONFIRMED"),
                );
                return EventType::Confirmed;
            }
            Status::Cancelled | Status::Noshow if cx.profile.hl7.status_overrides_event => {
                cx.prov(
                    Field::EventType,
                    Provenance::path(
                        path,
                        "S14 with a cancelled/no-show filler status → CANCELED/NOSHOWED (hl7.statusOverridesEvent)",
                    ),
                );
                return if st == Status::Cancelled {
                    EventType::Canceled
                } else {
                    EventType::Noshowed
                };
            }
            _ => {}
        }
    }
    let consistent = match event {
        EventType::Booked | EventType::Rescheduled | EventType::Modified | EventType::Confirmed => {
            matches!(st, Status::Active | Status::Confirmed)
        }
        EventType::Canceled => matches!(
            st,
            Status::Cancelled | Status::Discontinued | Status::Deleted
        ),
        EventType::Noshowed => st == Status::Noshow,
    };
    if !consistent {
        cx.warn(
            "MAP_EVENT_STATUS_MISMATCH",
            format!(
                "the filler status ({path}) says {} but the trigger says {}; the trigger decides{}",
                st.describe(),
                event.as_str(),
                if trig == "S14" && matches!(st, Status::Cancelled | Status::Noshow) {
                    " (set hl7.statusOverridesEvent to follow the status)"
                } else {
                    ""
                }
            ),
            Field::EventType,
        );
    }
    event
}

// ---- times ----------------------------------------------------------------------------------

fn ts_at<'m>(seg: &SegView<'m>, field: usize, comp: usize) -> Option<El<'m>> {
    let f = seg.field(field)?;
    let rep = f.child(1)?;
    let c = rep.child(comp.max(1))?;
    c.child(1)
}

fn map_event_time(cx: &mut Ctx<'_>, msg: &Message<'_>, idx: &Idx<'_>, e: &mut AppointmentEvent) {
    let f = Field::EventDatetimeUtc;
    let (raw, path): (Option<Cow<'_, str>>, Cow<'static, str>) = match cx.profile.field_override(f)
    {
        Some(list) => {
            let mut found = None;
            for p in list.paths() {
                if let Some(v) = Path::parse(p)
                    .ok()
                    .and_then(|pp| query(msg, &pp))
                    .map(leaf)
                    .and_then(|l| val(Some(l)))
                {
                    found = Some((v, Cow::Owned(p.clone())));
                    break;
                }
            }
            match found {
                Some((v, p)) => (Some(v), p),
                None => (None, Cow::Borrowed("profile.hl7.fields")),
            }
        }
        None => (
            idx.msh.as_ref().and_then(|m| val(ts_at(m, 7, 1))),
            Cow::Borrowed("MSH-7"),
        ),
    };
    let Some(raw) = raw else {
        cx.warn(
            "MAP_NO_EVENT_TIME",
            "the message has no date/time (MSH-7): event_datetime_utc is empty (the PAM validator skips an empty value)",
            f,
        );
        cx.prov(f, Provenance::none("no message date/time"));
        return;
    };
    let dt = match DateTime::parse(&raw) {
        Ok(d) => d,
        Err(_) => {
            cx.warn(
                "MAP_BAD_DATETIME",
                format!("{path} is not a valid HL7 date/time; event_datetime_utc is empty"),
                f,
            );
            cx.prov(f, Provenance::none("unparseable message date/time"));
            return;
        }
    };
    let (utc, rule) = if let Some(u) = dt.to_utc() {
        (Some(u), "converted to UTC with its own offset")
    } else if let Some(z) = cx.zone {
        match time::resolve_local(z, dt.local, cx.profile.sender.ambiguous_time) {
            Some(r) => {
                dst_warning(cx, r.resolution, f);
                (
                    Some(r.utc),
                    "no offset: read in profile.sender.timeZone, converted to UTC",
                )
            }
            None => (None, ""),
        }
    } else {
        cx.warn(
            "MAP_EVENT_TIME_ASSUMED_UTC",
            format!("{path} has no UTC offset and the profile has no sender.timeZone: read as UTC"),
            f,
        );
        (Some(dt.local), "no offset and no profile zone: read as UTC")
    };
    match utc {
        Some(u) => {
            e.event_datetime_utc = time::format_utc(u);
            cx.prov(f, Provenance::path(path.into_owned(), rule));
        }
        None => cx.prov(f, Provenance::none("date/time out of range")),
    }
}

fn dst_warning(cx: &mut Ctx<'_>, r: Resolution, f: Field) {
    match r {
        Resolution::Exact => {}
        Resolution::Gap(_) => cx.warn(
            "MAP_DST_GAP",
            "the local time does not exist in the sender's zone (DST spring-forward gap); it was moved forward by the gap",
            f,
        ),
        Resolution::Ambiguous(p) => cx.warn(
            "MAP_DST_AMBIGUOUS",
            match p {
                AmbiguousPolicy::Earlier => "the local time occurs twice in the sender's zone (DST fall-back); the earlier instant was used (sender.ambiguousTime)",
                AmbiguousPolicy::Later => "the local time occurs twice in the sender's zone (DST fall-back); the later instant was used (sender.ambiguousTime)",
            },
            f,
        ),
    }
}

struct StartFound {
    dt: DateTime,
    path: Source,
}

fn map_start(cx: &mut Ctx<'_>, msg: &Message<'_>, idx: &Idx<'_>, e: &mut AppointmentEvent) {
    let f = Field::AppointmentDatetime;
    let mut found: Vec<StartFound> = Vec::with_capacity(8);
    let mut resources_disagree: Option<&'static str> = None;
    match cx.profile.field_override(f) {
        Some(list) => {
            for p in list.paths() {
                let Some(v) = Path::parse(p)
                    .ok()
                    .and_then(|pp| query(msg, &pp))
                    .map(leaf)
                    .and_then(|l| val(Some(l)))
                else {
                    continue;
                };
                match DateTime::parse(&v) {
                    Ok(dt) => found.push(StartFound {
                        dt,
                        path: p.clone().into(),
                    }),
                    Err(_) => cx.warn(
                        "MAP_BAD_DATETIME",
                        format!("{p} is not a valid HL7 date/time; it was ignored"),
                        f,
                    ),
                }
            }
        }
        None => {
            // Senders repeat the same start in SCH/TQ1/AIS/AIL/AIP/AIG: parse each distinct text once.
            let mut last: Option<(Cow<'_, str>, DateTime)> = None;
            for c in siu_map::candidates(f, cx.band) {
                let segs = idx.segs(c.seg);
                let mut first: Option<DateTime> = None;
                for (i, s) in segs.iter().enumerate() {
                    let Some(v) = val(ts_at(s, c.field, c.comp)) else {
                        continue;
                    };
                    let parsed = match &last {
                        Some((t, dt)) if *t == v => Ok(*dt),
                        _ => DateTime::parse(&v),
                    };
                    if let Ok(dt) = parsed {
                        last = Some((v.clone(), dt));
                    }
                    // Built only when reported: most starts repeat the first one.
                    let here = || {
                        let comp = (c.comp > 1).then_some(c.comp);
                        path_of(c.seg, i + 1, segs.len(), c.field, None, comp)
                    };
                    match parsed {
                        Ok(dt) => match &first {
                            None => {
                                first = Some(dt);
                                let path = here();
                                found.push(StartFound {
                                    dt,
                                    path: path.into(),
                                });
                            }
                            Some(f0) => {
                                if !same_time(f0, &dt) {
                                    resources_disagree = resources_disagree.or(Some(c.seg));
                                }
                            }
                        },
                        Err(_) => {
                            let path = here();
                            cx.warn(
                                "MAP_BAD_DATETIME",
                                format!("{path} is not a valid HL7 date/time; it was ignored"),
                                f,
                            );
                        }
                    }
                }
            }
        }
    }
    // Prefer minute precision or better; fall back to a coarser value with a warning.
    let chosen_i = found
        .iter()
        .position(|s| s.dt.precision >= Precision::Minute)
        .or(if found.is_empty() { None } else { Some(0) });
    let Some(ci) = chosen_i else {
        cx.prov(
            f,
            Provenance::none("no appointment start time in the message"),
        );
        cx.prov(
            Field::AppointmentTimezone,
            Provenance::none("no appointment start time"),
        );
        return;
    };
    let Some(chosen) = found.get(ci) else { return };
    if chosen.dt.precision < Precision::Minute {
        cx.warn(
            "MAP_DATETIME_LOW_PRECISION",
            format!(
                "{} gives only a date or an hour; the missing parts are zero",
                chosen.path
            ),
            f,
        );
    }
    if let Some(seg) = resources_disagree {
        cx.warn(
            "MAP_RESOURCES_DISAGREE",
            format!("several {seg} segments (resource groups) give different start times; the first was used"),
            f,
        );
    }
    let others: Vec<String> = found
        .iter()
        .enumerate()
        .filter(|(i, s)| {
            *i != ci && s.dt.precision >= Precision::Minute && !same_time(&chosen.dt, &s.dt)
        })
        .map(|(_, s)| s.path.to_string())
        .collect();
    if !others.is_empty() {
        cx.warn(
            "MAP_SOURCES_DISAGREE",
            format!(
                "{} give(s) a different start time than {}; {} was used",
                others.join(", "),
                chosen.path,
                chosen.path
            ),
            f,
        );
    }
    let dt = chosen.dt;
    let path = chosen.path.clone();
    let msh_offset = idx
        .msh
        .as_ref()
        .and_then(|m| val(ts_at(m, 7, 1)))
        .and_then(|v| DateTime::parse(&v).ok())
        .and_then(|d| d.offset);
    localize_start(cx, dt, path, msh_offset, e);
}

fn same_time(a: &DateTime, b: &DateTime) -> bool {
    match (a.to_utc(), b.to_utc()) {
        (Some(x), Some(y)) => x == y,
        _ => a.local == b.local,
    }
}

fn localize_start(
    cx: &mut Ctx<'_>,
    dt: DateTime,
    path: Source,
    msh_offset: Option<Offset>,
    e: &mut AppointmentEvent,
) {
    let f = Field::AppointmentDatetime;
    let tzf = Field::AppointmentTimezone;
    let policy = cx.profile.sender.ambiguous_time;
    match (dt.offset, cx.zone) {
        (Some(off), Some(z)) => {
            let Some(utc) = dt.to_utc() else { return };
            let Some((local, m)) = time::utc_to_local(z, utc) else {
                return;
            };
            if m != off.minutes || off.negative_zero {
                cx.warn(
                    "MAP_OFFSET_NOT_SENDER_ZONE",
                    format!("{path} carries a UTC offset that is not the sender zone's offset at that time; the start was converted to the sender's zone"),
                    f,
                );
            }
            e.appointment_datetime = time::format_local(local);
            e.appointment_timezone = time::format_offset(m);
            cx.r.ids.time_zone = Some(z.name().to_owned());
            cx.prov(
                f,
                Provenance::path(path, "zoned start converted to profile.sender.timeZone"),
            );
            cx.prov(
                tzf,
                Provenance::profile(
                    "profile.sender.timeZone",
                    "zone offset at the appointment instant (DST-aware)",
                ),
            );
        }
        (Some(off), None) => {
            e.appointment_datetime = time::format_local(dt.local);
            e.appointment_timezone = time::format_offset(off.minutes);
            if off.negative_zero {
                cx.warn(
                    "MAP_ZONE_UNKNOWN_OFFSET",
                    format!("{path} is written with -0000 (UTC, local offset unknown) and the profile has no sender.timeZone: the time is shown in UTC"),
                    tzf,
                );
            }
            cx.prov(f, Provenance::path(path.clone(), "wall time as written"));
            cx.prov(
                tzf,
                Provenance::path(path, "the offset written on the start time"),
            );
        }
        (None, Some(z)) => match time::resolve_local(z, dt.local, policy) {
            Some(r) => {
                dst_warning(cx, r.resolution, f);
                e.appointment_datetime = time::format_local(r.local);
                e.appointment_timezone = time::format_offset(r.offset_minutes);
                cx.r.ids.time_zone = Some(z.name().to_owned());
                cx.prov(
                    f,
                    Provenance::path(path, "wall time in profile.sender.timeZone"),
                );
                cx.prov(
                    tzf,
                    Provenance::profile(
                        "profile.sender.timeZone",
                        "zone offset at the appointment time (DST-aware)",
                    ),
                );
            }
            None => cx.prov(f, Provenance::none("start time out of range")),
        },
        (None, None) => {
            e.appointment_datetime = time::format_local(dt.local);
            cx.prov(f, Provenance::path(path, "wall time as written"));
            match msh_offset {
                Some(o) if !o.negative_zero => {
                    e.appointment_timezone = time::format_offset(o.minutes);
                    cx.warn(
                        "MAP_ZONE_FROM_MESSAGE_TIME",
                        "the start time has no offset and the profile has no sender.timeZone: the MSH-7 offset was used (wrong if DST changes between the message and the appointment)",
                        tzf,
                    );
                    cx.prov(
                        tzf,
                        Provenance::path(
                            "MSH-7",
                            "offset of the message time (no zone configured)",
                        ),
                    );
                }
                _ => {
                    e.appointment_timezone = "+0000".into();
                    cx.warn(
                        "MAP_ZONE_ASSUMED_UTC",
                        "the start time has no offset and the profile has no sender.timeZone: +0000 was assumed; set sender.timeZone",
                        tzf,
                    );
                    cx.prov(
                        tzf,
                        Provenance::default_value("no offset and no zone: +0000"),
                    );
                }
            }
        }
    }
}

// ---- patient ----------------------------------------------------------------------------------

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

fn apply_default(cx: &mut Ctx<'_>, f: Field, e: &mut AppointmentEvent, none_rule: &'static str) {
    let p = cx.profile.defaults.fill(e, f, none_rule);
    cx.prov(f, p);
}

fn map_patient_id(cx: &mut Ctx<'_>, msg: &Message<'_>, idx: &Idx<'_>, e: &mut AppointmentEvent) {
    let f = Field::PatientId;
    if apply_override(cx, msg, f, e) {
        return;
    }
    let Some(pid) = idx.pid.as_ref() else {
        cx.prov(f, Provenance::none("no PID segment"));
        return;
    };
    let profile = cx.profile;
    let authority = cx.profile.hl7.patient_id_authority.clone();
    struct Cand<'m> {
        rep: usize,
        id: Cow<'m, str>,
        ty: Option<Cow<'m, str>>,
        auth: Option<Cow<'m, str>>,
    }
    let mut cands: Vec<Cand<'_>> = Vec::with_capacity(4);
    if let Some(field) = pid.field(3) {
        for (i, r) in field.children().enumerate() {
            if r.is_null() {
                continue;
            }
            let Some(id) = val(r.child(1)) else { continue };
            let auth = val(r.child(4).and_then(|c| c.child(1)));
            if let Some(a) = &authority {
                if !auth.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(a)) {
                    continue;
                }
            }
            cands.push(Cand {
                rep: i + 1,
                id,
                ty: val(r.child(5)),
                auth,
            });
        }
    }
    let total = pid.field(3).map_or(0, |f| f.children().count());
    let mut chosen: Option<(usize, &'static str)> = None;
    for t in profile.patient_id_types() {
        if let Some(i) = cands
            .iter()
            .position(|c| c.ty.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(t)))
        {
            chosen = Some((
                i,
                "PID-3 repetition whose CX-5 type is the first of hl7.patientIdTypes present",
            ));
            break;
        }
    }
    if chosen.is_none() && !cands.is_empty() {
        chosen = Some((0, "first non-null PID-3 repetition (no CX-5 type match)"));
        if cands.len() > 1 || cands.first().is_some_and(|c| c.ty.is_some()) {
            cx.warn(
                "MAP_PATIENT_ID_NO_TYPE_MATCH",
                "no PID-3 repetition has an identifier type (CX-5) from hl7.patientIdTypes; the first non-null one was used",
                f,
            );
        }
    }
    if let Some((i, rule)) = chosen {
        if let Some(c) = cands.get(i) {
            e.patient_id = c.id.to_string();
            cx.r.ids.patient_id_type = c.ty.as_deref().map(str::to_owned);
            cx.r.ids.patient_id_authority = c.auth.as_deref().map(str::to_owned);
            let rep = (total > 1).then_some(c.rep);
            cx.prov(
                f,
                Provenance::path(path_of("PID", 1, 1, 3, rep, Some(1)), rule),
            );
            return;
        }
    }
    // Old feeds: PID-2 (external id), withdrawn in 2.8.
    if siu_map::candidates(f, cx.band)
        .iter()
        .any(|c| c.seg == "PID" && c.field == 2)
    {
        if let Some(v) = val(pid.field(2).and_then(|x| x.component(1))) {
            e.patient_id = v.into_owned();
            cx.warn(
                "MAP_PATIENT_ID_FROM_PID2",
                "PID-3 has no usable identifier; the external id in PID-2 was used",
                f,
            );
            cx.prov(
                f,
                Provenance::path("PID-2.1", "PID-3 empty: external patient id"),
            );
            return;
        }
    }
    cx.prov(f, Provenance::none("no patient identifier"));
}

fn map_patient_name(cx: &mut Ctx<'_>, msg: &Message<'_>, idx: &Idx<'_>, e: &mut AppointmentEvent) {
    let first_over = apply_override(cx, msg, Field::PatientFirstName, e);
    let last_over = apply_override(cx, msg, Field::PatientLastName, e);
    if first_over && last_over {
        return;
    }
    let field = idx.pid.as_ref().and_then(|p| p.field(5));
    let mut best: Option<(usize, u8, El<'_>)> = None;
    if let Some(field) = field {
        for (i, r) in field.children().enumerate() {
            if r.is_null() || r.is_empty() {
                continue;
            }
            let has_family = val(r.child(1).and_then(|c| c.child(1))).is_some();
            let has_given = val(r.child(2)).is_some();
            if !has_family && !has_given {
                continue;
            }
            let ty = val(r.child(7));
            let repr = val(r.child(8));
            let legal = ty.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("L"));
            let alpha = !repr
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("I") || t.eq_ignore_ascii_case("P"));
            // Completeness first (a legal name with no given name is worse than a complete
            // display name), then legal, then alphabetic.
            let score =
                u8::from(has_family && has_given) * 4 + u8::from(legal) * 2 + u8::from(alpha);
            if best.as_ref().is_none_or(|b| score > b.1) {
                best = Some((i + 1, score, r));
            }
        }
    }
    let total = field.map_or(0, |f| f.children().count());
    let rule = "PID-5 repetition preferring complete, then legal (XPN-7 = L), then alphabetic (XPN-8 not I/P)";
    let (rep, r) = match best {
        Some((i, _, r)) => ((total > 1).then_some(i), Some(r)),
        None => (None, None),
    };
    if !last_over {
        match r.and_then(|r| val(r.child(1).and_then(|c| c.child(1)))) {
            Some(v) => {
                e.patient_last_name = v.into_owned();
                let p = path_of("PID", 1, 1, 5, rep, Some(1)).subcomp(1);
                cx.prov(Field::PatientLastName, Provenance::path(p, rule));
            }
            None => cx.prov(Field::PatientLastName, Provenance::none("no family name")),
        }
    }
    if !first_over {
        match r.and_then(|r| val(r.child(2))) {
            Some(v) => {
                e.patient_first_name = v.into_owned();
                cx.prov(
                    Field::PatientFirstName,
                    Provenance::path(path_of("PID", 1, 1, 5, rep, Some(2)), rule),
                );
            }
            None => cx.prov(Field::PatientFirstName, Provenance::none("no given name")),
        }
    }
}

// ---- provider -------------------------------------------------------------------------------

struct Person<'m> {
    id: Option<Cow<'m, str>>,
    last: Option<Cow<'m, str>>,
    first: Option<Cow<'m, str>>,
    seg: &'static str,
    field: usize,
    occ: usize,
    total: usize,
    text: bool,
}

fn looks_like_username(s: &str) -> bool {
    !s.contains(' ') && s.chars().any(|c| c.is_ascii_digit()) && s.chars().any(char::is_alphabetic)
}

fn xcn<'m>(seg: &SegView<'m>, field: usize) -> Option<El<'m>> {
    seg.field(field)?.child(1)
}

fn map_provider(cx: &mut Ctx<'_>, msg: &Message<'_>, idx: &Idx<'_>, e: &mut AppointmentEvent) {
    let mut people: Vec<Person<'_>> = Vec::with_capacity(4);
    let mut username_seen = false;
    let mut aip_disagree = false;
    for c in siu_map::candidates(Field::ProviderLastName, cx.band) {
        let segs = idx.segs(c.seg);
        // (id, family name) of the first person of this source.
        type Key<'k> = (Option<Cow<'k, str>>, Option<Cow<'k, str>>);
        let mut first_key: Option<Key<'_>> = None;
        for (i, s) in segs.iter().enumerate() {
            let person = match c.how {
                How::Xcn => {
                    let Some(r) = xcn(s, c.field) else { continue };
                    if r.is_null() {
                        continue;
                    }
                    let id = val(r.child(1));
                    let mut last = val(r.child(2).and_then(|x| x.child(1)));
                    let mut first = val(r.child(3));
                    if last.as_deref().is_some_and(looks_like_username) {
                        username_seen = true;
                        last = None;
                        first = None;
                    }
                    Person {
                        id,
                        last,
                        first,
                        seg: c.seg,
                        field: c.field,
                        occ: i + 1,
                        total: segs.len(),
                        text: false,
                    }
                }
                How::PersonText => {
                    let Some(f) = s.field(c.field) else { continue };
                    let rep = f.child(1);
                    let t = val(rep.and_then(|r| r.child(2)))
                        .or_else(|| val(rep.and_then(|r| r.child(1))));
                    let Some(t) = t else { continue };
                    if looks_like_username(&t) {
                        username_seen = true;
                        continue;
                    }
                    let (last, first) = match t.split_once(',') {
                        Some((l, f)) => (
                            Some(Cow::Owned(l.trim().to_owned())),
                            Some(Cow::<str>::Owned(f.trim().to_owned())).filter(|x| !x.is_empty()),
                        ),
                        None => (Some(t), None),
                    };
                    Person {
                        id: None,
                        last,
                        first,
                        seg: c.seg,
                        field: c.field,
                        occ: i + 1,
                        total: segs.len(),
                        text: true,
                    }
                }
                _ => continue,
            };
            if person.id.is_none() && person.last.is_none() && person.first.is_none() {
                continue;
            }
            match &first_key {
                None => {
                    first_key = Some((person.id.clone(), person.last.clone()));
                    people.push(person);
                }
                Some((id, last)) => {
                    if (id, last) != (&person.id, &person.last) && c.seg == "AIP" {
                        aip_disagree = true;
                    }
                }
            }
        }
    }
    if username_seen {
        cx.warn(
            "MAP_PROVIDER_USERNAME_ONLY",
            "the provider is identified only by a user name, which is not a name to print after \"Dr.\"; set defaults.providerLastName or hl7.fields.provider_last_name",
            Field::ProviderLastName,
        );
    }
    if aip_disagree {
        cx.warn(
            "MAP_RESOURCES_DISAGREE",
            "several AIP segments (resource groups) name different providers; the first was used",
            Field::ProviderId,
        );
    }
    // The record: the first person with an id or a name from an XCN source.
    let rec = people
        .iter()
        .position(|p| !p.text && (p.id.is_some() || p.last.is_some()));
    let rule_rec = "first personnel source with an id or a name (AIP-3, SCH-12, PV1-7)";
    // provider_id
    if !apply_override(cx, msg, Field::ProviderId, e) {
        match rec
            .and_then(|i| people.get(i))
            .and_then(|p| p.id.as_ref().map(|id| (p, id)))
        {
            Some((p, id)) => {
                e.provider_id = id.to_string();
                let path = path_of(p.seg, p.occ, p.total, p.field, None, Some(1));
                cx.prov(Field::ProviderId, Provenance::path(path, rule_rec));
            }
            None => apply_default(cx, Field::ProviderId, e, "no provider id"),
        }
    }
    // names: from the record if it has them, else the next source that has them.
    let name_src = rec
        .and_then(|i| people.get(i))
        .filter(|p| p.last.is_some() || p.first.is_some())
        .or_else(|| {
            people
                .iter()
                .find(|p| p.last.is_some() || p.first.is_some())
        });
    for (f, comp) in [
        (Field::ProviderLastName, 2usize),
        (Field::ProviderFirstName, 3usize),
    ] {
        if apply_override(cx, msg, f, e) {
            continue;
        }
        let v = name_src.and_then(|p| {
            let v = if comp == 2 {
                p.last.as_ref()
            } else {
                p.first.as_ref()
            };
            v.map(|v| (p, v))
        });
        match v {
            Some((p, v)) => {
                *e.get_mut(f) = v.to_string();
                let (path, rule) = if p.text {
                    (
                        path_of(p.seg, p.occ, p.total, p.field, None, None),
                        "free-text resource name (\"Last, First\")",
                    )
                } else {
                    let mut s = path_of(p.seg, p.occ, p.total, p.field, None, Some(comp));
                    if comp == 2 {
                        s = s.subcomp(1);
                    }
                    (s, rule_rec)
                };
                cx.prov(f, Provenance::path(path, rule));
            }
            None => apply_default(cx, f, e, "no provider name"),
        }
    }
}

// ---- phones -----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Mobile,
    Home,
    Work,
    Excluded,
    Unknown,
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

fn classify_text(t: &str) -> Marker {
    let has = |k: &str| contains_ci(t, k);
    let mut buf = [0u8; 8];
    let key: &str = if t.len() <= buf.len() {
        for (d, s) in buf.iter_mut().zip(t.bytes()) {
            *d = s.to_ascii_uppercase();
        }
        std::str::from_utf8(buf.get(..t.len()).unwrap_or(&[])).unwrap_or("")
    } else {
        ""
    };
    match key {
        "CP" => return Marker::Mobile,
        "FX" | "BP" | "NET" | "BPN" | "X.400" | "INTERNET" | "TDD" | "TTY" | "EMR" | "ASN" => {
            return Marker::Excluded
        }
        "WPN" => return Marker::Work,
        "PRN" | "ORN" | "VHN" | "PRS" | "PH" | "MD" | "SAT" => return Marker::Home,
        _ => {}
    }
    if has("MOB") || has("CELL") || has("GSM") || has("PORTABLE") || has("SMS") {
        Marker::Mobile
    } else if has("MAIL") || has("FAX") || has("PAGER") || has("BEEP") || has("INTERNET") {
        Marker::Excluded
    } else if has("WORK") || has("BUS") || has("OFFICE") || has("TRAVAIL") {
        Marker::Work
    } else if has("HOME") || has("DOM") || has("TEL") || has("RES") {
        Marker::Home
    } else {
        Marker::Unknown
    }
}

fn combine(a: Marker, b: Marker) -> Marker {
    use Marker::*;
    match (a, b) {
        (Mobile, _) | (_, Mobile) => Mobile,
        (Excluded, _) | (_, Excluded) => Excluded,
        (Work, _) | (_, Work) => Work,
        (Home, _) | (_, Home) => Home,
        _ => Unknown,
    }
}

struct Xtn<'m> {
    marker: Marker,
    text: Option<Cow<'m, str>>,
    cc: Option<Cow<'m, str>>,
    area: Option<Cow<'m, str>>,
    local: Option<Cow<'m, str>>,
    ext: Option<Cow<'m, str>>,
    unformatted: Option<Cow<'m, str>>,
    email_only: bool,
}

fn read_xtn<'m>(r: El<'m>) -> Xtn<'m> {
    let parts = r.parts::<12>();
    let c = |n: usize| val(parts.get(n.wrapping_sub(1)).copied().flatten());
    let text = c(1);
    let m_use = c(2).map_or(Marker::Unknown, |u| classify_text(&u));
    let m_eq = c(3).map_or(Marker::Unknown, |u| classify_text(&u));
    let local = c(7);
    let unformatted = c(12);
    let email = c(4);
    let email_only = text.is_none()
        && local.is_none()
        && unformatted.is_none()
        && email.as_deref().is_some_and(|x| x.contains('@'));
    let mut marker = combine(m_use, m_eq);
    if text.as_deref().is_some_and(|t| t.contains('@')) {
        marker = Marker::Excluded;
    }
    Xtn {
        marker,
        text,
        cc: c(5),
        area: c(6),
        local,
        ext: c(8),
        unformatted,
        email_only,
    }
}

type Normalized = std::result::Result<(PhoneNumber, phone::Notes), phone::PhoneError>;

/// Normalize an XTN in version order. Returns the first success (or the first error) and whether
/// two representations of the number (XTN-1 text vs components) disagree.
fn xtn_number(x: &Xtn<'_>, structured_first: bool, country: &str) -> Option<(Normalized, bool)> {
    let structured = x.local.as_ref().map(|l| {
        phone::from_parts(
            x.cc.as_deref(),
            x.area.as_deref(),
            l,
            x.ext.as_deref(),
            Some(country),
        )
    });
    let unformatted = x
        .unformatted
        .as_ref()
        .map(|u| phone::normalize(u, Some(country)));
    let text = x.text.as_ref().map(|t| phone::normalize(t, Some(country)));
    let order = if structured_first {
        [structured, unformatted, text]
    } else {
        [text, structured, unformatted]
    };
    let mut first_err = None;
    let mut ok: Option<(PhoneNumber, phone::Notes)> = None;
    let mut disagree = false;
    for r in order.into_iter().flatten() {
        match r {
            Ok(n) => match &ok {
                None => ok = Some(n),
                Some(o) => disagree |= o.0.e164 != n.0.e164,
            },
            Err(e) => {
                if first_err.is_none() {
                    first_err = Some(e);
                }
            }
        }
    }
    match (ok, first_err) {
        (Some(n), _) => Some((Ok(n), disagree)),
        (None, Some(e)) => Some((Err(e), false)),
        (None, None) => None,
    }
}

struct PhoneCand {
    tier: Tier,
    number: PhoneNumber,
    notes: phone::Notes,
    disagree: bool,
    path: Source,
    marked: bool,
}

#[allow(clippy::too_many_arguments)]
fn consider(
    cx: &mut Ctx<'_>,
    cands: &mut Vec<PhoneCand>,
    r: El<'_>,
    path: Source,
    at: (&str, usize, Option<usize>),
    work_source: bool,
    structured_first: bool,
    country: &str,
) {
    let f = Field::PatientPhone;
    if r.is_null() || r.is_empty() {
        return;
    }
    let x = read_xtn(r);
    if x.email_only || x.marker == Marker::Excluded {
        return;
    }
    let Some((res, disagree)) = xtn_number(&x, structured_first, country) else {
        return;
    };
    match res {
        Err(err) => cx.warn_at(err.code(), err.message(), f, pos(at.0, at.1, at.2)),
        Ok((number, notes)) => {
            let marked = x.marker == Marker::Mobile;
            let tier = Tier::of(marked, x.marker == Marker::Work || work_source, number.kind);
            cands.push(PhoneCand {
                tier,
                number,
                notes,
                disagree,
                path,
                marked,
            });
        }
    }
}

fn map_phone(cx: &mut Ctx<'_>, msg: &Message<'_>, idx: &Idx<'_>, e: &mut AppointmentEvent) -> bool {
    let f = Field::PatientPhone;
    let structured_first = cx.band >= 1;
    let country: &str = cx.country;
    let mut cands: Vec<PhoneCand> = Vec::with_capacity(8);
    match cx.profile.field_override(f) {
        Some(list) => {
            for p in list.paths() {
                let Ok(pp) = Path::parse(p) else { continue };
                let Some(el) = query(msg, &pp) else { continue };
                match el.level() {
                    Level::Field => {
                        let n = el.children().count();
                        for (i, r) in el.children().enumerate() {
                            let path = if n > 1 {
                                format!("{p}[{}]", i + 1)
                            } else {
                                p.clone()
                            };
                            consider(
                                cx,
                                &mut cands,
                                r,
                                path.into(),
                                (pp.segment_name(), pp.field, Some(i + 1)),
                                false,
                                structured_first,
                                country,
                            );
                        }
                    }
                    Level::Repetition => consider(
                        cx,
                        &mut cands,
                        el,
                        p.clone().into(),
                        (pp.segment_name(), pp.field, pp.repetition),
                        false,
                        structured_first,
                        country,
                    ),
                    _ => {
                        if let Some(v) = val(Some(el)) {
                            match phone::normalize(&v, Some(country)) {
                                Ok((number, notes)) => {
                                    let tier = Tier::of(false, false, number.kind);
                                    cands.push(PhoneCand {
                                        tier,
                                        number,
                                        notes,
                                        disagree: false,
                                        path: p.clone().into(),
                                        marked: false,
                                    });
                                }
                                Err(err) => cx.warn(err.code(), err.message(), f),
                            }
                        }
                    }
                }
            }
        }
        None => {
            if let Some(pid) = idx.pid.as_ref() {
                for c in siu_map::candidates(f, cx.band) {
                    let Some(field) = pid.field(c.field) else {
                        continue;
                    };
                    let n = field.children().count();
                    for (i, r) in field.children().enumerate() {
                        let path = path_of("PID", 1, 1, c.field, (n > 1).then_some(i + 1), None);
                        consider(
                            cx,
                            &mut cands,
                            r,
                            path.into(),
                            ("PID", c.field, Some(i + 1)),
                            c.field == 14,
                            structured_first,
                            country,
                        );
                    }
                }
            }
        }
    }
    let chosen = Tier::choose(cands.iter().map(|c| c.tier), &cx.profile.phones);
    let Some(ci) = chosen else {
        for c in &cands {
            if let Some((code, m)) = c.tier.not_used_warning() {
                cx.warn(code, format!("{}: {m}", c.path), f);
            }
        }
        cx.prov(f, Provenance::none("no usable mobile number"));
        return false;
    };
    let Some(c) = cands.get(ci) else { return false };
    let rule = c.tier.rule(
        c.marked,
        "first number marked mobile (XTN-3 CP or a mobile use text)",
    );
    let path = c.path.clone();
    let number = c.number.e164.clone();
    let notes = c.notes;
    let tier = c.tier;
    if c.disagree {
        cx.warn(
            "MAP_PHONE_COMPONENTS_DISAGREE",
            format!("{path}: the number in XTN-1 and the one in the components differ; the version's preferred form was used"),
            f,
        );
    }
    if let Some((code, m)) = tier.used_warning() {
        cx.warn(code, format!("{path} {m}"), f);
    }
    for n in notes.iter() {
        if n == Note::DefaultCountryUsed {
            if !cx.country_configured {
                cx.warn(
                    "PHONE_DEFAULT_COUNTRY_ASSUMED",
                    "the number has no country code and the profile has no sender.defaultCountry: read as US",
                    f,
                );
            }
            continue;
        }
        cx.warn(n.code(), n.message(), f);
    }
    e.patient_phone = number;
    cx.prov(f, Provenance::path(path, rule));
    true
}

fn map_callback(cx: &mut Ctx<'_>, msg: &Message<'_>, idx: &Idx<'_>, e: &mut AppointmentEvent) {
    let f = Field::ProviderCallbackPhone;
    let country: &str = cx.country;
    let home_cc = phone::country(country).map_or("1", |c| c.calling_code);
    let fmt = cx.profile.phones.callback_format;
    let render = |n: &PhoneNumber| match fmt {
        CallbackFormat::National => n.display(home_cc),
        CallbackFormat::E164 => n.e164.clone(),
    };
    let mut elements: Vec<(El<'_>, Source, &str, usize)> = Vec::with_capacity(4);
    let over = cx.profile.field_override(f);
    match over {
        Some(list) => {
            for p in list.paths() {
                let Ok(pp) = Path::parse(p) else { continue };
                if let Some(el) = query(msg, &pp) {
                    let el = if el.level() == Level::Field {
                        el.child(1).unwrap_or(el)
                    } else {
                        el
                    };
                    elements.push((el, p.clone().into(), "", 0));
                }
            }
        }
        None => {
            if let Some(sch) = idx.sch.as_ref() {
                for c in siu_map::candidates(f, cx.band) {
                    if c.how != How::XtnCallback {
                        continue;
                    }
                    if let Some(field) = sch.field(c.field) {
                        let n = field.children().count();
                        for (i, r) in field.children().enumerate() {
                            elements.push((
                                r,
                                path_of("SCH", 1, 1, c.field, (n > 1).then_some(i + 1), None)
                                    .into(),
                                "SCH",
                                c.field,
                            ));
                        }
                    }
                }
            }
        }
    }
    for (el, path, seg, field) in elements {
        if el.is_null() || el.is_empty() {
            continue;
        }
        let res = if el.level() == Level::Repetition {
            let x = read_xtn(el);
            if x.email_only || x.marker == Marker::Excluded {
                continue;
            }
            xtn_number(&x, cx.band >= 1, country).map(|(r, _)| r)
        } else {
            val(Some(el)).map(|v| phone::normalize(&v, Some(country)))
        };
        match res {
            Some(Ok((n, _))) => {
                e.provider_callback_phone = render(&n);
                cx.prov(
                    f,
                    Provenance::path(
                        path,
                        "first valid contact number (SCH-17 filler, then SCH-13 placer)",
                    ),
                );
                return;
            }
            Some(Err(err)) => {
                let p = if seg.is_empty() {
                    Position::default()
                } else {
                    pos(seg, field, None)
                };
                cx.warn_at(err.code(), err.message(), f, p);
            }
            None => {}
        }
    }
    apply_default(cx, f, e, "no contact phone in the message");
}

// ---- location & ids ------------------------------------------------------------------------

fn descriptive(s: &str) -> bool {
    (s.contains(' ') && s.chars().any(char::is_alphabetic))
        || (s.chars().all(char::is_alphabetic) && s.chars().any(char::is_lowercase))
}

/// A PL value and the (component, subcomponent) it came from.
fn pl_value<'m>(r: El<'m>) -> Option<(Cow<'m, str>, (usize, usize))> {
    let pl1 = val(r.child(1).and_then(|c| c.child(1)));
    let pl9 = val(r.child(9));
    let pl4 = val(r.child(4).and_then(|c| c.child(1)));
    let opts = [(pl1, (1, 0)), (pl9, (9, 0)), (pl4, (4, 1))];
    if let Some(i) = opts
        .iter()
        .position(|(v, _)| v.as_deref().is_some_and(descriptive))
    {
        let [a, b, c] = opts;
        return [a, b, c]
            .into_iter()
            .nth(i)
            .and_then(|(v, s)| v.map(|v| (v, s)));
    }
    opts.into_iter().find_map(|(v, s)| v.map(|v| (v, s)))
}

fn map_location(cx: &mut Ctx<'_>, msg: &Message<'_>, idx: &Idx<'_>, e: &mut AppointmentEvent) {
    let f = Field::AppointmentLocation;
    if apply_override(cx, msg, f, e) {
        return;
    }
    for c in siu_map::candidates(f, cx.band) {
        if c.how != How::Pl {
            continue;
        }
        let segs = idx.segs(c.seg);
        let mut chosen: Option<(String, PathRef)> = None;
        let mut disagree = false;
        for (i, s) in segs.iter().enumerate() {
            let Some(r) = s.field(c.field).and_then(|x| x.child(1)) else {
                continue;
            };
            if r.is_null() {
                continue;
            }
            let Some((v, suffix)) = pl_value(r) else {
                continue;
            };
            match &chosen {
                None => {
                    let p = path_of(c.seg, i + 1, segs.len(), c.field, None, Some(suffix.0))
                        .subcomp(suffix.1);
                    chosen = Some((v.into_owned(), p));
                }
                Some((v0, _)) => disagree |= *v0 != v,
            }
        }
        if let Some((v, p)) = chosen {
            if disagree {
                cx.warn(
                    "MAP_RESOURCES_DISAGREE",
                    format!("several {} segments (resource groups) name different locations; the first was used", c.seg),
                    f,
                );
            }
            if !descriptive(&v) {
                cx.warn(
                    "MAP_LOCATION_IS_CODE",
                    format!("{p} looks like a code rather than a place name; the SMS prints it as is (set defaults.appointmentLocation or hl7.fields.appointment_location)"),
                    f,
                );
            }
            e.appointment_location = v;
            cx.prov(
                f,
                Provenance::path(p, "first location: PL-1 if descriptive, else PL-9, PL-4.1"),
            );
            return;
        }
    }
    apply_default(cx, f, e, "no location in the message");
}

fn ei<'m>(seg: &SegView<'m>, field: usize) -> Option<(Cow<'m, str>, Option<Cow<'m, str>>)> {
    let r = seg.field(field)?.child(1)?;
    if r.is_null() {
        return None;
    }
    let id = val(r.child(1))?;
    Some((id, val(r.child(2))))
}

fn map_appointment_id(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &mut AppointmentEvent,
) {
    let f = Field::AppointmentId;
    let placer = idx.sch.as_ref().and_then(|s| ei(s, 1));
    let filler = idx.sch.as_ref().and_then(|s| ei(s, 2));
    cx.r.ids.placer_appointment_id = placer.as_ref().map(|(i, n)| EntityId {
        id: i.to_string(),
        namespace: n.as_deref().map(str::to_owned),
    });
    cx.r.ids.filler_appointment_id = filler.as_ref().map(|(i, n)| EntityId {
        id: i.to_string(),
        namespace: n.as_deref().map(str::to_owned),
    });
    if apply_override(cx, msg, f, e) {
        return;
    }
    #[allow(clippy::type_complexity)]
    let order: [(
        &Option<(Cow<'_, str>, Option<Cow<'_, str>>)>,
        &str,
        &'static str,
    ); 2] = match cx.profile.hl7.appointment_id {
        AppointmentIdChoice::Filler => [
            (
                &filler,
                "SCH-2.1",
                "filler appointment id (hl7.appointmentId = filler)",
            ),
            (&placer, "SCH-1.1", "no filler id: placer appointment id"),
        ],
        AppointmentIdChoice::Placer => [
            (
                &placer,
                "SCH-1.1",
                "placer appointment id (hl7.appointmentId = placer)",
            ),
            (&filler, "SCH-2.1", "no placer id: filler appointment id"),
        ],
    };
    for (v, path, rule) in order {
        if let Some((id, _)) = v {
            e.appointment_id = id.to_string();
            cx.prov(f, Provenance::path(path, rule));
            return;
        }
    }
    cx.prov(f, Provenance::none("no appointment id (SCH-1/SCH-2)"));
}

// ---- filters ----------------------------------------------------------------------------------

fn filter_value(msg: &Message<'_>, path: &str) -> Option<String> {
    let pp = Path::parse(path).ok()?;
    let el = query(msg, &pp)?;
    let el = if pp.component.is_none() { leaf(el) } else { el };
    val(Some(el)).map(Cow::into_owned)
}

fn apply_filters(
    cx: &Ctx<'_>,
    msg: &Message<'_>,
    e: &AppointmentEvent,
) -> Option<(String, String)> {
    let fl = &cx.profile.filters;
    if let Some(c) = &fl.sms_consent {
        if let Some(skip) = c.verdict(filter_value(msg, &c.path).as_deref()) {
            return Some(skip);
        }
    }
    #[allow(clippy::type_complexity)]
    let rules: [(
        &str,
        &Option<crate::profile::FilterRule>,
        Option<&str>,
        Option<&str>,
    ); 4] = [
        ("facility", &fl.facility, Some("MSH-4.1"), None),
        (
            "appointmentType",
            &fl.appointment_type,
            Some("SCH-8.1"),
            None,
        ),
        ("provider", &fl.provider, None, Some(e.provider_id.as_str())),
        (
            "location",
            &fl.location,
            None,
            Some(e.appointment_location.as_str()),
        ),
    ];
    for (name, rule, default_path, mapped) in rules {
        let Some(rule) = rule else { continue };
        let value: Option<String> = match (&rule.path, default_path, mapped) {
            (Some(p), _, _) => filter_value(msg, p),
            (None, Some(p), _) => filter_value(msg, p),
            (None, None, Some(m)) => (!m.is_empty()).then(|| m.to_owned()),
            _ => None,
        };
        if let Some(stop) = rule.verdict(name, value.as_deref().unwrap_or("")) {
            return Some(stop);
        }
    }
    None
}

fn sms_empty_warnings(cx: &mut Ctx<'_>, e: &AppointmentEvent, ev: EventType) {
    for (f, msg) in e.empty_sms_values(ev) {
        cx.warn("MAP_SMS_VALUE_EMPTY", msg, f);
    }
}

/// Map an input and report only the warning codes (tests, docs).
#[doc(hidden)]
pub fn warning_codes(r: &MapResult) -> Vec<&'static str> {
    r.warnings.iter().map(|w: &Warning| w.code).collect()
}
