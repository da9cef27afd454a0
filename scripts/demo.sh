#!/usr/bin/env bash
# The main job on the bundled sample, from a fresh machine: install the toolchain (no browser),
# build the npm package, then
#   1. map an Epic-style SIU^S12 to the Studio Executions request (dry run: values with their
#      sources, warnings, the request and a curl command),
#   2. turn the PAM flow's "Cancel" reply for that appointment into the HL7 SRM^S04 for the EHR.
#
#   bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --no-browser > .setup.log 2>&1 || { cat .setup.log; exit 1; }
node js/build.mjs > .build.log 2>&1 || { cat .build.log; exit 1; }
rm -f .setup.log .build.log
printf '\n== node js/cli.cjs map samples/siu_s12_booked.hl7 --profile samples/profile.json\n\n'
node js/cli.cjs map samples/siu_s12_booked.hl7 --profile samples/profile.json
printf '\n== node js/cli.cjs reply samples/reply_cancel.json --profile samples/profile.json\n\n'
node js/cli.cjs reply samples/reply_cancel.json --profile samples/profile.json
