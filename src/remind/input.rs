//! What the planner reads: a [`Subject`] (borrowed: a mapping result or bare Table B values) or a
//! [`PlanInput`] (owned, read from JSON by the JavaScript and CLI entry points).

use crate::error::{Error, ErrorCode, Result};
use crate::event::{AppointmentEvent, MapResult};
use serde::Deserialize;

/// What the planner is given: the mapping's event (or, for a skip, its code and draft) and the
/// IANA zone the mapper resolved (`ids.timeZone`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    /// The event to send.
    pub event: Option<&'a AppointmentEvent>,
    /// The skip code when there is no event.
    pub skip_code: Option<&'a str>,
    /// The values of a skipped input (filters, no mobile phone).
    pub draft: Option<&'a AppointmentEvent>,
    /// `ids.timeZone`.
    pub time_zone: Option<&'a str>,
}

impl<'a> Subject<'a> {
    /// A mapping result.
    pub fn from_result(r: &'a MapResult) -> Self {
        Subject {
            event: r.event.as_ref(),
            skip_code: r.skip.as_ref().map(|s| s.code),
            draft: r.draft.as_ref(),
            time_zone: r.ids.time_zone.as_deref(),
        }
    }

    /// A bare event (Table B values, e.g. a stored snapshot); the zone is `time_zone`, else the
    /// profile's `sender.timeZone`.
    pub fn event(e: &'a AppointmentEvent, time_zone: Option<&'a str>) -> Self {
        Subject {
            event: Some(e),
            time_zone,
            ..Default::default()
        }
    }
}

/// A planner input as JSON: a `MapResult` (`{event, skip, draft, ids, …}`) or bare Table B
/// values (`{event_type, …}`), owned (the JavaScript and CLI entry points).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanInput {
    /// The event.
    pub event: Option<AppointmentEvent>,
    /// The skip code.
    pub skip_code: Option<String>,
    /// The draft of a skip.
    pub draft: Option<AppointmentEvent>,
    /// `ids.timeZone`.
    pub time_zone: Option<String>,
}

impl PlanInput {
    /// Read a `MapResult` or Table B values as JSON text (`JSON_INVALID`, `BAD_ARGUMENT` or
    /// `MAP_BAD_EVENT` otherwise): the 14 Table B keys (exactly), else a MapResult's `event`,
    /// `skip`, `draft` and `ids` (other keys are ignored).
    pub fn from_json(text: &str) -> Result<PlanInput> {
        #[derive(Deserialize)]
        struct SkipIn {
            code: String,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct IdsIn {
            #[serde(default)]
            time_zone: Option<String>,
        }
        #[derive(Deserialize)]
        struct ResultIn {
            #[serde(default)]
            event: Option<AppointmentEvent>,
            #[serde(default)]
            skip: Option<SkipIn>,
            #[serde(default)]
            draft: Option<AppointmentEvent>,
            #[serde(default)]
            ids: Option<IdsIn>,
            /// Present: these were meant as Table B values, and they are not.
            #[serde(default)]
            event_type: Option<serde::de::IgnoredAny>,
        }
        // Table B values reject any other key, so a MapResult fails at its first key.
        if let Ok(e) = serde_json::from_str::<AppointmentEvent>(text) {
            return Ok(PlanInput {
                event: Some(e),
                ..Default::default()
            });
        }
        let r: ResultIn = serde_json::from_str(text).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                Error::new(ErrorCode::JsonInvalid, "the event is not valid JSON")
            } else {
                Error::new(
                    ErrorCode::BadArgument,
                    "the event must be Table B values (the 14 keys, all strings) or a MapResult (event / draft as Table B values or null, skip as {code}, ids as an object)",
                )
            }
        })?;
        if r.event_type.is_some() {
            return Err(Error::new(
                ErrorCode::MapBadEvent,
                "Table B values must be the 14 keys, all strings, and no other key",
            ));
        }
        Ok(PlanInput {
            event: r.event,
            skip_code: r.skip.map(|s| s.code),
            draft: r.draft,
            time_zone: r.ids.and_then(|i| i.time_zone),
        })
    }

    /// The planner's view of it.
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            event: self.event.as_ref(),
            skip_code: self.skip_code.as_deref(),
            draft: self.draft.as_ref(),
            time_zone: self.time_zone.as_deref(),
        }
    }
}
