//! Synthetic photos for the tests and the benchmark: pixels that compress like a real photo, and
//! an EXIF block built by hand with an orientation and a GPS position.

use image::codecs::jpeg::JpegEncoder;
use image::{ImageResult, RgbImage};

/// A deterministic photo-like picture: smooth gradients and shapes overlaid with sensor-like
/// noise, so that it compresses about as well as a real photo of the same size.
pub fn photo_like(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut state = seed | 1;
    let mut noise = move || {
        // xorshift64: reproducible, no dependency.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 56) as i32 % 24 - 12
    };
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    RgbImage::from_fn(width, height, |x, y| {
        let (u, v) = (x as f32 / w, y as f32 / h);
        let sky = 1.0 - v;
        let disc = ((u - 0.6).powi(2) + (v - 0.35).powi(2)).sqrt() < 0.12;
        let base = if disc {
            [230.0, 200.0, 90.0]
        } else if v > 0.62 + 0.05 * (u * 12.0).sin() {
            [70.0 + 60.0 * u, 90.0 + 40.0 * v, 60.0]
        } else {
            [90.0 + 80.0 * sky, 140.0 + 70.0 * sky, 200.0 + 50.0 * sky]
        };
        let n = noise();
        image::Rgb(base.map(|c| (c as i32 + n).clamp(0, 255) as u8))
    })
}

/// A JPEG of `image` carrying an EXIF block (APP1) with the given orientation and GPS position.
pub fn jpeg_with_exif(
    image: &RgbImage,
    quality: u8,
    orientation: u16,
    gps: Option<(f64, f64)>,
) -> ImageResult<Vec<u8>> {
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, quality).encode_image(image)?;
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(exif_tiff(orientation, gps));
    Ok(with_segments(&jpeg, &[(0xE1, app1)]))
}

/// A copy of a JPEG with the given segments (marker, payload) inserted right after its start.
pub fn with_segments(jpeg: &[u8], segments: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let (start, rest) = jpeg.split_at(2.min(jpeg.len()));
    let mut out = start.to_vec();
    for (marker, payload) in segments {
        let length = u16::try_from(payload.len() + 2).unwrap_or(u16::MAX);
        out.extend([0xFF, *marker]);
        out.extend(length.to_be_bytes());
        out.extend(payload);
    }
    out.extend(rest);
    out
}

/// An EXIF TIFF structure (little-endian): IFD0 with the orientation and, when given, a pointer
/// to a GPS IFD with latitude and longitude in degrees, minutes and seconds.
pub fn exif_tiff(orientation: u16, gps: Option<(f64, f64)>) -> Vec<u8> {
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        tiff.extend(tag.to_le_bytes());
        tiff.extend(kind.to_le_bytes());
        tiff.extend(count.to_le_bytes());
        tiff.extend(value);
    };
    let short = |value: u16| {
        let [a, b] = value.to_le_bytes();
        [a, b, 0, 0]
    };

    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    // IFD0 at 8: count, entries of 12 bytes, next-IFD offset.
    let ifd0_entries: u16 = if gps.is_some() { 2 } else { 1 };
    tiff.extend(ifd0_entries.to_le_bytes());
    entry(&mut tiff, 0x0112, SHORT, 1, short(orientation));
    let gps_ifd = 8 + 2 + 12 * u32::from(ifd0_entries) + 4;
    if gps.is_some() {
        entry(&mut tiff, 0x8825, LONG, 1, gps_ifd.to_le_bytes());
    }
    tiff.extend(0u32.to_le_bytes());
    let Some((lat, long)) = gps else { return tiff };

    // GPS IFD: four entries, then the two rational triples it points to.
    let rationals = gps_ifd + 2 + 12 * 4 + 4;
    tiff.extend(4u16.to_le_bytes());
    entry(&mut tiff, 0x0001, ASCII, 2, [if lat < 0.0 { b'S' } else { b'N' }, 0, 0, 0]);
    entry(&mut tiff, 0x0002, RATIONAL, 3, rationals.to_le_bytes());
    entry(&mut tiff, 0x0003, ASCII, 2, [if long < 0.0 { b'W' } else { b'E' }, 0, 0, 0]);
    entry(&mut tiff, 0x0004, RATIONAL, 3, (rationals + 24).to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    for value in [lat.abs(), long.abs()] {
        let degrees = value.trunc();
        let minutes = ((value - degrees) * 60.0).trunc();
        let seconds = (value - degrees - minutes / 60.0) * 3600.0;
        for (num, denom) in
            [(degrees as u32, 1u32), (minutes as u32, 1), ((seconds * 10_000.0).round() as u32, 10_000)]
        {
            tiff.extend(num.to_le_bytes());
            tiff.extend(denom.to_le_bytes());
        }
    }
    tiff
}

/// A copy of an encoded PNG or JPEG whose header claims `width` × `height` pixels (the pixel
/// data stays as it was): what a decompression bomb looks like to a decoder reading the header.
/// JPEG sizes are cut to 16 bits, as its frame header holds them.
pub fn with_claimed_size(encoded: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut bytes = encoded.to_vec();
    if bytes.starts_with(b"\x89PNG") && bytes.len() >= 33 {
        // IHDR's data starts at 16: width, height; its CRC follows the 13 data bytes.
        bytes[16..20].copy_from_slice(&width.to_be_bytes());
        bytes[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    } else if let Some(sof) = bytes.windows(2).position(|pair| pair == [0xFF, 0xC0]) {
        // FF C0, length (2), precision (1), then height and width.
        let (width, height) = (width.min(u32::from(u16::MAX)) as u16, height.min(u32::from(u16::MAX)) as u16);
        bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
        bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    }
    bytes
}

/// The CRC-32 PNG chunks carry.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
