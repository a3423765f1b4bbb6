//! Photos citizens send: what kind of image a file is, by its content, never by its name; the
//! ids uploads go by; and a processed photo as a ticket keeps it.

use serde::{Deserialize, Serialize};

/// The length of an upload id (32 lowercase hex digits, as `id::random_token` draws them).
const UPLOAD_ID_LEN: usize = 32;

/// Whether `text` is an upload id.
pub fn is_upload_id(text: &str) -> bool {
    text.len() == UPLOAD_ID_LEN && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Where an upload waits to be processed.
pub fn upload_key(upload_id: &str) -> String {
    format!("uploads/{upload_id}")
}

/// The upload id of an upload's object key, if it is one.
pub fn upload_id_of(key: &str) -> Option<&str> {
    key.strip_prefix("uploads/").filter(|id| is_upload_id(id))
}

/// A processed photo: published (unless hidden) at a stable URL by its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    /// The upload's id.
    pub id: String,
    /// The processed image and its thumbnail, in the photo bucket.
    pub key: String,
    pub thumbnail_key: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    /// Hidden by staff: not served to the public.
    #[serde(default)]
    pub hidden: bool,
    /// The finished work, as staff closed the ticket with it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after: bool,
}

/// What processing an upload came to, kept until the ticket naming the upload takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Processing {
    Processed {
        photo: Photo,
        /// Where the photo was taken, from its EXIF before stripping (a location suggestion).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        gps: Option<(f64, f64)>,
    },
    Refused {
        upload_id: String,
        reason: String,
    },
}

impl Processing {
    pub fn upload_id(&self) -> &str {
        match self {
            Self::Processed { photo, .. } => &photo.id,
            Self::Refused { upload_id, .. } => upload_id,
        }
    }
}

/// The image formats town311 accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
    Heic,
}

/// The most photos one request may carry.
pub const MAX_PHOTOS: usize = 3;

impl ImageKind {
    /// Recognises an image by its first bytes.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0xFF, 0xD8, 0xFF, ..] => Some(Self::Jpeg),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Self::Png),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Self::Webp),
            [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..]
                if brand.starts_with(b"heic") || brand.starts_with(b"heix") || brand.starts_with(b"mif1") =>
            {
                Some(Self::Heic)
            }
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Heic => "heic",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Heic => "image/heic",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_images_by_content() {
        assert_eq!(ImageKind::sniff(b"\xFF\xD8\xFF\xE0\x00\x10JFIF"), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some(ImageKind::Png));
        assert_eq!(ImageKind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(ImageKind::Webp));
        assert_eq!(ImageKind::sniff(b"\0\0\0\x18ftypheic\0\0"), Some(ImageKind::Heic));
    }

    #[test]
    fn refuses_what_only_claims_to_be_an_image() {
        assert_eq!(ImageKind::sniff(b"GIF89a"), None);
        assert_eq!(ImageKind::sniff(b"hello.jpg"), None);
        assert_eq!(ImageKind::sniff(b"\xFF\xD8"), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }
}
