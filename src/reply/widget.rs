//! The exact bodies the PAM flow's HTTP Request widgets send, rebuilt from the five values.
//!
//! Studio signs a JSON POST over the URL with `?bodySHA256=<hex sha256 of the raw body>`. Twilio
//! Functions parse the JSON and hand the host only the values, never the raw bytes, so the body
//! hash cannot be checked directly. But the widget body is a fixed template
//! (`{\n"flow_sid": "{{flow.flow_sid}}",\n"event_type": "Confirm",\n…\n}`, see
//! `tests/fixtures/twilio/ie-endpoint-requests.json`), so the body can be rebuilt from the values and
//! its hash compared: [`widget_body_candidates`] gives every body the template — as shipped, or as
//! [`patch_studio_flow`](super::patch_studio_flow) rewrites it with Liquid `to_json` — can produce
//! for these values. A host accepts a reply only when one candidate's SHA-256 is the signed
//! `bodySHA256` (and the signature verifies), and then parses that candidate, not its own view of
//! the values.

/// The five keys in the widgets' order.
pub const WIDGET_KEYS: [&str; 5] = [
    "flow_sid",
    "event_type",
    "appointment_id",
    "provider_id",
    "patient_id",
];

/// Every distinct body the PAM widgets can have sent for these values (`fields` in
/// [`WIDGET_KEYS`] order), in this order: values inserted raw (the shipped template); values through
/// `to_json` with non-ASCII kept; values through `to_json` with non-ASCII `\u`-escaped. `event_type`
/// is a literal in the template and always inserted raw.
///
/// ```
/// use ehr_studio_bridge::reply::widget_body_candidates;
/// let c = widget_body_candidates(["FW1", "Cancel", "A\"1", "Dr Zoë", "p1"]);
/// assert_eq!(c[0], "{\n\"flow_sid\": \"FW1\",\n\"event_type\": \"Cancel\",\n\"appointment_id\": \"A\"1\",\n\"provider_id\": \"Dr Zoë\",\n\"patient_id\": \"p1\"\n}");
/// assert!(c[1].contains(r#""appointment_id": "A\"1""#));
/// assert!(c[2].contains(r#""provider_id": "Dr Zo\u00eb""#));
/// assert_eq!(widget_body_candidates(["FW1", "Cancel", "A1", "D1", "P1"]).len(), 1);
/// ```
pub fn widget_body_candidates(fields: [&str; 5]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(3);
    for encoding in [Encoding::Raw, Encoding::Json, Encoding::JsonAscii] {
        let mut body = String::from("{\n");
        for (i, (key, value)) in WIDGET_KEYS.iter().zip(fields).enumerate() {
            if i > 0 {
                body.push_str(",\n");
            }
            body.push('"');
            body.push_str(key);
            body.push_str("\": ");
            let enc = if *key == "event_type" {
                Encoding::Raw
            } else {
                encoding
            };
            push_value(&mut body, value, enc);
        }
        body.push_str("\n}");
        if !out.contains(&body) {
            out.push(body);
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// `"` + value + `"` (Liquid inserts the value as is).
    Raw,
    /// `JSON.stringify` (what `to_json` is taken to produce).
    Json,
    /// `JSON.stringify`, then every code unit from U+007F escaped as `\uXXXX`.
    JsonAscii,
}

fn push_value(out: &mut String, v: &str, enc: Encoding) {
    out.push('"');
    if enc == Encoding::Raw {
        out.push_str(v);
        out.push('"');
        return;
    }
    let hex = |out: &mut String, unit: u32| out.push_str(&format!("\\u{unit:04x}"));
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => hex(out, c as u32),
            c if enc == Encoding::JsonAscii && (c as u32) >= 0x7F => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    hex(out, u32::from(*u));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_widget_renderings() {
        let doc: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string("tests/fixtures/twilio/ie-endpoint-requests.json").unwrap(),
        )
        .unwrap();
        for (name, w) in doc["widgets"].as_object().unwrap() {
            let p = &w["example_rendering"]["parsed"];
            let f = WIDGET_KEYS.map(|k| p[k].as_str().unwrap());
            assert_eq!(
                widget_body_candidates(f),
                vec![w["example_rendering"]["body"].as_str().unwrap().to_owned()],
                "{name}"
            );
        }
    }

    #[test]
    fn escapes_like_json_stringify() {
        let c = widget_body_candidates(["FW", "Confirm", "a\u{1}b\u{7f}", "😀", "\\\n"]);
        assert_eq!(c.len(), 3);
        // JSON.stringify escapes control characters but leaves DEL (U+007F) as is.
        assert!(
            c[1].contains("\"appointment_id\": \"a\\u0001b\u{7f}\""),
            "{}",
            c[1]
        );
        assert!(c[1].contains("\"😀\""));
        assert!(c[1].contains(r#""patient_id": "\\\n""#));
        assert!(c[2].contains(r#""appointment_id": "a\u0001b\u007f""#));
        assert!(c[2].contains(r#""provider_id": "\ud83d\ude00""#));
    }
}
