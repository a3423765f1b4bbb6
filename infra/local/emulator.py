"""Starts moto's server with DynamoDB requests handled one at a time.

DynamoDB applies each conditional write atomically; moto checks the condition and writes in
separate steps, so two concurrent writers can both pass a check. town311 relies on those
conditions (ticket numbers, versions, idempotency keys), so the emulator serializes DynamoDB
requests to behave like the real service. Every other service keeps moto's threads.
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_lock = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialized_call_action(self):
    with _lock:
        return _call_action(self)


DynamoHandler.call_action = _serialized_call_action

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
