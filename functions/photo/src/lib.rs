//! Photo processing for town311: proves an upload is an image by decoding it, reads the
//! orientation and GPS position from its EXIF, and writes a clean copy (at most 1600 px on the
//! long side) and a thumbnail (at most 320 px) that carry no metadata at all.
//!
//! The library is pure: bytes in, bytes out, no AWS. The photo function feeds it the uploads
//! that S3 reports and stores what it returns.

mod encode;
mod exif_facts;
mod format;
mod jpeg_markers;
pub mod lambda;
mod rejection;
mod resize;
pub mod sample;

use std::io::Cursor;

use image::error::{DecodingError, ImageFormatHint};
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

use exif_facts::ExifFacts;
pub use format::InputFormat;
pub use rejection::Rejection;

/// The most bytes an upload may have: 10 MB (MiB), as the upload policy says.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most pixels a photo may have (a 12-megapixel phone photo has a quarter of that).
pub const MAX_PIXELS: u64 = 50_000_000;
/// The long side of the processed photo, at most; smaller photos are never enlarged. 1600 px
/// shows a crew the crack, the sign or the number on a pole on any screen, at under half the
/// bytes of 2048 px (bench/report/latest.md).
pub const MAX_SIDE: u32 = 1600;
/// The long side of the thumbnail, at most.
pub const THUMBNAIL_SIDE: u32 = 320;
/// The most memory decoding may take: four bytes per pixel of the largest photo.
const MAX_DECODED_BYTES: u64 = MAX_PIXELS * 4;

/// A photo ready to publish: the processed image and its thumbnail, both without metadata.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The format the upload really was, from its content.
    pub format: InputFormat,
    /// The photo, oriented, at most [`MAX_SIDE`] px on its long side: a PNG for a PNG upload
    /// (screenshots and drawings stay sharp and keep their transparency), a JPEG otherwise.
    pub full: Rendition,
    /// The thumbnail, oriented, at most [`THUMBNAIL_SIDE`] px on its long side, always a JPEG.
    pub thumbnail: Rendition,
    /// Where the photo was taken (latitude, longitude), read from its EXIF before it was
    /// dropped: a location to suggest to the citizen, never published with the photo.
    pub gps: Option<(f64, f64)>,
}

/// One encoded image.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendition {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

impl Rendition {
    /// The file extension that goes with its content type.
    pub fn extension(&self) -> &'static str {
        if self.content_type == "image/png" { "png" } else { "jpg" }
    }
}

impl std::fmt::Debug for Rendition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendition")
            .field("bytes", &self.bytes.len())
            .field("content_type", &self.content_type)
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// Processes one upload: recognises its format by content, refuses what is not a whole image
/// of a taken format within the limits, and otherwise returns the clean photo and thumbnail.
pub fn process(bytes: &[u8]) -> Result<Processed, Rejection> {
    if bytes.len() > MAX_BYTES {
        return Err(Rejection::TooManyBytes { bytes: bytes.len() });
    }
    let format = InputFormat::detect(bytes)?;
    let decoded = decode(bytes, format)?;
    let facts = ExifFacts::read(bytes);

    let mut full = resize::fit_within(decoded, MAX_SIDE);
    // Turning the smaller image is cheaper, and fitting within a square does not depend on it.
    full.apply_orientation(facts.orientation);
    let thumbnail = resize::fit_within(full.clone(), THUMBNAIL_SIDE);

    let full = match format {
        InputFormat::Png => encode::png(&full),
        InputFormat::Jpeg | InputFormat::Webp => encode::jpeg(&full, encode::PHOTO_QUALITY),
    }
    .map_err(Rejection::CannotEncode)?;
    let thumbnail = encode::jpeg(&thumbnail, encode::THUMBNAIL_QUALITY).map_err(Rejection::CannotEncode)?;
    Ok(Processed { format, full, thumbnail, gps: facts.gps })
}

/// Decodes the whole image, after checking from its header that it is not too large.
fn decode(bytes: &[u8], format: InputFormat) -> Result<DynamicImage, Rejection> {
    if format == InputFormat::Jpeg {
        jpeg_markers::markers(bytes).map_err(|broken| {
            let hint = ImageFormatHint::Exact(ImageFormat::Jpeg);
            Rejection::Damaged(ImageError::Decoding(DecodingError::new(hint, broken.describe())))
        })?;
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(Rejection::Damaged)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS || decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(Rejection::TooManyPixels { width, height });
    }
    DynamicImage::from_decoder(decoder).map_err(Rejection::Damaged)
}

#[cfg(test)]
mod tests;
