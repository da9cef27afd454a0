//! Helpers shared by integration tests (`mod common;`).
#![allow(dead_code)] // each test binary uses a subset

/// xorshift64*: a deterministic pseudo-random generator with no dependency, for smoke fuzzing.
pub struct Rng(pub u64);

impl Rng {
    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (0 when `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A random element of a non-empty slice.
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len())]
    }
}

/// `UPDATE_GOLDEN=1`: regenerate golden files instead of comparing.
pub fn update_golden() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1")
}

/// Compare (or, with `UPDATE_GOLDEN=1`, write) one pretty-printed JSON golden per case in `dir`,
/// and report stale `.json` files nobody produced. `cases` are (file name, value) pairs; `test`
/// names the cargo test for the hint in the failure message.
pub fn check_goldens(dir: &str, test: &str, cases: Vec<(String, serde_json::Value)>) {
    let mut failures = Vec::new();
    let names: Vec<&str> = cases.iter().map(|(n, _)| n.as_str()).collect();
    for (name, value) in &cases {
        let text = serde_json::to_string_pretty(value).expect("serialize") + "\n";
        let path = format!("{dir}/{name}");
        if update_golden() {
            std::fs::create_dir_all(dir).expect("create golden dir");
            std::fs::write(&path, &text).expect("write golden");
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == text => {}
            Ok(_) => failures.push(format!("{name}: differs from {path}")),
            Err(_) => failures.push(format!("{name}: missing {path}")),
        }
    }
    for e in std::fs::read_dir(dir).expect("golden dir") {
        let n = e.expect("entry").file_name().to_string_lossy().into_owned();
        if n.ends_with(".json") && !names.contains(&n.as_str()) {
            failures.push(format!("stale golden {n}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(run UPDATE_GOLDEN=1 cargo test --test {test} and review)",
        failures.join("\n")
    );
}

/// Every file under `dir` (recursively) whose extension is `ext`, sorted.
pub fn files_with_ext(dir: &str, ext: &str) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("fixtures dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, ext, out);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    let mut v = Vec::new();
    walk(std::path::Path::new(dir), ext, &mut v);
    v.sort();
    v
}
