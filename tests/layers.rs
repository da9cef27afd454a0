//! The crate's dependency direction: every module lives on a floor and may only `use` modules on
//! its own floor or below (the floors are listed in `src/lib.rs`). A lower module that reaches up
//! (say `profile` using `inbound`, or `hl7` using `event`) fails here, naming the file and line.
//!
//! Read from the sources: each file's `crate::<module>` paths (and `crate::<Name>` re-exports of
//! `src/lib.rs`, resolved to their module), outside comments and `#[cfg(test)]` modules (tests may
//! drive the whole pipeline).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Floors, lowest first. A module may use its own floor and the floors below.
const FLOORS: &[&[&str]] = &[
    // Leaves: errors, text and JSON helpers, JSON pointers.
    &["error", "text", "jsonw", "pointer"],
    // Formats and primitives: HL7 v2, zones, phone numbers.
    &["hl7", "time", "phone"],
    // The Table B event, provenance, skips.
    &["event"],
    // The PAM contract: parameter rules, sanitization, the Studio request.
    &["studio"],
    // Patient replies (Twilio → EHR): parsing, signatures, SRM, FHIR writes.
    &["reply"],
    // The profile (holds the studio and reply sections).
    &["profile"],
    // EHR messages → events.
    &["inbound"],
    // REMIND planning from mapped events (reads the profile, builds the REMIND request).
    &["remind"],
    // Entry points: the wasm boundary, the fuzz entries, the crate root.
    &["wasm", "fuzz_entry", "lib"],
];

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`src/inbound/siu/view.rs` → `inbound`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix("src").unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// `pub use module::{A, B}` of `src/lib.rs`: re-exported name → module.
fn reexports() -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string("src/lib.rs").unwrap();
    let mut map = BTreeMap::new();
    let mut stmt = String::new();
    for line in lib.lines() {
        // Items defined in the root itself (`pub const VERSION`).
        if let Some(rest) = line.strip_prefix("pub const ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            map.insert(name, "lib".to_owned());
            continue;
        }
        let t = line.trim();
        if stmt.is_empty() && !t.starts_with("pub use ") {
            continue;
        }
        stmt.push_str(t);
        stmt.push(' ');
        if !t.ends_with(';') {
            continue;
        }
        let body = stmt
            .trim_start_matches("pub use ")
            .trim_end()
            .trim_end_matches(';');
        let (module, names) = body.split_once("::").unwrap();
        for n in names
            .trim_matches(|c| c == '{' || c == '}' || c == ' ')
            .split(',')
        {
            let n = n.trim().rsplit("::").next().unwrap_or("").trim();
            if !n.is_empty() {
                map.insert(n.to_owned(), module.to_owned());
            }
        }
        stmt.clear();
    }
    map
}

/// The code lines of a file: comments and `#[cfg(test)]` modules removed.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        if t.starts_with("#[cfg(test)]") {
            // Skip the item it guards: one line (`mod tests;`) or a braced block.
            let mut depth = 0i32;
            let mut opened = false;
            for (_, l) in lines.by_ref() {
                depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                opened |= l.contains('{');
                if (opened && depth <= 0) || (!opened && l.trim_end().ends_with(';')) {
                    break;
                }
            }
            continue;
        }
        let code = match t.find("//") {
            Some(k) if !t[..k].contains('"') => &t[..k],
            _ => t,
        };
        out.push((i + 1, code.to_owned()));
    }
    out
}

/// The modules a line uses: `crate::module` and `crate::{A, b::C}` (names resolved through the
/// root's re-exports).
fn used_modules(line: &str, reexports: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let resolve = |seg: &str| -> Option<String> {
        let seg = seg.trim();
        if seg.is_empty() || seg == "self" {
            return None;
        }
        Some(
            reexports
                .get(seg)
                .cloned()
                .unwrap_or_else(|| seg.to_owned()),
        )
    };
    let mut rest = line;
    while let Some(k) = rest.find("crate::") {
        let after = &rest[k + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let first = item.trim().split("::").next().unwrap_or("");
                out.extend(resolve(first));
            }
        } else {
            let seg: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.extend(resolve(&seg));
        }
        rest = after;
    }
    out
}

#[test]
fn every_module_has_a_floor() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    for f in &files {
        let m = module_of(f);
        assert!(
            floor_of(&m).is_some(),
            "{}: module `{m}` has no floor in tests/layers.rs (add it to FLOORS and src/lib.rs)",
            f.display()
        );
    }
}

#[test]
fn lower_modules_never_use_higher_ones() {
    let reexports = reexports();
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut edges = 0usize;
    for f in &files {
        if f.file_name().is_some_and(|n| n == "tests.rs") {
            continue; // a `#[cfg(test)] mod tests;` file
        }
        let m = module_of(f);
        let Some(own) = floor_of(&m) else { continue };
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in code_lines(&text) {
            for used in used_modules(&line, &reexports) {
                if used == m {
                    continue;
                }
                edges += 1;
                match floor_of(&used) {
                    Some(fl) if fl <= own => {}
                    Some(_) => violations.push(format!(
                        "{}:{n}: `{m}` uses the higher module `{used}`",
                        f.display()
                    )),
                    None => violations.push(format!(
                        "{}:{n}: `{m}` uses `crate::{used}`, which has no floor",
                        f.display()
                    )),
                }
            }
        }
    }
    assert!(edges > 50, "the scan found only {edges} cross-module uses");
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_scan_sees_what_it_must() {
    let re = reexports();
    assert_eq!(
        re.get("CompiledProfile").map(String::as_str),
        Some("profile")
    );
    assert_eq!(re.get("map_input").map(String::as_str), Some("inbound"));
    assert_eq!(
        used_modules("use crate::{Error, inbound::x};", &re),
        ["error", "inbound"]
    );
    assert_eq!(
        used_modules("let x = crate::studio::params::f(crate::time::g());", &re),
        ["studio", "time"]
    );
    let src = "use crate::a;\n// crate::b\n#[cfg(test)]\nmod tests {\n    use crate::c;\n}\nfn f() { crate::d::x() } // crate::e\n";
    let lines: Vec<String> = code_lines(src).into_iter().map(|(_, l)| l).collect();
    let used: Vec<String> = lines.iter().flat_map(|l| used_modules(l, &re)).collect();
    assert_eq!(used, ["a", "d"]);
}
