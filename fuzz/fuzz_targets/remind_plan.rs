//! REMIND planning: schedules cut from the input, appointment times in DST zones, and the planner's
//! JSON input. Nothing may panic; plans keep their invariants (see `fuzz_entry::reminders`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    ehr_studio_bridge::fuzz_entry::reminders(data);
});
