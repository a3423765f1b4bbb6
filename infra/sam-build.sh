#!/usr/bin/env bash
# The one deployable build, for `make deploy` and `make test`: `sam build`, which builds each
# function with its BuildMethod rust-cargolambda (`cargo lambda build --release --arm64 --bin
# <Binary>` in the function's CodeUri directory) into .aws-sam/build. Every function compiles
# into the workspace's one target directory (CARGO_TARGET_DIR if set), so the dependencies they
# share compile once. Extra arguments go to `sam build` (e.g. --template-file, --build-dir).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if command -v rustup > /dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  rustup target add aarch64-unknown-linux-gnu
fi
# SAM CLI, cargo-lambda and the zig it links with come from the venv (PyPI aws-sam-cli,
# cargo-lambda, ziglang).
export PATH="$root/.venv/bin:$PATH" SAM_CLI_TELEMETRY=0
exec sam build --base-dir "$root" "$@"
