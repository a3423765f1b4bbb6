#!/usr/bin/env bash
# `make stop`: ends the dev server and every emulator the local scripts started.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
if [ -f .run/devserver.pid ]; then
  pid=$(cat .run/devserver.pid)
  if kill -0 "$pid" 2> /dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.1
    done
    echo "Dev server stopped"
  fi
  rm -f .run/devserver.pid
fi
for pidfile in .run/emulator-*.pid; do
  [ -e "$pidfile" ] || continue
  port=${pidfile#.run/emulator-}
  EMULATOR_PORT=${port%.pid} infra/local/emulator.sh stop
done
