#!/usr/bin/env bash
# Starts or stops the AWS emulator (moto in server mode) on 127.0.0.1:$EMULATOR_PORT.
# Usage: emulator.sh start|stop
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
port=${EMULATOR_PORT:-5311}
run="$root/.run"
pidfile="$run/emulator-$port.pid"
log="$run/emulator-$port.log"
mkdir -p "$run"

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2> /dev/null
}

answering() {
  "$root/.venv/bin/python" - "$port" << 'PY' 2> /dev/null
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/moto-api/", timeout=1)
PY
}

case "${1:-}" in
  start)
    if running && answering; then
      echo "Emulator already running on 127.0.0.1:$port"
      exit 0
    fi
    if answering; then
      echo "emulator.sh: port $port is taken by another process; set EMULATOR_PORT" >&2
      exit 1
    fi
    "$root/infra/local/venv.sh" emulator
    # Its own session, so a Ctrl-C meant for the dev server reaches it only through `stop`.
    setsid "$root/.venv/bin/python" "$root/infra/local/emulator.py" -H 127.0.0.1 -p "$port" > "$log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    for _ in $(seq 1 100); do
      if answering; then
        echo "Emulator (moto) on http://127.0.0.1:$port"
        exit 0
      fi
      if ! running; then break; fi
      sleep 0.2
    done
    echo "emulator.sh: moto did not start; see $log" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
    ;;
  stop)
    if running; then
      pid=$(cat "$pidfile")
      kill "$pid" 2> /dev/null || true
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2> /dev/null || true
      echo "Emulator on port $port stopped"
    fi
    rm -f "$pidfile"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
