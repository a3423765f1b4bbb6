//! A plain-text email as MIME, the way SES takes a raw message: UTF-8 throughout (encoded
//! words in headers, base64 body) and RFC 8058 one-click unsubscribe headers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A header value, as an RFC 2047 encoded word when it is not plain ASCII.
fn header_text(text: &str) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if clean.is_ascii() { clean } else { format!("=?UTF-8?B?{}?=", STANDARD.encode(clean.as_bytes())) }
}

/// The message: `From: <name> <from>`, `To`, `Subject`, and the text body.
pub fn plain_text(
    from_name: &str,
    from: &str,
    to: &str,
    subject: &str,
    body: &str,
    unsubscribe_url: &str,
) -> String {
    let encoded = STANDARD.encode(body.as_bytes());
    let lines: Vec<&str> =
        encoded.as_bytes().chunks(76).map(|chunk| std::str::from_utf8(chunk).unwrap_or_default()).collect();
    let strip = |s: &str| s.replace(['\r', '\n'], "");
    format!(
        "From: {} <{}>\r\nTo: {}\r\nSubject: {}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\
         List-Unsubscribe: <{}>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\
         Auto-Submitted: auto-generated\r\n\r\n{}\r\n",
        header_text(from_name),
        strip(from),
        strip(to),
        header_text(subject),
        strip(unsubscribe_url),
        lines.join("\r\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_headers_and_a_base64_body() {
        let raw = plain_text(
            "Millbrook 311",
            "311@millbrook.example",
            "ana@example.org",
            "Programada",
            "Hola, niño\n",
            "https://x/u?t=1",
        );
        assert!(raw.starts_with("From: Millbrook 311 <311@millbrook.example>\r\nTo: ana@example.org\r\n"));
        assert!(raw.contains(
            "List-Unsubscribe: <https://x/u?t=1>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        ));
        let body = raw.split("\r\n\r\n").nth(1).unwrap().replace("\r\n", "");
        assert_eq!(STANDARD.decode(body).unwrap(), "Hola, niño\n".as_bytes());
    }

    #[test]
    fn non_ascii_headers_are_encoded_and_no_header_can_be_injected() {
        let raw = plain_text("Peñasco 311", "a@b.org", "c@d.org\r\nBcc: x@y.org", "Año\r\nX: y", "b", "u");
        assert!(raw.contains("From: =?UTF-8?B?UGXDsWFzY28gMzEx?= <a@b.org>"));
        assert!(!raw.contains("\r\nBcc:") && !raw.contains("\r\nX: y"));
    }
}
