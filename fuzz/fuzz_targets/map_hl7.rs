//! SIU → Studio request (map with several profiles, validate, build) on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ehr_studio_bridge::fuzz_entry::map_everything(data);
});
