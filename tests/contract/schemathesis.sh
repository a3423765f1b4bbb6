#!/usr/bin/env bash
# Contract check: Schemathesis (property-based API testing) against a running stack, driven by the
# OpenAPI description the stack itself serves. Every operation — public Open311 in both formats,
# the signed-in staff API and the citizen's reopen — with generated valid and invalid inputs;
# fails on any 5xx, any status, content type or JSON body the description does not allow, and any
# XML answer that is not well-formed or not rooted as Open311 clients expect.
#
# Staff operations run signed in as the demo administrator the dev server seeds in its user pool
# (infra/local/src/cognito.rs), at the Cognito endpoint the admin page's settings name, as the
# page signs in (local stacks only: a town's accounts are its own). A few tickets
# are entered first (one open, two closed, all reported by the same email), and generated requests
# use their numbers and that email half of the time, so changes and reopening get past 404.
#
# Usage: tests/contract/schemathesis.sh BASE_URL      e.g. http://127.0.0.1:3311
# Tuning (environment): SCHEMATHESIS_MAX_EXAMPLES (per operation and phase, default 15),
# SCHEMATHESIS_SEED (replay a run: its seed is printed at the end), SCHEMATHESIS_TIMEOUT (seconds,
# default 300: the whole run is killed, and fails, past it).
# Needs the project venv (infra/local/venv.sh all) and a stack serving the demo catalog
# (infra/seed/catalog.json). No stdin, no TTY, no network beyond BASE_URL.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 BASE_URL   (e.g. http://127.0.0.1:3311)" >&2
  exit 2
fi
base=${1%/}
schemathesis="$root/.venv/bin/schemathesis"
python="$root/.venv/bin/python"
if [ ! -x "$schemathesis" ] || [ ! -x "$python" ]; then
  echo "schemathesis.sh: $schemathesis is missing; run infra/local/venv.sh all" >&2
  exit 2
fi

# Schemathesis and Hypothesis write nothing into the work tree: run from a scratch directory.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"

# The description can only say "a string" of the XML form; this check adds that every XML answer
# is well-formed XML 1.0 with the root element Open311 clients (FixMyStreet) look for. The hook
# below it works around an interpreter bug.
cat > "$scratch/contract_hooks.py" << 'PY'
import ast
import threading
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
        if parts[3].startswith("servicerequestupdates") and case.method.upper() == "POST":
            # FixMyStreet's own spelling for the answer to an update it sends.
            expected = "service_request_updates"
    if expected and root.tag != expected:
        raise AssertionError(f"The XML root is <{root.tag}>, expected <{expected}>")
    return None


# CPython 3.11's AST constructor counts its recursion depth per interpreter, not per thread, so two
# workers parsing source at once can fail with "SystemError: AST constructor recursion depth
# mismatch" (python/cpython#106905). Hypothesis parses module sources to describe the lambdas
# Schemathesis filters with: one parse at a time.
_parse = ast.parse
_parse_lock = threading.Lock()


def _serial_parse(*args, **kwargs):
    with _parse_lock:
        return _parse(*args, **kwargs)


ast.parse = _serial_parse
PY

# Sign in as an admin, enter the tickets, and write the run's configuration: generated ticket
# numbers (in paths and in updates' bodies), reopen contacts and queue departments draw from these
# values half of the time.
token=$("$python" - "$base" "$scratch/schemathesis.toml" << 'PY'
import json
import re
import sys
import time
import urllib.error
import urllib.request

base, config = sys.argv[1], sys.argv[2]
CONTACT = "contract-reporter@example.org"


def call(method, path, body, token=None):
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def sign_in():
    """The demo administrator's ID token, through the admin page's own settings."""
    with urllib.request.urlopen(base + "/admin", timeout=10) as response:
        page = response.read().decode()
    settings = json.loads(re.search(r'<script type="application/json" id="town311-config">(.*?)</script>', page, re.S).group(1))
    sign_in = settings["sign_in"]
    request = urllib.request.Request(
        sign_in["endpoint"],
        method="POST",
        data=json.dumps({
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": sign_in["client_id"],
            "AuthParameters": {"USERNAME": "ad", "PASSWORD": "Millbrook-Admin-1"},
        }).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["AuthenticationResult"]["IdToken"]


deadline = time.monotonic() + 30
while True:
    try:
        token = sign_in()
        break
    except urllib.error.HTTPError as e:
        sys.exit(f"schemathesis.sh: the staff sign-in answered {e.code}: staff tokens come from a local stack's demo administrator")
    except (OSError, KeyError, AttributeError) as e:
        if time.monotonic() > deadline:
            sys.exit(f"schemathesis.sh: no staff token from {base}: {e}")
        time.sleep(0.5)

try:
    tickets = []
    for n in range(3):
        entered = {"channel": "phone", "service_code": "SIGN", "address_string": f"{n + 1} Contract Street", "email": CONTACT}
        ticket = call("POST", "/staff/v1/tickets", entered, token)["ticket"]
        if n > 0:
            close = {"action": "set_status", "status": "closed", "resolution": "fixed", "version": ticket["version"]}
            call("POST", f"/staff/v1/tickets/{ticket['id']}/actions", close, token)
        tickets.append(ticket)
except urllib.error.HTTPError as e:
    sys.exit(f"schemathesis.sh: entering the contract tickets failed: {e.code} {e.read()[:300]!r}")

with open(config, "w") as f:
    f.write(f"""[dictionaries.tickets]
values = {json.dumps([t["id"] for t in tickets])}

[dictionaries.contacts]
values = {json.dumps([CONTACT])}

[dictionaries.departments]
values = {json.dumps(sorted({t["department"] for t in tickets}))}

[parameters]
"path.id" = {{ dictionary = "tickets", probability = 0.5 }}
"body.contact" = {{ dictionary = "contacts", probability = 0.5 }}
"body.email" = {{ dictionary = "contacts", probability = 0.5 }}
"body.service_request_id" = {{ dictionary = "tickets", probability = 0.5 }}
"query.department" = {{ dictionary = "departments", probability = 0.5 }}
""")
print(token)
PY
)

args=(
  --config-file "$scratch/schemathesis.toml"
  run "$base/open311/v2/openapi.json"
  --url "$base/"
  --wait-for-schema 30
  --header "Authorization: Bearer $token"
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,open311_xml
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-15}"
  --phases examples,coverage,fuzzing,stateful
  --workers 2
  --request-timeout 10
  --generation-database none
  --no-color
)
[ -n "${SCHEMATHESIS_SEED:-}" ] && args+=(--seed "$SCHEMATHESIS_SEED")

echo "Schemathesis against $base (schema: $base/open311/v2/openapi.json; staff operations signed in as contract-admin)"
status=0
NO_COLOR=1 SCHEMATHESIS_HOOKS="$scratch/contract_hooks.py" timeout --kill-after=10 "${SCHEMATHESIS_TIMEOUT:-300}" "$schemathesis" "${args[@]}" < /dev/null || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "schemathesis.sh: the run took longer than ${SCHEMATHESIS_TIMEOUT:-300}s and was stopped" >&2
fi
if [ "$status" -ne 0 ]; then
  echo "schemathesis.sh: FAILED (exit $status)" >&2
  exit 1
fi
echo "schemathesis.sh: passed"
