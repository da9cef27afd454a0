//! The lean send result (`Mapper.execution` in JavaScript) as JSON text, written directly:
//!
//! ```json
//! { "request": { "url": "…", "headers": {…}, "body": "To=…", "idempotencyKey": "ik1-…" } | null,
//!   "skip": { "code": "…", "reason": "…", "rule"?: "…" } | null,
//!   "warnings": ["CODE", …] }
//! ```
//!
//! Only what a host needs to send: no provenance, no `form` copy, no `curl` (those are never
//! built on this path), warning codes without their messages.

use super::{build_execution_parts, Credentials, ExecutionParts, StudioConfig};
use crate::error::Result;
use crate::event::{MapResult, Skip};
use crate::jsonw::{self, Ascii};

/// Build the request for the result's event (if any) and write the lean result as JSON text.
/// Errors are [`build_execution_parts`]'s. `ascii`: see [`crate::jsonw::Ascii`].
pub fn execution_json(
    result: &MapResult,
    cfg: &StudioConfig,
    credentials: Option<&Credentials>,
    ascii: Ascii,
) -> Result<String> {
    let parts = match &result.event {
        Some(e) => {
            let parts = build_execution_parts(e, cfg, credentials)?;
            let key = match &result.idempotency_key {
                // The mappers store the event's own key beside it.
                Some(k) => std::borrow::Cow::Borrowed(k.as_str()),
                None => std::borrow::Cow::Owned(e.idempotency_key()),
            };
            Some((parts, key))
        }
        None => None,
    };
    let body_len = parts
        .as_ref()
        .map_or(0, |(p, _)| p.body.len() + p.url.len());
    let mut out = String::with_capacity(body_len + 256 + 32 * result.warnings.len());
    out.push_str("{\"request\":");
    match &parts {
        Some((p, key)) => write_request(&mut out, p, key, ascii),
        None => out.push_str("null"),
    }
    out.push_str(",\"skip\":");
    match &result.skip {
        Some(s) => write_skip(&mut out, s, ascii),
        None => out.push_str("null"),
    }
    out.push_str(",\"warnings\":[");
    for (i, w) in result.warnings.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_code(&mut out, w.code, ascii);
    }
    out.push_str("]}");
    Ok(out)
}

fn write_request(out: &mut String, p: &ExecutionParts, key: &str, ascii: Ascii) {
    out.push('{');
    jsonw::push_key(out, "url");
    // The URL is the profile's base URL (any text) and the flow SID (checked hex).
    jsonw::push_str(out, &p.url, ascii);
    // Fixed header values (ASCII literals): no escape to look for.
    out.push_str(",\"headers\":{\"Content-Type\":");
    jsonw::push_clean(out, p.headers.content_type);
    out.push_str(",\"Accept\":");
    jsonw::push_clean(out, p.headers.accept);
    if let Some(a) = &p.headers.authorization {
        out.push(',');
        jsonw::push_key(out, "Authorization");
        // `Basic ` and base64.
        jsonw::push_clean(out, a);
    }
    out.push_str("},");
    jsonw::push_key(out, "body");
    // Form-encoded: `[A-Za-z0-9*-._+%&=]` only.
    jsonw::push_clean(out, &p.body);
    out.push(',');
    jsonw::push_key(out, "idempotencyKey");
    push_code(out, key, ascii);
    out.push('}');
}

/// A code or key this library writes (`SCREAMING_SNAKE` warning codes, `ik1-` + hex): no escape
/// is needed, which is checked rather than assumed (anything else is escaped as usual).
fn push_code(out: &mut String, s: &str, ascii: Ascii) {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        jsonw::push_clean(out, s);
    } else {
        jsonw::push_str(out, s, ascii);
    }
}

fn write_skip(out: &mut String, s: &Skip, ascii: Ascii) {
    out.push('{');
    jsonw::push_key(out, "code");
    jsonw::push_str(out, s.code, ascii);
    out.push(',');
    jsonw::push_key(out, "reason");
    jsonw::push_str(out, &s.reason, ascii);
    if let Some(r) = &s.rule {
        out.push(',');
        jsonw::push_key(out, "rule");
        jsonw::push_str(out, r, ascii);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::CompiledProfile;

    /// The serde shape this writer replaces (what `Mapper.execution` serialized before).
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct LeanRequest {
        url: String,
        headers: crate::studio::Headers,
        body: String,
        idempotency_key: String,
    }

    #[derive(serde::Serialize)]
    struct Execution<'a> {
        request: Option<LeanRequest>,
        skip: Option<&'a Skip>,
        warnings: Vec<&'static str>,
    }

    fn via_serde(
        result: &MapResult,
        cfg: &StudioConfig,
        creds: Option<&Credentials>,
    ) -> Result<String> {
        let request = match &result.event {
            Some(e) => {
                let r = crate::studio::build_studio_execution(e, cfg, creds)?;
                Some(LeanRequest {
                    url: r.url,
                    headers: r.headers,
                    body: r.body,
                    idempotency_key: r.idempotency_key,
                })
            }
            None => None,
        };
        Ok(serde_json::to_string(&Execution {
            request,
            skip: result.skip.as_ref(),
            warnings: result.warnings.iter().map(|w| w.code).collect(),
        })
        .unwrap())
    }

    #[test]
    fn byte_identical_to_serde() {
        let profile = CompiledProfile::from_json(
            r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#,
        )
        .unwrap();
        let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
        let creds = Credentials {
            username: "SK0123456789abcdef0123456789abcdef".into(),
            password: "s3cr\u{e9}t\"".into(),
        };
        let mut odd = cfg.clone();
        odd.base_url = Some("https://h\u{e9}\"x\\/".into());
        let small = std::fs::read("tests/fixtures/perf/siu_s12_small.hl7").unwrap();
        let inputs: Vec<Vec<u8>> = vec![
            small.clone(),
            std::fs::read("tests/fixtures/perf/siu_s12_large.hl7").unwrap(),
            b"MSH|^~\\&|A|B|C|D|20250101||ADT^A08|1|P|2.5.1\r".to_vec(),
            // A skip with a draft and no rule.
            String::from_utf8_lossy(&small)
                .replace("SCH|APT100045^EPIC|FIL7788^EPIC|", "SCH|||")
                .into_bytes(),
        ];
        let mut kinds = (0, 0);
        for bytes in &inputs {
            let r = crate::inbound::map_hl7(bytes, &profile).unwrap();
            if r.event.is_some() {
                kinds.0 += 1;
            } else {
                kinds.1 += 1;
            }
            for (c, k) in [(&cfg, None), (&cfg, Some(&creds)), (&odd, None)] {
                let want = via_serde(&r, c, k);
                let have = execution_json(&r, c, k, Ascii::No);
                match (want, have) {
                    (Ok(w), Ok(h)) => {
                        assert_eq!(h, w);
                        let a = execution_json(&r, c, k, Ascii::Yes).unwrap();
                        assert!(a.is_ascii());
                        assert_eq!(
                            serde_json::from_str::<serde_json::Value>(&a).unwrap(),
                            serde_json::from_str::<serde_json::Value>(&w).unwrap()
                        );
                    }
                    (Err(w), Err(h)) => assert_eq!(format!("{h:?}"), format!("{w:?}")),
                    (w, h) => panic!("{w:?} vs {h:?}"),
                }
            }
        }
        assert!(kinds.0 >= 2 && kinds.1 >= 2, "{kinds:?}");
    }
}
