#!/usr/bin/env python3
"""Checks the logs of a test run for personal data: any email address or phone number that is not
one of the town's own (its notification sender, its mail domain, its departments' addresses and
numbers, its two-way SMS number), read from the demo town's configuration.

    .venv/bin/python tests/privacy/logs.py [LOG ...]

Without arguments it reads what `make test` leaves: the functions' logs of the integration tests
(logs/*.jsonl under the target directory, CARGO_TARGET_DIR or target/, one file per test
binary), and under target/ the contract stack's (contract-stack.log) and the browser stack's
(browser/stack.log).
It prints each leak as file:line with the contact masked, and fails on any leak, and when it read
no log line at all (a check of nothing would pass).
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![\w-])")
# E.164 (+ and 8 to 15 digits), and North-American 10-digit numbers: (555) 010-2100,
# 555-010-2100, 555.010.2100, 555 010 2100, 1-555-010-2100; written as one run of digits
# (5550102100) only where it reads as a number to call, quoted or after a word such as "phone"
# or "to": a ticket's version or a count of milliseconds is ten digits too.
PHONE = re.compile(
    r"(?<![\w+])\+[1-9]\d{7,14}(?![\d])"
    r"|(?<![\w+.:/-])(?:"
    r"(?:1[-. ])?\(\d{3}\)[-. ]?\d{3}[-. ]\d{4}"
    r"|(?:1[-. ])?\d{3}[-. ]\d{3}[-. ]\d{4}"
    r")(?![\w:.]?\d)(?![\w])"
)
BARE_PHONE = re.compile(r"(?<![\w+.:/-])1?[2-9]\d{9}(?![\w])")
CALLABLE_BEFORE = re.compile(r"(?:phone|tel|sms|mobile|number|to)[ :=]$", re.IGNORECASE)


def phones_in(text):
    """The phone numbers of `text`: every separated or E.164 form, and a bare run of ten digits
    where it reads as a number to call."""
    found = [m.group(0) for m in PHONE.finditer(text)]
    for match in BARE_PHONE.finditer(text):
        before, after = text[: match.start()], text[match.end():]
        quoted = before.endswith(('"', "'")) and after.startswith(('"', "'"))
        if quoted or CALLABLE_BEFORE.search(before[-12:]):
            found.append(match.group(0))
    return found


def digits(text):
    """A number's digits, without a North-American country code."""
    found = re.sub(r"\D", "", text)
    return found[1:] if len(found) == 11 and found.startswith("1") else found


class Allowlist:
    """The town's own addresses and numbers: they may be logged."""

    def __init__(self, emails=(), domains=(), phones=()):
        self.emails = {e.lower() for e in emails}
        self.domains = {d.lower() for d in domains}
        self.phones = {digits(p) for p in phones}

    def allows_email(self, address):
        address = address.lower()
        domain = address.rsplit("@", 1)[1]
        return address in self.emails or domain in self.domains

    def allows_phone(self, number):
        return digits(number) in self.phones

    @classmethod
    def from_config(cls, root=ROOT):
        """From the demo town's seed files (its catalog's departments and stop-and-call texts)
        and the local stack's town settings."""
        emails, domains, phones = set(), set(), set()
        for seed in sorted((root / "infra/seed").glob("*.json")):
            text = seed.read_text(encoding="utf-8")
            emails.update(m.group(0) for m in EMAIL.finditer(text))
            phones.update(phones_in(EMAIL.sub(" ", text)))
        local = (root / "infra/local/src/lib.rs").read_text(encoding="utf-8")
        sender = re.search(r'"NotificationsFrom"\.into\(\),\s*"([^"]+)"', local)
        mail_domain = re.search(r'LOCAL_MAIL_DOMAIN: &str = "([^"]+)"', local)
        sms_number = re.search(r'LOCAL_SMS_NUMBER: &str = "([^"]+)"', local)
        if not (sender and mail_domain and sms_number):
            raise SystemExit("logs.py: the town's sender, mail domain or SMS number is no longer "
                             "in infra/local/src/lib.rs; update Allowlist.from_config")
        emails.add(sender.group(1))
        # report@ and the signed reply addresses: the town's own mail domain.
        domains.add(mail_domain.group(1))
        phones.add(sms_number.group(1))
        # The town's own domain (its sender's and departments'), where its staff's accounts are.
        domains.update(e.rsplit("@", 1)[1] for e in emails)
        return cls(emails, domains, phones)


def mask(contact):
    """Enough to find it in the test that wrote it, not the contact itself."""
    if "@" in contact:
        local, domain = contact.rsplit("@", 1)
        return f"{local[:1]}***@{domain}"
    found = re.sub(r"\D", "", contact)
    return f"***{found[-2:]}"


def leaks_in_line(line, allow):
    """The contacts of one line the town may not log."""
    found = []
    for match in EMAIL.finditer(line):
        if not allow.allows_email(match.group(0)):
            found.append(match.group(0))
    for number in phones_in(EMAIL.sub(" ", line)):
        if not allow.allows_phone(number):
            found.append(number)
    return found


def check(paths, allow, out=sys.stdout):
    """Prints each leak; returns (lines read, leaks)."""
    lines, leaks = 0, 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as log:
            for number, line in enumerate(log, 1):
                lines += 1
                for contact in leaks_in_line(line, allow):
                    leaks += 1
                    print(f"{path}:{number}: {mask(contact)}", file=out)
    return lines, leaks


def default_logs(root=ROOT):
    """The test binaries' logs under the target directory, the stacks' under target/ (where
    tests/run.sh and tests/browser/run.sh write them)."""
    target = Path(os.environ.get("CARGO_TARGET_DIR") or root / "target")
    found = sorted((target / "logs").glob("*.jsonl"))
    stacks = (root / "target" / "contract-stack.log", root / "target" / "browser" / "stack.log")
    found += [p for p in stacks if p.exists()]
    return found


def main(argv):
    paths = [Path(a) for a in argv] or default_logs()
    lines, leaks = check(paths, Allowlist.from_config())
    if lines == 0:
        print("logs.py: no log line to check (run the tests first)", file=sys.stderr)
        return 1
    if leaks:
        print(f"logs.py: {leaks} contact(s) in the logs ({lines} lines in {len(paths)} files)", file=sys.stderr)
        return 1
    print(f"logs.py: no personal data in {lines} log lines of {len(paths)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
