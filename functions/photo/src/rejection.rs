//! Why a file is not kept as a photo, in words fit to record on the ticket and show the citizen.

use thiserror::Error;

use crate::{MAX_BYTES, MAX_PIXELS};

/// Why an upload is refused. Its `Display` is the sentence recorded on the ticket; the decoder's
/// own error, when there is one, is kept as the `source` for the logs.
#[derive(Debug, Error)]
pub enum Rejection {
    /// More bytes than an upload may have (the upload policy already refuses them).
    #[error("The photo is larger than {} MB; send a smaller one.", MAX_BYTES / (1024 * 1024))]
    TooManyBytes { bytes: usize },

    /// The content is no image at all, whatever the file is called.
    #[error("This file is not an image; send a JPEG, PNG or WebP photo.")]
    NotAnImage,

    /// An image in a format town311 does not take (GIF, TIFF, BMP, …).
    #[error("{format} images are not accepted; send a JPEG, PNG or WebP photo.")]
    UnsupportedFormat { format: &'static str },

    /// A HEIC photo: no decoder for it is built in yet.
    #[error("HEIC photos cannot be processed yet; send JPEG, PNG or WebP")]
    Heic,

    /// More pixels than a photo may have: refused from the header, before any decoding, so a
    /// small file that would unpack into gigabytes (a decompression bomb) costs nothing.
    #[error(
        "The image is too large ({width} × {height} pixels); photos may have at most {} megapixels.",
        MAX_PIXELS / 1_000_000
    )]
    TooManyPixels { width: u32, height: u32 },

    /// The file starts like an image but cannot be read to its end.
    #[error("The image is truncated or damaged and cannot be read.")]
    Damaged(#[source] image::ImageError),

    /// The image was read but could not be written out again.
    #[error("The photo could not be processed.")]
    CannotEncode(#[source] image::ImageError),
}

impl Rejection {
    /// A short, stable name of the reason, for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooManyBytes { .. } => "too_many_bytes",
            Self::NotAnImage => "not_an_image",
            Self::UnsupportedFormat { .. } => "unsupported_format",
            Self::Heic => "heic",
            Self::TooManyPixels { .. } => "too_many_pixels",
            Self::Damaged(_) => "damaged",
            Self::CannotEncode(_) => "cannot_encode",
        }
    }
}
