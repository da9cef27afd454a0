//! The `reminders` section of the profile: when the REMIND executions of an appointment go out
//! (docs/reminders.md). The planner is [`crate::remind`].
//!
//! ```json
//! "reminders": {
//!   "offsets": ["72h", "1d@18:00"],
//!   "window": { "start": "09:00", "end": "19:00", "days": ["mon", "tue", "wed", "thu", "fri", "sat"] },
//!   "outsideWindow": "earlier",
//!   "minNotice": "1h", "minSpacing": "1h", "lateGrace": "1h",
//!   "onConfirmed": "keep",
//!   "stockFlow": true
//! }
//! ```
//!
//! * `offsets`: before the appointment start. `72h`, `90m`, `2h30m` are elapsed time; `1d` is one
//!   calendar day earlier at the same wall-clock time in the appointment's zone (`1d2h`: then 2 h
//!   of elapsed time earlier); `1d@18:00` is 18:00 local on the day before, `0d@07:00` 07:00 on
//!   the day of the appointment. A wall time that falls in a DST gap or overlap is resolved like
//!   every other local time of the crate ([`crate::time::resolve_local`], `sender.ambiguousTime`).
//! * `window`: the outreach window in the patient's local time, both ends included (`24:00` is
//!   the end of the day); `days` are the days reminders may go out (default every day).
//! * `outsideWindow`: a reminder outside the window moves to the end of the last window before it
//!   (`earlier`, default), the start of the next one (`later`), or is dropped (`drop`).
//! * `minNotice` (default `1h`): on BOOKED and RESCHEDULED, a reminder due sooner than this after
//!   planning is skipped (`REMIND_TOO_CLOSE_TO_BOOKING`): the patient has just been texted.
//! * `minSpacing` (default `1h`, at least `2m`: the flow's reply window): a reminder due sooner
//!   than this after the previous one is skipped (`REMIND_TOO_CLOSE_TO_PREVIOUS`).
//! * `lateGrace` (default `1h`): how late a reminder may still be sent after its instant (a
//!   scheduler that was down); never after its outreach window closes or the appointment starts.
//! * `onConfirmed`: `keep` (default: CONFIRMED updates the reminders, as the AWS Lambda does) or
//!   `cancel` (a confirmed appointment gets no more reminders).
//! * `stockFlow` (default true): the PAM template's `save-remind` accepts two reminders per booking
//!   (QUEUED → REMINDED-1 → REMINDED-2, then `MAX_REMINDERS_REACHED` and no SMS), so at most two
//!   offsets are accepted; set false once the flow was changed to accept more.
//!
//! Durations (`minNotice`, `minSpacing`, `lateGrace`) are `h` and `m` parts (`1h`, `30m`, `0m`).
//! Errors are `PROFILE_BAD_VALUE` with a JSON pointer into `/reminders`.

mod spec;

use super::schema::Ty;
use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use spec::clock;
pub use spec::{parse_duration, parse_offset};

/// Day names of `window.days`, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const WINDOW: &[(&str, Ty)] = &[
    ("start", Ty::Str),
    ("end", Ty::Str),
    ("days", Ty::EnumList(&WEEKDAYS)),
];

/// The schema entries of the section (see the profile's schema table).
pub(super) const SCHEMA: &[(&str, Ty)] = &[
    ("offsets", Ty::StrList),
    ("window", Ty::Obj(WINDOW)),
    ("outsideWindow", Ty::Enum(&["earlier", "later", "drop"])),
    ("minNotice", Ty::Str),
    ("minSpacing", Ty::Str),
    ("lateGrace", Ty::Str),
    ("onConfirmed", Ty::Enum(&["keep", "cancel"])),
    ("stockFlow", Ty::Bool),
];

/// The most reminders the stock PAM flow accepts per booking (`save-remind`).
pub const STOCK_FLOW_MAX: usize = 2;
/// The most offsets a schedule may have.
pub const MAX_OFFSETS: usize = 10;
/// The longest offset, in days.
pub const MAX_OFFSET_DAYS: i64 = 400;
/// The PAM flow's send & wait reply window: another execution for the patient within it gets 409.
pub const REPLY_WINDOW_MS: i64 = 120_000;

/// `reminders` section (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reminders {
    /// Offsets before the appointment start (`72h`, `1d`, `1d@18:00`).
    #[serde(default)]
    pub offsets: Vec<String>,
    /// The outreach window (default: any time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// What a reminder outside the window becomes.
    #[serde(default)]
    pub outside_window: OutsideWindow,
    /// Minimum time between planning (a booking) and a reminder (default `1h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_notice: Option<String>,
    /// Minimum time between two reminders (default `1h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_spacing: Option<String>,
    /// How late a reminder may still be sent (default `1h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_grace: Option<String>,
    /// What CONFIRMED does to the remaining reminders.
    #[serde(default)]
    pub on_confirmed: OnConfirmed,
    /// The flow is the stock PAM template (at most two reminders).
    #[serde(default = "stock_flow_default")]
    pub stock_flow: bool,
}

fn stock_flow_default() -> bool {
    true
}

/// `reminders.window`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Window {
    /// `HH:MM`, local (default `00:00`).
    #[serde(default = "window_start_default")]
    pub start: String,
    /// `HH:MM` or `24:00`, local, included (default `24:00`).
    #[serde(default = "window_end_default")]
    pub end: String,
    /// Days reminders may go out (default every day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<Vec<String>>,
}

fn window_start_default() -> String {
    "00:00".into()
}

fn window_end_default() -> String {
    "24:00".into()
}

/// `reminders.outsideWindow`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OutsideWindow {
    /// To the end of the last window before it.
    #[default]
    Earlier,
    /// To the start of the next window.
    Later,
    /// Not sent (`REMIND_OUTSIDE_WINDOW`).
    Drop,
}

/// `reminders.onConfirmed`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OnConfirmed {
    /// The reminders stay (with the new snapshot).
    #[default]
    Keep,
    /// The pending reminders are cancelled.
    Cancel,
}

/// One parsed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offset {
    /// As written in the profile (part of the reminder id).
    pub spec: String,
    /// Calendar days earlier.
    pub days: i64,
    /// `@HH:MM`: that wall time (minutes after midnight) on the day, instead of the start's.
    pub at_minute: Option<u32>,
    /// Elapsed time earlier, after the calendar part, in ms.
    pub elapsed_ms: i64,
}

/// The parsed outreach window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowRule {
    /// Seconds after local midnight (included).
    pub start_s: u32,
    /// Seconds after local midnight (included; 86 400 = `24:00`).
    pub end_s: u32,
    /// Allowed days, Monday first.
    pub days: [bool; 7],
}

/// The section, parsed and checked: what the planner uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The offsets, in profile order.
    pub offsets: Vec<Offset>,
    /// The outreach window.
    pub window: Option<WindowRule>,
    /// What happens outside it.
    pub outside: OutsideWindow,
    /// `minNotice` in ms.
    pub min_notice_ms: i64,
    /// `minSpacing` in ms.
    pub min_spacing_ms: i64,
    /// `lateGrace` in ms.
    pub late_grace_ms: i64,
    /// `onConfirmed`.
    pub on_confirmed: OnConfirmed,
}

/// `PROFILE_BAD_VALUE` at `ptr`.
fn bad(ptr: String, msg: &str) -> Error {
    Error::new(ErrorCode::ProfileBadValue, msg.to_owned()).at_pointer(ptr)
}

impl Reminders {
    /// Parse and check the section (`PROFILE_BAD_VALUE` at a pointer into `/reminders`).
    pub fn schedule(&self) -> Result<Schedule> {
        let offsets = self.offsets()?;
        let window = self.window.as_ref().map(Window::rule).transpose()?;
        let min_notice_ms = duration(&self.min_notice, "minNotice")?;
        let min_spacing_ms = duration(&self.min_spacing, "minSpacing")?;
        let late_grace_ms = duration(&self.late_grace, "lateGrace")?;
        if min_spacing_ms < REPLY_WINDOW_MS {
            return Err(bad(
                "/reminders/minSpacing".into(),
                "at least 2m: a REMIND sent while the previous one waits for a reply (120 s) is refused with 409",
            ));
        }
        Ok(Schedule {
            offsets,
            window,
            outside: self.outside_window,
            min_notice_ms,
            min_spacing_ms,
            late_grace_ms,
            on_confirmed: self.on_confirmed,
        })
    }

    /// The offsets, parsed: at most 2 for the stock flow (else 10), each once.
    fn offsets(&self) -> Result<Vec<Offset>> {
        let limit = if self.stock_flow {
            STOCK_FLOW_MAX
        } else {
            MAX_OFFSETS
        };
        let mut offsets: Vec<Offset> = Vec::with_capacity(self.offsets.len());
        for (i, spec) in self.offsets.iter().enumerate() {
            let ptr = format!("/reminders/offsets/{i}");
            if i >= limit {
                return Err(bad(
                    ptr,
                    if self.stock_flow {
                        "the stock PAM flow accepts at most 2 reminders per booking (save-remind answers MAX_REMINDERS_REACHED and sends no SMS); set reminders.stockFlow to false once the flow accepts more"
                    } else {
                        "at most 10 offsets"
                    },
                ));
            }
            let o = parse_offset(spec).ok_or_else(|| {
                bad(
                    ptr.clone(),
                    "not an offset like 72h, 90m, 1d, 1d2h, 1d@18:00 or 0d@07:00 (at most 400 days)",
                )
            })?;
            if offsets.iter().any(|p| p.spec == o.spec) {
                return Err(bad(ptr, "the same offset is listed twice"));
            }
            offsets.push(o);
        }
        Ok(offsets)
    }
}

impl Window {
    /// The window, parsed: start before end (no span over midnight), at least one day, each once.
    fn rule(&self) -> Result<WindowRule> {
        let start = clock(&self.start, false).ok_or_else(|| {
            bad(
                "/reminders/window/start".into(),
                "not a local time like 09:00",
            )
        })?;
        let end = clock(&self.end, true).ok_or_else(|| {
            bad(
                "/reminders/window/end".into(),
                "not a local time like 19:00 (or 24:00)",
            )
        })?;
        if start >= end {
            return Err(bad(
                "/reminders/window/end".into(),
                "the window must end after it starts (it cannot span midnight)",
            ));
        }
        Ok(WindowRule {
            start_s: start * 60,
            end_s: end * 60,
            days: self.days()?,
        })
    }

    /// The allowed days, Monday first (every day when `days` is absent).
    fn days(&self) -> Result<[bool; 7]> {
        let mut days = [self.days.is_none(); 7];
        for (i, d) in self.days.iter().flatten().enumerate() {
            let ptr = format!("/reminders/window/days/{i}");
            let k = WEEKDAYS
                .iter()
                .position(|x| x == d)
                .ok_or_else(|| bad(ptr.clone(), "expected mon, tue, wed, thu, fri, sat or sun"))?;
            let slot = days.get_mut(k).ok_or_else(|| bad(ptr.clone(), "bad day"))?;
            if *slot {
                return Err(bad(ptr, "the same day is listed twice"));
            }
            *slot = true;
        }
        if !days.contains(&true) {
            return Err(bad(
                "/reminders/window/days".into(),
                "at least one day is needed",
            ));
        }
        Ok(days)
    }
}

/// A duration setting (default 1 h), at `/reminders/<name>`.
fn duration(v: &Option<String>, name: &str) -> Result<i64> {
    match v {
        None => Ok(3_600_000),
        Some(s) => parse_duration(s).ok_or_else(|| {
            bad(
                format!("/reminders/{name}"),
                "not a duration like 1h, 30m, 1h30m or 0m",
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> (String, String) {
        let e = crate::profile::Profile::from_json(json).unwrap_err();
        (
            e.code.as_str().to_owned(),
            e.position.and_then(|p| p.pointer).unwrap_or_default(),
        )
    }

    #[test]
    fn coded_errors_with_pointers() {
        for (json, ptr) in [
            (
                r#"{"reminders":{"offsets":["72h","24h","2h"]}}"#,
                "/reminders/offsets/2",
            ),
            (
                r#"{"reminders":{"offsets":["72h","72h"]}}"#,
                "/reminders/offsets/1",
            ),
            (
                r#"{"reminders":{"offsets":["3 days"]}}"#,
                "/reminders/offsets/0",
            ),
            (
                r#"{"reminders":{"window":{"start":"9:00"}}}"#,
                "/reminders/window/start",
            ),
            (
                r#"{"reminders":{"window":{"end":"25:00"}}}"#,
                "/reminders/window/end",
            ),
            (
                r#"{"reminders":{"window":{"start":"19:00","end":"09:00"}}}"#,
                "/reminders/window/end",
            ),
            (
                r#"{"reminders":{"window":{"days":["mon","mon"]}}}"#,
                "/reminders/window/days/1",
            ),
            (
                r#"{"reminders":{"window":{"days":[]}}}"#,
                "/reminders/window/days",
            ),
            (
                r#"{"reminders":{"window":{"days":["sunday"]}}}"#,
                "/reminders/window/days/0",
            ),
            (
                r#"{"reminders":{"minSpacing":"1m"}}"#,
                "/reminders/minSpacing",
            ),
            (
                r#"{"reminders":{"lateGrace":"1d"}}"#,
                "/reminders/lateGrace",
            ),
            (
                r#"{"reminders":{"minNotice":"soon"}}"#,
                "/reminders/minNotice",
            ),
            (
                r#"{"reminders":{"outsideWindow":"skip"}}"#,
                "/reminders/outsideWindow",
            ),
            (
                r#"{"reminders":{"stockFlow":"no"}}"#,
                "/reminders/stockFlow",
            ),
        ] {
            assert_eq!(
                err(json),
                ("PROFILE_BAD_VALUE".into(), ptr.into()),
                "{json}"
            );
        }
        assert_eq!(
            err(r#"{"reminders":{"offset":["72h"]}}"#),
            ("PROFILE_UNKNOWN_KEY".into(), "/reminders/offset".into())
        );
        let many = r#"{"reminders":{"offsets":["72h","24h","2h"],"stockFlow":false}}"#;
        let p = crate::profile::Profile::from_json(many).unwrap();
        let s = p.reminders.as_ref().unwrap().schedule().unwrap();
        assert_eq!(s.offsets.len(), 3);
        let j = serde_json::to_string(&p).unwrap();
        assert_eq!(crate::profile::Profile::from_json(&j).unwrap(), p);
    }

    #[test]
    fn defaults() {
        let p = crate::profile::Profile::from_json(
            r#"{"reminders":{"offsets":["24h"],"window":{"start":"09:00","end":"19:00"}}}"#,
        )
        .unwrap();
        let s = p.reminders.unwrap().schedule().unwrap();
        assert_eq!(
            (s.min_notice_ms, s.min_spacing_ms, s.late_grace_ms),
            (3_600_000, 3_600_000, 3_600_000)
        );
        assert_eq!(s.outside, OutsideWindow::Earlier);
        assert_eq!(s.on_confirmed, OnConfirmed::Keep);
        let w = s.window.unwrap();
        assert_eq!(
            (w.start_s, w.end_s, w.days),
            (9 * 3600, 19 * 3600, [true; 7])
        );
    }
}
