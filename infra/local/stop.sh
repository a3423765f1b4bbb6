#!/usr/bin/env bash
# `make stop`: ends what `make run` started: the dev server on $PORT and the emulator on
# $EMULATOR_PORT (give the same PORT / EMULATOR_PORT as to `make run`).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PORT=${PORT:-3311} EMULATOR_PORT=${EMULATOR_PORT:-5311}
pidfile=".run/devserver-$PORT.pid"
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2> /dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.1
    done
    echo "Dev server on port $PORT stopped"
  fi
  rm -f "$pidfile"
fi
infra/local/emulator.sh stop
