//! A walk over a JPEG's structure, marker by marker, to its end-of-image marker.
//!
//! The JPEG decoder is lenient: it fills in whatever a truncated file is missing with grey and
//! reports success. A file is only taken whole, so the walk checks that it really reaches its end.

/// Start of image, start of scan, end of image.
pub(crate) const SOI: u8 = 0xD8;
pub(crate) const SOS: u8 = 0xDA;
pub(crate) const EOI: u8 = 0xD9;

/// Why a JPEG's structure is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Broken {
    /// The file ends before its end-of-image marker.
    Truncated,
    /// Something other than a marker where one must be, or an end before any image data.
    Malformed,
}

impl Broken {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Truncated => "the JPEG ends before its end-of-image marker",
            Self::Malformed => "the JPEG's structure is malformed",
        }
    }
}

/// The markers of a JPEG from its start-of-image to its end-of-image, in order (anything after
/// the end-of-image marker is ignored, as decoders do).
pub(crate) fn markers(bytes: &[u8]) -> Result<Vec<u8>, Broken> {
    if bytes.get(..2) != Some(&[0xFF, SOI]) {
        return Err(Broken::Malformed);
    }
    let mut found = vec![SOI];
    let mut at = 2;
    loop {
        // A marker: 0xFF, possibly repeated as fill, then its code.
        if *bytes.get(at).ok_or(Broken::Truncated)? != 0xFF {
            return Err(Broken::Malformed);
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at).ok_or(Broken::Truncated)?;
        at += 1;
        found.push(marker);
        match marker {
            EOI if found.contains(&SOS) => return Ok(found),
            EOI | SOI | 0x00 => return Err(Broken::Malformed),
            // Markers without a length: TEM and restart markers.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let length = match bytes.get(at..at + 2) {
            Some(&[high, low]) => usize::from(u16::from_be_bytes([high, low])),
            _ => return Err(Broken::Truncated),
        };
        if length < 2 {
            return Err(Broken::Malformed);
        }
        at += length;
        if at > bytes.len() {
            return Err(Broken::Truncated);
        }
        if marker == SOS {
            at = end_of_scan(bytes, at).ok_or(Broken::Truncated)?;
        }
    }
}

/// Where the entropy-coded data that starts at `from` ends: at the first marker that is neither
/// a stuffed zero nor a restart marker.
fn end_of_scan(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        at += bytes.get(at..)?.iter().position(|&byte| byte == 0xFF)?;
        match *bytes.get(at + 1)? {
            0x00 | 0xD0..=0xD7 => at += 2,
            _ => return Some(at),
        }
    }
}
