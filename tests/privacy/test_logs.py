"""The log check finds contacts, masks them, allows the town's own, and never passes on nothing.

    .venv/bin/python -m unittest discover -s tests/privacy
"""

import contextlib
import io
import tempfile
import unittest
from pathlib import Path

import logs


def run(text):
    """main() on one temporary log holding `text`: (exit code, what it printed)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "submit-1.jsonl"
        path.write_text(text, encoding="utf-8")
        out = io.StringIO()
        lines, leaks = logs.check([path], logs.Allowlist.from_config(), out)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = logs.main([str(path)])
        return code, leaks, out.getvalue()


class LogCheck(unittest.TestCase):
    def test_a_reporters_email_in_an_error_fails_with_its_line_masked(self):
        clean = '{"level":"INFO","message":"ticket created","ticket":"8JXK-RNBS"}\n'
        leak = '{"level":"WARN","message":"SES refused: Email address is not verified: ana.lopez@example.org"}\n'
        code, leaks, printed = run(clean + leak)
        self.assertEqual(code, 1)
        self.assertEqual(leaks, 1)
        self.assertIn("submit-1.jsonl:2: a***@example.org", printed)
        self.assertNotIn("ana.lopez", printed)

    def test_phone_numbers_in_every_usual_form_fail(self):
        for number in ["+15555550123", "to:+447700900123", "(555) 123-4567", "555-123-4567",
                       "555.123.4567", "1-555-123-4567", "PhoneNumber 5551234567", "'5551234567'"]:
            with self.subTest(number=number):
                code, leaks, printed = run(f'{{"message":"SNS refused {number}"}}\n')
                self.assertEqual((code, leaks), (1, 1))
                self.assertNotIn(number, printed)

    def test_the_towns_own_contacts_ids_and_times_pass(self):
        text = (
            '{"timestamp":"2026-12-01T12:36:03.262723Z","message":"sent","from":"311@millbrook.example",'
            '"reply_to":"r+8JXK-RNBS.5f2a@311.millbrook.example","department":"publicworks@millbrook.example",'
            '"notice":"call (555) 010-2100","sms_from":"+15555550311","elapsed_ms":1733059200123,'
            '"request_id":"5c0f9a3e-1b2c-4d5e-8f90-123456789012","ticket":"8JXK-RNBS","version":3,'
            '"reason":"the ticket was changed by someone else since version 6676965958; reload it"}\n'
        )
        self.assertEqual(run(text)[:2], (0, 0))

    def test_no_log_line_at_all_fails(self):
        self.assertEqual(run("")[0], 1)

    def test_masking_keeps_too_little_to_contact_anyone(self):
        self.assertEqual(logs.mask("marisol@example.org"), "m***@example.org")
        self.assertEqual(logs.mask("+15555550123"), "***23")


if __name__ == "__main__":
    unittest.main()
