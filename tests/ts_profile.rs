//! The TypeScript declaration of the profile shipped in the `.d.ts` (src/wasm/profile.d.ts, pulled
//! in by `include_str!`) is generated from the profile's schema table: it cannot drift.
//! Regenerate with `UPDATE_GOLDEN=1 cargo test --test ts_profile`.
#![cfg(not(target_arch = "wasm32"))]

#[test]
fn profile_typescript_is_generated_from_the_schema() {
    let want = ehr_studio_bridge::profile::typescript_declaration();
    let path = "src/wasm/profile.d.ts";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &want).expect("write");
    }
    let have = std::fs::read_to_string(path).expect("read");
    assert_eq!(
        have, want,
        "{path} is stale: run UPDATE_GOLDEN=1 cargo test --test ts_profile"
    );
}
