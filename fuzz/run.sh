#!/usr/bin/env bash
# Run one cargo-fuzz target, seeded from the test fixtures (needs the nightly toolchain and
# `cargo install cargo-fuzz`). Usage: fuzz/run.sh <target> [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?target name, e.g. hl7_parse}
secs=${2:-300}
mkdir -p "fuzz/corpus/$target"
case "$target" in
  hl7_*|map_hl7) find tests/fixtures/corpus -name '*.hl7' -size -20k -exec cp {} "fuzz/corpus/$target/" \; ;;
  phone) printf '\x01(617) 555-0142' > "fuzz/corpus/$target/us"; printf '\x0207911 123456' > "fuzz/corpus/$target/gb"
         printf '\x011^617^5550142' > "fuzz/corpus/$target/parts"; printf '\x08011 15 2345 6789' > "fuzz/corpus/$target/ar" ;;
  *json*|*fhir*|*redox*|*reply*) find tests/fixtures/fhir tests/fixtures/redox tests/fixtures/twilio -name '*.json' -size -20k -exec cp {} "fuzz/corpus/$target/" \; ;;
esac
cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- -max_total_time="$secs" -print_final_stats=1
