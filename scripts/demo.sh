#!/usr/bin/env bash
# The main job on the bundled sample, from a fresh machine: install the toolchain (no browser),
# build the npm package, then
#   1. map an Epic-style SIU^S12 to the Studio Executions request (dry run: values with their
#      sources, warnings, the request and a curl command),
#   2. plan that appointment's REMIND reminders (48 h before and 18:00 the day before, inside a
#      09:00–19:00 Mon–Sat outreach window, in the patient's zone),
#   3. map every bundled SIU event (S12/S13/S14/S15/S26) in one batch run: a summary by event type
#      and warning code (dry run),
#   4. turn the PAM flow's "Cancel" reply for that appointment into the HL7 SRM^S04 for the EHR.
#
#   bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --no-browser > .setup.log 2>&1 || { cat .setup.log; exit 1; }
node js/build.mjs > .build.log 2>&1 || { cat .build.log; exit 1; }
rm -f .setup.log .build.log
printf '\n== node js/cli.cjs map samples/siu_s12_booked.hl7 --profile samples/profile.json\n\n'
node js/cli.cjs map samples/siu_s12_booked.hl7 --profile samples/profile.json
# A fixed clock (the sample's MSH-7) so the plan and the batch keys do not depend on today's date.
NOW=2026-12-02T17:15:12Z
printf '\n== node js/cli.cjs reminders samples/siu_s12_booked.hl7 --profile samples/profile-reminders.json --now %s\n\n' "$NOW"
node js/cli.cjs reminders samples/siu_s12_booked.hl7 --profile samples/profile-reminders.json --now "$NOW"
printf '\n== node js/cli.cjs map samples examples/preview/samples --ext hl7 --profile samples/profile.json --now %s\n\n' "$NOW"
node js/cli.cjs map samples examples/preview/samples --ext hl7 --profile samples/profile.json --now "$NOW"
printf '\n== node js/cli.cjs reply samples/reply_cancel.json --profile samples/profile.json\n\n'
node js/cli.cjs reply samples/reply_cancel.json --profile samples/profile.json
