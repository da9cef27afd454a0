//! The event type: trigger → event (S12 → BOOKED …, `hl7.events` overrides) and the filler status
//! (SCH-25) check that may confirm, cancel or question it.

use super::view::{query, val, Idx};
use super::Ctx;
use crate::event::{EventType, Field, Provenance};
use crate::hl7::{Level, Message, Path};
use crate::profile::Profile;
use std::borrow::Cow;

pub(super) fn default_event(trigger: &str) -> Option<EventType> {
    Some(match trigger {
        "S12" => EventType::Booked,
        "S13" => EventType::Rescheduled,
        "S14" => EventType::Modified,
        "S15" | "S16" | "S17" => EventType::Canceled,
        "S26" => EventType::Noshowed,
        _ => return None,
    })
}

pub(super) fn trigger_rule(trigger: &str) -> &'static str {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
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
    pub(super) fn describe(self) -> &'static str {
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

pub(super) fn classify_status(s: &str, profile: &Profile) -> Status {
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

pub(super) fn status_check(
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
        cx.warn_with("MAP_STATUS_UNRECOGNIZED", Field::EventType, || format!("the filler status ({path}) is not a table 0278 value or a configured confirmed status; the trigger decides"));
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
        cx.warn_with("MAP_EVENT_STATUS_MISMATCH", Field::EventType, || {
            format!(
                "the filler status ({path}) says {} but the trigger says {}; the trigger decides{}",
                st.describe(),
                event.as_str(),
                if trig == "S14" && matches!(st, Status::Cancelled | Status::Noshow) {
                    " (set hl7.statusOverridesEvent to follow the status)"
                } else {
                    ""
                }
            )
        });
    }
    event
}
