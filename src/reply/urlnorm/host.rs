//! The WHATWG host parser for the hosts handled here: `%XX` decoded, lower-cased, forbidden code
//! points rejected, IPv4 numbers (decimal, octal, hex, 1 to 4 parts) canonicalised. IPv6 literals
//! and hosts that need IDNA are valid but not normalised (`Ok(None)`).

use super::percent_decode;
use super::NormError;

/// `Ok(None)`: valid but needs IDNA/IPv6 support that is not implemented here.
pub(super) fn parse_host(raw: &str) -> Result<Option<String>, NormError> {
    if raw.starts_with('[') {
        return if raw.ends_with(']') && raw.len() > 2 {
            Ok(None)
        } else {
            Err(NormError::Invalid)
        };
    }
    let bytes = percent_decode(raw.as_bytes());
    if bytes.iter().any(|b| !b.is_ascii()) {
        return Ok(None);
    }
    let mut domain = String::from_utf8(bytes).map_err(|_| NormError::Invalid)?;
    domain.make_ascii_lowercase();
    if domain.is_empty() {
        return Err(NormError::Invalid);
    }
    if domain.chars().any(forbidden_in_domain) {
        return Err(NormError::Invalid);
    }
    if domain.split('.').any(|l| l.starts_with("xn--")) {
        return Ok(None);
    }
    if ends_in_number(&domain) {
        return parse_ipv4(&domain).map(Some);
    }
    Ok(Some(domain))
}

/// The WHATWG "forbidden domain code points" (after percent-decoding).
fn forbidden_in_domain(c: char) -> bool {
    u32::from(c) <= 0x20
        || matches!(
            c,
            '#' | '/' | ':' | '<' | '>' | '?' | '@' | '[' | '\\' | ']' | '^' | '|' | '%' | '\x7f'
        )
}

fn ipv4_parts(domain: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = domain.split('.').collect();
    if parts.len() > 1 && parts.last().is_some_and(|l| l.is_empty()) {
        parts.pop();
    }
    parts
}

fn ends_in_number(domain: &str) -> bool {
    let parts = ipv4_parts(domain);
    let Some(last) = parts.last() else {
        return false;
    };
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    ipv4_number(last).is_some()
}

/// WHATWG "IPv4 number parser"; values are capped (anything above 2^32 is only ever too large).
fn ipv4_number(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (s.get(1..)?, 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for c in digits.chars() {
        let d = u64::from(c.to_digit(radix)?);
        v = v.saturating_mul(u64::from(radix)).saturating_add(d);
    }
    Some(v.min(1 << 40))
}

fn parse_ipv4(domain: &str) -> Result<String, NormError> {
    let parts = ipv4_parts(domain);
    if parts.len() > 4 {
        return Err(NormError::Invalid);
    }
    let mut nums = Vec::with_capacity(4);
    for p in &parts {
        nums.push(ipv4_number(p).ok_or(NormError::Invalid)?);
    }
    let (last, init) = nums.split_last().ok_or(NormError::Invalid)?;
    if init.iter().any(|n| *n > 255) {
        return Err(NormError::Invalid);
    }
    let limit = 256u64.pow(u32::try_from(5 - nums.len()).map_err(|_| NormError::Invalid)?);
    if *last >= limit {
        return Err(NormError::Invalid);
    }
    let mut v = *last;
    for (i, n) in init.iter().enumerate() {
        v += n * 256u64.pow(3 - u32::try_from(i).map_err(|_| NormError::Invalid)?);
    }
    let b = v.to_be_bytes();
    Ok(format!(
        "{}.{}.{}.{}",
        b.get(4).copied().unwrap_or(0),
        b.get(5).copied().unwrap_or(0),
        b.get(6).copied().unwrap_or(0),
        b.get(7).copied().unwrap_or(0)
    ))
}
