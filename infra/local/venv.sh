#!/usr/bin/env bash
# Creates the project's Python venv (.venv) and installs the pinned requirements into it.
# Usage: venv.sh [emulator|all]   (emulator: moto only, for `make run`; all: also the checks)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.venv"
want=${1:-all}
files=("$root/infra/local/requirements.txt")
[ "$want" = all ] && files+=("$root/infra/local/requirements-check.txt")

python=${PYTHON:-python3}
if ! command -v "$python" > /dev/null; then
  echo "venv.sh: $python is needed (Python 3.9 or newer)" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "Creating the Python venv in .venv"
  "$python" -m venv "$venv"
fi
# Reinstall only when a requirements file changed since the last install.
for file in "${files[@]}"; do
  stamp="$venv/.installed-$(basename "$file")"
  if [ ! -f "$stamp" ] || ! cmp -s "$file" "$stamp"; then
    echo "Installing $(basename "$file") into .venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$file" < /dev/null
    cp "$file" "$stamp"
  fi
done
