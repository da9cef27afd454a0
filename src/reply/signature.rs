//! `X-Twilio-Signature` verification, with the same verdicts as twilio-node's
//! `validateRequest` (form posts) and `validateRequestWithBody` (JSON bodies, e.g. the PAM flow's
//! HTTP Request widgets).
//!
//! * Signature: `base64(HMAC-SHA1(authToken, url + Σ sorted(key) key+value))`; a repeated key's
//!   values are de-duplicated and sorted, each appended as `key+value`. Sorting compares UTF-16
//!   code units, like JavaScript's `Array.prototype.sort`.
//! * JSON bodies: Twilio appends `bodySHA256=<hex sha256 of the raw body>` to the URL and signs the
//!   URL with no parameters; the hash of the **raw bytes** must then match that query value (never
//!   hash a re-serialisation: the PAM body has literal newlines).
//! * URL variants, in twilio-node's order: the URL as received without and with the standard port
//!   (`variant` `withoutPort` / `withPort`); then the WHATWG-normalised URL without/with port
//!   (`normalizedWithoutPort` / `normalizedWithPort`); then those two with the query re-encoded by
//!   Node's legacy `querystring` (`legacyQueryWithoutPort` / `legacyQueryWithPort`).
//! * Comparisons are constant-time (`subtle`); lengths are compared first, as twilio-node does
//!   (they are fixed by the algorithm, not secret).
//!
//! Deliberate differences from twilio-node, all on the safe side:
//! * form mode with a URL that carries `bodySHA256` returns `valid: false`,
//!   `reason: "BODY_HASH_NOT_VERIFIED"` (twilio-node's `validateRequest` would accept a replayed
//!   signed URL with any body; twilio/twilio-agent-connect-python#85);
//! * an empty auth token, or a URL that is not http(s), is `SIGNATURE_BAD_INPUT` instead of a
//!   computation over it;
//! * hosts that need IDNA (non-ASCII or `xn--`) or IPv6 literals are not normalised here, so only
//!   the two as-received variants are tried for them.
//!
//! The auth token and the signature are never copied into errors, verdicts or `Debug` output.

use super::urlnorm::{self, NormError};
use crate::error::{Error, ErrorCode, Result};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// HMAC algorithm of the signature (`X-Twilio-Webhooks-Signature-Settings` for SharedKey webhooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SignatureAlgorithm {
    /// The classic auth-token signature (default).
    #[default]
    #[serde(rename = "HMAC_SHA1", alias = "hmac_sha1")]
    HmacSha1,
    /// SharedKey webhooks that announce `algorithm=HMAC_SHA256`.
    #[serde(rename = "HMAC_SHA256", alias = "hmac_sha256")]
    HmacSha256,
}

/// What to verify. JSON: `{authToken, url, signature, params?: [[key, value], ...],
/// body?: string | number[], algorithm?: "HMAC_SHA1" | "HMAC_SHA256"}`.
///
/// With `body` the JSON-body rules apply (`validateRequestWithBody`); otherwise `params` (possibly
/// empty, repeated keys allowed, order irrelevant) are the form fields (`validateRequest`).
#[derive(Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignatureInput {
    /// The account auth token (or SharedKey secret).
    pub auth_token: String,
    /// The full public URL Twilio requested, including the query string (`?bodySHA256=…`).
    pub url: String,
    /// The `X-Twilio-Signature` header; `None` when the request had none.
    #[serde(default)]
    pub signature: Option<String>,
    /// Form parameters as `(key, value)` pairs.
    #[serde(default)]
    pub params: Option<Vec<(String, String)>>,
    /// The raw request body (a JSON string is taken as its UTF-8 bytes).
    #[serde(default, deserialize_with = "bytes_or_string")]
    pub body: Option<Vec<u8>>,
    /// HMAC algorithm (default HMAC-SHA1).
    #[serde(default)]
    pub algorithm: SignatureAlgorithm,
}

impl fmt::Debug for SignatureInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureInput")
            .field("auth_token", &"<redacted>")
            .field("url_len", &self.url.len())
            .field("signature", &self.signature.as_ref().map(|_| "<redacted>"))
            .field("params", &self.params.as_ref().map(Vec::len))
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

/// The outcome. JSON: `{valid, mode: "form"|"body", matchedUrlVariant?, reason?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// True when the request is proven to come from Twilio.
    pub valid: bool,
    /// `"form"` or `"body"`.
    pub mode: &'static str,
    /// Which URL variant matched (see the module docs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_url_variant: Option<&'static str>,
    /// Why it is invalid: `MISSING_SIGNATURE`, `SIGNATURE_MISMATCH`, `BODY_HASH_MISMATCH`,
    /// `MISSING_BODY_HASH`, `BODY_HASH_NOT_VERIFIED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

fn bad_input(msg: &str) -> Error {
    Error::new(ErrorCode::SignatureBadInput, msg.to_owned())
}

/// Verify a webhook signature (see the module docs).
///
/// ```
/// use ehr_studio_bridge::reply::{verify_twilio_signature, SignatureInput};
/// let input = SignatureInput {
///     auth_token: "12345".into(),
///     url: "https://mycompany.com/myapp.php?foo=1&bar=2".into(),
///     signature: Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=".into()),
///     params: Some(vec![
///         ("CallSid".into(), "CA1234567890ABCDE".into()), ("Caller".into(), "+14158675309".into()),
///         ("Digits".into(), "1234".into()), ("From".into(), "+14158675309".into()),
///         ("To".into(), "+18005551212".into()),
///     ]),
///     ..Default::default()
/// };
/// let v = verify_twilio_signature(&input).unwrap();
/// assert!(v.valid);
/// assert_eq!(v.matched_url_variant, Some("withoutPort"));
/// ```
pub fn verify_twilio_signature(req: &SignatureInput) -> Result<Verdict> {
    if req.auth_token.is_empty() {
        return Err(bad_input("the auth token is empty"));
    }
    let header = req.signature.as_deref().unwrap_or("");
    match &req.body {
        Some(body) => verify_body(req, header, body),
        None => verify_form(req, header),
    }
}

fn verify_form(req: &SignatureInput, header: &str) -> Result<Verdict> {
    let params = req.params.as_deref().unwrap_or(&[]);
    let suffix = param_suffix(params);
    let verdict = |valid, variant, reason| Verdict {
        valid,
        mode: "form",
        matched_url_variant: variant,
        reason,
    };
    if header.is_empty() {
        // twilio-node still tries every URL variant, so an unparseable URL throws there too.
        normalize_or_error(&req.url)?;
        return Ok(verdict(false, None, Some("MISSING_SIGNATURE")));
    }
    let matched = match_variants(req, header, &suffix, None)?;
    if matched.is_some() && req.url.contains("bodySHA256") {
        return Ok(verdict(false, None, Some("BODY_HASH_NOT_VERIFIED")));
    }
    Ok(match matched {
        Some(v) => verdict(true, Some(v), None),
        None => verdict(false, None, Some("SIGNATURE_MISMATCH")),
    })
}

fn verify_body(req: &SignatureInput, header: &str, body: &[u8]) -> Result<Verdict> {
    let norm = normalize_or_error(&req.url)?;
    let verdict = |valid, variant, reason| Verdict {
        valid,
        mode: "body",
        matched_url_variant: variant,
        reason,
    };
    if header.is_empty() {
        return Ok(verdict(false, None, Some("MISSING_SIGNATURE")));
    }
    let matched = match_variants(req, header, "", Some(&norm))?;
    let Some(variant) = matched else {
        return Ok(verdict(false, None, Some("SIGNATURE_MISMATCH")));
    };
    let claimed = norm
        .query
        .as_deref()
        .and_then(|q| urlnorm::search_param(q, "bodySHA256"))
        .unwrap_or_default();
    if claimed.is_empty() {
        return Ok(verdict(false, None, Some("MISSING_BODY_HASH")));
    }
    let actual = hex_lower(&Sha256::digest(body));
    if !ct_eq(claimed.as_bytes(), actual.as_bytes()) {
        return Ok(verdict(false, None, Some("BODY_HASH_MISMATCH")));
    }
    Ok(verdict(true, Some(variant), None))
}

fn normalize_or_error(url: &str) -> Result<urlnorm::Normalized> {
    urlnorm::normalize(url).map_err(|e| match e {
        NormError::Invalid => bad_input("the URL is not a valid absolute URL"),
        NormError::UnsupportedScheme => bad_input("the URL is not an http or https URL"),
    })
}

/// Try the URL variants in twilio-node's order; the normalised ones only when the as-received
/// ones fail (twilio-node's `new URL()` throws only then, for form posts).
fn match_variants(
    req: &SignatureInput,
    header: &str,
    suffix: &str,
    norm: Option<&urlnorm::Normalized>,
) -> Result<Option<&'static str>> {
    let url = req.url.as_str();
    let check = |candidate: &str| -> Result<bool> {
        let expected = sign(req.algorithm, &req.auth_token, candidate, suffix)?;
        Ok(ct_eq(header.as_bytes(), expected.as_bytes()))
    };
    if check(&urlnorm::remove_port(url))? {
        return Ok(Some("withoutPort"));
    }
    if check(&urlnorm::add_port(url))? {
        return Ok(Some("withPort"));
    }
    let owned;
    let norm = match norm {
        Some(n) => n,
        None => {
            owned = normalize_or_error(url)?;
            &owned
        }
    };
    let Some(href) = norm.href.as_deref() else {
        return Ok(None);
    };
    let without = urlnorm::remove_port(href);
    let with = urlnorm::add_port(href);
    if check(&without)? {
        return Ok(Some("normalizedWithoutPort"));
    }
    if check(&with)? {
        return Ok(Some("normalizedWithPort"));
    }
    if check(&with_legacy_query(&without))? {
        return Ok(Some("legacyQueryWithoutPort"));
    }
    if check(&with_legacy_query(&with))? {
        return Ok(Some("legacyQueryWithPort"));
    }
    Ok(None)
}

fn with_legacy_query(url: &str) -> String {
    match url.find('?') {
        Some(q) if q + 1 < url.len() => {
            let (head, tail) = url.split_at(q);
            let qs = tail.get(1..).unwrap_or("");
            format!("{head}?{}", urlnorm::legacy_querystring(qs))
        }
        _ => url.to_owned(),
    }
}

/// `Σ sorted(keys) key + value` with twilio-node's array rule (unique values, sorted).
fn param_suffix(params: &[(String, String)]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (k, v) in params {
        match groups.iter_mut().find(|(kk, _)| *kk == k.as_str()) {
            Some((_, vs)) => vs.push(v.as_str()),
            None => groups.push((k.as_str(), vec![v.as_str()])),
        }
    }
    groups.sort_by(|a, b| utf16_cmp(a.0, b.0));
    let mut out = String::new();
    for (k, mut vs) in groups {
        if vs.len() > 1 {
            vs.sort_by(|a, b| utf16_cmp(a, b));
            vs.dedup();
        }
        for v in vs {
            out.push_str(k);
            out.push_str(v);
        }
    }
    out
}

fn utf16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The expected signature of `url + suffix`.
fn sign(alg: SignatureAlgorithm, token: &str, url: &str, suffix: &str) -> Result<String> {
    let key = token.as_bytes();
    let mac = match alg {
        SignatureAlgorithm::HmacSha1 => {
            let mut m = Hmac::<Sha1>::new_from_slice(key)
                .map_err(|_| bad_input("the auth token cannot be used as an HMAC key"))?;
            m.update(url.as_bytes());
            m.update(suffix.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        SignatureAlgorithm::HmacSha256 => {
            let mut m = Hmac::<Sha256>::new_from_slice(key)
                .map_err(|_| bad_input("the auth token cannot be used as an HMAC key"))?;
            m.update(url.as_bytes());
            m.update(suffix.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
    };
    Ok(base64::engine::general_purpose::STANDARD.encode(mac))
}

/// Compute the signature Twilio would send (for tests and for hosts that sign their own fixtures).
pub fn expected_signature(
    algorithm: SignatureAlgorithm,
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
) -> Result<String> {
    sign(algorithm, auth_token, url, &param_suffix(params))
}

/// Lower-case hex SHA-256 of `body`, as Twilio puts it in `bodySHA256`.
pub fn body_sha256_hex(body: &[u8]) -> String {
    hex_lower(&Sha256::digest(body))
}

fn hex_lower(bytes: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 15] {
            s.push(char::from(
                H.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    s
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

fn bytes_or_string<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Vec<u8>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Vec<u8>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string, an array of bytes or null")
        }
        fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
            Ok(Some(v.as_bytes().to_vec()))
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<Self::Value, E> {
            Ok(Some(v.to_vec()))
        }
        fn visit_seq<A: SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(b) = seq.next_element::<u8>()? {
                out.push(b);
            }
            Ok(Some(out))
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn array_values_are_deduplicated_and_sorted() {
        let a = param_suffix(&p(&[
            ("Digits", "5678"),
            ("Sid", "CA123"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]));
        assert_eq!(a, "Digits1234Digits5678SidCA123");
    }

    #[test]
    fn utf16_order_differs_from_utf8() {
        // U+FF01 sorts after U+1F600 in UTF-16 (0xFF01 > 0xD83D), before it in code points
        let s = param_suffix(&p(&[("\u{FF01}", "a"), ("\u{1F600}", "b")]));
        assert_eq!(s, "\u{1F600}b\u{FF01}a");
    }

    #[test]
    fn form_mode_refuses_body_hash_urls() {
        let url = "https://a.com/x?bodySHA256=00";
        let sig = expected_signature(SignatureAlgorithm::HmacSha1, "t", url, &[]).unwrap();
        let v = verify_twilio_signature(&SignatureInput {
            auth_token: "t".into(),
            url: url.into(),
            signature: Some(sig),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(v.reason, Some("BODY_HASH_NOT_VERIFIED"));
        assert!(!v.valid);
    }

    #[test]
    fn debug_redacts_secrets() {
        let i = SignatureInput {
            auth_token: "SECRET".into(),
            signature: Some("SIG".into()),
            ..Default::default()
        };
        let d = format!("{i:?}");
        assert!(!d.contains("SECRET") && !d.contains("SIG\""), "{d}");
    }

    #[test]
    fn input_from_json() {
        let i: SignatureInput = serde_json::from_str(
            r#"{"authToken":"t","url":"https://a/","signature":"x","body":"{}","algorithm":"HMAC_SHA256"}"#,
        )
        .unwrap();
        assert_eq!(i.body.as_deref(), Some(&b"{}"[..]));
        let i: SignatureInput = serde_json::from_str(
            r#"{"authToken":"t","url":"u","body":[123,125],"params":[["a","b"]]}"#,
        )
        .unwrap();
        assert_eq!(i.body.as_deref(), Some(&b"{}"[..]));
        assert_eq!(i.params.unwrap()[0].1, "b");
    }
}
