#!/usr/bin/env python3
"""Contract check: real third-party Open311 client libraries from PyPI, end to end.

Usage: .venv/bin/python tests/contract/third_party_client.py BASE_URL   (e.g. http://127.0.0.1:3311)

Against a stack serving the demo catalog (infra/seed/catalog.json), through each library's own API:

* civicbot (0.4.0): the only Python 3 Open311 client on PyPI that can submit. It lists services,
  fetches POTHOLE's definition, checks and submits a request (attribute[SIZE]=large, lat/long,
  description), reads it back by id and by a service_request_id listing, submits a multi-value
  answer (attribute[CARTS][]), follows a batch service's token, and sees the server refuse a
  request without its required answer.
* georeport (0.3.1): a read-only client. In JSON and in XML (FixMyStreet's format) it lists
  services, fetches a definition and reads the request back.

The older candidates cannot run here: `three` 0.8.0 imports itertools.ifilter and relaxml (Python
2 only) and `open311` 1.1 uses Python 2 implicit relative imports (and fetches definitions from
`service/` instead of `services/`).

TOWN311_API_KEY, when set, is sent with each submission (for a deployment that requires keys).
Exits 0 when every step passes, 1 with a message naming the failed step otherwise.
"""
from __future__ import annotations

import math
import os
import re
import sys
import time
import traceback
import urllib.error

W3C_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
PRIVATE_FIELDS = ("email", "phone", "first_name", "last_name", "device_id", "deviceid", "account_id")


class Failed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def step(message: str) -> None:
    print(f"  ok  {message}", flush=True)


def same_number(a, b) -> bool:
    return a is not None and math.isclose(float(a), float(b), abs_tol=1e-9)


def check_public_record(record: dict, *, service_request_id: str, service_code: str, description: str,
                        lat: float, long: float, where: str) -> None:
    check(isinstance(record, dict), f"{where}: expected a request record, got {record!r}")
    check(record.get("service_request_id") == service_request_id,
          f"{where}: service_request_id {record.get('service_request_id')!r} != {service_request_id!r}")
    check(record.get("service_code") == service_code, f"{where}: service_code is {record.get('service_code')!r}")
    check(record.get("status") == "open", f"{where}: status is {record.get('status')!r}, expected open")
    check(record.get("description") == description, f"{where}: description is {record.get('description')!r}")
    check(same_number(record.get("lat"), lat) and same_number(record.get("long"), long),
          f"{where}: lat/long are {record.get('lat')!r}/{record.get('long')!r}, expected {lat}/{long}")
    for field in ("requested_datetime", "updated_datetime"):
        check(W3C_DATETIME.match(str(record.get(field) or "")) is not None,
              f"{where}: {field} {record.get(field)!r} is not a W3C datetime with a timezone")
    check(bool(record.get("agency_responsible")), f"{where}: agency_responsible is empty")
    leaked = [f for f in PRIVATE_FIELDS if f in record]
    check(not leaked, f"{where}: the public record carries the reporter's {', '.join(leaked)}")


def with_civicbot(base: str) -> dict:
    """The full round trip through civicbot's Open311Client; returns what georeport reads back."""
    from civicbot import Endpoint, HttpError, HttpTransport, Open311Client
    from civicbot.http import RateLimiter

    api_key = os.environ.get("TOWN311_API_KEY") or None
    print(f"civicbot: an Open311Client on this server ({'with' if api_key else 'no'} api_key)")
    endpoint = Endpoint(id="town311", name="town311 (local stack)", base_url=f"{base}/open311/v2",
                        write=True, api_key_required_for_write=api_key is not None)
    client = Open311Client(endpoint, HttpTransport(rate_limiter=RateLimiter(min_interval=0.0)))

    services = client.list_services()
    check(isinstance(services, list) and services, f"services.json: expected a non-empty list, got {services!r}")
    by_code = {s.get("service_code"): s for s in services}
    check("POTHOLE" in by_code, f"services.json: no POTHOLE among {sorted(by_code)}")
    pothole = by_code["POTHOLE"]
    check(pothole.get("metadata") is True, f"services.json: POTHOLE metadata is {pothole.get('metadata')!r}")
    check(pothole.get("type") == "realtime", f"services.json: POTHOLE type is {pothole.get('type')!r}")
    step(f"list_services: {len(services)} services, POTHOLE is realtime with a definition")

    definition = client.get_service_definition("POTHOLE")
    check(definition.get("service_code") == "POTHOLE", f"services/POTHOLE.json: {definition!r}")
    attributes = {a.get("code"): a for a in definition.get("attributes", [])}
    size = attributes.get("SIZE")
    check(size is not None and size.get("required") is True and size.get("variable") is True,
          f"services/POTHOLE.json: SIZE should be a required question, got {size!r}")
    check("large" in {v.get("key") for v in size.get("values", [])}, f"SIZE has no 'large' choice: {size!r}")
    orders = [a.get("order") for a in definition["attributes"]]
    check(orders == sorted(orders) and len(set(orders)) == len(orders), f"attribute orders {orders}")
    step(f"get_service_definition(POTHOLE): {len(attributes)} attributes, SIZE required")

    # civicbot checks the form against the live definition first, then sends it.
    description = f"Contract check {time.time_ns()}\nDeep hole by the crosswalk"
    lat, lng = 42.123456, -72.654321
    prepared = client.create_request(
        "POTHOLE", dry_run=False, confirm="SEND", api_key=api_key, validate_remote=True,
        lat=lat, lng=lng, description=description, attributes={"SIZE": "large"},
        email="ana@example.org", first_name="Ana", last_name="Lopes", phone="+15550100199",
    )
    created = prepared.response
    check(isinstance(created, list) and len(created) == 1, f"POST requests.json: expected one element, got {created!r}")
    service_request_id = created[0].get("service_request_id")
    check(bool(service_request_id), f"POST requests.json: no service_request_id in {created!r}")
    check("token" not in created[0], f"POST requests.json: both a service_request_id and a token: {created!r}")
    check(bool(created[0].get("service_notice")), f"POST requests.json: no service_notice in {created!r}")
    step(f"create_request(POTHOLE, SIZE=large): service_request_id {service_request_id}")

    expected = dict(service_request_id=service_request_id, service_code="POTHOLE",
                    description=description, lat=lat, long=lng)
    record = client.get_request(service_request_id)
    check_public_record(record, where="get_request", **expected)
    check(record.get("service_name") == pothole.get("service_name"),
          f"get_request: service_name {record.get('service_name')!r}")
    step("get_request: the same request, open, with its description, point and no personal data")

    listed = client.list_requests(service_request_ids=[service_request_id, "ZZZZ-ZZZZ"])
    check(isinstance(listed, list) and [r.get("service_request_id") for r in listed] == [service_request_id],
          f"list_requests(service_request_ids): expected exactly {service_request_id}, got {listed!r}")
    check_public_record(listed[0], where="list_requests", **expected)
    listed = client.list_requests(service_code="POTHOLE", status="open", start_date=record["requested_datetime"])
    check(service_request_id in {r.get("service_request_id") for r in listed},
          f"list_requests(service_code=POTHOLE, status=open, start_date=...) does not include {service_request_id}")
    step("list_requests: by service_request_id and by service_code/status")

    # A required answer left out is the server's to refuse (validate_remote=False: no local check).
    try:
        client.create_request("POTHOLE", dry_run=False, confirm="SEND", api_key=api_key, lat=lat, lng=lng)
        raise Failed("POST without attribute[SIZE] was accepted")
    except HttpError as e:
        check(e.status == 400, f"POST without attribute[SIZE]: HTTP {e.status}, expected 400 ({e.body})")
        check("SIZE" in e.body and '"code":400' in e.body.replace(" ", ""),
              f"POST without attribute[SIZE]: the error list does not name SIZE: {e.body}")
    step("create_request without the required SIZE: HTTP 400, an error list naming attribute[SIZE]")

    if "MISSED_TRASH" in by_code:
        prepared = client.create_request(
            "MISSED_TRASH", dry_run=False, confirm="SEND", api_key=api_key, validate_remote=True,
            address_string="12 Elm Street", attributes={"CARTS": ["trash", "recycling"]})
        check(bool(prepared.response[0].get("service_request_id")), f"MISSED_TRASH: {prepared.response!r}")
        step(f"create_request(MISSED_TRASH, attribute[CARTS][]=trash,recycling): "
             f"{prepared.response[0]['service_request_id']}")

    batch = next((s for s in services if s.get("type") == "batch"), None)
    if batch is not None:
        code = batch["service_code"]
        definition = client.get_service_definition(code) if batch.get("metadata") else {"attributes": []}
        answers = {}
        for attribute in definition["attributes"]:
            if attribute.get("variable") and attribute.get("required"):
                values = attribute.get("values") or []
                answers[attribute["code"]] = values[0]["key"] if values else "A sofa and two chairs"
        prepared = client.create_request(code, dry_run=False, confirm="SEND", api_key=api_key,
                                         address_string="12 Elm Street", attributes=answers)
        token = prepared.response[0].get("token")
        check(bool(token) and "service_request_id" not in prepared.response[0],
              f"POST {code} (batch): expected a token only, got {prepared.response!r}")
        found = client.get_token(token)
        check(isinstance(found, list) and len(found) == 1 and found[0].get("token") == token
              and found[0].get("service_request_id"), f"get_token: {found!r}")
        batch_record = client.get_request(found[0]["service_request_id"])
        check(batch_record.get("service_code") == code, f"the token's request: {batch_record!r}")
        step(f"create_request({code}, batch): a token; get_token -> {found[0]['service_request_id']}")

    return expected


def with_georeport(base: str, expected: dict) -> None:
    from georeport import GeoReport

    for fmt in ("json", "xml"):
        print(f"georeport ({fmt}): a GeoReport client on this server")
        client = GeoReport(f"{base}/open311/v2", output_format=fmt)
        services = client.get_service_list()
        check(isinstance(services, list) and len(services) > 1, f"get_service_list: {services!r}")
        codes = {s.get("service_code") for s in services}
        check("POTHOLE" in codes, f"get_service_list: no POTHOLE among {sorted(codes)}")
        metadata = {s["service_code"]: s.get("metadata") for s in services}
        # JSON booleans are real booleans; XML carries the words true/false.
        check(metadata["POTHOLE"] in (True, "true"), f"POTHOLE metadata {metadata['POTHOLE']!r}")
        step(f"get_service_list: {len(services)} services")

        definition = client.get_service_definition("POTHOLE")
        attributes = definition.get("attributes")
        if fmt == "xml":
            attributes = (attributes or {}).get("attribute")
        check(definition.get("service_code") == "POTHOLE" and isinstance(attributes, list),
              f"get_service_definition: {definition!r}")
        check("SIZE" in {a.get("code") for a in attributes}, f"get_service_definition: no SIZE in {attributes!r}")
        step(f"get_service_definition(POTHOLE): {len(attributes)} attributes")

        record = client.get_service_request(expected["service_request_id"])
        check_public_record(record, where=f"get_service_request ({fmt})", **expected)
        if fmt == "xml":
            # A null is an empty element, which xmltodict reads as None.
            check(record.get("status_notes") is None, f"XML status_notes {record.get('status_notes')!r}")
            # The promised date (POTHOLE: three business days) is a W3C datetime.
            expected_at = record.get("expected_datetime")
            check(isinstance(expected_at, str) and W3C_DATETIME.match(expected_at) is not None,
                  f"XML expected_datetime {expected_at!r}")
        step(f"get_service_request({expected['service_request_id']}): the same request")

        listed = client.get_service_requests(service_request_id=expected["service_request_id"])
        if fmt == "xml":
            listed = [listed] if isinstance(listed, dict) else listed
        check(isinstance(listed, list) and len(listed) == 1, f"get_service_requests: {listed!r}")
        check_public_record(listed[0], where=f"get_service_requests ({fmt})", **expected)
        step("get_service_requests(service_request_id=...): the same request")


def main() -> int:
    if len(sys.argv) != 2 or not sys.argv[1].startswith(("http://", "https://")):
        print(f"usage: {sys.argv[0]} BASE_URL   (e.g. http://127.0.0.1:3311)", file=sys.stderr)
        return 2
    base = sys.argv[1].rstrip("/")
    try:
        expected = with_civicbot(base)
        with_georeport(base, expected)
    except Failed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # an HTTP error, a connection refused, a library raising: all failures
        traceback.print_exc()
        body = getattr(e, "body", "")
        print(f"FAIL: {type(e).__name__}: {e}{(' ' + body) if body and body not in str(e) else ''}",
              file=sys.stderr)
        return 1
    print("third_party_client.py: civicbot and georeport work end to end against town311")
    return 0


if __name__ == "__main__":
    sys.exit(main())
