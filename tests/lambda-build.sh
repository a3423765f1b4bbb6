#!/usr/bin/env bash
# Builds every function as Lambda will run it (`cargo lambda build --release --arm64`) and checks
# each artefact is an arm64 executable named bootstrap.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
functions=(submit query route update web)
if command -v rustup > /dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  rustup target add aarch64-unknown-linux-gnu
fi
# cargo-lambda and the zig it links with come from the venv (PyPI cargo-lambda, ziglang).
export PATH="$root/.venv/bin:$PATH"
packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done
cargo lambda build --release --arm64 --locked "${packages[@]}"
target=${CARGO_TARGET_DIR:-$root/target}
for f in "${functions[@]}"; do
  "$root/.venv/bin/python" - "$target/lambda/$f/bootstrap" << 'PY'
import os, struct, sys
path = sys.argv[1]
with open(path, "rb") as f:
    header = f.read(20)
if header[:4] != b"\x7fELF" or struct.unpack("<H", header[18:20])[0] != 183:
    sys.exit(f"{path} is not an arm64 (aarch64) ELF executable")
print(f"  {path}: arm64 ELF, {os.path.getsize(path) / 1e6:.1f} MB")
PY
done
