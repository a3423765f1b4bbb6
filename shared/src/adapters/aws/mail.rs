//! A plain-text email as MIME, the way SES takes a raw message: UTF-8 throughout (encoded
//! words in headers, base64 body) and RFC 8058 one-click unsubscribe headers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The longest header line RFC 5322 recommends, CRLF aside.
const LINE: usize = 78;
/// The longest RFC 2047 encoded word.
const WORD: usize = 75;
const WORD_START: &str = "=?UTF-8?B?";
const WORD_END: &str = "?=";
/// RFC 5322's specials: a display name holding one must be quoted.
const SPECIALS: [char; 13] = ['(', ')', '<', '>', '[', ']', ':', ';', '@', '\\', ',', '.', '"'];

/// Text with control characters (CR and LF among them) made spaces, so no header can be injected.
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The text's own words when it can be written as they are: ASCII, nothing a reader would
/// take for an encoded word, and each word short enough to fold onto a line of its own.
fn plain_words(text: &str, first_room: usize) -> Option<Vec<String>> {
    let words: Vec<String> = text.split(' ').map(str::to_owned).collect();
    let fits = words.iter().enumerate().all(|(i, w)| w.len() <= if i == 0 { first_room } else { LINE - 1 });
    (text.is_ascii() && !text.contains("=?") && fits).then_some(words)
}

/// The text as base64 encoded words of at most `WORD` characters (the first of at most
/// `first_room`), each holding whole characters, as RFC 2047 requires.
fn encoded_words(text: &str, first_room: usize) -> Vec<String> {
    let bytes_within = |room: usize| room.min(WORD).saturating_sub(WORD_START.len() + WORD_END.len()) / 4 * 3;
    let encode = |piece: &str| format!("{WORD_START}{}{WORD_END}", STANDARD.encode(piece.as_bytes()));
    let mut words = Vec::new();
    let mut piece = String::new();
    let mut room = bytes_within(first_room);
    for c in text.chars() {
        if !piece.is_empty() && piece.len() + c.len_utf8() > room {
            words.push(encode(&piece));
            piece.clear();
            room = bytes_within(WORD);
        }
        piece.push(c);
    }
    if !piece.is_empty() {
        words.push(encode(&piece));
    }
    words
}

/// `name:` and the tokens, each after a space, folded (CRLF before that space) wherever the
/// next token would run a line past `LINE`. Unfolding gives back the tokens a space apart.
fn header(name: &str, tokens: &[String]) -> String {
    let mut field = format!("{name}:");
    let mut used = field.len();
    for (i, token) in tokens.iter().enumerate() {
        if i > 0 && used + 1 + token.len() > LINE {
            field.push_str("\r\n");
            used = 0;
        }
        field.push(' ');
        field.push_str(token);
        used += 1 + token.len();
    }
    field
}

/// An unstructured header (`Subject`): its words as they are, or encoded words.
fn unstructured(name: &str, text: &str) -> String {
    let text = clean(text);
    let first_room = LINE - name.len() - 2;
    let tokens = plain_words(&text, first_room).unwrap_or_else(|| encoded_words(&text, first_room));
    header(name, &tokens)
}

/// A mailbox header (`From`): the display name, then `<address>`. A name holding specials is
/// quoted (`Town, Millbrook <a@b>` would read as two mailboxes); one that is not ASCII, or too
/// long to quote on one line, is encoded words, which a reader takes as one name whatever
/// they hold.
fn mailbox(name: &str, display_name: &str, address: &str) -> String {
    let display_name = clean(display_name);
    let display_name = display_name.trim();
    let first_room = LINE - name.len() - 2;
    let plain = display_name.is_ascii() && !display_name.contains("=?");
    let quoted = format!("\"{}\"", display_name.replace('\\', "\\\\").replace('"', "\\\""));
    let mut tokens = if display_name.is_empty() {
        Vec::new()
    } else if !display_name.contains(SPECIALS) {
        plain_words(display_name, first_room).unwrap_or_else(|| encoded_words(display_name, first_room))
    } else if plain && quoted.len() <= first_room {
        vec![quoted]
    } else {
        encoded_words(display_name, first_room)
    };
    tokens.push(format!("<{}>", address.replace(['\r', '\n'], "")));
    header(name, &tokens)
}

/// The message: `From: <name> <from>`, `To`, `Subject` (folded into lines of at most 78
/// characters), and the text body.
pub fn plain_text(
    from_name: &str,
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
    unsubscribe_url: &str,
    reply_to: Option<&str>,
) -> String {
    let encoded = STANDARD.encode(body.as_bytes());
    let lines: Vec<&str> =
        encoded.as_bytes().chunks(76).map(|chunk| std::str::from_utf8(chunk).unwrap_or_default()).collect();
    let strip = |s: &str| s.replace(['\r', '\n'], "");
    // A staff notice has no unsubscribe link; a citizen's email has one, and a reply address
    // when the town takes answers by mail.
    let unsubscribe = if unsubscribe_url.is_empty() {
        String::new()
    } else {
        format!(
            "List-Unsubscribe: <{}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            strip(unsubscribe_url)
        )
    };
    let reply_to = reply_to.map(|a| format!("Reply-To: <{}>\r\n", strip(a))).unwrap_or_default();
    format!(
        "{}\r\nTo: {}\r\n{reply_to}{}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\
         {unsubscribe}Auto-Submitted: auto-generated\r\n\r\n{}\r\n",
        mailbox("From", from_name, from),
        strip(to),
        unstructured("Subject", subject),
        lines.join("\r\n")
    )
}

/// Reads a header value as a mail client shows it: folds undone, encoded words decoded
/// (each on its own, as RFC 2047 requires), the space between two encoded words dropped.
#[cfg(any(test, feature = "test-util"))]
pub fn decode_header(value: &str) -> String {
    let unfolded = value.replace("\r\n", "");
    let mut text = String::new();
    let mut after_word = false;
    for (i, token) in unfolded.trim().split(' ').enumerate() {
        let decoded = token
            .strip_prefix("=?UTF-8?B?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| STANDARD.decode(t).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if i > 0 && !(after_word && decoded.is_some()) {
            text.push(' ');
        }
        after_word = decoded.is_some();
        text.push_str(decoded.as_deref().unwrap_or(token));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header's value, its folds undone.
    fn header(raw: &str, name: &str) -> String {
        let head = raw.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ");
        let prefix = format!("{name}: ");
        head.split("\r\n").find_map(|line| line.strip_prefix(&prefix)).unwrap().to_owned()
    }

    /// Every header line fits 78 characters and every encoded word 75, each whole UTF-8.
    fn assert_folded(raw: &str) {
        let head = raw.split("\r\n\r\n").next().unwrap();
        for line in head.split("\r\n") {
            assert!(line.len() <= 78, "{} characters: {line}", line.len());
        }
        for word in head.split_whitespace().filter(|w| w.starts_with("=?")) {
            assert!(word.len() <= 75, "{word}");
            assert_ne!(decode_header(word), word, "not a whole encoded word: {word}");
        }
    }

    #[test]
    fn a_long_accented_subject_is_folded_into_encoded_words_that_read_back_the_same() {
        let subject: String =
            "Su solicitud en la calle Año Nuevo está programada: el equipo llegará mañana, ¡gracias por avisar! "
                .repeat(3)
                .chars()
                .take(200)
                .collect();
        let raw =
            plain_text("Millbrook 311", "311@millbrook.example", "ana@example.org", &subject, "b", "u", None);
        assert_folded(&raw);
        assert_eq!(decode_header(&header(&raw, "Subject")), subject);
        // Two-byte and four-byte characters at every offset: none is split between words.
        for pad in 0..4 {
            let subject = format!("{}{}", "x".repeat(pad), "ñ😀".repeat(40));
            let raw = plain_text("M", "a@b.org", "c@d.org", &subject, "b", "u", None);
            assert_folded(&raw);
            assert_eq!(decode_header(&header(&raw, "Subject")), subject);
        }
    }

    #[test]
    fn a_long_plain_subject_is_folded_between_words() {
        let subject = "Your request about the pothole on Main Street was scheduled ".repeat(4);
        let subject = subject.trim_end();
        let raw =
            plain_text("Millbrook 311", "311@millbrook.example", "ana@example.org", subject, "b", "u", None);
        assert_folded(&raw);
        assert_eq!(decode_header(&header(&raw, "Subject")), subject);
        assert!(!raw.contains("=?"), "plain words stay readable");
    }

    #[test]
    fn a_display_name_with_specials_is_one_quoted_mailbox() {
        let raw = plain_text("Millbrook, Town of \"311\"", "311@x.org", "c@d.org", "s", "b", "u", None);
        assert!(raw.starts_with("From: \"Millbrook, Town of \\\"311\\\"\" <311@x.org>\r\n"), "{raw}");
        let raw = plain_text("Works (DPW) \\ Millbrook", "311@x.org", "c@d.org", "s", "b", "u", None);
        assert!(raw.starts_with("From: \"Works (DPW) \\\\ Millbrook\" <311@x.org>\r\n"), "{raw}");
        // Not ASCII: an encoded word, which a reader takes as one name whatever it holds.
        let raw = plain_text("Peñasco, Town of", "311@x.org", "c@d.org", "s", "b", "u", None);
        let from = header(&raw, "From");
        let name = from.strip_suffix(" <311@x.org>").unwrap();
        assert!(name.starts_with("=?UTF-8?B?") && !name.contains(','), "{from}");
        assert_eq!(decode_header(name), "Peñasco, Town of");
    }

    #[test]
    fn writes_headers_and_a_base64_body() {
        let raw = plain_text(
            "Millbrook 311",
            "311@millbrook.example",
            "ana@example.org",
            "Programada",
            "Hola, niño\n",
            "https://x/u?t=1",
            None,
        );
        assert!(raw.starts_with("From: Millbrook 311 <311@millbrook.example>\r\nTo: ana@example.org\r\n"));
        assert!(raw.contains(
            "List-Unsubscribe: <https://x/u?t=1>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        ));
        let body = raw.split("\r\n\r\n").nth(1).unwrap().replace("\r\n", "");
        assert_eq!(STANDARD.decode(body).unwrap(), "Hola, niño\n".as_bytes());
    }

    #[test]
    fn a_reply_address_is_a_header_and_a_staff_notice_has_no_unsubscribe() {
        let raw =
            plain_text("M", "a@b.org", "c@d.org", "s", "b", "u", Some("reply-x@311.b.org\r\nBcc: e@f.org"));
        assert!(raw.contains("\r\nReply-To: <reply-x@311.b.orgBcc: e@f.org>\r\n"), "{raw}");
        let staff = plain_text("M", "a@b.org", "c@d.org", "s", "b", "", None);
        assert!(!staff.contains("List-Unsubscribe") && !staff.contains("Reply-To"), "{staff}");
    }

    #[test]
    fn non_ascii_headers_are_encoded_and_no_header_can_be_injected() {
        let raw =
            plain_text("Peñasco 311", "a@b.org", "c@d.org\r\nBcc: x@y.org", "Año\r\nX: y", "b", "u", None);
        assert!(raw.contains("From: =?UTF-8?B?UGXDsWFzY28gMzEx?= <a@b.org>"));
        assert!(!raw.contains("\r\nBcc:") && !raw.contains("\r\nX: y"));
    }
}
