//! The generated "Schema" part of docs/profiles.md (every key, pointer and type of the profile)
//! is kept in sync with the schema tables in src/profile/ (listed in src/profile.rs). Regenerate with
//! `UPDATE_GOLDEN=1 cargo test --test profile_docs`.
#![cfg(not(target_arch = "wasm32"))]

#[test]
fn schema_doc_is_in_sync() {
    let path = "docs/profiles.md";
    let have = std::fs::read_to_string(path).unwrap();
    let (start, end) = ("<!-- schema:start -->\n", "<!-- schema:end -->");
    let a = have.find(start).expect("schema start marker") + start.len();
    let b = have.find(end).expect("schema end marker");
    let want = format!(
        "{}{}{}",
        &have[..a],
        ehr_studio_bridge::profile::render_schema_markdown(),
        &have[b..]
    );
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(path, &want).unwrap();
        return;
    }
    assert!(
        have == want,
        "{path} schema is out of date: run UPDATE_GOLDEN=1 cargo test --test profile_docs"
    );
}
