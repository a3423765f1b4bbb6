"""Starts moto's server, with two things the local stack needs from its AWS stand-in.

1. DynamoDB requests are handled one at a time. DynamoDB applies each conditional write
   atomically; moto checks the condition and writes in separate steps, so two concurrent
   writers could both pass a check. town311 relies on those conditions (ticket numbers,
   versions, idempotency keys), so the emulator serializes DynamoDB requests to behave like
   the real service. Every other service keeps moto's threads.
   A cancelled TransactWriteItems leaves the table as it was, stream included. moto backs
   a transaction up by deep-copying every table it touches and, when the transaction is
   cancelled, swaps the copies in: every stream iterator handed out before then reads an
   orphaned shard from that moment on (a concurrent retry with one idempotency key, or any
   conditional transaction that fails, silently stops every stream reader), and each
   transaction copies the whole table. The emulator checks every condition first, against
   the state before the transaction as DynamoDB does, and writes only when all hold; no
   table is copied and a cancelled transaction writes no stream record.
   A Query reads one partition, as DynamoDB does: moto sorts the whole table on every Query
   (28 ms at 3,000 items, and growing with the table), which made the local stack slow down
   as a run went on; the emulator hands a Query only the partition it names, and keeps each
   index's partitions until the table is next written.
   An item's attribute values go back as they are kept, already in DynamoDB's JSON: moto
   walks each one through its generic response serializer (about 70% of a GetItem's time).
   Stream iterators expire as DynamoDB Streams' do: 15 minutes after they were handed out
   (moto keeps them forever), GetRecords answers ExpiredIteratorException, and a reader must
   ask again from the last record it processed.
2. Endpoints of its own, under /_town311/:
   - GET  /_town311/outbox  every SMS and email the emulator "sent" (SNS direct publishes to a
     phone number, SES emails), as JSON: what a town's residents would have received;
   - POST /_town311/faults  {"service": "sns", "down": true, "match": "town311-events"}: the
     service answers 503 to every request (whose body contains `match`, if given) until set
     back up, to test that nothing is lost while AWS is unavailable; `"message"` sets the
     error's message (a service quoting the recipient, say);
   - POST /_town311/streams/expire  every stream iterator handed out so far expires now, as
     if 15 minutes had passed, to test that a stream reader takes up where it left off;
   - POST /_town311/ttl  {"table": "town311-tickets", "now": 1767225600}: Time to Live, which
     moto records but never applies: every item whose TTL attribute (`expires_at`) is a time
     before `now` (seconds since the epoch: a test's clock, or the wall clock when left out) is
     deleted, with the stream's REMOVE record, as DynamoDB's TTL deletes it (within days in
     AWS; here when asked). Answers {"deleted": n};
   - POST /_town311/refuse  {"to": "+15550000000"} (or an email address; "refuse": false lifts
     it): as AWS refuses a recipient for good, an SMS to that number answers SNS's
     `InvalidParameter` (400) and an email to that address SES's `MessageRejected` (400), to
     test that one bad recipient does not hold back the others.
   - POST /_town311/inbound/email?bucket=NAME  a raw email (the body, as a mail program sends
     it), received as SES receives mail for the town's domain: SES's verdict headers put on
     top (all passing, or as the `X-Town311-Verdicts` header says, e.g. `spam=FAIL,dkim=fail`)
     and stored in the bucket under `inbound/mail/<id>`, whose notification then reaches the
     inbound topic as S3's would. moto's SES has no receiving: this plays the receipt rule.
   - POST /_town311/inbound/sms  {"topic_arn": ... (or "topic": its name), "from": "+1555...",
     "to": "+1555...", "text": "..."}: a text to the town's number, published to the inbound topic as End User
     Messaging SMS publishes it (moto has no two-way SMS).
3. Amazon Location Service place indexes, which moto does not emulate at all: the three calls
   town311's place index adapter makes (SearchPlaceIndexForText, SearchPlaceIndexForPosition,
   GetPlace), answered from places a test registers with
   POST /_town311/places {"index": "millbrook", "places": [{"PlaceId": "p1", "Label": "...",
   "AddressNumber": "12", "Street": "Main St", "Point": [long, lat]}]} (replacing the index's
   places). A text matches a place when each of its words starts a word of the place's label;
   results are nearest the bias position first. Nothing else of the service is there.
4. Browser uploads (S3 POST with a policy) are checked as S3 checks them: the signature, the
   expiry and every condition (key, content type, size range). moto stores whatever it is
   sent; S3 refuses an upload the policy does not allow, and so does the emulator.
   Upload notifications carry every field S3's do: moto leaves out `userIdentity`,
   `requestParameters` and `responseElements`, which S3 always sends and the photo function's
   event types require.
"""

import base64
import copy
import datetime
import email
import email.policy
import hashlib
import html
import hmac
import inspect
import io
import json
import math
import os
import sys
import threading
import urllib.parse

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import StreamShard, Table
from moto.core.exceptions import JsonRESTError
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
import moto.s3.notifications as s3_notifications
from moto.server import main

_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialized_call_action(self):
    with _lock:
        return _call_action(self)


DynamoHandler.call_action = _serialized_call_action


def _transact_write_items(self, transact_items):
    """DynamoDB's TransactWriteItems: every condition is checked against the state before the
    transaction; then all writes happen, or (cancelled) none, and no stream record either."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    targets = set()
    operations = []
    reasons = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise MockValidationException("Unsupported transaction operation")
        table_name = op["TableName"]
        table = self.get_table(table_name)
        if op_type == "Put":
            attrs = op["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]
        unique = (str(table_name), str(dict(sorted(key.items()))))
        if unique in targets:
            raise MultipleTransactionsException()
        targets.add(unique)
        operations.append((op_type, op, table_name, table, key))
        current = self.get_item(table_name, key)
        condition = op.get("ConditionExpression")
        if condition is not None:
            check = get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            if not check.expr(current):
                old = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    old = current.to_json()["Attributes"]
                reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
                continue
        reasons.append((None, None, None))
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)

    # Every condition holds: write. Should a write still be refused (an invalid update), the
    # items written so far and their stream records are taken back.
    touched = []
    for op_type, op, table_name, table, key in operations:
        current = self.get_item(table_name, key)
        shard = table.stream_shard
        touched.append((table, key, copy.deepcopy(current), shard, len(shard.items) if shard else 0))
    try:
        for op_type, op, table_name, table, key in operations:
            names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            if op_type == "Put":
                self.put_item(table_name, op["Item"], expression_attribute_names=names,
                              expression_attribute_values=values)
            elif op_type == "Delete":
                self.delete_item(table_name, key, expression_attribute_names=names,
                                 expression_attribute_values=values)
            elif op_type == "Update":
                self.update_item(table_name, key, update_expression=op["UpdateExpression"],
                                 expression_attribute_names=names, expression_attribute_values=values)
    except Exception:
        for table, key, before, shard, records in reversed(touched):
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            holder = table.items[hash_value] if range_value is not None else table.items
            slot = range_value if range_value is not None else hash_value
            if before is None:
                holder.pop(slot, None)
            else:
                holder[slot] = before
            if shard is not None:
                del shard.items[records:]
        raise


DynamoDBBackend.transact_write_items = _transact_write_items

_table_query = Table.query
_table_all_items = Table.all_items
_QUERY_SIGNATURE = inspect.signature(_table_query)


def _partition_query(self, hash_key, *args, **kwargs):
    # What `all_items` gives this query: the partition alone (a table query), or the items
    # under that key of the index (an index query), which moto then sorts and filters itself.
    index_name = _QUERY_SIGNATURE.bind(self, hash_key, *args, **kwargs).arguments.get("index_name")
    self._town311_partition = (index_name, hash_key)
    try:
        return _table_query(self, hash_key, *args, **kwargs)
    finally:
        self._town311_partition = None


def _index_partitions(table, index_name):
    """The items of each key of an index, kept until the table is next written."""
    cache = getattr(table, "_town311_indexes", None)
    if cache is None:
        cache = table._town311_indexes = {}
    if index_name not in cache:
        index = next((i for i in table.all_indexes() if i.name == index_name), None)
        hash_keys = [k["AttributeName"] for k in (index.schema if index else []) if k["KeyType"] == "HASH"]
        if len(hash_keys) != 1:
            return None
        partitions = {}
        for item in _table_all_items_unsorted(table):
            value = item.attrs.get(hash_keys[0])
            if value is not None:
                partitions.setdefault(value, []).append(item)
        cache[index_name] = partitions
    return cache[index_name]


def _table_all_items_unsorted(table):
    if not table.range_key_attr:
        return list(table.items.values())
    return [item for items in table.items.values() for item in items.values()]


def _all_items(self):
    partition = getattr(self, "_town311_partition", None)
    if partition is None:
        return _table_all_items(self)
    index_name, hash_key = partition
    if index_name is not None:
        partitions = _index_partitions(self, index_name)
        if partitions is None:
            return _table_all_items_unsorted(self)
        return list(partitions.get(hash_key, []))
    found = self.items.get(hash_key) if hash_key in self.items else None
    if found is None:
        return []
    return list(found.values()) if self.range_key_attr else [found]


def _forgetting_indexes(write):
    def written(self, *args, **kwargs):
        try:
            return write(self, *args, **kwargs)
        finally:
            table = self if isinstance(self, Table) else self.tables.get(args[0] if args else kwargs.get("table_name"))
            if table is not None:
                table._town311_indexes = None

    return written


Table.put_item = _forgetting_indexes(Table.put_item)
Table.delete_item = _forgetting_indexes(Table.delete_item)
DynamoDBBackend.update_item = _forgetting_indexes(DynamoDBBackend.update_item)


_creating = threading.local()
_shard_add = StreamShard.add


def _one_record_per_update(update):
    """DynamoDB streams one INSERT, with the whole new item, for an UpdateItem that creates its
    item; moto first stores the bare key (a put that streams its own INSERT), then updates it.
    That bare put's record is never made, so no stream reader can see it."""
    def updated(self, *args, **kwargs):
        _creating.bare = True
        try:
            return update(self, *args, **kwargs)
        finally:
            _creating.bare = False

    return updated


def _stream_add(self, old, new):
    if getattr(_creating, "bare", False) and old is None and new is not None:
        keys = {self.table.hash_key_attr, self.table.range_key_attr} - {None}
        if set(new.attrs) <= keys:
            _creating.bare = False
            return
    _shard_add(self, old, new)


DynamoDBBackend.update_item = _one_record_per_update(DynamoDBBackend.update_item)
StreamShard.add = _stream_add
Table.query = _partition_query
Table.all_items = _all_items

_serialize_structure = BaseJSONSerializer._serialize_type_structure


def _wire_ready(value):
    """Whether an attribute value as moto keeps it is already its JSON (binary is kept as bytes)."""
    for kind, inner in value.items():
        if kind in ("B", "BS"):
            return False
        if kind == "M" and not all(_wire_ready(v) for v in inner.values()):
            return False
        if kind == "L" and not all(_wire_ready(v) for v in inner):
            return False
    return True


def _serialize_structure_fast(self, serialized, value, shape, key):
    # DynamoDB's AttributeValue is kept in its wire form ({"S": "..."}, {"M": {...}}, ...).
    if shape.name == "AttributeValue" and isinstance(value, dict) and key and _wire_ready(value):
        serialized[self.get_serialized_name(shape, key)] = value
        return
    _serialize_structure(self, serialized, value, shape, key)


BaseJSONSerializer._serialize_type_structure = _serialize_structure_fast

# DynamoDB Streams: how long a shard iterator works once handed out.
_ITERATOR_LIFETIME = datetime.timedelta(minutes=15)
_issued = ShardIterator.__init__


def _issue(self, *args, **kwargs):
    _issued(self, *args, **kwargs)
    self.issued_at = datetime.datetime.now(datetime.timezone.utc)


def _get_records(self, iterator_arn, limit):
    iterator = self.shard_iterators.get(iterator_arn)
    now = datetime.datetime.now(datetime.timezone.utc)
    if iterator is None or now - iterator.issued_at > _ITERATOR_LIFETIME:
        # The expired ones are dropped as they are found: moto would keep every iterator.
        for arn in [a for a, i in self.shard_iterators.items() if now - i.issued_at > _ITERATOR_LIFETIME]:
            del self.shard_iterators[arn]
        raise JsonRESTError("ExpiredIteratorException", "Iterator expired. The iterator was created at a time more than 15 minutes ago.")
    return iterator.get(limit)


def _expire_iterators():
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    expired = 0
    for regions in dynamodbstreams_backends.values():
        for backend in regions.values():
            expired += len(backend.shard_iterators)
            backend.shard_iterators.clear()
    return expired


ShardIterator.__init__ = _issue
DynamoDBStreamsBackend.get_records = _get_records

_down = {}
_dispatch = DomainDispatcherApplication.__call__


def _respond(start_response, status, body, content_type="application/json"):
    data = body.encode("utf-8")
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


def _outbox():
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    sms = []
    for regions in sns_backends.values():
        for region, backend in regions.items():
            for message_id, (phone, text) in backend.sms_messages.items():
                sms.append({"id": message_id, "region": region, "to": phone, "text": text})
    emails = []
    for regions in ses_backends.values():
        for region, backend in regions.items():
            for message in backend.sent_messages:
                entry = {"id": message.id, "region": region, "from": message.source}
                if hasattr(message, "raw_data"):
                    entry.update(to=list(message.destinations), raw=message.raw_data)
                else:
                    to = [a for addresses in message.destinations.values() for a in addresses]
                    entry.update(to=to, subject=message.subject, body=message.body)
                emails.append(entry)
    return {"sms": sms, "emails": emails}


def _service_of(environ):
    """The AWS service a request is for, from its SigV4 credential scope."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    parts = authorization.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    return parts[3] if len(parts) > 3 else ""


# The secret the local stack signs with (infra/local/src/lib.rs: emulator_sdk_config).
_LOCAL_SECRET = os.environ.get("TOWN311_EMULATOR_SECRET", "testing")


def _s3_error(start_response, status, code, message):
    body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return _respond(start_response, status, body, "application/xml")


def _hmac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _policy_refusal(bucket, fields, file_size):
    """Why S3 would refuse this browser upload, or None."""
    policy_b64 = fields.get("policy")
    if policy_b64 is None:
        return None  # not a presigned POST: moto's own rules apply
    credential = fields.get("x-amz-credential", "")
    parts = credential.split("/")
    if len(parts) != 5:
        return ("403 Forbidden", "AccessDenied", "x-amz-credential is malformed")
    date, region, service = parts[1], parts[2], parts[3]
    key = _hmac(("AWS4" + _LOCAL_SECRET).encode("utf-8"), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    expected = hmac.new(key, policy_b64.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields.get("x-amz-signature", "")):
        return ("403 Forbidden", "SignatureDoesNotMatch", "The request signature does not match")
    policy = json.loads(base64.b64decode(policy_b64))
    expiration = datetime.datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    if expiration < datetime.datetime.now(datetime.timezone.utc):
        return ("403 Forbidden", "AccessDenied", "Invalid according to Policy: Policy expired.")
    for condition in policy.get("conditions", []):
        if isinstance(condition, dict):
            for name, value in condition.items():
                given = bucket if name == "bucket" else fields.get(name)
                if given != value:
                    return ("403 Forbidden", "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {name}")
        elif condition[0] == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if file_size > high:
                return ("400 Bad Request", "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
            if file_size < low:
                return ("400 Bad Request", "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
        elif condition[0] == "eq":
            if fields.get(condition[1].lstrip("$")) != condition[2]:
                return ("403 Forbidden", "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {condition[1]}")
        elif condition[0] == "starts-with":
            if not str(fields.get(condition[1].lstrip("$"), "")).startswith(condition[2]):
                return ("403 Forbidden", "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {condition[1]}")
    return None


def _check_browser_upload(environ):
    """Reads a multipart POST to a bucket; returns (refusal or None), with the body restored."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    head = f"Content-Type: {environ.get('CONTENT_TYPE', '')}\r\n\r\n".encode("latin-1")
    message = email.message_from_bytes(head + body, policy=email.policy.HTTP)
    fields, file_size = {}, 0
    for part in message.iter_parts() if message.is_multipart() else []:
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name == "file":
            file_size = len(payload)
        elif name:
            fields[name] = payload.decode("utf-8", "replace")
    bucket = environ.get("PATH_INFO", "/").strip("/").split("/")[0]
    return _policy_refusal(bucket, fields, file_size)


_refused = set()


def _refusal(environ, start_response):
    """The /_town311/refuse endpoint, and SNS's or SES's refusal of a recipient it names; None
    for every other request (its body restored)."""
    if environ.get("PATH_INFO", "") == "/_town311/refuse" and environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        order = json.loads(environ["wsgi.input"].read(length) or b"{}")
        to = str(order.get("to", ""))
        if order.get("refuse", True):
            _refused.add(to)
        else:
            _refused.discard(to)
        return _respond(start_response, "200 OK", json.dumps({"refused": len(_refused)}))
    if not _refused or environ.get("REQUEST_METHOD") != "POST":
        return None
    service = _service_of(environ)
    if service not in ("sns", "ses"):
        return None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    if service == "sns":
        # Query protocol: a form. Only a direct publish to a phone number names one.
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if form.get("Action") == ["Publish"] and set(form.get("PhoneNumber", [])) & _refused:
            error = (
                "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code>"
                "<Message>Invalid parameter: PhoneNumber Reason: refused (emulator)</Message></Error>"
                "</ErrorResponse>"
            )
            return _respond(start_response, "400 Bad Request", error, "text/xml")
        return None
    # SES v2 SendEmail: JSON naming its recipients.
    if not environ.get("PATH_INFO", "").endswith("/outbound-emails"):
        return None
    try:
        destination = json.loads(body or b"{}").get("Destination") or {}
    except ValueError:
        return None
    recipients = {a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destination.get(key, [])}
    if not recipients & _refused:
        return None
    data = json.dumps({"message": "Email address rejected (emulator)"}).encode("utf-8")
    start_response(
        "400 Bad Request",
        [
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", "MessageRejected"),
            ("Content-Length", str(len(data))),
        ],
    )
    return [data]


_places = {}


def _metres(a, b):
    """Haversine distance between two [long, lat] positions."""
    (long1, lat1), (long2, lat2) = [(math.radians(p[0]), math.radians(p[1])) for p in (a, b)]
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((long2 - long1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(h)))


def _place(entry):
    place = {k: v for k, v in entry.items() if k not in ("PlaceId", "Point")}
    place["Geometry"] = {"Point": entry["Point"]}
    place.setdefault("Interpolated", False)
    return place


def _location_error(start_response, status, code, message):
    data = json.dumps({"message": message}).encode("utf-8")
    start_response(
        status,
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), ("Content-Length", str(len(data)))],
    )
    return [data]


def _place_index(environ, start_response):
    """SearchPlaceIndexForText, SearchPlaceIndexForPosition and GetPlace over registered places."""
    parts = environ.get("PATH_INFO", "").split("/")  # "", places, v0, indexes, <name>, ...
    name, rest = parts[4] if len(parts) > 4 else "", parts[5:]
    places = _places.get(urllib.parse.unquote(name))
    if places is None:
        return _location_error(start_response, "404 Not Found", "ResourceNotFoundException", f"place index {name} not found")
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
    if rest[:1] == ["places"] and len(rest) == 2:
        place_id = urllib.parse.unquote(rest[1])
        found = [p for p in places if p.get("PlaceId") == place_id]
        if not found:
            return _location_error(start_response, "404 Not Found", "ResourceNotFoundException", f"place {place_id} not found")
        return _respond(start_response, "200 OK", json.dumps({"Place": _place(found[0])}))
    most = int(body.get("MaxResults") or 50)
    if rest == ["search", "text"]:
        words = str(body.get("Text", "")).lower().replace(",", " ").split()
        bias = body.get("BiasPosition")

        def matches(entry):
            label = entry.get("Label", "").lower().replace(",", " ").split()
            return all(any(w.startswith(word) for w in label) for word in words)

        found = [p for p in places if matches(p)]
        if bias:
            found.sort(key=lambda p: _metres(bias, p["Point"]))
        results = [{"Place": _place(p), "PlaceId": p.get("PlaceId"), "Relevance": 1.0} for p in found[:most]]
        summary = {"Text": body.get("Text", ""), "DataSource": "Emulator", "MaxResults": most}
        if bias:
            summary["BiasPosition"] = bias
        return _respond(start_response, "200 OK", json.dumps({"Summary": summary, "Results": results}))
    if rest == ["search", "position"]:
        position = body.get("Position") or [0, 0]
        found = sorted(places, key=lambda p: _metres(position, p["Point"]))[:most]
        results = [
            {"Place": _place(p), "PlaceId": p.get("PlaceId"), "Distance": _metres(position, p["Point"])}
            for p in found
        ]
        summary = {"Position": position, "DataSource": "Emulator", "MaxResults": most}
        return _respond(start_response, "200 OK", json.dumps({"Summary": summary, "Results": results}))
    return _location_error(start_response, "400 Bad Request", "ValidationException", "not emulated")


def _read_body(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _inbound_email(environ, start_response):
    """Receives one email as SES's receipt rule does: scanned, stored, the bucket notified."""
    from moto.s3.models import s3_backends

    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    bucket = (query.get("bucket") or [""])[0]
    raw = _read_body(environ)
    verdicts = {"spam": "PASS", "virus": "PASS", "spf": "pass", "dkim": "pass", "dmarc": "pass"}
    for pair in environ.get("HTTP_X_TOWN311_VERDICTS", "").split(","):
        name, _, value = pair.strip().partition("=")
        if name in verdicts and value:
            verdicts[name] = value
    message_id = hashlib.sha256(raw + os.urandom(16)).hexdigest()[:40]
    ses_headers = (
        f"Return-Path: <bounce@emulator.invalid>\r\n"
        f"Received: from emulator by inbound-smtp.us-east-1.amazonaws.com with SMTP id {message_id}\r\n"
        f"X-SES-Spam-Verdict: {verdicts['spam']}\r\n"
        f"X-SES-Virus-Verdict: {verdicts['virus']}\r\n"
        f"Received-SPF: {verdicts['spf']} (spfCheck: emulator)\r\n"
        f"Authentication-Results: amazonses.com; spf={verdicts['spf']} smtp.mailfrom=emulator; "
        f"dkim={verdicts['dkim']} header.i=@emulator; dmarc={verdicts['dmarc']} header.from=emulator;\r\n"
        f"X-SES-RECEIPT: emulator\r\n"
    ).encode()
    key = f"inbound/mail/{message_id}"
    for accounts in s3_backends.values():
        for backend in accounts.values():
            if bucket in backend.buckets:
                backend.put_object(bucket, key, ses_headers + raw)
                return _respond(start_response, "200 OK", json.dumps({"key": key, "message_id": message_id}))
    return _respond(start_response, "404 Not Found", json.dumps({"error": f"no bucket {bucket}"}))


def _inbound_sms(environ, start_response):
    """Publishes one text to the inbound topic as End User Messaging SMS does."""
    from moto.sns.models import sns_backends

    sent = json.loads(_read_body(environ) or b"{}")
    topic_arn = str(sent.get("topic_arn", ""))
    topic_name = str(sent.get("topic", ""))
    message_id = hashlib.sha256(os.urandom(16)).hexdigest()
    message = {
        "originationNumber": str(sent.get("from", "")),
        "destinationNumber": str(sent.get("to", "")),
        "messageKeyword": "KEYWORD_EMULATOR",
        "messageBody": str(sent.get("text", "")),
        "previousPublishedMessageId": "",
        "inboundMessageId": message_id,
    }
    for accounts in sns_backends.values():
        for region, backend in accounts.items():
            named = [arn for arn in backend.topics if topic_name and arn.endswith(":" + topic_name)]
            if topic_arn in backend.topics or named:
                backend.publish(json.dumps(message), arn=topic_arn if topic_arn in backend.topics else named[0])
                return _respond(start_response, "200 OK", json.dumps({"inbound_message_id": message_id}))
    return _respond(start_response, "404 Not Found", json.dumps({"error": f"no topic {topic_arn}"}))


def _read_json(environ):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return json.loads(environ["wsgi.input"].read(length) or b"{}")


def _time_to_live(asked):
    """Deletes the items of a table whose TTL attribute is a time before `now`, as TTL does."""
    from moto.dynamodb.models import dynamodb_backends

    now = float(asked.get("now") or datetime.datetime.now(datetime.timezone.utc).timestamp())
    deleted = 0
    for accounts in dynamodb_backends.values():
        for backend in accounts.values():
            table = backend.tables.get(str(asked.get("table", "")))
            if table is None or table.ttl.get("TimeToLiveStatus") != "ENABLED":
                continue
            attribute = table.ttl.get("AttributeName")
            with _lock:
                expired = []
                for item in table.all_items():
                    value = item.attrs.get(attribute)
                    # Only a number is a time to DynamoDB's TTL; anything else is never deleted.
                    if value is not None and value.type == "N" and float(value.value) < now:
                        expired.append((item.hash_key, item.range_key))
                for hash_key, range_key in expired:
                    table.delete_item(hash_key, range_key)
                    deleted += 1
    return deleted


def _town311_call(self, environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/_town311/inbound/email" and environ.get("REQUEST_METHOD") == "POST":
        return _inbound_email(environ, start_response)
    if path == "/_town311/inbound/sms" and environ.get("REQUEST_METHOD") == "POST":
        return _inbound_sms(environ, start_response)
    if path == "/_town311/places" and environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        registered = json.loads(environ["wsgi.input"].read(length) or b"{}")
        _places[str(registered.get("index", ""))] = list(registered.get("places", []))
        return _respond(start_response, "200 OK", json.dumps({"places": len(_places[str(registered.get("index", ""))])}))
    if path.startswith("/places/v0/indexes/"):
        return _place_index(environ, start_response)
    if path == "/_town311/outbox" and environ.get("REQUEST_METHOD") == "GET":
        return _respond(start_response, "200 OK", json.dumps(_outbox()))
    if path == "/_town311/faults" and environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        fault = json.loads(environ["wsgi.input"].read(length) or b"{}")
        service = str(fault.get("service", ""))
        if fault.get("down"):
            _down[service] = (str(fault.get("match", "")), str(fault.get("message", "unavailable (fault injected)")))
        else:
            _down.pop(service, None)
        return _respond(start_response, "200 OK", json.dumps({"down": sorted(_down)}))
    if path == "/_town311/ttl" and environ.get("REQUEST_METHOD") == "POST":
        return _respond(start_response, "200 OK", json.dumps({"deleted": _time_to_live(_read_json(environ))}))
    if path == "/_town311/streams/expire" and environ.get("REQUEST_METHOD") == "POST":
        return _respond(start_response, "200 OK", json.dumps({"expired": _expire_iterators()}))
    refused = _refusal(environ, start_response)
    if refused is not None:
        return refused
    if (
        environ.get("REQUEST_METHOD") == "POST"
        and environ.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        and "HTTP_AUTHORIZATION" not in environ
    ):
        refusal = _check_browser_upload(environ)
        if refusal:
            return _s3_error(start_response, *refusal)
    service = _service_of(environ) if _down else ""
    if service in _down:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        # Query-protocol bodies are form-encoded: match the name as it is sent.
        match, message = _down[service]
        match = match.encode()
        if match in body or match.replace(b":", b"%3A") in body:
            error = (
                "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>"
                f"<Message>{html.escape(message)}</Message></Error></ErrorResponse>"
            )
            return _respond(start_response, "503 Service Unavailable", error, "text/xml")
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _town311_call

_get_s3_event = s3_notifications._get_s3_event


def _s3_event(*args, **kwargs):
    """An S3 event notification with the fields S3 sends and moto leaves out."""
    event = _get_s3_event(*args, **kwargs)
    for record in event.get("Records", []):
        record.setdefault("userIdentity", {"principalId": "AWS:AIDAEMULATOR"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault("responseElements", {"x-amz-request-id": "EMULATOR", "x-amz-id-2": "EMULATOR"})
    return event


s3_notifications._get_s3_event = _s3_event

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
