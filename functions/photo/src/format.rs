//! What kind of image a file holds, from its first bytes: never from its name or the content
//! type the browser claimed.

use crate::Rejection;

/// The image formats a photo may arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Jpeg,
    Png,
    Webp,
}

impl InputFormat {
    /// Recognises the file's format by its signature: JPEG, PNG and WebP are taken; HEIC and
    /// other image formats are refused by name; anything else is not an image.
    pub fn detect(bytes: &[u8]) -> Result<Self, Rejection> {
        match bytes {
            [0xFF, 0xD8, 0xFF, ..] => Ok(Self::Jpeg),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Ok(Self::Png),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Ok(Self::Webp),
            [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..] => Err(iso_media(brand)),
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Err(unsupported("GIF")),
            [b'I', b'I', 0x2A, 0x00, ..] | [b'M', b'M', 0x00, 0x2A, ..] => Err(unsupported("TIFF")),
            // "BM", the file size, then four reserved zero bytes: a bare "BM" is too common in text.
            [b'B', b'M', _, _, _, _, 0, 0, 0, 0, ..] => Err(unsupported("BMP")),
            _ => Err(Rejection::NotAnImage),
        }
    }

    /// The format's media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    pub(crate) fn image_format(self) -> image::ImageFormat {
        match self {
            Self::Jpeg => image::ImageFormat::Jpeg,
            Self::Png => image::ImageFormat::Png,
            Self::Webp => image::ImageFormat::WebP,
        }
    }
}

/// An ISO base media file (`ftyp` box): HEIC and AVIF photos, or a video.
fn iso_media(brand: &[u8]) -> Rejection {
    match brand.get(..4) {
        Some(b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1") => {
            Rejection::Heic
        }
        Some(b"avif" | b"avis") => unsupported("AVIF"),
        _ => Rejection::NotAnImage,
    }
}

fn unsupported(format: &'static str) -> Rejection {
    Rejection::UnsupportedFormat { format }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_jpeg_png_and_webp_by_their_signatures() {
        assert_eq!(InputFormat::detect(b"\xFF\xD8\xFF\xE0\x00\x10JFIF").ok(), Some(InputFormat::Jpeg));
        assert_eq!(InputFormat::detect(b"\x89PNG\r\n\x1a\n\0\0").ok(), Some(InputFormat::Png));
        assert_eq!(InputFormat::detect(b"RIFF\x10\0\0\0WEBPVP8 ").ok(), Some(InputFormat::Webp));
    }

    #[test]
    fn refuses_heic_with_its_own_reason() {
        let rejection = InputFormat::detect(b"\0\0\0\x18ftypheic\0\0\0\0").unwrap_err();
        assert!(matches!(rejection, Rejection::Heic));
        assert_eq!(rejection.to_string(), "HEIC photos cannot be processed yet; send JPEG, PNG or WebP");
    }

    #[test]
    fn names_other_image_formats_it_does_not_take() {
        for (bytes, name) in [
            (&b"GIF89a\x01\0"[..], "GIF"),
            (b"II*\0\x08\0\0\0", "TIFF"),
            (b"BM\x46\0\0\0\0\0\0\0\x36\0", "BMP"),
            (b"\0\0\0\x1cftypavif\0\0", "AVIF"),
        ] {
            let rejection = InputFormat::detect(bytes).unwrap_err();
            assert!(matches!(rejection, Rejection::UnsupportedFormat { format } if format == name));
        }
    }

    #[test]
    fn anything_else_is_not_an_image() {
        for bytes in
            [&b"hello.jpg"[..], b"BMW parked on the sidewalk", b"\xFF\xD8", b"", b"\0\0\0\x18ftypmp42"]
        {
            assert!(matches!(InputFormat::detect(bytes), Err(Rejection::NotAnImage)), "{bytes:?}");
        }
    }
}
