//! Subscription notifications: the status entry of an R4 backport notification (a `Parameters`
//! resource, profile `backport-subscription-status-r4`), an R4B backport or R5 notification (a
//! `SubscriptionStatus`), and their notification events (timestamp, focus, additional context).

use super::index::{read_reference, Reference, Res};
use crate::error::Result;
use crate::inbound::json::{arr_at, bad_type, id_at, obj_at, str_at};
use crate::pointer::Ptr;
use serde_json::Value;

/// One notification event.
pub(crate) struct NotifEvent<'v> {
    /// `notificationEvent.id` (athena: de-duplication key).
    pub id: Option<&'v str>,
    /// `eventNumber` / `event-number`.
    pub number: Option<String>,
    /// The event timestamp and its pointer.
    pub timestamp: Option<(&'v str, String)>,
    /// The focus and its pointer.
    pub focus: Option<(Reference<'v>, String)>,
    /// Additional context references.
    pub context: Vec<(Reference<'v>, String)>,
}

/// The status part of a notification.
pub(crate) struct Notification<'v> {
    /// `event-notification`, `handshake`, `heartbeat`, `query-status`, `query-event`.
    pub ntype: Option<&'v str>,
    /// Pointer of the type element.
    pub ntype_ptr: String,
    /// The topic canonical and its pointer.
    pub topic: Option<(&'v str, String)>,
    pub events: Vec<NotifEvent<'v>>,
}

/// Whether a `Parameters` resource is a backport subscription status.
pub(crate) fn is_backport_parameters(v: &Value) -> bool {
    v.get("parameter")
        .and_then(Value::as_array)
        .is_some_and(|ps| {
            let has = |n: &str| {
                ps.iter()
                    .any(|p| p.get("name").and_then(Value::as_str) == Some(n))
            };
            has("type") && (has("subscription") || has("topic"))
        })
}

/// Read the status resource (Parameters or SubscriptionStatus).
pub(crate) fn read<'v>(res: &Res<'v>) -> Result<Option<Notification<'v>>> {
    let rp = Ptr::root(&res.ptr);
    match res.rtype {
        "Parameters" if is_backport_parameters(res.v) => read_parameters(res.v, &rp).map(Some),
        "SubscriptionStatus" => read_status(res.v, &rp).map(Some),
        _ => Ok(None),
    }
}

fn read_status<'v>(v: &'v Value, p: &Ptr<'_>) -> Result<Notification<'v>> {
    let mut n = Notification {
        ntype: str_at(v, "type", p)?,
        ntype_ptr: p.key("type").render(),
        topic: str_at(v, "topic", p)?.map(|t| (t, p.key("topic").render())),
        events: Vec::new(),
    };
    let ep = p.key("notificationEvent");
    for (i, e) in arr_at(v, "notificationEvent", p)?.iter().enumerate() {
        let eip = ep.idx(i);
        if !e.is_object() {
            return Err(bad_type(&eip, "a notification event (object)"));
        }
        let focus = match obj_at(e, "focus", &eip)? {
            Some(f) => {
                let fp = eip.key("focus");
                Some((read_reference(f, &fp)?, fp.render()))
            }
            None => None,
        };
        let mut context = Vec::new();
        let cp = eip.key("additionalContext");
        for (j, c) in arr_at(e, "additionalContext", &eip)?.iter().enumerate() {
            let cjp = cp.idx(j);
            context.push((read_reference(c, &cjp)?, cjp.render()));
        }
        n.events.push(NotifEvent {
            id: str_at(e, "id", &eip)?,
            number: id_at(e, "eventNumber", &eip)?,
            timestamp: str_at(e, "timestamp", &eip)?.map(|t| (t, eip.key("timestamp").render())),
            focus,
            context,
        });
    }
    Ok(n)
}

fn read_parameters<'v>(v: &'v Value, p: &Ptr<'_>) -> Result<Notification<'v>> {
    let mut n = Notification {
        ntype: None,
        ntype_ptr: String::new(),
        topic: None,
        events: Vec::new(),
    };
    let pp = p.key("parameter");
    for (i, prm) in arr_at(v, "parameter", p)?.iter().enumerate() {
        let ip = pp.idx(i);
        if !prm.is_object() {
            return Err(bad_type(&ip, "a parameter (object)"));
        }
        match str_at(prm, "name", &ip)? {
            Some("type") => {
                n.ntype = str_at(prm, "valueCode", &ip)?;
                n.ntype_ptr = ip.key("valueCode").render();
            }
            Some("topic") => {
                n.topic = str_at(prm, "valueCanonical", &ip)?
                    .or(str_at(prm, "valueUri", &ip)?)
                    .map(|t| (t, ip.key("valueCanonical").render()));
            }
            Some("notification-event") => {
                let mut ev = NotifEvent {
                    id: None,
                    number: None,
                    timestamp: None,
                    focus: None,
                    context: Vec::new(),
                };
                let partp = ip.key("part");
                for (j, part) in arr_at(prm, "part", &ip)?.iter().enumerate() {
                    let jp = partp.idx(j);
                    if !part.is_object() {
                        return Err(bad_type(&jp, "a parameter part (object)"));
                    }
                    match str_at(part, "name", &jp)? {
                        Some("event-number") => {
                            ev.number = match id_at(part, "valueString", &jp)? {
                                Some(s) => Some(s),
                                None => id_at(part, "valueUnsignedInt", &jp)?,
                            };
                        }
                        Some("timestamp") => {
                            ev.timestamp = str_at(part, "valueInstant", &jp)?
                                .map(|t| (t, jp.key("valueInstant").render()));
                        }
                        Some("focus") => {
                            if let Some(r) = obj_at(part, "valueReference", &jp)? {
                                let rp = jp.key("valueReference");
                                ev.focus = Some((read_reference(r, &rp)?, rp.render()));
                            }
                        }
                        Some("additional-context") => {
                            if let Some(r) = obj_at(part, "valueReference", &jp)? {
                                let rp = jp.key("valueReference");
                                ev.context.push((read_reference(r, &rp)?, rp.render()));
                            }
                        }
                        _ => {}
                    }
                }
                n.events.push(ev);
            }
            _ => {}
        }
    }
    Ok(n)
}
