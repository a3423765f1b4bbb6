#!/usr/bin/env bash
# Browser tests of the citizen form, the status page and the admin page, on Debian's chromium
# driven by playwright-core, against a local stack of their own (dev server + emulator on
# BROWSER_PORT / BROWSER_EMULATOR_PORT). Screenshots of every page, in English and Spanish, go to
# target/browser/. Exits non-zero when a test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
port=${BROWSER_PORT:-3314}
emulator_port=${BROWSER_EMULATOR_PORT:-5315}
artefacts="$root/target/browser"

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends chromium; then
    apt-get update
    apt-get install -y --no-install-recommends chromium
  fi
fi
command -v npm > /dev/null || { echo "browser tests: node and npm are needed" >&2; exit 1; }
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

infra/local/venv.sh emulator
cargo build --locked --quiet -p town311-local --bin devserver
mkdir -p "$artefacts"
rm -f "$artefacts"/*.png

# No routing rules: the clerk's part of the journey is to assign the request by hand (routing has
# its own tests in tests/tests/routing.rs).
PORT=$port EMULATOR_PORT=$emulator_port RESOURCE_PREFIX=town311-browser ROUTING=none CLIENT_WRITE_LIMIT=100000 \
  infra/local/run.sh > "$artefacts/stack.log" 2>&1 &
stack_pid=$!
stop_stack() {
  kill "$stack_pid" 2> /dev/null || true
  wait "$stack_pid" 2> /dev/null || true
  PORT=$port EMULATOR_PORT=$emulator_port infra/local/stop.sh > /dev/null 2>&1 || true
}
trap stop_stack EXIT

base="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "$base/open311/v2/services.json" && break
  kill -0 "$stack_pid" 2> /dev/null || { cat "$artefacts/stack.log"; exit 1; }
  sleep 0.2
done
node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
  "$base/open311/v2/services.json" || { echo "the stack did not start:" >&2; cat "$artefacts/stack.log"; exit 1; }

cd tests/browser
BASE_URL=$base EMULATOR_URL=http://127.0.0.1:$emulator_port INBOUND_BUCKET=town311-browser-photos ARTEFACTS=$artefacts node --test --test-concurrency=1 --test-reporter=spec tests/*.test.mjs
echo "Screenshots: $artefacts"
