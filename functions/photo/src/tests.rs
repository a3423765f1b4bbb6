//! Processing real images made here: JPEG (with EXIF, XMP, ICC, Photoshop and comment segments),
//! PNG and WebP, whole, truncated, mislabelled and oversized.

use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

use super::*;
use crate::jpeg_markers;

const MILLBROOK: (f64, f64) = (42.2808, -71.8011);

fn jpeg_with(orientation: u16, gps: Option<(f64, f64)>, width: u32, height: u32) -> Vec<u8> {
    sample::jpeg_with_exif(&sample::photo_like(width, height, 1), 85, orientation, gps).unwrap()
}

fn encoded(image: &DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
    bytes
}

/// The chunk types of a PNG, in order.
fn png_chunks(bytes: &[u8]) -> Vec<String> {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let mut chunks = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        chunks.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        at += 12 + length;
    }
    assert_eq!(at, bytes.len(), "chunks end with the file");
    chunks
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Asserts a JPEG written by `process` holds image data only: JFIF's APP0 and the segments that
/// describe the compressed pixels, no other application segment, no comment, no EXIF anywhere.
fn assert_bare_jpeg(bytes: &[u8]) {
    let markers = jpeg_markers::markers(bytes).unwrap();
    for marker in &markers {
        let allowed =
            matches!(marker, 0xD8 | 0xD9 | 0xE0 | 0xDB | 0xC0..=0xC2 | 0xC4 | 0xDA | 0xDD | 0xD0..=0xD7);
        assert!(allowed, "unexpected marker {marker:#04X} in {markers:02X?}");
    }
    for needle in [&b"Exif"[..], b"http://ns.adobe.com", b"ICC_PROFILE", b"Photoshop", b"8BIM", b"Secret"] {
        assert!(!contains(bytes, needle), "output carries {:?}", String::from_utf8_lossy(needle));
    }
    assert!(exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).is_err());
}

fn assert_close(actual: Option<(f64, f64)>, expected: (f64, f64)) {
    let (lat, long) = actual.expect("a GPS position");
    assert!((lat - expected.0).abs() < 1e-6 && (long - expected.1).abs() < 1e-6, "{lat}, {long}");
}

#[test]
fn a_jpeg_with_gps_and_every_kind_of_metadata_comes_out_with_none() {
    let jpeg = sample::with_segments(
        &jpeg_with(1, Some(MILLBROOK), 640, 480),
        &[
            (0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>Secret</x:xmpmeta>".to_vec()),
            (0xE2, b"ICC_PROFILE\0\x01\x01Secret profile".to_vec()),
            (0xED, b"Photoshop 3.0\08BIM\x04\x04Secret caption".to_vec()),
            (0xFE, b"Secret comment".to_vec()),
        ],
    );
    assert_eq!(ExifFacts::read(&jpeg).gps.map(|_| ()), Some(()), "the input does carry GPS");

    let processed = process(&jpeg).unwrap();

    assert_eq!(processed.format, InputFormat::Jpeg);
    assert_close(processed.gps, MILLBROOK);
    assert_bare_jpeg(&processed.full.bytes);
    assert_bare_jpeg(&processed.thumbnail.bytes);
    assert_eq!(processed.full.content_type, "image/jpeg");
    assert_eq!((processed.full.width, processed.full.height), (640, 480));
}

#[test]
fn positions_south_and_west_are_negative() {
    let processed = process(&jpeg_with(1, Some((-33.8568, 151.2153)), 64, 48)).unwrap();
    assert_close(processed.gps, (-33.8568, 151.2153));
    let processed = process(&jpeg_with(1, Some((51.5, -0.1246)), 64, 48)).unwrap();
    assert_close(processed.gps, (51.5, -0.1246));
}

#[test]
fn a_position_of_zero_zero_or_none_suggests_nothing() {
    assert_eq!(process(&jpeg_with(1, Some((0.0, 0.0)), 64, 48)).unwrap().gps, None);
    assert_eq!(process(&jpeg_with(1, None, 64, 48)).unwrap().gps, None);
}

#[test]
fn a_broken_exif_block_does_not_spoil_the_photo() {
    let plain = encoded(&DynamicImage::ImageRgb8(sample::photo_like(64, 48, 3)), image::ImageFormat::Jpeg);
    let jpeg = sample::with_segments(&plain, &[(0xE1, b"Exif\0\0II*\0\xFF\xFF\xFF\x7F garbage".to_vec())]);
    let processed = process(&jpeg).unwrap();
    assert_eq!(processed.gps, None);
    assert_bare_jpeg(&processed.full.bytes);
}

#[test]
fn orientation_six_turns_the_photo_a_quarter_clockwise() {
    // A red corner at the top left of the stored pixels; the camera was turned a quarter.
    let mut pixels = RgbImage::from_pixel(400, 300, Rgb([20, 20, 200]));
    for (x, y, pixel) in pixels.enumerate_pixels_mut() {
        if x < 60 && y < 60 {
            *pixel = Rgb([230, 10, 10]);
        }
    }
    let jpeg = sample::jpeg_with_exif(&pixels, 90, 6, None).unwrap();

    let processed = process(&jpeg).unwrap();

    assert_eq!((processed.full.width, processed.full.height), (300, 400));
    let shown = image::load_from_memory(&processed.full.bytes).unwrap().to_rgb8();
    assert!(shown.get_pixel(300 - 20, 20).0[0] > 180, "the red corner is now at the top right");
    assert!(shown.get_pixel(20, 20).0[2] > 150, "and the top left is blue");
    assert_eq!((processed.thumbnail.width, processed.thumbnail.height), (240, 320));
}

#[test]
fn every_exif_orientation_gives_the_shown_dimensions() {
    for orientation in 1..=8 {
        let processed = process(&jpeg_with(orientation, None, 80, 40)).unwrap();
        let expected = if orientation >= 5 { (40, 80) } else { (80, 40) };
        assert_eq!((processed.full.width, processed.full.height), expected, "orientation {orientation}");
    }
}

#[test]
fn a_12_megapixel_photo_is_scaled_to_1600_and_a_320_thumbnail() {
    let processed = process(&jpeg_with(1, Some(MILLBROOK), 4000, 3000)).unwrap();

    assert_eq!((processed.full.width, processed.full.height), (1600, 1200));
    assert_eq!((processed.thumbnail.width, processed.thumbnail.height), (320, 240));
    let full = image::load_from_memory(&processed.full.bytes).unwrap();
    assert_eq!((full.width(), full.height()), (1600, 1200));
    let thumbnail = image::load_from_memory(&processed.thumbnail.bytes).unwrap();
    assert_eq!((thumbnail.width(), thumbnail.height()), (320, 240));
}

#[test]
fn a_small_photo_is_never_enlarged() {
    let processed = process(&jpeg_with(1, None, 200, 100)).unwrap();
    assert_eq!((processed.full.width, processed.full.height), (200, 100));
    assert_eq!((processed.thumbnail.width, processed.thumbnail.height), (200, 100));
}

#[test]
fn png_bytes_are_processed_as_a_png_whatever_the_file_is_called() {
    // A PNG with an eXIf chunk (GPS) and an ICC profile, as some phones write screenshots.
    let pixels = DynamicImage::ImageRgba8(RgbaImage::from_pixel(300, 200, Rgba([10, 120, 30, 128])));
    let mut png = Vec::new();
    let mut encoder = PngEncoder::new(&mut png);
    encoder.set_exif_metadata(sample::exif_tiff(1, Some(MILLBROOK))).unwrap();
    encoder.set_icc_profile(b"Secret profile".to_vec()).unwrap();
    encoder.write_image(pixels.as_bytes(), 300, 200, image::ExtendedColorType::Rgba8).unwrap();
    assert!(png_chunks(&png).contains(&"eXIf".to_string()));

    let processed = process(&png).unwrap();

    assert_eq!(processed.format, InputFormat::Png);
    assert_eq!(processed.full.content_type, "image/png");
    assert_eq!(processed.full.extension(), "png");
    assert_eq!(png_chunks(&processed.full.bytes), ["IHDR", "IDAT", "IEND"]);
    assert!(!contains(&processed.full.bytes, b"Secret"));
    assert_close(processed.gps, MILLBROOK);
    let full = image::load_from_memory(&processed.full.bytes).unwrap().to_rgba8();
    assert_eq!(full.get_pixel(5, 5).0[3], 128, "the PNG keeps its transparency");
    assert_eq!(processed.thumbnail.content_type, "image/jpeg");
    assert_bare_jpeg(&processed.thumbnail.bytes);
}

#[test]
fn webp_comes_out_as_jpeg_with_transparency_laid_on_white() {
    let pixels = DynamicImage::ImageRgba8(RgbaImage::from_pixel(120, 80, Rgba([0, 0, 0, 0])));
    let webp = encoded(&pixels, image::ImageFormat::WebP);

    let processed = process(&webp).unwrap();

    assert_eq!(processed.format, InputFormat::Webp);
    assert_eq!(processed.full.content_type, "image/jpeg");
    assert_bare_jpeg(&processed.full.bytes);
    let full = image::load_from_memory(&processed.full.bytes).unwrap().to_rgb8();
    assert!(full.get_pixel(60, 40).0.iter().all(|&channel| channel > 245), "transparent is white");
}

#[test]
fn a_text_file_named_jpg_is_not_an_image() {
    let rejection = process(b"Dear town, the pothole on Elm St is back.\n").unwrap_err();
    assert!(matches!(rejection, Rejection::NotAnImage));
    assert_eq!(rejection.to_string(), "This file is not an image; send a JPEG, PNG or WebP photo.");
    assert_eq!(rejection.code(), "not_an_image");
}

#[test]
fn a_truncated_jpeg_is_rejected_as_damaged() {
    let jpeg = jpeg_with(1, Some(MILLBROOK), 640, 480);
    for cut in [jpeg.len() - 2, jpeg.len() / 2, 400, 3] {
        let rejection = process(&jpeg[..cut]).unwrap_err();
        assert!(matches!(rejection, Rejection::Damaged(_)), "cut at {cut}: {rejection:?}");
        assert_eq!(rejection.to_string(), "The image is truncated or damaged and cannot be read.");
    }
}

#[test]
fn truncated_png_and_webp_are_rejected_as_damaged() {
    let pixels = DynamicImage::ImageRgb8(sample::photo_like(200, 100, 5));
    for format in [image::ImageFormat::Png, image::ImageFormat::WebP] {
        let bytes = encoded(&pixels, format);
        let rejection = process(&bytes[..bytes.len() / 2]).unwrap_err();
        assert!(matches!(rejection, Rejection::Damaged(_)), "{format:?}: {rejection:?}");
    }
}

#[test]
fn garbage_after_a_jpeg_header_is_rejected_as_damaged() {
    let mut bytes = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0".to_vec();
    bytes.extend(std::iter::repeat_n(0x41, 5000));
    assert!(matches!(process(&bytes), Err(Rejection::Damaged(_))));
}

/// A PNG whose header claims `width` × `height` pixels, with one tiny compressed row after it.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let small = encoded(&DynamicImage::ImageRgb8(RgbImage::new(1, 1)), image::ImageFormat::Png);
    crate::sample::with_claimed_size(&small, width, height)
}

/// A JPEG whose frame header claims `width` × `height` pixels.
fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    crate::sample::with_claimed_size(&jpeg_with(1, None, 16, 16), u32::from(width), u32::from(height))
}

#[test]
fn a_header_claiming_too_many_pixels_is_refused_before_decoding() {
    for (bytes, claimed) in [
        (png_claiming(60_000, 60_000), (60_000, 60_000)),
        (png_claiming(1_000_000, 51), (1_000_000, 51)),
        (jpeg_claiming(65_000, 65_000), (65_000, 65_000)),
    ] {
        let rejection = process(&bytes).unwrap_err();
        assert!(
            matches!(rejection, Rejection::TooManyPixels { width, height } if (width, height) == claimed),
            "{rejection:?}"
        );
    }
    assert_eq!(
        Rejection::TooManyPixels { width: 60_000, height: 60_000 }.to_string(),
        "The image is too large (60000 × 60000 pixels); photos may have at most 50 megapixels."
    );
}

#[test]
fn more_than_ten_megabytes_is_refused_unread() {
    let mut bytes = jpeg_with(1, None, 16, 16);
    bytes.resize(MAX_BYTES + 1, 0);
    let rejection = process(&bytes).unwrap_err();
    assert!(matches!(rejection, Rejection::TooManyBytes { bytes } if bytes == MAX_BYTES + 1));
    assert_eq!(rejection.to_string(), "The photo is larger than 10 MB; send a smaller one.");
}

#[test]
fn heic_and_gif_are_refused_with_their_reasons() {
    let heic = process(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic").unwrap_err();
    assert_eq!(heic.to_string(), "HEIC photos cannot be processed yet; send JPEG, PNG or WebP");
    let gif = process(b"GIF89a\x01\0\x01\0\0\0\0;").unwrap_err();
    assert_eq!(gif.to_string(), "GIF images are not accepted; send a JPEG, PNG or WebP photo.");
}

#[test]
fn the_marker_walk_skips_stuffed_bytes_and_restarts_and_ignores_trailing_data() {
    // SOI, a comment, SOS with entropy data holding a stuffed FF00 and a restart marker, EOI.
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x04, b'h', b'i'];
    bytes.extend([0xFF, 0xDA, 0x00, 0x03, 0x00, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
    bytes.extend([0xFF, 0xD9, b't', b'r', b'a', b'i', b'l']);
    assert_eq!(jpeg_markers::markers(&bytes), Ok(vec![0xD8, 0xFE, 0xDA, 0xD9]));
}

#[test]
fn the_marker_walk_finds_truncation_and_malformed_structure() {
    let whole = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x03, 0x00, 0x12, 0xFF, 0xD9];
    assert_eq!(jpeg_markers::markers(&whole[..8]), Err(jpeg_markers::Broken::Truncated));
    assert_eq!(jpeg_markers::markers(&whole[..5]), Err(jpeg_markers::Broken::Truncated));
    assert_eq!(jpeg_markers::markers(&[0xFF, 0xD8, 0x12]), Err(jpeg_markers::Broken::Malformed));
    assert_eq!(jpeg_markers::markers(&[0xFF, 0xD8, 0xFF, 0xD9]), Err(jpeg_markers::Broken::Malformed));
}
