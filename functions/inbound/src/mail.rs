//! An email as SES stores it in the bucket: the raw message, with SES's own verdict headers
//! (spam, virus, SPF, DKIM, DMARC) put before the sender's. Read into what town311 keeps of
//! it: who sent it, to which of the town's addresses, what they wrote (quoted history and
//! signature taken out, HTML made text) and the photos it brought.

use mail_parser::MessageParser;
use town311::domain::contact::Email;
use town311::domain::conversation::{MAX_ANSWER_PHOTOS, answer_text};
use town311::domain::photo::ImageKind;

/// The largest raw email read; a larger one is dropped unread (SES takes up to 40 MB).
pub const MAX_MAIL_BYTES: u64 = 25 * 1024 * 1024;
/// The largest photo taken from an email (the photo function's own limit).
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
/// The longest subject kept.
const MAX_SUBJECT_CHARS: usize = 200;

/// What an email says, as far as town311 reads it.
pub struct Mail {
    /// The sender's own id of the message (`Message-ID`), if it has one.
    pub message_id: Option<String>,
    pub from: Option<Email>,
    /// Every address it was sent to (To, Cc, and the delivery headers), lower case.
    pub recipients: Vec<String>,
    pub subject: String,
    /// What the sender wrote, without quotes and signature.
    pub text: String,
    /// The language the mail says it is in (`Content-Language`).
    pub language: Option<String>,
    /// Image attachments, at most [`MAX_ANSWER_PHOTOS`], each within [`MAX_PHOTO_BYTES`].
    pub photos: Vec<(ImageKind, Vec<u8>)>,
    /// Sent by a program (an out-of-office reply, a list): never answered, never recorded.
    pub automatic: bool,
    /// Whether SES's verdicts let it in, or why not.
    pub verdict: Verdict,
}

/// Redacted: no address reaches a log line.
impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("recipients", &self.recipients.len())
            .field("photos", &self.photos.len())
            .field("automatic", &self.automatic)
            .field("verdict", &self.verdict)
            .finish_non_exhaustive()
    }
}

/// What SES's verdicts say of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Refused, for this reason: `virus`, `spam`, `dmarc`, `unauthenticated` (neither SPF nor
    /// DKIM passed), or `unscanned` (no SES verdicts: it did not come through SES's scan).
    Refused(&'static str),
}

/// The value of the first header of this name: the one SES put on top, not one the sender
/// wrote further down to pass for it.
fn first<'a>(headers: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
}

/// SES's verdicts, as it writes them on a message it received with scanning on.
fn verdict(headers: &[(&str, &str)]) -> Verdict {
    let word = |value: Option<&str>| {
        value.and_then(|v| v.split_whitespace().next()).unwrap_or_default().to_ascii_lowercase()
    };
    let (Some(virus), Some(spam)) =
        (first(headers, "X-SES-Virus-Verdict"), first(headers, "X-SES-Spam-Verdict"))
    else {
        return Verdict::Refused("unscanned");
    };
    if word(Some(virus)) == "fail" {
        return Verdict::Refused("virus");
    }
    if word(Some(spam)) == "fail" {
        return Verdict::Refused("spam");
    }
    let results = first(headers, "Authentication-Results").unwrap_or_default().to_ascii_lowercase();
    let result_of = |method: &str| {
        results
            .split(';')
            .map(str::trim)
            .find_map(|part| {
                part.strip_prefix(method).map(|rest| rest.split_whitespace().next().unwrap_or_default())
            })
            .unwrap_or_default()
            .to_owned()
    };
    if result_of("dmarc=") == "fail" {
        return Verdict::Refused("dmarc");
    }
    let spf = match word(first(headers, "Received-SPF")).as_str() {
        "" => result_of("spf="),
        other => other.to_owned(),
    };
    if spf != "pass" && result_of("dkim=") != "pass" {
        return Verdict::Refused("unauthenticated");
    }
    Verdict::Pass
}

/// Whether a program sent it (RFC 3834's `Auto-Submitted`, bulk and list precedence, or the
/// mail systems' own bounces): answering those starts loops.
fn automatic(headers: &[(&str, &str)], from: Option<&str>) -> bool {
    let auto_submitted = first(headers, "Auto-Submitted").is_some_and(|v| !v.eq_ignore_ascii_case("no"));
    let precedence = first(headers, "Precedence")
        .is_some_and(|v| ["bulk", "list", "junk", "auto_reply"].contains(&v.to_ascii_lowercase().as_str()));
    let list = first(headers, "List-Id").is_some() || first(headers, "X-Autoreply").is_some();
    let daemon = from.is_some_and(|f| {
        let local = f.split('@').next().unwrap_or_default().to_ascii_lowercase();
        local == "mailer-daemon"
            || local == "postmaster"
            || local.starts_with("no-reply")
            || local.starts_with("noreply")
    });
    auto_submitted || precedence || list || daemon
}

/// The addresses in a header written as a mail program writes it: `Name <a@b>, c@d`.
fn addresses_in(value: &str) -> Vec<String> {
    value
        .split(',')
        .filter_map(|part| {
            let part = part.trim();
            let address = match (part.rfind('<'), part.rfind('>')) {
                (Some(open), Some(close)) if open < close => &part[open + 1..close],
                _ => part,
            };
            let address = address.trim().to_ascii_lowercase();
            address.contains('@').then_some(address)
        })
        .collect()
}

/// Reads a raw email; `None` when it is not one.
pub fn read(raw: &[u8]) -> Option<Mail> {
    let message = MessageParser::default().parse(raw)?;
    let headers: Vec<(&str, &str)> = message.headers_raw().collect();
    let from_address = message.from().and_then(|a| a.first()).and_then(|a| a.address()).map(str::to_owned);
    let mut recipients = Vec::new();
    for list in [message.to(), message.cc()].into_iter().flatten() {
        recipients.extend(list.iter().filter_map(|a| a.address()).map(str::to_ascii_lowercase));
    }
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
            recipients.extend(addresses_in(value));
        }
    }
    recipients.sort();
    recipients.dedup();
    let subject: String = message
        .subject()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_SUBJECT_CHARS)
        .collect();
    let text = message.body_text(0).map(|body| answer_text(&body)).unwrap_or_default();
    let photos = message
        .attachments()
        .filter_map(|part| {
            let bytes = part.contents();
            let kind = ImageKind::sniff(bytes)?;
            (bytes.len() <= MAX_PHOTO_BYTES).then(|| (kind, bytes.to_vec()))
        })
        .take(MAX_ANSWER_PHOTOS)
        .collect();
    Some(Mail {
        message_id: message.message_id().map(str::to_owned),
        from: from_address.as_deref().and_then(|a| Email::parse(a).ok()),
        recipients,
        subject: subject.trim().to_owned(),
        text,
        language: first(&headers, "Content-Language").map(str::to_owned),
        photos,
        automatic: automatic(&headers, from_address.as_deref()),
        verdict: verdict(&headers),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SES: &str = "X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n\
        Received-SPF: pass (spfCheck: domain of example.org designates 192.0.2.1 as permitted sender)\r\n\
        Authentication-Results: amazonses.com; spf=pass smtp.mailfrom=ana@example.org; dkim=pass header.i=@example.org; dmarc=pass header.from=example.org;\r\n";

    fn mail(headers: &str, body: &str) -> Mail {
        let raw = format!(
            "{headers}From: Ana Ruiz <Ana@Example.org>\r\nTo: \"Millbrook 311\" <reply-k7qm3xpr-20422-abc@311.millbrook.example>\r\n\
             Subject: Re: Millbrook 311: request K7QM-3XPR\r\nMessage-ID: <m1@example.org>\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n{body}"
        );
        read(raw.as_bytes()).unwrap()
    }

    #[test]
    fn reads_who_wrote_to_whom_and_what_without_the_quote() {
        let m = mail(SES, "East side.\r\n\r\nOn Mon, Nov 30, 2026 Millbrook 311 wrote:\r\n> Which side?\r\n");
        assert_eq!(m.from.as_ref().map(Email::as_str), Some("Ana@Example.org"));
        assert_eq!(m.recipients, vec!["reply-k7qm3xpr-20422-abc@311.millbrook.example"]);
        assert_eq!(m.subject, "Re: Millbrook 311: request K7QM-3XPR");
        assert_eq!(m.text, "East side.");
        assert_eq!(m.message_id.as_deref(), Some("m1@example.org"));
        assert_eq!(m.verdict, Verdict::Pass);
        assert!(!m.automatic);
        assert!(!format!("{m:?}").contains("Ana"), "no address in Debug");
    }

    #[test]
    fn ses_verdicts_decide_and_only_the_top_ones_count() {
        assert_eq!(mail("", "x").verdict, Verdict::Refused("unscanned"));
        let virus = SES.replace("X-SES-Virus-Verdict: PASS", "X-SES-Virus-Verdict: FAIL");
        assert_eq!(mail(&virus, "x").verdict, Verdict::Refused("virus"));
        let spam = SES.replace("X-SES-Spam-Verdict: PASS", "X-SES-Spam-Verdict: FAIL");
        // The sender's own "PASS" further down does not count.
        assert_eq!(
            mail(&format!("{spam}X-SES-Spam-Verdict: PASS\r\n"), "x").verdict,
            Verdict::Refused("spam")
        );
        let dmarc = SES.replace("dmarc=pass", "dmarc=fail");
        assert_eq!(mail(&dmarc, "x").verdict, Verdict::Refused("dmarc"));
        let neither =
            SES.replace("Received-SPF: pass", "Received-SPF: fail").replace("dkim=pass", "dkim=fail");
        assert_eq!(mail(&neither, "x").verdict, Verdict::Refused("unauthenticated"));
        let dkim_only = SES.replace("Received-SPF: pass", "Received-SPF: softfail");
        assert_eq!(mail(&dkim_only, "x").verdict, Verdict::Pass);
    }

    #[test]
    fn programs_are_recognised() {
        assert!(mail(&format!("{SES}Auto-Submitted: auto-replied\r\n"), "Out of office").automatic);
        assert!(mail(&format!("{SES}Precedence: bulk\r\n"), "x").automatic);
        assert!(!mail(&format!("{SES}Auto-Submitted: no\r\n"), "x").automatic);
    }

    #[test]
    fn html_becomes_text_and_photos_are_taken_by_their_content() {
        let jpeg: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 0xFF, 0xD9];
        use base64::Engine as _;
        let encode = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let raw = format!(
            "{SES}From: ana@example.org\r\nTo: report@311.millbrook.example\r\nSubject: Pothole\r\n\
             MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
             --b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>A <b>deep</b> hole</p><p>on Elm St</p>\r\n\
             --b1\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\nContent-Disposition: attachment; filename=\"x.bin\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n\
             --b1\r\nContent-Type: text/plain; name=\"notes.txt\"\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\nnot a photo\r\n\
             --b1--\r\n",
            encode(jpeg)
        );
        let m = read(raw.as_bytes()).unwrap();
        assert!(m.text.contains("deep") && m.text.contains("Elm St") && !m.text.contains('<'), "{}", m.text);
        assert_eq!(m.photos.len(), 1);
        assert_eq!(m.photos[0].0, ImageKind::Jpeg);
        assert_eq!(m.photos[0].1, jpeg);
    }
}
