//! `event_datetime_utc`, `appointment_datetime` and `appointment_timezone`: the message time, the
//! appointment start (TQ1 / SCH-11 / AIS …) and its localization in the sender's zone (DST gaps and
//! overlaps resolved and reported).

use super::view::{leaf, path_of, query, val, El, Idx, SegView};
use super::Ctx;
use crate::event::{AppointmentEvent, Field, Provenance, Source};
use crate::hl7::datetime::{DateTime, Offset, Precision};
use crate::hl7::{Message, Path};
use crate::inbound::siu_map;
use crate::time::{self, AmbiguousPolicy, Resolution};
use std::borrow::Cow;

pub(super) fn ts_at<'m>(seg: &SegView<'m>, field: usize, comp: usize) -> Option<El<'m>> {
    let f = seg.field(field)?;
    let rep = f.child(1)?;
    let c = rep.child(comp.max(1))?;
    c.child(1)
}

pub(super) fn map_event_time(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &mut AppointmentEvent,
) {
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
            cx.warn_with("MAP_BAD_DATETIME", f, || {
                format!("{path} is not a valid HL7 date/time; event_datetime_utc is empty")
            });
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
        cx.warn_with("MAP_EVENT_TIME_ASSUMED_UTC", f, || {
            format!("{path} has no UTC offset and the profile has no sender.timeZone: read as UTC")
        });
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

pub(super) fn dst_warning(cx: &mut Ctx<'_>, r: Resolution, f: Field) {
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

pub(super) struct StartFound {
    pub(super) dt: DateTime,
    pub(super) path: Source,
}

/// `appointment_datetime` and `appointment_timezone`: the starts the sources give (the profile's
/// paths, else the table's), the one to use, then its localization in the sender's zone.
pub(super) fn map_start(
    cx: &mut Ctx<'_>,
    msg: &Message<'_>,
    idx: &Idx<'_>,
    e: &mut AppointmentEvent,
) {
    let f = Field::AppointmentDatetime;
    let (found, resources_disagree) = match cx.profile.field_override(f) {
        Some(list) => (starts_from_override(cx, msg, list.paths()), None),
        None => starts_from_table(cx, idx),
    };
    let Some(chosen) = choose_start(cx, &found, resources_disagree) else {
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

/// The starts at the profile's `hl7.fields.appointment_datetime` paths (an invalid one is a
/// warning).
fn starts_from_override(cx: &mut Ctx<'_>, msg: &Message<'_>, paths: &[String]) -> Vec<StartFound> {
    let mut found = Vec::new();
    for p in paths {
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
            Err(_) => cx.warn_with("MAP_BAD_DATETIME", Field::AppointmentDatetime, || {
                format!("{p} is not a valid HL7 date/time; it was ignored")
            }),
        }
    }
    found
}

/// The first start of each source of the table, and the first resource segment kind whose
/// occurrences disagree. Senders repeat the same start in SCH/TQ1/AIS/AIL/AIP/AIG: each distinct
/// text is parsed once.
fn starts_from_table(cx: &mut Ctx<'_>, idx: &Idx<'_>) -> (Vec<StartFound>, Option<&'static str>) {
    let f = Field::AppointmentDatetime;
    let mut found: Vec<StartFound> = Vec::with_capacity(8);
    let mut resources_disagree: Option<&'static str> = None;
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
                    cx.warn_with("MAP_BAD_DATETIME", f, || {
                        format!("{path} is not a valid HL7 date/time; it was ignored")
                    });
                }
            }
        }
    }
    (found, resources_disagree)
}

/// The start to use: the first with minute precision or better, else the first (with a
/// warning); disagreeing resources and sources are warnings.
fn choose_start<'a>(
    cx: &mut Ctx<'_>,
    found: &'a [StartFound],
    resources_disagree: Option<&'static str>,
) -> Option<&'a StartFound> {
    let f = Field::AppointmentDatetime;
    let ci = found
        .iter()
        .position(|s| s.dt.precision >= Precision::Minute)
        .or(if found.is_empty() { None } else { Some(0) })?;
    let chosen = found.get(ci)?;
    if chosen.dt.precision < Precision::Minute {
        cx.warn_with("MAP_DATETIME_LOW_PRECISION", f, || {
            format!(
                "{} gives only a date or an hour; the missing parts are zero",
                chosen.path
            )
        });
    }
    if let Some(seg) = resources_disagree {
        cx.warn_with("MAP_RESOURCES_DISAGREE", f, || format!("several {seg} segments (resource groups) give different start times; the first was used"));
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
        cx.warn_with("MAP_SOURCES_DISAGREE", f, || {
            format!(
                "{} give(s) a different start time than {}; {} was used",
                others.join(", "),
                chosen.path,
                chosen.path
            )
        });
    }
    Some(chosen)
}

pub(super) fn same_time(a: &DateTime, b: &DateTime) -> bool {
    match (a.to_utc(), b.to_utc()) {
        (Some(x), Some(y)) => x == y,
        _ => a.local == b.local,
    }
}

pub(super) fn localize_start(
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
                cx.warn_with("MAP_OFFSET_NOT_SENDER_ZONE", f, || format!("{path} carries a UTC offset that is not the sender zone's offset at that time; the start was converted to the sender's zone"));
            }
            e.appointment_datetime = time::format_local(local);
            e.appointment_timezone = time::format_offset(m);
            if cx.full() {
                cx.r.ids.time_zone = Some(z.name().to_owned());
            }
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
                cx.warn_with("MAP_ZONE_UNKNOWN_OFFSET", tzf, || format!("{path} is written with -0000 (UTC, local offset unknown) and the profile has no sender.timeZone: the time is shown in UTC"));
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
                if cx.full() {
                    cx.r.ids.time_zone = Some(z.name().to_owned());
                }
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
