//! Reading a `multipart/form-data` body (RFC 7578): Open311 clients such as FixMyStreet and
//! mobile apps POST a service request this way when it comes with photos.

/// One part of a multipart body, borrowing its data so photos are not copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// The form field this part answers, from `Content-Disposition: form-data; name=...`.
    pub name: String,
    /// The client's file name, kept only as a hint: `None` tells a plain field from an upload.
    pub filename: Option<String>,
    /// The declared media type, lower-cased without parameters so callers can compare it directly.
    pub content_type: Option<String>,
    /// The raw bytes, without the line break that belongs to the next delimiter.
    pub data: &'a [u8],
}

/// Why a multipart body was refused; callers answer all of them with 400 Bad Request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the multipart body has no boundary parameter")]
    NoBoundary,
    #[error("the multipart body is malformed")]
    Malformed,
    #[error("a multipart body may have at most {0} parts")]
    TooManyParts(usize),
}

use MultipartError::Malformed;

/// Longest boundary RFC 2046 allows; a longer one is more likely an attack than a client.
const MAX_BOUNDARY: usize = 70;

/// The boundary of a `multipart/form-data; boundary=...` Content-Type, needed before parsing.
pub fn boundary(content_type: &str) -> Option<String> {
    let (_, params) = content_type.split_once(';')?;
    let (_, value) = parameters(params)?.into_iter().find(|(name, _)| name == "boundary")?;
    (!value.is_empty() && value.len() <= MAX_BOUNDARY).then_some(value)
}

/// Splits `body` into at most `max_parts` parts, so a client cannot make us allocate without bound.
pub fn parse<'a>(body: &'a [u8], boundary: &str, max_parts: usize) -> Result<Vec<Part<'a>>, MultipartError> {
    if boundary.is_empty() {
        return Err(MultipartError::NoBoundary);
    }
    let dashed = format!("--{boundary}");
    // Every delimiter but one opening the body follows a line break; its CR, if any, is trimmed.
    let delimiter = [b"\n", dashed.as_bytes()].concat();
    let mut rest = match body.strip_prefix(dashed.as_bytes()) {
        Some(rest) => rest,
        None => split_around(body, &delimiter)?.1,
    };
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts); // The close delimiter: what follows is an epilogue.
        }
        let padding = rest.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        let line = rest.get(padding..).unwrap_or_default();
        let line = line.strip_prefix(b"\r\n").or_else(|| line.strip_prefix(b"\n")).ok_or(Malformed)?;
        if parts.len() >= max_parts {
            return Err(MultipartError::TooManyParts(max_parts));
        }
        let (raw, next) = split_around(line, &delimiter)?;
        parts.push(part(raw.strip_suffix(b"\r").unwrap_or(raw))?);
        rest = next;
    }
}

/// Splits `bytes` around the first `needle`; a missing delimiter means the body was cut short.
fn split_around<'a>(bytes: &'a [u8], needle: &[u8]) -> Result<(&'a [u8], &'a [u8]), MultipartError> {
    let at = bytes.windows(needle.len()).position(|w| w == needle).ok_or(Malformed)?;
    let (before, from) = bytes.split_at_checked(at).ok_or(Malformed)?;
    Ok((before, from.get(needle.len()..).unwrap_or_default()))
}

/// Reads one part's headers; only Content-Disposition and Content-Type matter to a form.
fn part(raw: &[u8]) -> Result<Part<'_>, MultipartError> {
    let (head, data) = split_head(raw);
    let head = std::str::from_utf8(head).map_err(|_| Malformed)?;
    let mut headers: Vec<(&str, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers.last_mut().ok_or(Malformed)?;
            value.push(' ');
            value.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':').ok_or(Malformed)?;
            headers.push((name.trim(), value.trim().to_owned()));
        }
    }
    let header = |wanted: &str| {
        headers.iter().find(|(name, _)| name.eq_ignore_ascii_case(wanted)).map(|(_, value)| value.as_str())
    };
    let disposition = header("content-disposition").ok_or(Malformed)?;
    let (kind, params) = disposition.split_once(';').unwrap_or((disposition, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return Err(Malformed);
    }
    let params = parameters(params).ok_or(Malformed)?;
    let param = |wanted: &str| params.iter().find(|(name, _)| name == wanted).map(|(_, value)| value);
    let name = param("name").filter(|name| !name.is_empty()).ok_or(Malformed)?.clone();
    let filename = match param("filename*") {
        Some(extended) => Some(decode_extended(extended).ok_or(Malformed)?),
        None => param("filename").cloned(),
    };
    let content_type = header("content-type")
        .map(|value| value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .filter(|value| !value.is_empty());
    Ok(Part { name, filename, content_type, data })
}

/// Splits a part at its first empty line; without one it is all headers, as some clients send.
fn split_head(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut offset = 0;
    for line in raw.split(|b| *b == b'\n') {
        let next = offset + line.len() + 1;
        if line.is_empty() || line == b"\r" {
            return (raw.get(..offset).unwrap_or_default(), raw.get(next..).unwrap_or_default());
        }
        offset = next;
    }
    (raw, &[])
}

/// The `name=value` pairs after a header's first `;`, names lower-cased since they are
/// case-insensitive; quoted values may hold `;` and `\"`.
fn parameters(mut rest: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c == ';' || c.is_ascii_whitespace());
        let Some((name, value)) = rest.split_once('=') else {
            return rest.is_empty().then_some(params);
        };
        if name.contains(';') {
            return None;
        }
        let value = value.trim_start();
        let (value, tail) = match value.strip_prefix('"') {
            Some(quoted) => unquote(quoted)?,
            None => {
                let (token, tail) = value.split_once(';').unwrap_or((value, ""));
                (token.trim_end().to_owned(), tail)
            }
        };
        params.push((name.trim().to_ascii_lowercase(), value));
        rest = tail;
    }
}

/// Reads a quoted string up to its closing quote; a backslash escapes only `"` and `\`, because
/// browsers send Windows paths like `C:\photos\a.jpg` unescaped.
fn unquote(quoted: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = quoted.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((value, quoted.get(at + 1..)?)),
            '\\' if matches!(chars.peek(), Some((_, '"' | '\\'))) => {
                value.extend(chars.next().map(|(_, c)| c));
            }
            c => value.push(c),
        }
    }
    None
}

/// Decodes an RFC 5987 `UTF-8''percent%20encoded` value, which some apps use for non-ASCII names.
fn decode_extended(value: &str) -> Option<String> {
    let mut pieces = value.splitn(3, '\'');
    let (charset, _language, rest) = (pieces.next()?, pieces.next()?, pieces.next()?);
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    super::percent_decode_strict(rest.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: &str = "----FormBoundary7MA4YWxkTrZu0gW";
    /// JPEG-like bytes with CR, LF, `--` and a near-miss of the boundary inside.
    const PHOTO1: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\r\n--\r\n----FormBoundary7MA4\r\n\n\r\x00\xFF\xD9";
    const PHOTO2: &[u8] = b"\xFF\xD8--\r\n\r\n------FormBoundary\xFF\xD9\r";

    fn field(name: &str, value: &str) -> Vec<u8> {
        format!("--{B}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes()
    }

    fn file(name: &str, filename: &str, data: &[u8]) -> Vec<u8> {
        let head = format!(
            "--{B}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
             Content-Type: image/jpeg\r\n\r\n"
        );
        [head.as_bytes(), data, b"\r\n"].concat()
    }

    fn fixmystreet_body() -> Vec<u8> {
        [
            field("service_code", "POTHOLE"),
            field("lat", "42.123456"),
            field("long", "-71.5"),
            field("description", "Deep hole\r\nnear the school"),
            field("last_name", ""),
            field("attribute[uprn]", "100023336956"),
            file("photo1", "IMG_0001.jpg", PHOTO1),
            file("photo2", "IMG_0002.jpg", PHOTO2),
            format!("--{B}--\r\n").into_bytes(),
        ]
        .concat()
    }

    fn one_field(body: &str) -> Result<Vec<Part<'_>>, MultipartError> {
        parse(body.as_bytes(), "xyz", 10)
    }

    #[test]
    fn reads_a_fixmystreet_style_body_with_fields_and_photos() {
        let body = fixmystreet_body();
        let parts = parse(&body, B, 20).unwrap();
        let names: Vec<_> = parts.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "service_code",
                "lat",
                "long",
                "description",
                "last_name",
                "attribute[uprn]",
                "photo1",
                "photo2"
            ]
        );
        assert_eq!(parts[0].data, b"POTHOLE");
        assert_eq!(parts[0].filename, None);
        assert_eq!(parts[0].content_type, None);
        assert_eq!(parts[3].data, b"Deep hole\r\nnear the school");
        assert_eq!(parts[4].data, b"");
        assert_eq!(parts[5].data, b"100023336956");
        assert_eq!(parts[6].filename.as_deref(), Some("IMG_0001.jpg"));
        assert_eq!(parts[6].content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(parts[6].data, PHOTO1);
        assert_eq!(parts[7].data, PHOTO2);
    }

    #[test]
    fn reads_a_georeporter_media_part_with_case_insensitive_headers() {
        let body = "--xyz\r\ncontent-disposition: form-data; name=service_code\r\n\r\n001\r\n\
                    --xyz\r\nCONTENT-DISPOSITION: Form-Data; NAME=\"media\"; filename=\"media.png\"\r\n\
                    content-type: Image/PNG; name=x\r\n\r\n\x01\x02\r\n--xyz--";
        let parts = one_field(body).unwrap();
        assert_eq!(parts[0].name, "service_code");
        assert_eq!(parts[0].data, b"001");
        assert_eq!(parts[1].name, "media");
        assert_eq!(parts[1].filename.as_deref(), Some("media.png"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[1].data, b"\x01\x02");
    }

    #[test]
    fn accepts_bare_lf_line_endings() {
        let body = "--xyz\nContent-Disposition: form-data; name=\"a\"\n\none\ntwo\n\
                    --xyz\nContent-Disposition: form-data; name=\"b\"\n\n\n--xyz--\n";
        let parts = one_field(body).unwrap();
        assert_eq!(parts[0].data, b"one\ntwo");
        assert_eq!(parts[1].name, "b");
        assert_eq!(parts[1].data, b"");
    }

    #[test]
    fn unfolds_folded_header_values_and_tolerates_transport_padding() {
        let body = "--xyz \t\r\nContent-Disposition: form-data;\r\n\tname=\"folded\"\r\n\r\nv\r\n--xyz--";
        assert_eq!(one_field(body).unwrap()[0].name, "folded");
    }

    #[test]
    fn quoted_values_may_hold_semicolons_escaped_quotes_and_windows_paths() {
        let body = "--xyz\r\nContent-Disposition: form-data; filename=\"C:\\pics\\a;b \\\"c\\\".jpg\"; \
                    name=\"x\"\r\n\r\n\r\n--xyz--";
        assert_eq!(one_field(body).unwrap()[0].filename.as_deref(), Some("C:\\pics\\a;b \"c\".jpg"));
    }

    #[test]
    fn reads_the_boundary_quoted_or_bare_in_any_parameter_order() {
        assert_eq!(boundary("multipart/form-data; boundary=\"a b;c\"").as_deref(), Some("a b;c"));
        assert_eq!(boundary("multipart/form-data;charset=utf-8; BOUNDARY=abc").as_deref(), Some("abc"));
        assert_eq!(boundary(&format!("multipart/form-data; boundary={B}")).as_deref(), Some(B));
    }

    #[test]
    fn refuses_a_missing_empty_or_overlong_boundary() {
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("multipart/form-data; charset=utf-8"), None);
        assert_eq!(boundary("multipart/form-data; boundary=\"\""), None);
        assert_eq!(
            boundary(&format!("multipart/form-data; boundary={}", "a".repeat(70))).map(|b| b.len()),
            Some(70)
        );
        assert_eq!(boundary(&format!("multipart/form-data; boundary={}", "a".repeat(71))), None);
        assert_eq!(parse(b"--\r\n", "", 10), Err(MultipartError::NoBoundary));
    }

    #[test]
    fn prefers_filename_star_over_filename() {
        let body = "--xyz\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"fallback.jpg\"; \
                    filename*=UTF-8''na%C3%AFve%20caf%C3%A9.jpg\r\n\r\ndata\r\n--xyz--";
        assert_eq!(one_field(body).unwrap()[0].filename.as_deref(), Some("naïve café.jpg"));
        let bad = body.replace("%C3%AFve", "%C3");
        assert_eq!(one_field(&bad), Err(Malformed));
    }

    #[test]
    fn ignores_preamble_and_epilogue() {
        let body = "This is a preamble --xyz\r\n--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n\
                    --xyz--\r\nThis is an epilogue\r\n--xyz\r\n";
        let parts = one_field(body).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].data, b"1");
    }

    #[test]
    fn a_missing_closing_delimiter_is_malformed() {
        let body = "--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n";
        assert_eq!(one_field(body), Err(Malformed));
        assert_eq!(
            one_field("--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--xyz"),
            Err(Malformed)
        );
    }

    #[test]
    fn a_part_without_a_form_data_name_is_malformed() {
        assert_eq!(one_field("--xyz\r\nContent-Type: text/plain\r\n\r\n1\r\n--xyz--"), Err(Malformed));
        assert_eq!(one_field("--xyz\r\nContent-Disposition: form-data\r\n\r\n1\r\n--xyz--"), Err(Malformed));
        assert_eq!(
            one_field("--xyz\r\nContent-Disposition: attachment; name=a\r\n\r\n\r\n--xyz--"),
            Err(Malformed)
        );
        assert_eq!(one_field("--xyz\r\n\r\n1\r\n--xyz--"), Err(Malformed));
    }

    #[test]
    fn a_field_name_that_is_not_utf8_is_malformed() {
        let body = b"--xyz\r\nContent-Disposition: form-data; name=\"\xE9\"\r\n\r\n1\r\n--xyz--";
        assert_eq!(parse(body, "xyz", 10), Err(Malformed));
    }

    #[test]
    fn refuses_more_parts_than_allowed() {
        let body = fixmystreet_body();
        assert_eq!(parse(&body, B, 7), Err(MultipartError::TooManyParts(7)));
        assert_eq!(parse(&body, B, 8).map(|parts| parts.len()), Ok(8));
    }

    #[test]
    fn an_empty_body_is_malformed() {
        assert_eq!(parse(b"", B, 10), Err(Malformed));
    }

    #[test]
    fn every_truncation_of_a_valid_body_parses_or_fails_without_panicking() {
        let body = fixmystreet_body();
        for len in 0..=body.len() {
            let result = parse(&body[..len], B, 20);
            assert!(result.is_ok() || result.is_err());
        }
        // Short of the close delimiter, a truncated body can never be read as complete.
        let close = body.len() - format!("--{B}--\r\n").len() + B.len() + 4;
        assert!((0..close).all(|len| parse(&body[..len], B, 20).is_err()));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Bodies made of the pieces a multipart reader meets, in any order.
        fn body() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop_oneof![
                prop::sample::select(vec![
                    "--xyz",
                    "--xyz--",
                    "\r\n",
                    "\n",
                    "\r",
                    " ",
                    "Content-Disposition: form-data; name=\"a\"",
                    "Content-Disposition: form-data; name=a; filename*=UTF-8''%",
                    "; filename=\"C:\\x.jpg\"",
                    "Content-Type: image/jpeg",
                    "\"",
                    "\\",
                    ";",
                    "=",
                    "%E2%82",
                    "\t",
                ])
                .prop_map(|p| p.as_bytes().to_vec()),
                any::<String>().prop_map(String::into_bytes),
                any::<Vec<u8>>(),
            ];
            prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
        }

        proptest! {
            #[test]
            fn any_body_is_parts_or_refused(body in body(), max_parts in 0usize..8) {
                if let Ok(parts) = parse(&body, "xyz", max_parts) {
                    prop_assert!(parts.len() <= max_parts);
                }
            }

            #[test]
            fn any_content_type_and_boundary_are_read_or_refused(content_type in any::<String>(), body in any::<Vec<u8>>()) {
                if let Some(boundary) = boundary(&content_type) {
                    let _ = parse(&body, &boundary, 4);
                }
                let _ = parse(&body, &content_type, 4);
            }
        }
    }
}
