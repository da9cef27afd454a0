//! The Studio side: the PAM flow's parameter rules ([`params`]), sanitization ([`sanitize`]) and the
//! v2 Executions request ([`build_studio_execution`]).
//!
//! ```
//! use ehr_studio_bridge::{event::AppointmentEvent, studio::{build_studio_execution, StudioConfig, Credentials}};
//! let e = AppointmentEvent {
//!     event_type: "BOOKED".into(), event_datetime_utc: "2025-03-05T19:30:12Z".into(),
//!     patient_id: "MRN0012345".into(), patient_first_name: "JANE".into(), patient_last_name: "DOE".into(),
//!     patient_phone: "+16175550143".into(), provider_id: "1234567".into(),
//!     provider_first_name: "MARCUS".into(), provider_last_name: "WELBY".into(),
//!     provider_callback_phone: "(617) 555-0100".into(), appointment_location: "Cardiology and Vascular Clinic".into(),
//!     appointment_id: "FIL7788".into(), appointment_datetime: "2025-03-10T08:30:00".into(),
//!     appointment_timezone: "-0400".into(),
//! };
//! let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
//! let req = build_studio_execution(&e, &cfg, None).unwrap();
//! assert_eq!(req.url, "https://studio.twilio.com/v2/Flows/FW0123456789abcdef0123456789abcdef/Executions");
//! assert!(req.body.starts_with("To=%2B16175550143&From=%2B15017122661&Parameters=%7B%22event_type%22"));
//! assert!(req.headers.authorization.is_none());
//! let creds = Credentials { username: "SK0123456789abcdef0123456789abcdef".into(), password: "secret".into() };
//! let req = build_studio_execution(&e, &cfg, Some(&creds)).unwrap();
//! assert!(req.headers.authorization.as_deref().unwrap().starts_with("Basic "));
//! assert!(!req.curl.contains("secret"));
//! ```

#[doc(hidden)]
pub mod lean;
pub mod params;
pub mod request;
pub mod sanitize;

use crate::error::{Error, ErrorCode, Result};
use crate::event::{AppointmentEvent, Field};
use serde::{Deserialize, Serialize};

/// The default API origin.
pub const DEFAULT_BASE_URL: &str = "https://studio.twilio.com";

/// Which flow to start and from which number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StudioConfig {
    /// The flow SID: `FW` + 32 hex digits.
    pub flow_sid: String,
    /// The Twilio number (E.164) or Messaging Service SID (`MG` + 32 hex) whose inbound webhook is
    /// the flow, so that replies reach the execution.
    pub from: String,
    /// API origin (default `https://studio.twilio.com`; a test server may be `http://127.0.0.1:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

impl StudioConfig {
    /// A config with the default origin.
    pub fn new(flow_sid: impl Into<String>, from: impl Into<String>) -> Self {
        StudioConfig {
            flow_sid: flow_sid.into(),
            from: from.into(),
            base_url: None,
        }
    }

    /// Check the SIDs, numbers and origin (`STUDIO_BAD_CONFIG` / `STUDIO_BAD_PHONE`, with a JSON
    /// pointer to the key).
    pub fn validate(&self) -> Result<()> {
        if !is_sid(&self.flow_sid, "FW") {
            return Err(Error::new(
                ErrorCode::StudioBadConfig,
                "flowSid must be FW followed by 32 hexadecimal digits",
            )
            .at_pointer("/flowSid"));
        }
        if !(is_e164(&self.from) || is_sid(&self.from, "MG")) {
            return Err(Error::new(
                ErrorCode::StudioBadPhone,
                "from must be an E.164 number (+ and 8 to 15 digits) or a Messaging Service SID (MG + 32 hex)",
            )
            .at_pointer("/from"));
        }
        if let Some(b) = &self.base_url {
            let ok = b.starts_with("https://")
                || b.starts_with("http://127.0.0.1")
                || b.starts_with("http://localhost")
                || b.starts_with("http://[::1]");
            if !ok || b.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::new(
                    ErrorCode::StudioBadConfig,
                    "baseUrl must be https:// (or http:// to a loopback test server)",
                )
                .at_pointer("/baseUrl"));
            }
        }
        Ok(())
    }
}

/// HTTP Basic credentials, passed by the host only when it wants the header built. Use an API key
/// (`SK…` + secret) in production; `AC…` + auth token also works. Never serialized, and `Debug`
/// hides the secret.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Credentials {
    /// `SK…` API key SID or `AC…` account SID.
    pub username: String,
    /// The API key secret or auth token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The request headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Headers {
    /// `application/x-www-form-urlencoded`.
    #[serde(rename = "Content-Type")]
    pub content_type: &'static str,
    /// `application/json`.
    #[serde(rename = "Accept")]
    pub accept: &'static str,
    /// `Basic …`, only when credentials were passed.
    #[serde(rename = "Authorization", skip_serializing_if = "Option::is_none")]
    pub authorization: Option<String>,
}

/// The form fields (before encoding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Form {
    /// The patient's number (E.164): `{{contact.channel.address}}`.
    #[serde(rename = "To")]
    pub to: String,
    /// The flow's number or MG SID: `{{flow.channel.address}}`.
    #[serde(rename = "From")]
    pub from: String,
    /// The 14 values as a JSON object string: `{{flow.data}}`.
    #[serde(rename = "Parameters")]
    pub parameters: String,
}

/// A ready-to-send Executions request, serialized for JavaScript as
/// `{ method, url, headers, body, form: {To, From, Parameters}, curl, idempotencyKey }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StudioRequest {
    /// `POST`.
    pub method: &'static str,
    /// `https://studio.twilio.com/v2/Flows/FW…/Executions`.
    pub url: String,
    /// Headers.
    pub headers: Headers,
    /// The form-encoded body (`To=…&From=…&Parameters=…`).
    pub body: String,
    /// The form fields.
    pub form: Form,
    /// A curl command for dry runs. Credentials are never included: it reads
    /// `$TWILIO_API_KEY:$TWILIO_API_SECRET` from the environment.
    pub curl: String,
    /// [`AppointmentEvent::idempotency_key`].
    pub idempotency_key: String,
}

fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `prefix` + 32 hex digits.
pub fn is_sid(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(is_hex32)
}

/// `+` then 8–15 digits, the first not 0.
pub fn is_e164(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|d| {
        (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

/// What a host needs to send an Executions request: the URL, headers and form body.
/// [`build_studio_execution`] adds the `form` fields and the `curl` rendering; hosts that only
/// send can stop here ([`build_execution_parts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionParts {
    /// `https://studio.twilio.com/v2/Flows/FW…/Executions`.
    pub url: String,
    /// Headers.
    pub headers: Headers,
    /// The form-encoded body (`To=…&From=…&Parameters=…`).
    pub body: String,
}

/// Validate the event, config and credentials and build the URL, headers and form body of the v2
/// Executions request (the part of [`build_studio_execution`] a sender needs; same errors).
pub fn build_execution_parts(
    event: &AppointmentEvent,
    cfg: &StudioConfig,
    credentials: Option<&Credentials>,
) -> Result<ExecutionParts> {
    cfg.validate()?;
    if !is_e164(&event.patient_phone) {
        return Err(Error::new(
            ErrorCode::StudioBadPhone,
            "patient_phone (the execution's To) must be E.164",
        )
        .at_pointer("/patient_phone"));
    }
    if let Some(v) = params::first_violation(event) {
        return Err(Error::new(
            ErrorCode::MapBadEvent,
            format!(
                "{} would be rejected or mangled by the PAM flow ({})",
                v.field, v.rule
            ),
        )
        .at_pointer(format!("/{}", v.field)));
    }
    let authorization = match credentials {
        None => None,
        Some(c) => {
            if !(is_sid(&c.username, "SK") || is_sid(&c.username, "AC")) {
                return Err(Error::new(
                    ErrorCode::StudioBadConfig,
                    "username must be an API key SID (SK + 32 hex) or an account SID (AC + 32 hex)",
                )
                .at_pointer("/username"));
            }
            if c.password.is_empty() || c.password.chars().any(|ch| ch.is_control()) {
                return Err(Error::new(
                    ErrorCode::StudioBadConfig,
                    "password must be a non-empty secret without control characters",
                )
                .at_pointer("/password"));
            }
            let mut up = String::with_capacity(c.username.len() + c.password.len() + 1);
            up.push_str(&c.username);
            up.push(':');
            up.push_str(&c.password);
            let mut h = String::from("Basic ");
            h.push_str(&request::base64(&up));
            Some(h)
        }
    };
    let base = cfg.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL);
    let base = base.trim_end_matches('/');
    let mut url = String::with_capacity(base.len() + 60);
    url.push_str(base);
    url.push_str("/v2/Flows/");
    url.push_str(&cfg.flow_sid);
    url.push_str("/Executions");

    let values: usize = Field::ALL.iter().map(|f| event.get(*f).len()).sum();
    let mut body = String::with_capacity(values * 3 / 2 + 600);
    body.push_str("To=");
    request::form_encode_into(&mut body, &event.patient_phone);
    body.push_str("&From=");
    request::form_encode_into(&mut body, &cfg.from);
    body.push_str("&Parameters=");
    parameters_form_into(&mut body, event);

    Ok(ExecutionParts {
        url,
        headers: Headers {
            content_type: "application/x-www-form-urlencoded",
            accept: "application/json",
            authorization,
        },
        body,
    })
}

/// Append the form encoding of [`parameters_json`] without building the JSON first: the keys and
/// punctuation are constant (`{"event_type":"` → `%7B%22event_type%22%3A%22`; Table B keys are
/// `[a-z_]`, which form encoding keeps), only the values are escaped and encoded.
#[doc(hidden)]
pub fn parameters_form_into(out: &mut String, event: &AppointmentEvent) {
    out.push_str("%7B");
    for (i, f) in Field::ALL.iter().enumerate() {
        out.push_str(if i == 0 { "%22" } else { "%22%2C%22" });
        out.push_str(f.name());
        out.push_str("%22%3A%22");
        request::form_encode_json_contents_into(out, event.get(*f));
    }
    out.push_str("%22%7D");
}

/// The `Parameters` JSON: the 14 values with their Table B keys in Table B order — exactly
/// `serde_json::to_string(event)`, written directly.
pub fn parameters_json(event: &AppointmentEvent) -> String {
    let len: usize = Field::ALL.iter().map(|f| event.get(*f).len()).sum();
    let mut out = String::with_capacity(len + 320);
    out.push('{');
    for (i, f) in Field::ALL.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        crate::jsonw::push_key(&mut out, f.name());
        crate::jsonw::push_str(&mut out, event.get(*f), crate::jsonw::Ascii::No);
    }
    out.push('}');
    out
}

/// Build the v2 Executions request for an event (contract §3.1, §8.1).
///
/// The event must already be sanitized (the mappers do it; for hand-built events call
/// [`sanitize::sanitize_event`]): any value the PAM flow would reject is an error
/// (`MAP_BAD_EVENT`, pointer `/<key>`), as is a `patient_phone` that is not E.164
/// (`STUDIO_BAD_PHONE`) or a bad config/credentials (`STUDIO_BAD_CONFIG`).
pub fn build_studio_execution(
    event: &AppointmentEvent,
    cfg: &StudioConfig,
    credentials: Option<&Credentials>,
) -> Result<StudioRequest> {
    let ExecutionParts { url, headers, body } = build_execution_parts(event, cfg, credentials)?;
    let parameters = parameters_json(event);

    let mut curl = String::with_capacity(parameters.len() + url.len() + 200);
    curl.push_str("curl -X POST ");
    request::shell_quote(&mut curl, &url);
    curl.push_str(" \\\n  --data-urlencode ");
    request::shell_quote_pair(&mut curl, "To=", &event.patient_phone);
    curl.push_str(" \\\n  --data-urlencode ");
    request::shell_quote_pair(&mut curl, "From=", &cfg.from);
    curl.push_str(" \\\n  --data-urlencode ");
    request::shell_quote_pair(&mut curl, "Parameters=", &parameters);
    curl.push_str(" \\\n  -u \"$TWILIO_API_KEY:$TWILIO_API_SECRET\"");

    Ok(StudioRequest {
        method: "POST",
        url,
        headers,
        body,
        form: Form {
            to: event.patient_phone.clone(),
            from: cfg.from.clone(),
            parameters,
        },
        curl,
        idempotency_key: event.idempotency_key(),
    })
}

/// The keys of `Parameters`, in order (all 14, always present, always strings).
pub fn parameter_keys() -> [&'static str; 14] {
    Field::ALL.map(Field::name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev() -> AppointmentEvent {
        AppointmentEvent::minimal_for_tests()
    }

    #[test]
    fn coded_errors() {
        let good = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
        let e = ev();
        let code = |cfg: &StudioConfig, e: &AppointmentEvent, c: Option<&Credentials>| {
            let err = build_studio_execution(e, cfg, c).unwrap_err();
            (
                err.code.as_str(),
                err.position.and_then(|p| p.pointer).unwrap_or_default(),
            )
        };
        let mut bad = good.clone();
        bad.flow_sid = "FW123".into();
        assert_eq!(
            code(&bad, &e, None),
            ("STUDIO_BAD_CONFIG", "/flowSid".into())
        );
        let mut bad = good.clone();
        bad.from = "5017122661".into();
        assert_eq!(code(&bad, &e, None), ("STUDIO_BAD_PHONE", "/from".into()));
        let mg = StudioConfig::new(
            "FW0123456789abcdef0123456789abcdef",
            "MG0123456789abcdef0123456789abcdef",
        );
        assert!(build_studio_execution(&e, &mg, None).is_ok());
        let mut e2 = e.clone();
        e2.patient_phone = "(617) 555-0142".into();
        assert_eq!(
            code(&good, &e2, None),
            ("STUDIO_BAD_PHONE", "/patient_phone".into())
        );
        let mut e3 = e.clone();
        e3.appointment_location = "A, B".into();
        assert_eq!(
            code(&good, &e3, None),
            ("MAP_BAD_EVENT", "/appointment_location".into())
        );
        let c = Credentials {
            username: "bob".into(),
            password: "x".into(),
        };
        assert_eq!(
            code(&good, &e, Some(&c)),
            ("STUDIO_BAD_CONFIG", "/username".into())
        );
        assert!(!format!("{c:?}").contains("\"x\""));
    }

    #[test]
    fn body_encodes_the_parameters_json() {
        let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
        let mut e = ev();
        for name in [
            "O'Brien",
            "a \"b\" \\ c",
            "é😀\u{1}\u{7f}\t",
            "",
            "x_y-z.*~",
        ] {
            e.patient_last_name = name.into();
            let mut want = String::from("To=%2B16175550142&From=%2B15017122661&Parameters=");
            request::form_encode_into(&mut want, &serde_json::to_string(&e).unwrap());
            let mut have = String::new();
            parameters_form_into(&mut have, &e);
            assert_eq!(
                format!("To=%2B16175550142&From=%2B15017122661&Parameters={have}"),
                want
            );
            if params::first_violation(&e).is_none() {
                assert_eq!(build_execution_parts(&e, &cfg, None).unwrap().body, want);
            }
        }
    }

    #[test]
    fn parameters_json_is_serde_json() {
        let mut e = ev();
        assert_eq!(parameters_json(&e), serde_json::to_string(&e).unwrap());
        e.patient_last_name = "O'Brien \"Jr\" \\ é 😀 \u{1}\n".into();
        e.appointment_location = "\u{7f}\u{2028}</script>".into();
        assert_eq!(parameters_json(&e), serde_json::to_string(&e).unwrap());
        assert_eq!(
            parameters_json(&AppointmentEvent::default()),
            serde_json::to_string(&AppointmentEvent::default()).unwrap()
        );
    }

    #[test]
    fn body_round_trips() {
        let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
        let mut e = ev();
        e.patient_last_name = "O'Brien".into();
        let r = build_studio_execution(&e, &cfg, None).unwrap();
        // Decode the form body and compare.
        let mut pairs = Vec::new();
        for kv in r.body.split('&') {
            let (k, v) = kv.split_once('=').unwrap();
            let v = v.replace('+', " ");
            let mut bytes = Vec::new();
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' {
                    bytes.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                    i += 3;
                } else {
                    bytes.push(b[i]);
                    i += 1;
                }
            }
            pairs.push((k.to_owned(), String::from_utf8(bytes).unwrap()));
        }
        assert_eq!(pairs[0], ("To".into(), "+16175550142".into()));
        let p: AppointmentEvent = serde_json::from_str(&pairs[2].1).unwrap();
        assert_eq!(p, e);
        let j: serde_json::Value = serde_json::from_str(&pairs[2].1).unwrap();
        assert_eq!(j.as_object().unwrap().len(), 14);
        assert!(j.as_object().unwrap().values().all(|v| v.is_string()));
        let s = serde_json::to_value(&r).unwrap();
        for k in [
            "method",
            "url",
            "headers",
            "body",
            "form",
            "curl",
            "idempotencyKey",
        ] {
            assert!(s.get(k).is_some(), "{k}");
        }
        assert!(r.curl.contains("'\\''"));
    }
}
