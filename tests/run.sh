#!/usr/bin/env bash
# `make test`: every test and check, from a clean clone, with no standard input.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
step() { printf '\n== %s\n' "$*"; }

command -v cargo > /dev/null || { echo "make test: cargo (Rust) is needed" >&2; exit 1; }

step "Python tools in .venv (moto, cfn-lint, aws-sam-translator, cargo-lambda)"
infra/local/venv.sh all

step "Formatting"
cargo fmt --all --check

step "template.yaml: cfn-lint on the SAM template and on its offline expansion"
tests/template/check.sh

step "Emulator for the tests"
export EMULATOR_PORT=${TEST_EMULATOR_PORT:-5312}
trap 'infra/local/emulator.sh stop' EXIT
infra/local/emulator.sh start
export EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT"

step "Unit, handler and integration tests"
mkdir -p target
cargo test --workspace --locked --lib --bins --tests 2>&1 | tee target/test-output.log

step "Deployable artefacts"
tests/lambda-build.sh

# One closing line for the whole run: every cargo test binary's results added up.
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' \
  target/test-output.log
