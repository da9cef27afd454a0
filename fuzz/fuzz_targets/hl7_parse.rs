//! HL7 v2 parse + walk + query + tree + ACK + MLLP on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ehr_studio_bridge::fuzz_entry::hl7_everything(data);
});
