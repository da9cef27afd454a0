//! JSON inputs (FHIR, Redox, profile-mapped JSON, Table B) through map_input and the explicit
//! mappers with several profiles. Nothing may panic; results keep their invariants (see
//! `fuzz_entry::json_inputs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ehr_studio_bridge::fuzz_entry::json_inputs(data);
});
