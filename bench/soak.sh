#!/usr/bin/env bash
# make soak: the storm-night reliability run (tests/src/soak.rs) at full size on its own
# emulator; writes bench/report/soak.md and soak.json and fails when a target is missed.
#
# Settings: SOAK_EMULATOR_PORT (5342), SOAK_REPORTS (300), SOAK_CLIENTS (16),
# SOAK_OUTAGE_SECONDS (5).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v cargo > /dev/null || { echo "make soak: cargo (Rust) is needed" >&2; exit 1; }
infra/local/venv.sh emulator
echo "Building the soak run"
cargo build --locked --quiet -p town311-tests --bin soak
export EMULATOR_PORT=${SOAK_EMULATOR_PORT:-5342}
trap 'infra/local/emulator.sh stop' EXIT
infra/local/emulator.sh start
mkdir -p bench/report
EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT" SOAK_COMMIT=$(git rev-parse --short HEAD 2> /dev/null || echo unknown) \
  "${CARGO_TARGET_DIR:-$root/target}/debug/soak"
