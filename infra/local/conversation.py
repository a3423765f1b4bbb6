"""Conversations with the running local stack (`make run`), by email and text.

    make send ARGS='email --from ana@example.org --to report@311.millbrook.example --subject "Pothole" --text "Deep hole on Elm St" [--photo hole.jpg] [--verdicts spam=FAIL]'
    make send ARGS='text --from +15555550100 --text "East side"'
    make inbox TICKET=K7QM-3XPR

`send email` hands a message to the emulator as SES receives mail for the town's domain (it
adds SES's verdict headers, stores it in the bucket, and the bucket tells the inbound topic);
`send text` publishes a text to the inbound topic as End User Messaging SMS does. Answer a
ticket's email with its reply address (`make outbox` shows it, in Reply-To) or text back from
the number the ticket texted. `inbox` prints a ticket's conversation: what staff wrote, what
the citizen answered, and what the stack sent them (from the emulator's outbox).
"""

import argparse
import email
import email.message
import email.policy
import json
import mimetypes
import os
import re
import sys
import urllib.error
import urllib.request

PORT = os.environ.get("PORT", "3311")
EMULATOR = f"http://127.0.0.1:{os.environ.get('EMULATOR_PORT', '5311')}"
PREFIX = os.environ.get("RESOURCE_PREFIX", "town311")


def post(url, body, headers=None):
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def send_email(args):
    message = email.message.EmailMessage()
    message["From"] = args.sender
    message["To"] = args.to
    message["Subject"] = args.subject
    message["Message-ID"] = email.utils.make_msgid(domain="example.org")
    message.set_content(args.text)
    for path in args.photo or []:
        kind = (mimetypes.guess_type(path)[0] or "image/jpeg").split("/")
        with open(path, "rb") as photo:
            message.add_attachment(photo.read(), maintype=kind[0], subtype=kind[1], filename=os.path.basename(path))
    raw = message.as_bytes(policy=email.policy.SMTP)
    answer = post(
        f"{EMULATOR}/_town311/inbound/email?bucket={PREFIX}-photos",
        raw,
        {"Content-Type": "message/rfc822", "X-Town311-Verdicts": args.verdicts or ""},
    )
    print(f"Delivered to {args.to} as SES would (stored as {answer['key']}); the inbound function takes it in a moment.")


def send_text(args):
    body = json.dumps({"topic": f"{PREFIX}-inbound-texts-topic", "from": args.sender, "to": args.to, "text": args.text})
    answer = post(f"{EMULATOR}/_town311/inbound/sms", body.encode(), {"Content-Type": "application/json"})
    print(f"Texted {args.to} from {args.sender} (id {answer['inbound_message_id']}); the inbound function takes it in a moment.")


def staff_token(base):
    """The demo administrator's ID token (infra/local/src/cognito.rs), signed in at the Cognito
    endpoint the admin page's settings name, as the page signs in."""
    with urllib.request.urlopen(f"{base}/admin", timeout=10) as response:
        page = response.read().decode()
    found = re.search(r'<script type="application/json" id="town311-config">(.*?)</script>', page, re.S)
    sign_in = json.loads(found.group(1))["sign_in"]
    body = {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": sign_in["client_id"],
        "AuthParameters": {"USERNAME": "ad", "PASSWORD": "Millbrook-Admin-1"},
    }
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    }
    return post(sign_in["endpoint"], json.dumps(body).encode(), headers)["AuthenticationResult"]["IdToken"]


def inbox(args):
    base = f"http://127.0.0.1:{PORT}"
    token = staff_token(base)
    view = get(f"{base}/staff/v1/tickets/{args.ticket}", {"Authorization": f"Bearer {token}"})
    ticket = view["ticket"]
    reporter = ticket.get("reporter", {})
    print(f"{ticket['id']} · {ticket['service_name']} · {ticket['status']}"
          + (f" · {ticket['conversation'].replace('_', ' ')}" if ticket.get("conversation") else ""))
    for entry in view["history"]:
        change = entry["change"]
        when = entry["at"][:16].replace("T", " ")
        if change["type"] == "messaged":
            who = "the reporter and followers" if change.get("to") == "everyone" else "the reporter"
            print(f"  {when}  staff → {who}: {change['text']}")
        elif change["type"] == "citizen_message":
            who = "reporter" if entry["actor"]["kind"] == "reporter" else "a citizen"
            photos = f" (+{len(change.get('uploads', []))} photo)" if change.get("uploads") else ""
            print(f"  {when}  {who} by {change['channel']} → staff: {change['text']}{photos}")
        elif change["type"] == "citizen_update":
            print(f"  {when}  citizen's app → staff: {change.get('text') or '—'}")
    contacts = {c for c in (reporter.get("email"), reporter.get("phone")) if c}
    outbox = get(f"{EMULATOR}/_town311/outbox")
    sent = [("text", s["to"], s["text"]) for s in outbox["sms"] if s["to"] in contacts and ticket["id"] in s["text"]]
    for mail in outbox["emails"]:
        if not contacts.intersection(mail["to"]) or "raw" not in mail:
            continue
        message = email.message_from_string(mail["raw"], policy=email.policy.default)
        if ticket["id"] in str(message["Subject"]):
            sent.append(("email", ", ".join(sorted(set(mail["to"]))), f"{message['Subject']} (reply to {message['Reply-To']})"))
    if sent:
        print("  Sent to the citizen:")
        for channel, to, text in sent:
            print(f"    {channel} to {to}: {text}")


def main():
    parser = argparse.ArgumentParser(prog="make send / make inbox", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    mail = commands.add_parser("email", help="send an email to the town's mail domain")
    mail.add_argument("--from", dest="sender", required=True)
    mail.add_argument("--to", default="report@311.millbrook.example")
    mail.add_argument("--subject", default="")
    mail.add_argument("--text", required=True)
    mail.add_argument("--photo", action="append", help="a photo to attach (repeatable)")
    mail.add_argument("--verdicts", help="SES's verdicts, e.g. spam=FAIL,dkim=fail (default: all pass)")
    text = commands.add_parser("text", help="text the town's two-way number")
    text.add_argument("--from", dest="sender", required=True)
    text.add_argument("--to", default="+15555550311")
    text.add_argument("--text", required=True)
    look = commands.add_parser("inbox", help="print a ticket's conversation")
    look.add_argument("ticket")
    args = parser.parse_args()
    try:
        {"email": send_email, "text": send_text, "inbox": inbox}[args.command](args)
    except (urllib.error.URLError, OSError) as error:
        print(f"the local stack does not answer ({error}); is `make run` running?", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
