#!/usr/bin/env bash
# `make run`: the whole product on 127.0.0.1 — the emulator, provisioned from template.yaml and
# seeded with the demo catalog and staff, and the dev server in front of the function handlers.
# The dev server's closing lines list where everything is and the demo staff's sign-ins.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PORT=${PORT:-3311} EMULATOR_PORT=${EMULATOR_PORT:-5311}

command -v cargo > /dev/null || { echo "make run: cargo (Rust) is needed: https://rustup.rs" >&2; exit 1; }
# Where cargo puts its builds (CARGO_TARGET_DIR, a config's build.target-dir, or ./target).
target=$(cargo metadata --format-version 1 --no-deps --locked \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
infra/local/venv.sh emulator
echo "Building the dev server (a first build compiles the AWS SDK and takes several minutes)"
# Cargo's own progress on a terminal; elsewhere (CI, a log) one line when it is done.
built_at=$(date +%s)
if [ -t 2 ]; then
  cargo build --locked -p town311-local --bin devserver
else
  cargo build --locked --quiet -p town311-local --bin devserver
fi
echo "Dev server built in $(( $(date +%s) - built_at )) s"

mkdir -p .run
pidfile=".run/devserver-$PORT.pid"
devserver_pid=""
cleanup() {
  if [ -n "$devserver_pid" ] && kill -0 "$devserver_pid" 2> /dev/null; then
    kill "$devserver_pid" 2> /dev/null || true
    wait "$devserver_pid" 2> /dev/null || true
  fi
  rm -f "$pidfile"
  infra/local/emulator.sh stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

infra/local/emulator.sh start
# The emulator just started, whatever EMULATOR_URL the caller's environment names (make test
# exports the test emulator's).
EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT" "$target/debug/devserver" &
devserver_pid=$!
echo "$devserver_pid" > "$pidfile"
wait "$devserver_pid"
