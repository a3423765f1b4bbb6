#!/usr/bin/env bash
# make bench: builds the release artefacts once, measures artefact sizes, cold starts against a
# local Lambda Runtime API (AWS on the emulator), warm handler latency, AWS calls and request
# units per operation, and writes bench/report/latest.md and latest.json with the cost model.
#
# Settings: BENCH_EMULATOR_PORT (5341), BENCH_RUNTIME_PORT (3341), BENCH_RUNS (cold starts per
# function, 40), BENCH_ITERATIONS (warm calls per handler, 2000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
started=$(date +%s)
emulator_port=${BENCH_EMULATOR_PORT:-5341}
runtime_port=${BENCH_RUNTIME_PORT:-3341}
runs=${BENCH_RUNS:-40}
iterations=${BENCH_ITERATIONS:-2000}
target=${CARGO_TARGET_DIR:-$root/target}
out="$target/bench"
mkdir -p "$out" bench/report
step() { echo "== $* ($(( $(date +%s) - started )) s)"; }
timings=()
timed() { # timed NAME COMMAND...: runs it and remembers how long it took
  local name=$1 t0; shift
  t0=$(date +%s)
  "$@"
  timings+=("$name=$(( $(date +%s) - t0 ))")
}

step "tools"
infra/local/venv.sh all
if command -v rustup > /dev/null && ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  rustup target add aarch64-unknown-linux-gnu
fi
export PATH="$root/.venv/bin:$PATH"
command -v cargo-lambda > /dev/null || { echo "bench: cargo-lambda is missing from .venv" >&2; exit 1; }

# Every function template.yaml builds (its BuildProperties' Binary), and the floor.
mapfile -t functions < <(sed -n 's/^ *Binary: *\([a-z0-9_-]*\) *$/\1/p' template.yaml)
[ "${#functions[@]}" -gt 0 ] || { echo "bench: no function in template.yaml" >&2; exit 1; }
packages=(-p town311-hello)
for f in "${functions[@]}"; do packages+=(-p "$f"); done

# One after the other in one target directory: the arm64 build reuses the build scripts and
# procedural macros the x86-64 one compiled for this host, and two builds at once were slower
# here than in turn.
x86="$target"
step "x86-64 release build with the bench harness (cargo build --release)"
timed build_x86_64 cargo build --release --locked "${packages[@]}" -p town311-bench
step "arm64 release build (cargo lambda build --release --arm64)"
# Only the functions' binaries (and the floor), not the photo package's bench program.
bins=(--bin hello)
for f in "${functions[@]}"; do bins+=(--bin "$f"); done
timed build_arm64 cargo lambda build --release --arm64 --locked "${bins[@]}"

step "artefact sizes"
"$root/.venv/bin/python" bench/sizes.py "$target/lambda" "$x86/release" "$out/sizes.json" hello "${functions[@]}"

step "emulator on 127.0.0.1:$emulator_port"
export EMULATOR_PORT=$emulator_port
infra/local/emulator.sh start
trap 'EMULATOR_PORT=$emulator_port infra/local/emulator.sh stop > /dev/null 2>&1 || true' EXIT
endpoint="http://127.0.0.1:$emulator_port"

step "cold starts: $runs per function"
cut -d" " -f1-3 /proc/loadavg > "$out/loadavg.txt"  # how busy the machine was, for the report
timed coldstart "$x86/release/bench" coldstart --emulator "$endpoint" --root "$root" --bin-dir "$x86/release" \
  --out "$out/coldstart.json" --runs "$runs" --port "$runtime_port" \
  --memory "$("$root/.venv/bin/python" bench/report.py --memory-sizes)"
step "photo processing: a 12-megapixel photo, 5 times"
timed photo "$x86/release/photo-bench" "$out/photo.json" 5 > /dev/null
step "warm handlers ($iterations calls each) and AWS calls per operation"
timed warm "$x86/release/bench" warm --out "$out/warm.json" --iterations "$iterations" --emulator "$endpoint" --root "$root"
step "init, step by step ($runs fresh processes per function)"
timed init "$x86/release/bench" init --out "$out/init.json" --runs "$runs"

step "report"
"$root/.venv/bin/python" bench/report.py --target "$target" --started "$started" --timings "${timings[*]}" \
  --out bench/report/latest
echo "bench: wrote bench/report/latest.md and bench/report/latest.json in $(( $(date +%s) - started )) s"
