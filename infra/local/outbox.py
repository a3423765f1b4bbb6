"""`make outbox`: every SMS and email the local stack "sent", as residents would read them.

The emulator records what town311 hands to SNS (SMS) and SES (email) instead of delivering it;
this prints those messages, newest last, with emails decoded from their MIME form.
"""

import email
import email.policy
import json
import os
import sys
import urllib.request


def main() -> int:
    port = os.environ.get("EMULATOR_PORT", "5311")
    url = f"http://127.0.0.1:{port}/_town311/outbox"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            outbox = json.load(response)
    except OSError as error:
        print(f"make outbox: the emulator at {url} does not answer ({error}); is `make run` running?", file=sys.stderr)
        return 1
    for sms in outbox["sms"]:
        print(f"SMS to {sms['to']}:\n  {sms['text']}\n")
    for mail in outbox["emails"]:
        if "raw" in mail:
            message = email.message_from_string(mail["raw"], policy=email.policy.default)
            subject, body = message["Subject"], message.get_content()
            unsubscribe = message.get("List-Unsubscribe", "")
        else:
            subject, body, unsubscribe = mail.get("subject", ""), mail.get("body", ""), ""
        print(f"Email to {', '.join(sorted(set(mail['to'])))}: {subject}")
        if unsubscribe:
            print(f"  List-Unsubscribe: {unsubscribe}")
        print("  " + body.replace("\n", "\n  ").rstrip() + "\n")
    if not outbox["sms"] and not outbox["emails"]:
        print("Nothing sent yet.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
