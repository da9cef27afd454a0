//! Patching the PAM Studio flow definition (`studio-flow-template.json`) before it is deployed.
//!
//! 1. **The `confirm_booked` bug.** Each `split-based-on` widget routes a reply text (`"CONFIRM
//!    APPT"`, `"CANCEL APPT"`) to a `make-http-request` widget. When the reply text says CANCEL but
//!    the request body's `"event_type"` says `Confirm` (or the reverse), the literal is corrected
//!    (`Cancel` / `Confirm`). In the real template exactly one widget changes: `confirm_booked`.
//!    The graph is read from the transitions, not from widget names.
//! 2. **`IE_ENDPOINT`.** The `set-variables` entry `IE_ENDPOINT` (shipped as
//!    `https://you_ehr_endpoint_url.com/inbound`, never set by the deploy script) gets the given
//!    URL. It must be an absolute `https://` URL (`http://` is accepted with a warning) without
//!    spaces or Liquid markup.
//! 3. **JSON escaping of the body values.** The template writes `"appointment_id":
//!    "{{flow.data.appointment_id}}"`; an id containing `"` or `\` makes the body invalid JSON and
//!    the reply is lost. With `valueEscaping: "toJson"` (default) every quoted whole-value Liquid
//!    output `"{{expr}}"` in a JSON request body becomes `{{expr | to_json}}`.
//!    *Evidence for the filter:* Twilio's Liquid page could not be read in full here; the `to_json`
//!    filter is used inside JSON attributes of production Studio flows (techmatters/flex-plugins
//!    PRs #1775 and #1794, `{{trigger.message.ChannelAttributes.memory | to_json}}`) and a Studio
//!    FAQ shows `{{ flow.data | to_json }} #=> {"foo":"bar","baz":"bat"}`. Its output for a plain
//!    string (a quoted JSON string, as in other Liquid dialects) is inferred, not documented, so the
//!    result carries the warning `FLOW_PATCH_TO_JSON_UNVERIFIED`: run one test execution after
//!    publishing. The safe alternative, `valueEscaping: "none"`, keeps the template's quoting and
//!    relies on ids never containing `"`, `\` or control characters — which the outbound mapping
//!    must guarantee anyway (Studio contract §8.5).
//! 4. `add_twilio_auth: true` on a request widget is switched off (it would send the account's
//!    Twilio credentials to the EHR endpoint).
//!
//! The result is the whole flow as pretty-printed JSON (object keys in serde_json's sorted order;
//! the `states` array, transitions and every value are kept) plus `changes: [{widget, property,
//! before, after}]`. Patching is idempotent: a second run reports no changes.

use crate::error::{Error, ErrorCode, Result, Warning};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How request-body values are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ValueEscaping {
    /// Rewrite `"{{expr}}"` to `{{expr | to_json}}`.
    #[default]
    ToJson,
    /// Leave the bodies' value quoting as it is.
    None,
}

/// Options. JSON: `{ieEndpoint?: string, fixConfirmBooked?: bool (default true),
/// valueEscaping?: "toJson" | "none"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlowPatchOptions {
    /// New value of the `IE_ENDPOINT` flow variable.
    #[serde(default)]
    pub ie_endpoint: Option<String>,
    /// Correct request bodies whose `event_type` contradicts the reply that leads to them.
    #[serde(default = "yes")]
    pub fix_confirm_booked: bool,
    /// Escaping of body values.
    #[serde(default)]
    pub value_escaping: ValueEscaping,
}

fn yes() -> bool {
    true
}

impl Default for FlowPatchOptions {
    fn default() -> Self {
        FlowPatchOptions {
            ie_endpoint: None,
            fix_confirm_booked: true,
            value_escaping: ValueEscaping::ToJson,
        }
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowChange {
    /// Widget (state) name.
    pub widget: String,
    /// What changed: `body.event_type`, `body.<key>`, `variables.IE_ENDPOINT`, `add_twilio_auth`.
    pub property: String,
    /// Old value.
    pub before: String,
    /// New value.
    pub after: String,
}

/// Result of [`patch_studio_flow`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowPatchResult {
    /// The patched flow definition (pretty-printed JSON).
    pub flow: String,
    /// What changed, in document order.
    pub changes: Vec<FlowChange>,
    /// Non-fatal findings.
    pub warnings: Vec<Warning>,
}

fn failed(msg: &str) -> Error {
    Error::new(ErrorCode::FlowPatchFailed, msg.to_owned())
}

/// Patch a Studio flow definition (see the module docs).
///
/// ```
/// use ehr_studio_bridge::reply::{patch_studio_flow, FlowPatchOptions};
/// let flow = std::fs::read_to_string("tests/fixtures/twilio/studio-flow-template.json").unwrap();
/// let opts = FlowPatchOptions { ie_endpoint: Some("https://ehr.example.org/pam/replies".into()), ..Default::default() };
/// let out = patch_studio_flow(&flow, &opts).unwrap();
/// assert!(out.changes.iter().any(|c| c.widget == "confirm_booked" && c.after == "Cancel"));
/// assert!(patch_studio_flow(&out.flow, &opts).unwrap().changes.is_empty());
/// ```
pub fn patch_studio_flow(flow_json: &str, opts: &FlowPatchOptions) -> Result<FlowPatchResult> {
    let mut flow: Value = serde_json::from_str(flow_json).map_err(|e| {
        failed(&format!(
            "the flow is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let mut changes = Vec::new();
    let mut warnings = Vec::new();
    let endpoint = match &opts.ie_endpoint {
        Some(u) => Some(check_endpoint(u, &mut warnings)?),
        None => None,
    };
    let states = flow
        .get_mut("states")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| failed("the flow has no states array"))?;
    if opts.fix_confirm_booked {
        fix_event_types(states, &mut changes);
    }
    if let Some(url) = endpoint {
        set_ie_endpoint(states, &url, &mut changes)?;
    }
    if patch_request_widgets(states, opts.value_escaping, &mut changes) {
        warnings.push(Warning::new(
            "FLOW_PATCH_TO_JSON_UNVERIFIED",
            "request bodies now use Liquid's to_json filter; its output for plain strings is not documented by Twilio: publish, then run one test execution and check the request your endpoint receives",
        ));
    }
    let text = serde_json::to_string_pretty(&flow)
        .map_err(|_| failed("the patched flow could not be serialised"))?;
    Ok(FlowPatchResult {
        flow: text,
        changes,
        warnings,
    })
}

/// The reply each request widget answers: the widget a split's CANCEL-only or CONFIRM-only
/// transition leads to, with `Cancel` or `Confirm`.
fn intended_replies(states: &[Value]) -> Vec<(String, &'static str)> {
    let mut intended = Vec::new();
    for s in states {
        if s.get("type").and_then(Value::as_str) != Some("split-based-on") {
            continue;
        }
        for t in s
            .get("transitions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(next) = t.get("next").and_then(Value::as_str) else {
                continue;
            };
            let values: Vec<String> = t
                .get("conditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("value").and_then(Value::as_str))
                .map(str::to_ascii_uppercase)
                .collect();
            let cancel = values.iter().any(|v| v.contains("CANCEL"));
            let confirm = values.iter().any(|v| v.contains("CONFIRM"));
            match (cancel, confirm) {
                (true, false) => intended.push((next.to_owned(), "Cancel")),
                (false, true) => intended.push((next.to_owned(), "Confirm")),
                _ => {}
            }
        }
    }
    intended
}

/// Step 1: each request widget's `event_type` matches the reply that leads to it (the
/// template's `confirm_booked` sends `Confirm` for a CANCEL).
fn fix_event_types(states: &mut [Value], changes: &mut Vec<FlowChange>) {
    let intended = intended_replies(states);
    for (name, s) in widgets_mut(states, "make-http-request") {
        let Some(want) = intended.iter().find(|(n, _)| *n == name).map(|(_, w)| *w) else {
            continue;
        };
        let Some(body) = s.pointer_mut("/properties/body") else {
            continue;
        };
        let Some(text) = body.as_str() else { continue };
        let Some((start, end)) = find_string_value(text, "event_type") else {
            continue;
        };
        let current = text.get(start..end).unwrap_or("");
        if current.eq_ignore_ascii_case(want) {
            continue;
        }
        let new_body = format!(
            "{}{}{}",
            text.get(..start).unwrap_or(""),
            want,
            text.get(end..).unwrap_or("")
        );
        changes.push(FlowChange {
            widget: name.clone(),
            property: "body.event_type".into(),
            before: current.to_owned(),
            after: want.to_owned(),
        });
        *body = Value::String(new_body);
    }
}

/// Step 2: `IE_ENDPOINT` in the set-variables widgets (an error when none defines it).
fn set_ie_endpoint(states: &mut [Value], url: &str, changes: &mut Vec<FlowChange>) -> Result<()> {
    let mut found = false;
    for (name, s) in widgets_mut(states, "set-variables") {
        let vars = s
            .pointer_mut("/properties/variables")
            .and_then(Value::as_array_mut);
        for v in vars.into_iter().flatten() {
            if v.get("key").and_then(Value::as_str) != Some("IE_ENDPOINT") {
                continue;
            }
            found = true;
            let before = v
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if before != url {
                if let Some(o) = v.as_object_mut() {
                    o.insert("value".into(), Value::String(url.to_owned()));
                }
                changes.push(FlowChange {
                    widget: name.clone(),
                    property: "variables.IE_ENDPOINT".into(),
                    before,
                    after: url.to_owned(),
                });
            }
        }
    }
    if found {
        Ok(())
    } else {
        Err(failed("no set-variables widget defines IE_ENDPOINT"))
    }
}

/// Steps 3 and 4: request widgets get `add_twilio_auth` off and (with `valueEscaping: toJson`)
/// the values of their JSON bodies escaped with `to_json`. Returns whether a body was escaped.
fn patch_request_widgets(
    states: &mut [Value],
    escaping: ValueEscaping,
    changes: &mut Vec<FlowChange>,
) -> bool {
    let mut escaped_any = false;
    for (name, s) in widgets_mut(states, "make-http-request") {
        let Some(props) = s.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        if props.get("add_twilio_auth").and_then(Value::as_bool) == Some(true) {
            props.insert("add_twilio_auth".into(), Value::Bool(false));
            changes.push(FlowChange {
                widget: name.clone(),
                property: "add_twilio_auth".into(),
                before: "true".into(),
                after: "false".into(),
            });
        }
        let json_body = props
            .get("content_type")
            .and_then(Value::as_str)
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"));
        if escaping != ValueEscaping::ToJson || !json_body {
            continue;
        }
        let Some(text) = props.get("body").and_then(Value::as_str) else {
            continue;
        };
        let (new_text, edits) = escape_liquid_values(text);
        if !edits.is_empty() {
            escaped_any = true;
            for (key, before, after) in edits {
                changes.push(FlowChange {
                    widget: name.clone(),
                    property: format!("body.{key}"),
                    before,
                    after,
                });
            }
            props.insert("body".into(), Value::String(new_text));
        }
    }
    escaped_any
}

/// The flow's widgets of one `type`, each with its `name` (empty when absent).
fn widgets_mut<'a>(
    states: &'a mut [Value],
    ty: &'a str,
) -> impl Iterator<Item = (String, &'a mut Value)> + 'a {
    states
        .iter_mut()
        .filter(move |s| s.get("type").and_then(Value::as_str) == Some(ty))
        .map(|s| {
            let name = s
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            (name, s)
        })
}

fn check_endpoint(u: &str, warnings: &mut Vec<Warning>) -> Result<String> {
    let u = u.trim();
    let lower = u.to_ascii_lowercase();
    let https = lower.starts_with("https://");
    let http = lower.starts_with("http://");
    let host_len = u
        .split("//")
        .nth(1)
        .map_or(0, |r| r.split(['/', '?', '#']).next().unwrap_or("").len());
    if !(https || http)
        || host_len == 0
        || u.len() > 2048
        || u.chars().any(|c| c.is_whitespace() || c.is_control())
        || u.contains("{{")
        || u.contains("{%")
    {
        return Err(failed(
            "ieEndpoint must be an absolute https URL without spaces or Liquid markup",
        ));
    }
    if http {
        warnings.push(Warning::new(
            "FLOW_PATCH_INSECURE_ENDPOINT",
            "IE_ENDPOINT uses http: replies carry patient identifiers and must travel over HTTPS",
        ));
    }
    let authority = u
        .split("//")
        .nth(1)
        .and_then(|r| r.split(['/', '?', '#']).next())
        .unwrap_or("");
    if authority.contains('@') {
        warnings.push(Warning::new(
            "FLOW_PATCH_CREDENTIALS_IN_URL",
            "IE_ENDPOINT carries user:password credentials; they are stored in the flow definition and are part of the signed URL",
        ));
    }
    Ok(u.to_owned())
}

/// Byte range of the string value of `"key": "<value>"` in a body template.
fn find_string_value(text: &str, key: &str) -> Option<(usize, usize)> {
    let needle = format!("\"{key}\"");
    let k = text.find(&needle)?;
    let mut i = k + needle.len();
    let b = text.as_bytes();
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let len = text.get(start..)?.find('"')?;
    Some((start, start + len))
}

/// Rewrite `"{{expr}}"` (a whole JSON string value that is one Liquid output) to
/// `{{expr | to_json}}`. Returns the new text and `(key, before, after)` per edit.
fn escape_liquid_values(text: &str) -> (String, Vec<(String, String, String)>) {
    let mut out = String::with_capacity(text.len() + 64);
    let mut edits = Vec::new();
    let mut rest = text;
    while let Some(p) = rest.find("\"{{") {
        let (head, tail) = rest.split_at(p);
        out.push_str(head);
        let inner_start = 3;
        let close = tail.get(inner_start..).and_then(|t| t.find("}}"));
        let Some(close) = close else {
            out.push_str(tail);
            rest = "";
            break;
        };
        let expr = tail.get(inner_start..inner_start + close).unwrap_or("");
        let after_close = inner_start + close + 2;
        let quoted_end = tail.as_bytes().get(after_close) == Some(&b'"');
        let simple = !expr.contains('"') && !expr.contains("{{") && !expr.contains("to_json");
        if quoted_end && simple {
            let before = tail.get(..after_close + 1).unwrap_or("").to_owned();
            let after = format!("{{{{{} | to_json}}}}", expr.trim());
            edits.push((key_before(&out), before, after.clone()));
            out.push_str(&after);
            rest = tail.get(after_close + 1..).unwrap_or("");
        } else {
            out.push('"');
            rest = tail.get(1..).unwrap_or("");
        }
    }
    out.push_str(rest);
    (out, edits)
}

/// The JSON key just before the current position (`"key": ` at the end of `text`).
fn key_before(text: &str) -> String {
    let t = text.trim_end();
    let t = t.strip_suffix(':').unwrap_or(t).trim_end();
    let t = t.strip_suffix('"').unwrap_or(t);
    match t.rfind('"') {
        Some(q) => t.get(q + 1..).unwrap_or("").to_owned(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_rewrites_only_whole_values() {
        let (t, e) = escape_liquid_values(
            "{\n\"a\": \"{{flow.data.a}}\",\n\"b\": \"x{{flow.data.b}}\",\n\"c\": \"Confirm\"\n}",
        );
        assert_eq!(t, "{\n\"a\": {{flow.data.a | to_json}},\n\"b\": \"x{{flow.data.b}}\",\n\"c\": \"Confirm\"\n}");
        assert_eq!(
            e,
            vec![(
                "a".into(),
                "\"{{flow.data.a}}\"".into(),
                "{{flow.data.a | to_json}}".into()
            )]
        );
        let (t2, e2) = escape_liquid_values(&t);
        assert_eq!(t2, t);
        assert!(e2.is_empty());
    }

    #[test]
    fn endpoint_checks() {
        let mut w = Vec::new();
        assert!(check_endpoint("https://a.example/x?y=1", &mut w).is_ok());
        assert!(w.is_empty());
        assert!(check_endpoint("http://u:p@a.example/", &mut w).is_ok());
        assert_eq!(w.len(), 2);
        for bad in [
            "ftp://a/",
            "https://",
            "https://a b/",
            "https://a/{{x}}",
            "a.example",
        ] {
            assert_eq!(
                check_endpoint(bad, &mut w).unwrap_err().code,
                ErrorCode::FlowPatchFailed
            );
        }
    }

    #[test]
    fn not_a_flow() {
        for bad in ["", "[]", "{\"states\": 1}"] {
            assert_eq!(
                patch_studio_flow(bad, &FlowPatchOptions::default())
                    .unwrap_err()
                    .code,
                ErrorCode::FlowPatchFailed
            );
        }
        let e = patch_studio_flow(
            "{\"states\": []}",
            &FlowPatchOptions {
                ie_endpoint: Some("https://a/".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::FlowPatchFailed);
    }
}
