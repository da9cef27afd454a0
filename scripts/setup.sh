#!/usr/bin/env bash
# Install everything the build and the tests need. Idempotent: each step is skipped when already
# satisfied. Meant for a fresh Debian machine (run as root) that has only Node 20+, npm, Rust stable
# (rustup) and Python; also fine on a developer machine that already has the tools.
#
#   bash scripts/setup.sh                 everything (build + all tests)
#   bash scripts/setup.sh --no-browser    skip Chromium (enough to build and run the CLI)
set -euo pipefail
NO_BROWSER=0
for a in "$@"; do
  case "$a" in
    --no-browser) NO_BROWSER=1 ;;
    *) echo "setup: unknown option $a" >&2; exit 2 ;;
  esac
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."

t0=$SECONDS
say() { printf '== setup: %s\n' "$*"; }

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WB_VERSION=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)
[ -n "$WB_VERSION" ] || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }

# Node >= 20 (the repo's tooling and the package's engines field).
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "setup: Node >= 20 required, found $(node --version)" >&2; exit 1; }

# 1. Rust: the wasm32 target (+ rustfmt/clippy, normally part of the default profile).
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rust target wasm32-unknown-unknown: present"
else
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for comp in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^${comp}"; then
    say "rustup component add ${comp}"
    rustup component add "${comp}"
  fi
done

# 2. wasm-bindgen CLI (also provides wasm-bindgen-test-runner). Not --locked: that fails for 0.2.130.
if [ "$(wasm-bindgen --version 2>/dev/null || true)" = "wasm-bindgen ${WB_VERSION}" ]; then
  say "wasm-bindgen ${WB_VERSION}: present"
else
  say "cargo install wasm-bindgen-cli --version ${WB_VERSION} (takes a few minutes)"
  cargo install wasm-bindgen-cli --version "${WB_VERSION}" --force
fi

# 3. Chromium for the browser tests (Debian's; never a downloaded browser build).
if [ "$NO_BROWSER" = 1 ]; then
  say "chromium: skipped (--no-browser)"
elif [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  say "chromium: present ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
else
  say "apt-get install chromium chromium-driver"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver
fi

# 4. JS dev tooling, exactly as locked (binaryen for wasm-opt, typescript 5 + 7, playwright-core,
#    and the Node 22 and 24 binaries used to re-run the Node tests).
say "npm ci"
npm ci --no-audit --no-fund

# 5. python-hl7, an independent parser the SRM output is checked with (tests/py), and the MLLP
#    client (mllp_send) the engine tests send the corpus with.
if python3 -c 'import hl7, sys; sys.exit(0 if hl7.__version__ == "0.4.5" else 1)' 2>/dev/null; then
  say "python-hl7 0.4.5: present"
else
  say "pip install hl7==0.4.5"
  python3 -m pip install --quiet --disable-pip-version-check hl7==0.4.5
fi

# 6. Postgres server binaries for the engine's multi-replica test (tests/js/engine-crash-pg.test.mjs
#    starts and stops its own server on a temp data dir). No default cluster or service: the
#    package's main cluster is not created.
if compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  say "postgres: present ($(ls -d /usr/lib/postgresql/*/bin/postgres | tail -1))"
else
  say "apt-get install postgresql (binaries only, no main cluster)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    $SUDO mkdir -p /etc/postgresql-common
    echo 'create_main_cluster = false' | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
fi

say "done in $((SECONDS - t0)) s"
