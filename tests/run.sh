#!/usr/bin/env bash
# `make test`: every test and check, from a clean clone, with no standard input.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Each stage's line says how long the one before it took, and the whole run so far.
started=$(date +%s)
stage_at=""
step() {
  local now
  now=$(date +%s)
  [ -z "$stage_at" ] || printf '(%d s; %d s in all)\n' $((now - stage_at)) $((now - started))
  stage_at=$now
  printf '\n== %s\n' "$*"
}

command -v cargo > /dev/null || { echo "make test: cargo (Rust) is needed" >&2; exit 1; }

step "Python tools in .venv (moto, cfn-lint, aws-sam-translator, SAM CLI, cargo-lambda, checkov)"
infra/local/venv.sh all

step "Formatting"
cargo fmt --all --check

step "template.yaml: cfn-lint on the SAM template and on its offline expansion, sam validate --lint, checkov"
tests/template/check.sh

step "Emulator for the tests"
export EMULATOR_PORT=${TEST_EMULATOR_PORT:-5312}
trap 'infra/local/emulator.sh stop' EXIT
infra/local/emulator.sh start
export EMULATOR_URL="http://127.0.0.1:$EMULATOR_PORT"

step "Unit, handler and integration tests"
mkdir -p target
# Each test binary writes the functions' logs to target/logs/<binary>-<pid>.jsonl; the privacy
# check below reads this run's only.
rm -rf "${CARGO_TARGET_DIR:-target}/logs"
cargo test --workspace --locked --lib --bins --tests 2>&1 | tee target/test-output.log

step "Contract checks against a running stack: Schemathesis from the OpenAPI document, third-party clients"
contract_port=${CONTRACT_PORT:-3312}
contract_emulator=${CONTRACT_EMULATOR_PORT:-5313}
cargo build --locked --quiet -p town311-local --bin devserver
PORT=$contract_port EMULATOR_PORT=$contract_emulator RESOURCE_PREFIX=town311-contract CLIENT_WRITE_LIMIT=100000 \
  infra/local/run.sh > target/contract-stack.log 2>&1 &
stack_pid=$!
# The stack may be gone already: the trap must still reach the emulator's stop.
trap 'kill "$stack_pid" 2> /dev/null || true; wait "$stack_pid" 2> /dev/null || true; infra/local/emulator.sh stop' EXIT
contract_url="http://127.0.0.1:$contract_port"
for _ in $(seq 1 150); do
  .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "$contract_url/open311/v2/discovery.json" 2> /dev/null && break
  kill -0 "$stack_pid" 2> /dev/null || { cat target/contract-stack.log; exit 1; }
  sleep 0.2
done
tests/contract/schemathesis.sh "$contract_url"
.venv/bin/python tests/contract/third_party_client.py "$contract_url"
kill "$stack_pid"
wait "$stack_pid" 2> /dev/null || true

step "Browser tests: the citizen form, the status page and the admin page in Debian's chromium"
tests/browser/run.sh 2>&1 | tee target/browser-output.log

step "Privacy: no email or phone number in any log line of this run (the check's own tests first)"
.venv/bin/python -m unittest discover -s tests/privacy
.venv/bin/python tests/privacy/logs.py

step "Deployable artefacts: sam build, as make deploy builds (and its refusal of a broken CodeUri or BuildMethod)"
tests/sam/build.sh

step "Done"

# One closing line for the whole run: every cargo test binary's results and the browser tests
# added up.
awk '/^test result:/ { passed += $4; failed += $6 }
     /^ℹ pass / { passed += $3 } /^ℹ fail / { failed += $3 }
     END { printf "tests: %d passed, %d failed\n", passed, failed }' \
  target/test-output.log target/browser-output.log
