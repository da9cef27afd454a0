//! Generates `src/phone/plan_data.rs`, the numbering-plan tables behind `ehr_studio_bridge::phone`,
//! from the libphonenumber metadata (`PhoneNumberMetadata.xml`) bundled in the `phonenumber` crate
//! (a dev-dependency: it is never linked into the library or the wasm).
//!
//! ```sh
//! cargo run --example gen_phonedata            # rewrite src/phone/plan_data.rs
//! cargo run --example gen_phonedata -- --check # exit 1 if the checked-in file is stale
//! ```
//!
//! What is kept, per region (every territory of the metadata, plus the non-geographic `001`
//! entities such as `+800`): the calling code, whether it is the main region of that code, the
//! international (IDD) prefix, the national prefix, the national prefix for parsing and its
//! transform rule, the leading digits that pick the region among those sharing a code, and eleven
//! number descriptions (general, premium rate, toll free, shared cost, VoIP, personal number,
//! pager, UAN, voicemail, fixed line, mobile), each as a pattern and its possible lengths.
//!
//! Patterns use a small regular-expression subset (digits, `\d`, `[…]` classes with ranges, `(…)`
//! and `(?:…)` groups, `|`, `?`, `{n}`, `{n,m}` and `$`); [`parse`] rejects anything else, so a new
//! metadata release that uses more syntax fails here rather than matching wrongly at run time. Each
//! pattern is compiled into a pre-order byte code (see [`encode`]) run by the backtracking matcher in
//! `src/phone/matcher.rs`; identical patterns are stored once.
//!
//! `tests/phone_plans.rs` runs [`generate`] and compares it with the checked-in file (drift), and
//! checks the matcher and the classification against the `regex` crate and the `phonenumber` crate
//! on every example number of the metadata and thousands of mutations.

use phonenumber::metadata::{Descriptor, Metadata, DATABASE};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Output path, relative to the crate root.
pub const OUT: &str = "src/phone/plan_data.rs";
/// The libphonenumber release the `phonenumber` crate bundles (its version's build metadata).
pub const METADATA_VERSION: &str = "9.0.33";

/// Byte-code tags (kept in sync with `src/phone/matcher.rs`).
pub const T_CLASS: u8 = 1;
pub const T_END: u8 = 2;
pub const T_SEQ: u8 = 3;
pub const T_ALT: u8 = 4;
pub const T_REP: u8 = 5;
pub const T_CAP: u8 = 6;
/// `max` of an unbounded repetition (the metadata never uses one; kept for completeness).
pub const REP_INF: u8 = 255;

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// One digit from a set (bit `d` = digit `d`).
    Class(u16),
    /// `$`.
    End,
    Seq(Vec<Node>),
    Alt(Vec<Node>),
    /// `child{min,max}`.
    Rep(Box<Node>, u8, u8),
    /// A capturing group (1-based index).
    Cap(u8, Box<Node>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    groups: u8,
}

/// Parse a metadata pattern (whitespace ignored, as libphonenumber's build does).
pub fn parse(src: &str) -> Result<Node, String> {
    let clean: Vec<u8> = src.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let mut p = Parser {
        s: &clean,
        i: 0,
        groups: 0,
    };
    let n = p.alt()?;
    if p.i != clean.len() {
        return Err(format!("unexpected `{}` at {}", clean[p.i] as char, p.i));
    }
    Ok(n)
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn alt(&mut self) -> Result<Node, String> {
        let mut alts = vec![self.seq()?];
        while self.peek() == Some(b'|') {
            self.i += 1;
            alts.push(self.seq()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Seq(vec![]))
        } else {
            Node::Alt(alts)
        })
    }
    fn seq(&mut self) -> Result<Node, String> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            let atom = self.atom()?;
            let atom = self.quant(atom)?;
            match atom {
                Node::Seq(inner) => items.extend(inner),
                a => items.push(a),
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Node::Seq(vec![]))
        } else {
            Node::Seq(items)
        })
    }
    fn num(&mut self) -> Result<u8, String> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()
            .and_then(|t| t.parse::<u8>().ok())
            .filter(|&n| n < REP_INF)
            .ok_or_else(|| format!("bad count at {start}"))
    }
    fn quant(&mut self, atom: Node) -> Result<Node, String> {
        let (min, max) = match self.peek() {
            Some(b'?') => {
                self.i += 1;
                (0, 1)
            }
            Some(b'*') => {
                self.i += 1;
                (0, REP_INF)
            }
            Some(b'+') => {
                self.i += 1;
                (1, REP_INF)
            }
            Some(b'{') => {
                self.i += 1;
                let lo = self.num()?;
                let hi = if self.peek() == Some(b',') {
                    self.i += 1;
                    if self.peek() == Some(b'}') {
                        REP_INF
                    } else {
                        self.num()?
                    }
                } else {
                    lo
                };
                if self.peek() != Some(b'}') || hi < lo {
                    return Err(format!("bad repetition at {}", self.i));
                }
                self.i += 1;
                (lo, hi)
            }
            _ => return Ok(atom),
        };
        if matches!(self.peek(), Some(b'?' | b'+' | b'*' | b'{')) {
            return Err(format!("stacked quantifier at {}", self.i));
        }
        if atom == Node::End {
            return Err("quantified `$`".into());
        }
        Ok(match (min, max) {
            (1, 1) => atom,
            _ => Node::Rep(Box::new(atom), min, max),
        })
    }
    fn atom(&mut self) -> Result<Node, String> {
        let c = self.peek().ok_or("unexpected end")?;
        self.i += 1;
        match c {
            b'0'..=b'9' => Ok(Node::Class(1 << (c - b'0'))),
            b'\\' => match self.peek() {
                Some(b'd') => {
                    self.i += 1;
                    Ok(Node::Class(0x3ff))
                }
                other => Err(format!("unsupported escape {:?}", other.map(char::from))),
            },
            b'$' => Ok(Node::End),
            b'[' => {
                let mut mask = 0u16;
                let mut first = true;
                loop {
                    let c = self.peek().ok_or("unclosed class")?;
                    self.i += 1;
                    match c {
                        b']' if !first => break,
                        b'0'..=b'9' => {
                            if self.peek() == Some(b'-') && self.s.get(self.i + 1) != Some(&b']') {
                                let hi = *self.s.get(self.i + 1).ok_or("unclosed range")?;
                                if !(c..=b'9').contains(&hi) {
                                    return Err("bad range".into());
                                }
                                self.i += 2;
                                for d in c..=hi {
                                    mask |= 1 << (d - b'0');
                                }
                            } else {
                                mask |= 1 << (c - b'0');
                            }
                        }
                        b'\\' if self.peek() == Some(b'd') => {
                            self.i += 1;
                            mask |= 0x3ff;
                        }
                        _ => return Err(format!("unsupported class item `{}`", c as char)),
                    }
                    first = false;
                }
                Ok(Node::Class(mask))
            }
            b'(' => {
                let cap = if self.peek() == Some(b'?') {
                    if self.s.get(self.i + 1) != Some(&b':') {
                        return Err("unsupported group kind".into());
                    }
                    self.i += 2;
                    None
                } else {
                    self.groups += 1;
                    Some(self.groups)
                };
                let inner = self.alt()?;
                if self.peek() != Some(b')') {
                    return Err("unclosed group".into());
                }
                self.i += 1;
                Ok(match cap {
                    Some(n) => Node::Cap(n, Box::new(inner)),
                    None => inner,
                })
            }
            _ => Err(format!("unsupported `{}`", c as char)),
        }
    }
}

fn push_u16(out: &mut Vec<u8>, v: usize) -> Result<(), String> {
    let v = u16::try_from(v).map_err(|_| "pattern too large".to_string())?;
    out.extend_from_slice(&v.to_le_bytes());
    Ok(())
}

/// Encode a node in pre-order: `CLASS lo hi`, `END`, `SEQ n len16 children…`, `ALT n len16
/// children…`, `REP min max len16 child`, `CAP idx len16 child` (lengths are of the children's
/// bytes, so every node can be skipped in O(1)).
pub fn encode(n: &Node, out: &mut Vec<u8>) -> Result<(), String> {
    match n {
        Node::Class(m) => {
            out.push(T_CLASS);
            out.extend_from_slice(&m.to_le_bytes());
        }
        Node::End => out.push(T_END),
        Node::Seq(items) | Node::Alt(items) => {
            let mut body = Vec::new();
            for it in items {
                encode(it, &mut body)?;
            }
            out.push(if matches!(n, Node::Seq(_)) {
                T_SEQ
            } else {
                T_ALT
            });
            out.push(u8::try_from(items.len()).map_err(|_| "too many items")?);
            push_u16(out, body.len())?;
            out.extend_from_slice(&body);
        }
        Node::Rep(c, lo, hi) => {
            let mut body = Vec::new();
            encode(c, &mut body)?;
            out.extend_from_slice(&[T_REP, *lo, *hi]);
            push_u16(out, body.len())?;
            out.extend_from_slice(&body);
        }
        Node::Cap(i, c) => {
            let mut body = Vec::new();
            encode(c, &mut body)?;
            out.extend_from_slice(&[T_CAP, *i]);
            push_u16(out, body.len())?;
            out.extend_from_slice(&body);
        }
    }
    Ok(())
}

/// The eleven descriptions, in the order libphonenumber's `getNumberTypeHelper` tests them after
/// the general one (the generated `Desc` array has this order).
pub const KINDS: [&str; 11] = [
    "general",
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
];

/// The metadata's description of a kind (index into [`KINDS`]).
pub fn desc(m: &Metadata, kind: usize) -> Option<&Descriptor> {
    let m = m.descriptors();
    match kind {
        0 => Some(m.general()),
        1 => m.premium_rate(),
        2 => m.toll_free(),
        3 => m.shared_cost(),
        4 => m.voip(),
        5 => m.personal_number(),
        6 => m.pager(),
        7 => m.uan(),
        8 => m.voicemail(),
        9 => m.fixed_line(),
        10 => m.mobile(),
        _ => None,
    }
}

fn len_mask(lens: &[u16]) -> Result<u32, String> {
    let mut m = 0u32;
    for &l in lens {
        if l > 31 {
            return Err(format!("length {l} out of range"));
        }
        m |= 1 << l;
    }
    Ok(m)
}

/// The general description's possible lengths: the union of the types' (libphonenumber computes
/// them so at build time; the XML leaves them out), and the local-only lengths that are not also
/// national lengths.
pub fn general_lengths(m: &Metadata) -> Result<(u32, u32), String> {
    let g = m.descriptors().general();
    if !g.possible_length().is_empty() {
        return Ok((
            len_mask(g.possible_length())?,
            len_mask(g.possible_local_length())? & !len_mask(g.possible_length())?,
        ));
    }
    let (mut nat, mut local) = (0u32, 0u32);
    for k in 1..KINDS.len() {
        if let Some(d) = desc(m, k) {
            nat |= len_mask(d.possible_length())?;
            local |= len_mask(d.possible_local_length())?;
        }
    }
    Ok((nat, local & !nat))
}

/// Every region, ordered by calling code and, within a code, main region first then the
/// metadata's order (the order libphonenumber tries them in).
pub fn regions() -> Vec<&'static Metadata> {
    let mut out = Vec::new();
    for cc in 1u16..1000 {
        if let Some(ids) = DATABASE.region(&cc) {
            for id in ids {
                if let Some(m) = DATABASE.by_code(&cc).and_then(|ms| {
                    ms.into_iter()
                        .find(|m| m.id() == id && m.country_code() == cc)
                }) {
                    out.push(m);
                }
            }
        }
    }
    out
}

struct Pool {
    bytes: Vec<u8>,
    offsets: Vec<usize>,
    index: HashMap<String, usize>,
}

impl Pool {
    fn add(&mut self, src: &str) -> Result<usize, String> {
        let clean: String = src.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(&i) = self.index.get(&clean) {
            return Ok(i);
        }
        let node = parse(&clean).map_err(|e| format!("{clean}: {e}"))?;
        let i = self.offsets.len();
        self.offsets.push(self.bytes.len());
        encode(&node, &mut self.bytes)?;
        self.index.insert(clean, i);
        Ok(i)
    }
}

/// The generated file's text.
pub fn generate() -> Result<String, String> {
    let mut pool = Pool {
        bytes: Vec::new(),
        offsets: Vec::new(),
        index: HashMap::new(),
    };
    let none = u16::MAX as usize;
    let mut rows = String::new();
    let regions = regions();
    for m in &regions {
        let mut pat = |s: Option<&str>| -> Result<usize, String> {
            match s {
                Some(s) if !s.trim().is_empty() => pool.add(s),
                _ => Ok(none),
            }
        };
        let idd = pat(m.international_prefix().map(|r| r.as_str()))?;
        // libphonenumber: no nationalPrefixForParsing means the national prefix itself.
        let npp = match m.national_prefix_for_parsing() {
            Some(r) => pat(Some(r.as_str()))?,
            None => pat(m.national_prefix())?,
        };
        let leading = pat(m.leading_digits().map(|r| r.as_str()))?;
        let (glen, glocal) = general_lengths(m)?;
        let mut descs = String::new();
        for k in 0..KINDS.len() {
            let (p, lens) = match desc(m, k) {
                Some(d) => (
                    pat(Some(d.national_number().as_str()))?,
                    if k == 0 {
                        glen
                    } else {
                        len_mask(d.possible_length())?
                    },
                ),
                None => (none, 0),
            };
            if p == none && k == 0 {
                return Err(format!("{}: no general description", m.id()));
            }
            let _ = write!(descs, "d({p}, {lens:#x}), ");
        }
        let _ = writeln!(
            rows,
            "    Region {{ iso: {:?}, calling_code: {:?}, main: {}, idd: {idd}, national_prefix: {:?}, npp: {npp}, transform: {:?}, leading: {leading}, local_lens: {glocal:#x}, desc: [{}] }},",
            m.id(),
            m.country_code().to_string(),
            m.is_main_country_for_code(),
            m.national_prefix().unwrap_or(""),
            m.national_prefix_transform_rule().unwrap_or(""),
            descs.trim_end_matches(", "),
        );
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "// @generated by examples/gen_phonedata.rs from libphonenumber {METADATA_VERSION} metadata\n\
         // (PhoneNumberMetadata.xml, Copyright (C) 2009 The Libphonenumber Authors, Apache-2.0),\n\
         // as bundled in the `phonenumber` crate. Do not edit: run `cargo run --example gen_phonedata`.\n\
         // {} regions, {} distinct patterns, {} bytes of pattern code.\n",
        regions.len(),
        pool.offsets.len(),
        pool.bytes.len()
    );
    let _ = writeln!(s, "use super::plan::{{d, Region}};\n");
    let _ = writeln!(
        s,
        "/// The libphonenumber release of the metadata.\npub const METADATA_VERSION: &str = {METADATA_VERSION:?};\n"
    );
    let _ = writeln!(
        s,
        "/// Every region, by calling code (main region first).\npub static REGIONS: &[Region] = &["
    );
    s.push_str(&rows);
    let _ = writeln!(s, "];\n");
    let _ = writeln!(
        s,
        "/// Start of each pattern's byte code in [`CODE`].\npub static PATTERNS: &[u32] = &["
    );
    for chunk in pool.offsets.chunks(16) {
        let line: Vec<String> = chunk.iter().map(usize::to_string).collect();
        let _ = writeln!(s, "    {},", line.join(", "));
    }
    let _ = writeln!(s, "];\n");
    let _ = writeln!(
        s,
        "/// The patterns' byte code (see `matcher.rs`).\npub static CODE: &[u8] = &["
    );
    for chunk in pool.bytes.chunks(32) {
        let line: Vec<String> = chunk.iter().map(u8::to_string).collect();
        let _ = writeln!(s, "    {},", line.join(","));
    }
    let _ = writeln!(s, "];");
    Ok(s)
}

#[allow(dead_code)]
fn main() {
    let text = match generate() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("gen_phonedata: {e}");
            std::process::exit(2);
        }
    };
    let check = std::env::args().any(|a| a == "--check");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(OUT);
    if check {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != text {
            eprintln!("{OUT} is stale: run `cargo run --example gen_phonedata`");
            std::process::exit(1);
        }
        println!("{OUT} is up to date");
        return;
    }
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("gen_phonedata: writing {OUT}: {e}");
        std::process::exit(2);
    }
    println!("wrote {OUT}");
}
