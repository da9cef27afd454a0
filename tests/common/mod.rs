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

/// Bytes the mutations insert: delimiters, segment and MLLP framing bytes, the null `""`, digits
/// and letters of names and phones, and bytes that make the text invalid UTF-8.
pub const HL7_INTERESTING: &[u8] =
    b"|^~\\&#\r\n\x0b\x1c\"MSHPIDSCAILTQ1+X.0123456789\xff\xc3\xa9\x80";

/// A deterministic mutation of HL7 bytes (one to seven edits: a byte replaced or inserted from
/// [`HL7_INTERESTING`], bytes deleted, a chunk repeated, the end cut).
pub fn mutate_hl7(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..=rng.below(6) {
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.pick(HL7_INTERESTING);
            }
            1 => {
                let i = rng.below(v.len() + 1);
                v.insert(i, rng.pick(HL7_INTERESTING));
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = rng.below(24).min(v.len() - i);
                v.drain(i..i + n);
            }
            3 if !v.is_empty() => {
                let i = rng.below(v.len());
                let n = rng.below(80).min(v.len() - i);
                let chunk: Vec<u8> = v[i..i + n].to_vec();
                let j = rng.below(v.len() + 1);
                v.splice(j..j, chunk);
            }
            _ => v.truncate(v.len() - rng.below(v.len() / 4 + 1)),
        }
    }
    v
}

/// Profiles that exercise the SIU mapper's options: the generic one, zones and countries, strict
/// sanitization, a preset with filters and phone policy, field overrides and defaults.
pub fn siu_profiles() -> Vec<ehr_studio_bridge::profile::CompiledProfile> {
    [
        "{}",
        r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#,
        r#"{"sender":{"timeZone":"America/Chicago","defaultCountry":"US"},"sanitize":"strict"}"#,
        r#"{"preset":"athenahealth","sender":{"timeZone":"Europe/Paris","defaultCountry":"FR"},
            "filters":{"smsConsent":{"path":"PD1-12","values":["Y"],"whenMissing":"send"},"facility":{"deny":["X"]}},
            "phones":{"allowWork":true,"allowLandline":true,"callbackFormat":"e164"}}"#,
        r#"{"sender":{"defaultCountry":"GB"},"hl7":{"appointmentId":"placer","statusField":"SCH-25.2",
            "fields":{"patient_phone":["PID-13","PID-14[2]","PID-13.1"],"provider_callback_phone":["SCH-17.1","SCH-13"],
                      "appointment_location":["AIL-3.2","PV1-3.9"],"appointment_datetime":["TQ1-7","SCH-11.4"],
                      "event_datetime_utc":["EVN-2","MSH-7"],"patient_id":["PID-3[2].1"],"provider_last_name":[]}},
            "defaults":{"providerLastName":"Clinic","appointmentLocation":"Main"}}"#,
    ]
    .iter()
    .map(|j| ehr_studio_bridge::profile::CompiledProfile::from_json(j).expect("profile"))
    .collect()
}
