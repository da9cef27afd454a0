//! Query strings two ways: the WHATWG form-urlencoded parser ([`search_param`]) and a port of
//! Node's legacy `querystring` module ([`legacy_querystring`] = `stringify(parse(q))`).

use super::{pct_char, percent_decode};

/// `new URL(href).searchParams.get(name)` given the serialised query.
pub(crate) fn search_param(query: &str, name: &str) -> Option<String> {
    for pair in query.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if form_decode(k) == name {
            return Some(form_decode(v));
        }
    }
    None
}

fn form_decode(s: &str) -> String {
    let plus: Vec<u8> = s
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    String::from_utf8_lossy(&percent_decode(&plus)).into_owned()
}

/// Node's `querystring.stringify(querystring.parse(qs))`.
pub(crate) fn legacy_querystring(qs: &str) -> String {
    let keys = group_keys(qs_parse(qs));
    let mut out = String::with_capacity(qs.len() + 8);
    for i in property_order(&keys) {
        let Some((k, vs)) = keys.get(i) else {
            continue;
        };
        for v in vs {
            if !out.is_empty() {
                out.push('&');
            }
            qs_escape(&mut out, k);
            out.push('=');
            qs_escape(&mut out, v);
        }
    }
    out
}

/// Repeated keys grouped (the first occurrence keeps its position), as `parse` builds its object.
fn group_keys(pairs: Vec<(String, String)>) -> Vec<(String, Vec<String>)> {
    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in pairs {
        match keys.iter_mut().find(|(kk, _)| *kk == k) {
            Some((_, vs)) => vs.push(v),
            None => keys.push((k, vec![v])),
        }
    }
    keys
}

/// JavaScript's property order: array-index keys ascending, then the rest in insertion order.
fn property_order(keys: &[(String, Vec<String>)]) -> impl Iterator<Item = usize> {
    let mut index_keys: Vec<(u64, usize)> = Vec::new();
    let mut other: Vec<usize> = Vec::new();
    for (i, (k, _)) in keys.iter().enumerate() {
        match array_index(k) {
            Some(n) => index_keys.push((n, i)),
            None => other.push(i),
        }
    }
    index_keys.sort_unstable();
    index_keys.into_iter().map(|(_, i)| i).chain(other)
}

fn array_index(k: &str) -> Option<u64> {
    if k.is_empty() || k.len() > 10 || !k.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if k.len() > 1 && k.starts_with('0') {
        return None;
    }
    let n: u64 = k.parse().ok()?;
    (n <= 4_294_967_294).then_some(n)
}

fn qs_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_ascii_alphanumeric()
            || matches!(c, '-' | '_' | '.' | '!' | '~' | '*' | '\'' | '(' | ')')
        {
            out.push(c);
        } else {
            pct_char(out, c);
        }
    }
}

fn qs_unescape(s: &str) -> String {
    String::from_utf8_lossy(&percent_decode(s.as_bytes())).into_owned()
}

/// A port of Node's `querystring.parse` state machine (separator `&`, `=`, maxKeys 1000).
fn qs_parse(qs: &str) -> Vec<(String, String)> {
    let mut p = QsParser::new(qs);
    if qs.is_empty() {
        return p.out;
    }
    for (i, &c) in qs.as_bytes().iter().enumerate() {
        if c == b'&' {
            if !p.separator(i) {
                return p.out;
            }
        } else if p.eq_seen || !p.key_byte(i, c) {
            p.value_byte(i, c);
        }
    }
    p.finish()
}

/// The state of Node's `querystring.parse` loop (its variable names in comments).
struct QsParser<'q> {
    qs: &'q str,
    out: Vec<(String, String)>,
    /// `pairs`: how many more pairs may be read (maxKeys).
    pairs_left: i32,
    /// `lastPos`: where the text not yet copied into the key or value starts.
    last: usize,
    /// `sawEqualSign`.
    eq_seen: bool,
    key: String,
    value: String,
    /// `keyEncoded`, `valEncoded`: a `%XX` was seen, the part needs decoding.
    key_enc: bool,
    val_enc: bool,
    /// `encodeCheck`: 1 after a `%`, +1 per hex digit after it.
    check: u8,
}

impl<'q> QsParser<'q> {
    fn new(qs: &'q str) -> Self {
        QsParser {
            qs,
            out: Vec::new(),
            pairs_left: 1000,
            last: 0,
            eq_seen: false,
            key: String::new(),
            value: String::new(),
            key_enc: false,
            val_enc: false,
            check: 0,
        }
    }

    /// Copy the text since `last`, up to `end`, into the key or the value.
    fn take(&mut self, end: usize, into_value: bool) {
        if self.last < end {
            let text = self.qs.get(self.last..end).unwrap_or("");
            if into_value {
                self.value.push_str(text);
            } else {
                self.key.push_str(text);
            }
        }
    }

    /// One more pair read; false once maxKeys is reached.
    fn count_pair(&mut self) -> bool {
        self.pairs_left -= 1;
        self.pairs_left != 0
    }

    /// `&` at `i`: the pair ends (an empty one is only counted). False: stop (maxKeys).
    fn separator(&mut self, i: usize) -> bool {
        if !self.eq_seen && self.last >= i && self.key.is_empty() {
            self.last = i + 1;
            return self.count_pair();
        }
        self.take(i, self.eq_seen);
        self.add();
        if !self.count_pair() {
            return false;
        }
        self.key_enc = false;
        self.val_enc = false;
        self.key.clear();
        self.value.clear();
        self.check = 0;
        self.last = i + 1;
        self.eq_seen = false;
        true
    }

    /// `encodeCheck`: after a `%`, two hex digits mean the part holds an escape. `Some(done)`
    /// when `c` belongs to such an escape (`done`: the second digit), `None` otherwise.
    fn escape_step(&mut self, c: u8) -> Option<bool> {
        if c == b'%' {
            self.check = 1;
            return Some(false);
        }
        if self.check > 0 {
            if c.is_ascii_hexdigit() {
                self.check = self.check.saturating_add(1);
                return Some(self.check == 3);
            }
            self.check = 0;
        }
        None
    }

    /// A byte of the key (before any `=`); false when the value rules apply to it as well.
    fn key_byte(&mut self, i: usize, c: u8) -> bool {
        if c == b'=' {
            self.eq_seen = true;
            self.take(i, false);
            self.check = 0;
            self.last = i + 1;
            return true;
        }
        if !self.key_enc {
            if let Some(done) = self.escape_step(c) {
                self.key_enc = done;
                return true;
            }
        }
        if c == b'+' {
            self.take(i, false);
            self.key.push(' ');
            self.last = i + 1;
            return true;
        }
        false
    }

    /// A byte of the value (or a key byte the key rules did not consume).
    fn value_byte(&mut self, i: usize, c: u8) {
        if c == b'+' {
            self.take(i, true);
            self.value.push(' ');
            self.last = i + 1;
        } else if !self.val_enc && self.escape_step(c) == Some(true) {
            self.val_enc = true;
        }
    }

    /// The pair being read, decoded where an escape was seen.
    fn add(&mut self) {
        let decode = |s: &str, enc: bool| {
            if !s.is_empty() && enc {
                qs_unescape(s)
            } else {
                s.to_owned()
            }
        };
        let pair = (
            decode(&self.key, self.key_enc),
            decode(&self.value, self.val_enc),
        );
        self.out.push(pair);
    }

    /// The end of the input: the last pair, unless it is empty.
    fn finish(mut self) -> Vec<(String, String)> {
        let len = self.qs.len();
        if self.last < len {
            self.take(len, self.eq_seen);
        } else if !self.eq_seen && self.key.is_empty() {
            return self.out;
        }
        self.add();
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_qs() {
        assert_eq!(
            legacy_querystring("test=param'WithQuote"),
            "test=param'WithQuote"
        );
        assert_eq!(legacy_querystring("a=1&b=%27&c"), "a=1&b='&c=");
        assert_eq!(legacy_querystring("b=1&2=x&1=y&b=2"), "1=y&2=x&b=1&b=2");
        assert_eq!(legacy_querystring("a+b=c+d&&=e"), "a%20b=c%20d&=e");
        assert_eq!(legacy_querystring("x=%zz%41"), "x=%25zzA");
        assert_eq!(legacy_querystring("q=a#frag"), "q=a%23frag");
        assert_eq!(
            search_param("a=1&bodySHA256=ab+c%20", "bodySHA256").as_deref(),
            Some("ab c ")
        );
    }
}
