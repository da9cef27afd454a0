//! Event and appointment times: `event_datetime_utc` from a date-time text or the host's clock,
//! and the DST-aware localization of the start (`appointment_datetime`, `appointment_timezone`) in
//! the zone that applies ([`ZoneChoice`]).

use super::{parse_iso, Cx, Iso, Prec};
use crate::event::{AppointmentEvent, Field, Provenance, Source};
use crate::time::Tz;
use crate::time::{self, AmbiguousPolicy, Resolution};

impl Cx<'_> {
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

    /// `appointment_datetime` and `appointment_timezone` from a start time (see the
    /// `inbound::common` module docs for the rules). `zone` is the IANA zone that applies, with its
    /// provenance.
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
}

/// A zone that applies, with its provenance.
pub(crate) struct ZoneChoice {
    pub tz: Tz,
    pub src: Source,
    pub start_rule: &'static str,
}
