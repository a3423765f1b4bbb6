#!/usr/bin/env bash
# Creates the project's Python venv (.venv) and installs the pinned requirements into it.
# Usage: venv.sh [emulator|all]   (emulator: moto only, for `make run`; all: also the checks)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.venv"
want=${1:-all}

python=${PYTHON:-python3}
if ! command -v "$python" > /dev/null; then
  echo "venv.sh: $python is needed (Python 3.9 or newer)" >&2
  exit 1
fi
# install VENV FILE: creates VENV if needed, and installs FILE into it unless it has not changed
# since the last install.
install() {
  local into=$1 file=$2
  if [ ! -x "$into/bin/python" ]; then
    echo "Creating the Python venv in ${into#"$root/"}"
    "$python" -m venv "$into"
  fi
  local stamp="$venv/.installed-$(basename "$file")"
  if [ ! -f "$stamp" ] || ! cmp -s "$file" "$stamp"; then
    echo "Installing $(basename "$file") into ${into#"$root/"}"
    "$into/bin/pip" install --quiet --disable-pip-version-check -r "$file" < /dev/null
    cp "$file" "$stamp"
  fi
}
install "$venv" "$root/infra/local/requirements.txt"
if [ "$want" = all ]; then
  install "$venv" "$root/infra/local/requirements-check.txt"
  # checkov's pins conflict with the SAM CLI's and moto's: a venv of its own, run from .venv/bin.
  install "$venv/checkov" "$root/infra/local/requirements-checkov.txt"
  ln -sfn ../checkov/bin/checkov "$venv/bin/checkov"
fi
