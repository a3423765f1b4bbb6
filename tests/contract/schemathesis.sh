#!/usr/bin/env bash
# Contract check: Schemathesis (property-based API testing) against a running stack, driven by the
# OpenAPI description the stack itself serves. Every operation, both formats, generated valid and
# invalid inputs; fails on any 5xx, any status, content type or JSON body the description does not
# allow, and any XML answer that is not well-formed or not rooted as Open311 clients expect.
#
# Usage: tests/contract/schemathesis.sh BASE_URL      e.g. http://127.0.0.1:3311
# Tuning (environment): SCHEMATHESIS_MAX_EXAMPLES (per operation and phase, default 15),
# SCHEMATHESIS_SEED (replay a run: its seed is printed at the end), SCHEMATHESIS_TIMEOUT (seconds,
# default 300: the whole run is killed, and fails, past it).
# Needs the project venv (infra/local/venv.sh all). No stdin, no TTY, no network beyond BASE_URL.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 BASE_URL   (e.g. http://127.0.0.1:3311)" >&2
  exit 2
fi
base=${1%/}
schemathesis="$root/.venv/bin/schemathesis"
if [ ! -x "$schemathesis" ]; then
  echo "schemathesis.sh: $schemathesis is missing; run infra/local/venv.sh all" >&2
  exit 2
fi

# Schemathesis and Hypothesis write nothing into the work tree: run from a scratch directory.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"

# The description can only say "a string" of the XML form; this check adds that every XML answer
# is well-formed XML 1.0 with the root element Open311 clients (FixMyStreet) look for.
cat > "$scratch/open311_xml.py" << 'PY'
import xml.etree.ElementTree as ET

import schemathesis

ROOTS = {
    "discovery": "discovery",
    "services": "services",
    "requests": "service_requests",
    "tokens": "service_requests",
    "servicerequestupdates": "service_requests_updates",
}


@schemathesis.check
def open311_xml(ctx, response, case):
    """XML answers are well-formed, rooted as Open311 clients expect."""
    content_type = ",".join(response.headers.get("content-type", []))
    if not case.operation.path.endswith(".xml") or "xml" not in content_type:
        return None
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError as e:
        raise AssertionError(f"The XML answer is not well-formed: {e}") from None
    if response.status_code >= 400:
        expected = "errors"
    else:
        parts = case.operation.path.split("/")
        expected = ROOTS.get(parts[3].split(".")[0]) if len(parts) > 3 else None
        if parts[3] == "services" and len(parts) > 4:
            expected = "service_definition"
    if expected and root.tag != expected:
        raise AssertionError(f"The XML root is <{root.tag}>, expected <{expected}>")
    return None
PY

args=(
  run "$base/open311/v2/openapi.json"
  --url "$base/"
  --wait-for-schema 30
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,open311_xml
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-15}"
  --phases examples,coverage,fuzzing,stateful
  --workers 2
  --request-timeout 10
  --generation-database none
  --no-color
)
[ -n "${SCHEMATHESIS_SEED:-}" ] && args+=(--seed "$SCHEMATHESIS_SEED")

echo "Schemathesis against $base (schema: $base/open311/v2/openapi.json)"
status=0
NO_COLOR=1 SCHEMATHESIS_HOOKS="$scratch/open311_xml.py" timeout --kill-after=10 "${SCHEMATHESIS_TIMEOUT:-300}" "$schemathesis" "${args[@]}" < /dev/null || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "schemathesis.sh: the run took longer than ${SCHEMATHESIS_TIMEOUT:-300}s and was stopped" >&2
fi
if [ "$status" -ne 0 ]; then
  echo "schemathesis.sh: FAILED (exit $status)" >&2
  exit 1
fi
echo "schemathesis.sh: passed"
