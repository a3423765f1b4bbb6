"""Starts moto's server, with two things the local stack needs from its AWS stand-in.

1. DynamoDB requests are handled one at a time. DynamoDB applies each conditional write
   atomically; moto checks the condition and writes in separate steps, so two concurrent
   writers could both pass a check. town311 relies on those conditions (ticket numbers,
   versions, idempotency keys), so the emulator serializes DynamoDB requests to behave like
   the real service. Every other service keeps moto's threads.
2. Two endpoints of its own, under /_town311/:
   - GET  /_town311/outbox  every SMS and email the emulator "sent" (SNS direct publishes to a
     phone number, SES emails), as JSON: what a town's residents would have received;
   - POST /_town311/faults  {"service": "sns", "down": true, "match": "town311-events"}: the
     service answers 503 to every request (whose body contains `match`, if given) until set
     back up, to test that nothing is lost while AWS is unavailable.
"""

import io
import json
import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import main

_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialized_call_action(self):
    with _lock:
        return _call_action(self)


DynamoHandler.call_action = _serialized_call_action

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


def _town311_call(self, environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/_town311/outbox" and environ.get("REQUEST_METHOD") == "GET":
        return _respond(start_response, "200 OK", json.dumps(_outbox()))
    if path == "/_town311/faults" and environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        fault = json.loads(environ["wsgi.input"].read(length) or b"{}")
        service = str(fault.get("service", ""))
        if fault.get("down"):
            _down[service] = str(fault.get("match", ""))
        else:
            _down.pop(service, None)
        return _respond(start_response, "200 OK", json.dumps({"down": sorted(_down)}))
    service = _service_of(environ) if _down else ""
    if service in _down:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        # Query-protocol bodies are form-encoded: match the name as it is sent.
        match = _down[service].encode()
        if match in body or match.replace(b":", b"%3A") in body:
            error = (
                "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>"
                "<Message>unavailable (fault injected)</Message></Error></ErrorResponse>"
            )
            return _respond(start_response, "503 Service Unavailable", error, "text/xml")
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _town311_call

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
