//! The texts of the `reminders` section: offsets (`72h`, `1d2h`, `1d@18:00`), durations (`1h30m`)
//! and local clock times (`09:00`, `24:00`).

use super::{Offset, MAX_OFFSET_DAYS};

/// `<n>` digits at the start of `s` (at most 4), and the rest.
fn number(s: &str) -> Option<(i64, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > 4 {
        return None;
    }
    let v = s.get(..n)?.parse().ok()?;
    Some((v, s.get(n..)?))
}

/// `HH:MM` → minutes after midnight (`24:00` only when `allow_24`).
pub(super) fn clock(s: &str, allow_24: bool) -> Option<u32> {
    let b = s.as_bytes();
    if b.len() != 5 || b.get(2) != Some(&b':') {
        return None;
    }
    let h: u32 = s.get(..2)?.parse().ok()?;
    let m: u32 = s.get(3..)?.parse().ok()?;
    if !s.get(..2)?.bytes().all(|c| c.is_ascii_digit())
        || !s.get(3..)?.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    match (h, m) {
        (24, 0) if allow_24 => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// `<n><unit>` parts in the order of `units`, each at most once (`1d2h`, `30m`): the value per
/// unit; `None` when malformed or empty.
fn parts<const N: usize>(s: &str, units: [u8; N]) -> Option<[Option<i64>; N]> {
    let mut out = [None; N];
    let mut next = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let (v, r) = number(rest)?;
        let unit = *r.as_bytes().first()?;
        let k = units.iter().skip(next).position(|u| *u == unit)? + next;
        *out.get_mut(k)? = Some(v);
        next = k + 1;
        rest = r.get(1..)?;
    }
    out.iter().any(Option::is_some).then_some(out)
}

/// Parse `[<n>d][<n>h][<n>m][@HH:MM]` (see the module docs); `None` when malformed.
pub fn parse_offset(spec: &str) -> Option<Offset> {
    let (body, at) = match spec.split_once('@') {
        Some((b, t)) => (b, Some(clock(t, false)?)),
        None => (spec, None),
    };
    let [days, hours, minutes] = parts(body, *b"dhm")?;
    // `@HH:MM` goes with a day count only.
    if at.is_some() && (days.is_none() || hours.is_some() || minutes.is_some()) {
        return None;
    }
    let days_v = days.unwrap_or(0);
    let elapsed_ms = (hours.unwrap_or(0) * 60 + minutes.unwrap_or(0)) * 60_000;
    // Without `@`, the offset must move the reminder before the start.
    if at.is_none() && days_v == 0 && elapsed_ms == 0 {
        return None;
    }
    if days_v > MAX_OFFSET_DAYS || elapsed_ms > MAX_OFFSET_DAYS * 86_400_000 {
        return None;
    }
    Some(Offset {
        spec: spec.to_owned(),
        days: days_v,
        at_minute: at,
        elapsed_ms,
    })
}

/// Parse a duration `[<n>h][<n>m]` (`0m` allowed) into ms.
pub fn parse_duration(s: &str) -> Option<i64> {
    let [hours, minutes] = parts(s, *b"hm")?;
    Some((hours.unwrap_or(0) * 60 + minutes.unwrap_or(0)) * 60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse() {
        let o = |s: &str| parse_offset(s).map(|o| (o.days, o.at_minute, o.elapsed_ms));
        assert_eq!(o("72h"), Some((0, None, 72 * 3_600_000)));
        assert_eq!(o("90m"), Some((0, None, 90 * 60_000)));
        assert_eq!(o("2h30m"), Some((0, None, 150 * 60_000)));
        assert_eq!(o("1d"), Some((1, None, 0)));
        assert_eq!(o("1d2h"), Some((1, None, 2 * 3_600_000)));
        assert_eq!(o("1d@18:00"), Some((1, Some(18 * 60), 0)));
        assert_eq!(o("0d@07:30"), Some((0, Some(7 * 60 + 30), 0)));
        for bad in [
            "",
            "0h",
            "0d",
            "h",
            "72",
            "72H",
            "1h1d",
            "1d1d",
            "30m2h",
            "1d2h@18:00",
            "@18:00",
            "1d@24:00",
            "1d@7:00",
            "1d@18:60",
            "401d",
            " 1h",
            "1h ",
            "12345h",
            "-1h",
            "1.5h",
            "1d@18:00x",
        ] {
            assert_eq!(parse_offset(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("0m"), Some(0));
        assert_eq!(parse_duration("1h30m"), Some(90 * 60_000));
        assert_eq!(parse_duration("45m"), Some(45 * 60_000));
        for bad in ["", "1d", "m", "30m1h", "1h1h", "5", "1 h"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }
}
