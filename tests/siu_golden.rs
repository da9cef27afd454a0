//! Golden outputs: every SIU-ish file of the corpus mapped with its sender's profile, plus the
//! Studio form it produces, compared with `tests/golden/siu/<stem>.json`; and the mapping table
//! rendered to `docs/siu-mapping.md`. Regenerate both with `UPDATE_GOLDEN=1 cargo test --test siu_golden`
//! — then review every change against the raw message (see `tests/golden/siu/REVIEW.md`).

mod common;

use ehr_studio_bridge::{
    build_studio_execution, inbound::map_hl7_stream, inbound::siu_map, profile::CompiledProfile,
    StudioConfig,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The profile each file is mapped with (default `{}`): the sender's preset and, where the message
/// or its sender implies one, the zone. Every choice is explained in REVIEW.md.
const PROFILES: &[(&str, &str)] = &[
    (
        "athena_siu_s12_405",
        r#"{"preset":"athenahealth","sender":{"timeZone":"America/New_York"}}"#,
    ),
    (
        "athena_siu_s12_407",
        r#"{"preset":"athenahealth","sender":{"timeZone":"America/New_York"}}"#,
    ),
    ("clicrdv_siu_s12_fr", r#"{"preset":"clicrdv"}"#),
    (
        "gmed_siu_s12_missing_sch",
        r#"{"sender":{"timeZone":"America/Chicago","defaultCountry":"US"}}"#,
    ),
    ("renalware_barts_siu_s14", r#"{"preset":"renalware"}"#),
    ("xplore_orbis_siu_s14_fr", r#"{"preset":"xplore"}"#),
    (
        "syn_siu_s12_timezone_cases",
        r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#,
    ),
    (
        "syn_siu_s12_utf8_cjk",
        r#"{"sender":{"timeZone":"Asia/Tokyo","defaultCountry":"JP"}}"#,
    ),
    (
        "syn_siu_s12_v251_escapes",
        r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#,
    ),
    (
        "syn_siu_s13_v23_mllp_crlf",
        r#"{"sender":{"timeZone":"America/Los_Angeles","defaultCountry":"US"}}"#,
    ),
    (
        "syn_siu_s14_latin1_bytes",
        r#"{"sender":{"timeZone":"Europe/Paris","defaultCountry":"FR"}}"#,
    ),
    (
        "syn_siu_s15_v27_truncation",
        r#"{"sender":{"timeZone":"Europe/Berlin","defaultCountry":"DE"}}"#,
    ),
    (
        "syn_mllp_stream_two_messages",
        r#"{"sender":{"timeZone":"America/New_York","defaultCountry":"US"}}"#,
    ),
];

fn siu_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("corpus dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "hl7") {
                let name = p.file_name().unwrap().to_string_lossy().to_lowercase();
                let bytes = std::fs::read(&p).unwrap();
                let header_siu =
                    String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).contains("SIU");
                if name.contains("siu") || (name.contains("mllp_stream") && header_siu) {
                    out.push(p);
                }
            }
        }
    }
    let mut v = Vec::new();
    walk(Path::new("tests/fixtures/corpus"), &mut v);
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

fn profile_json(stem: &str) -> &'static str {
    PROFILES
        .iter()
        .find(|(s, _)| *s == stem)
        .map_or("{}", |(_, p)| p)
}

fn golden_for(path: &Path) -> Value {
    let s = stem(path);
    let pj = profile_json(&s);
    let profile = CompiledProfile::from_json(pj).unwrap_or_else(|e| panic!("{s}: profile: {e}"));
    let bytes = std::fs::read(path).unwrap();
    let cfg = StudioConfig::new("FW0123456789abcdef0123456789abcdef", "+15017122661");
    let results = map_hl7_stream(&bytes, &profile).unwrap_or_else(|e| panic!("{s}: {e}"));
    let messages: Vec<Value> = results
        .iter()
        .map(|r| {
            let form = r.event.as_ref().map(|e| {
                let req = build_studio_execution(e, &cfg, None)
                    .unwrap_or_else(|err| panic!("{s}: request: {err}"));
                serde_json::to_value(&req.form).unwrap()
            });
            json!({ "result": r, "studioForm": form })
        })
        .collect();
    json!({
        "file": path.strip_prefix("tests/fixtures/").unwrap_or(path).to_string_lossy(),
        "profile": serde_json::from_str::<Value>(pj).unwrap(),
        "messages": messages,
    })
}

fn update() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1")
}

#[test]
fn every_siu_file_matches_its_golden() {
    let files = siu_files();
    assert!(
        files.len() >= 28,
        "expected all SIU-ish corpus files, found {}",
        files.len()
    );
    let cases = files
        .iter()
        .map(|f| (format!("{}.json", stem(f)), golden_for(f)))
        .collect();
    common::check_goldens("tests/golden/siu", "siu_golden", cases);
}

#[test]
fn every_golden_is_an_event_or_a_coded_skip() {
    for f in siu_files() {
        let g = golden_for(&f);
        for m in g["messages"].as_array().unwrap() {
            let r = &m["result"];
            assert!(
                r["event"].is_object() ^ r["skip"].is_object(),
                "{}: exactly one of event/skip",
                f.display()
            );
            if let Some(code) = r["skip"]["code"].as_str() {
                assert!(ehr_studio_bridge::event::skip_codes::ALL.contains(&code));
                assert!(!r["skip"]["reason"].as_str().unwrap().is_empty());
            } else {
                let p: Value =
                    serde_json::from_str(m["studioForm"]["Parameters"].as_str().unwrap()).unwrap();
                assert_eq!(p.as_object().unwrap().len(), 14);
            }
        }
    }
}

#[test]
fn mapping_doc_is_in_sync() {
    let md = siu_map::render_markdown();
    let path = "docs/siu-mapping.md";
    if update() {
        std::fs::write(path, &md).unwrap();
        return;
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == md,
        "{path} is out of date: run UPDATE_GOLDEN=1 cargo test --test siu_golden"
    );
}

/// The presets table at the end of docs/profiles.md is generated from the code.
#[test]
fn presets_doc_is_in_sync() {
    let path = "docs/profiles.md";
    let have = std::fs::read_to_string(path).unwrap_or_default();
    let marker = "## Presets\n";
    let head_end = have
        .find(marker)
        .map(|i| i + marker.len())
        .expect("docs/profiles.md has a Presets section");
    let tail = have[head_end..]
        .split_once("| preset |")
        .map(|(intro, _)| intro)
        .unwrap_or("\n");
    let want = format!(
        "{}{}{}",
        &have[..head_end],
        tail,
        ehr_studio_bridge::profile::render_presets_markdown()
    );
    if update() {
        std::fs::write(path, &want).unwrap();
        return;
    }
    assert!(
        have == want,
        "{path} presets are out of date: run UPDATE_GOLDEN=1 cargo test --test siu_golden"
    );
}

/// No warning message or skip reason may contain a patient's name, phone or id from the message.
#[test]
fn warnings_never_contain_phi() {
    for f in siu_files() {
        let g = golden_for(&f);
        for m in g["messages"].as_array().unwrap() {
            let r = &m["result"];
            let ev = if r["event"].is_object() {
                &r["event"]
            } else {
                &r["draft"]
            };
            let mut phi: Vec<String> = Vec::new();
            for k in [
                "patient_first_name",
                "patient_last_name",
                "patient_phone",
                "patient_id",
                "provider_first_name",
                "provider_last_name",
                "appointment_location",
            ] {
                if let Some(v) = ev[k].as_str() {
                    if v.len() >= 4 {
                        phi.push(v.to_lowercase());
                    }
                    // National digits of the phone too.
                    if k == "patient_phone" && v.len() > 8 {
                        phi.push(v[v.len() - 7..].to_owned());
                    }
                }
            }
            // Raw phone digits as written in PID-13/14.
            let raw = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
            for line in raw.split(['\r', '\n']) {
                if let Some(rest) = line.strip_prefix("PID") {
                    let fields: Vec<&str> = rest.split(['|', '$']).collect();
                    for n in [5usize, 13, 14] {
                        if let Some(v) = fields.get(n) {
                            for piece in v.split(|c: char| "^~&!$*".contains(c)) {
                                let digits: String =
                                    piece.chars().filter(char::is_ascii_digit).collect();
                                if digits.len() >= 7 {
                                    phi.push(digits);
                                }
                                if n == 5 && piece.len() >= 4 {
                                    phi.push(piece.to_lowercase());
                                }
                            }
                        }
                    }
                }
            }
            let mut texts: Vec<String> = r["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["message"].as_str().unwrap().to_lowercase())
                .collect();
            if let Some(s) = r["skip"]["reason"].as_str() {
                texts.push(s.to_lowercase());
            }
            // Words of our own vocabulary that are also test patients' names ("ZONE^TESS").
            const OURS: &[&str] = &["zone"];
            for t in &texts {
                let flat: String = t.chars().filter(char::is_ascii_digit).collect();
                let words: Vec<&str> = t.split(|c: char| !c.is_alphanumeric()).collect();
                for p in &phi {
                    if OURS.contains(&p.as_str()) {
                        continue;
                    }
                    let single_word = !p.contains(|c: char| !c.is_alphanumeric());
                    let leaked = if single_word {
                        words.contains(&p.as_str())
                    } else {
                        t.contains(p.as_str())
                    };
                    assert!(!leaked, "{}: warning leaks a value: {t}", f.display());
                    if p.chars().all(|c| c.is_ascii_digit()) {
                        assert!(
                            !flat.contains(p.as_str()),
                            "{}: warning leaks digits: {t}",
                            f.display()
                        );
                    }
                }
            }
        }
    }
}

/// The same check with unmistakable values: a message whose every patient value is a marker.
#[test]
fn warnings_never_contain_marked_values() {
    let msg = "MSH|^~\\&|EHR|FAC|HUB|X|20240115093000||SIU^S14|C1|P|2.5.1\r\
SCH|Pzqmarkplacer|Fzqmarkfiller||||||||||||||||||||||||Cancelled\r\
TQ1|1||||||2024011514300\r\
PID|1||Zqmarkid^^^^XX~Zqmarkid2||Zqmarklast,o'x^Zqmarkfirst€||||||||(190)555-0142~zqmark@x.org^NET~0789zqmark^CP|9999999\r\
AIP|1||Zqmarkprov^Zqmarkdoc1^Zqmarkgiven\r\
AIL|1||Zqmark Room & Co^^^^^^^^\r";
    for profile in [
        "{}",
        r#"{"phones":{"requireMobile":true}}"#,
        r#"{"sender":{"defaultCountry":"GB"}}"#,
    ] {
        let p = CompiledProfile::from_json(profile).unwrap();
        let r = ehr_studio_bridge::map_hl7(msg.as_bytes(), &p).unwrap();
        let j = serde_json::to_value(&r).unwrap();
        for w in j["warnings"].as_array().unwrap() {
            let m = w["message"].as_str().unwrap().to_lowercase();
            assert!(
                !m.contains("zqmark") && !m.contains("0142") && !m.contains("9999999"),
                "{m}"
            );
        }
        if let Some(s) = j["skip"]["reason"].as_str() {
            assert!(!s.to_lowercase().contains("zqmark"));
        }
    }
}
