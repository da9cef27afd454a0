//! The profile's filters on an SIU message (SMS consent, facility, appointment type, provider,
//! location): a match is a `SKIP_FILTERED`.

use super::view::{leaf, query, val};
use super::Ctx;
use crate::event::AppointmentEvent;
use crate::hl7::{Message, Path};
use std::borrow::Cow;

pub(super) fn filter_value(msg: &Message<'_>, path: &str) -> Option<String> {
    let pp = Path::parse(path).ok()?;
    let el = query(msg, &pp)?;
    let el = if pp.component.is_none() { leaf(el) } else { el };
    val(Some(el)).map(Cow::into_owned)
}

pub(super) fn apply_filters(
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
