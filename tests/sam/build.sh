#!/usr/bin/env bash
# The deployable build, made as `make deploy` makes it (infra/sam-build.sh: `sam build`, each
# function by its BuildMethod rust-cargolambda), then the built template checked: every
# function's CodeUri names a directory holding an arm64 executable named bootstrap.
# First it proves `sam build` refuses a copy of template.yaml with one function's CodeUri or
# build method broken (each fails before anything compiles, in seconds).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out="$root/target/sam"
mkdir -p "$out"

# refused NAME SED-EXPRESSION EXPECTED-MESSAGE: `sam build` of SubmitFunction from a copy of
# template.yaml changed by the expression fails, saying so.
refused() {
  local name=$1 expression=$2 expected=$3
  sed "$expression" template.yaml > "$out/$name.yaml"
  if cmp -s template.yaml "$out/$name.yaml"; then
    echo "sam build checks: the $name copy is the template unchanged" >&2
    exit 1
  fi
  if infra/sam-build.sh SubmitFunction --template-file "$out/$name.yaml" --build-dir "$out/$name" \
    > "$out/$name.log" 2>&1; then
    echo "sam build checks: sam build built SubmitFunction with its $name" >&2
    exit 1
  fi
  grep -qF "$expected" "$out/$name.log" || {
    cat "$out/$name.log" >&2
    echo "sam build checks: sam build failed with its $name, but not for it" >&2
    exit 1
  }
}
refused "codeuri-missing" 's|CodeUri: functions/submit$|CodeUri: functions/no-such-function|' \
  "No such file or directory: '$root/functions/no-such-function'"
refused "buildmethod-typo" '/^  SubmitFunction:/,/BuildMethod:/ s/BuildMethod: rust-cargolambda/BuildMethod: rust-cargo-lambda-typo/' \
  "'rust-cargo-lambda-typo' does not have a supported builder"
# With no build method, SAM builds a provided.al2023 function with make, and finds no Makefile.
refused "buildmethod-missing" '/^  SubmitFunction:/,/BuildMethod:/ {/BuildMethod: rust-cargolambda/d}' \
  "Makefile not found at $root/functions/submit/Makefile"
echo "sam build checks: a missing CodeUri directory, a misspelt and a missing BuildMethod are refused"

started=$(date +%s)
infra/sam-build.sh
echo "sam build: $(($(date +%s) - started)) s"
"$root/.venv/bin/python" tests/sam/built.py .aws-sam/build/template.yaml
