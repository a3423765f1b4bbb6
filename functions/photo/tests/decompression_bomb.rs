//! A file whose header claims billions of pixels is refused without the memory they would take:
//! this test binary counts every allocation and checks the peak stays small.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use image::{DynamicImage, RgbImage};
use photo::{Rejection, process};

/// The system allocator, keeping the largest amount allocated at once since the last reset.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes allocated at once while `work` runs, above what was allocated before it.
fn peak_allocation(work: impl FnOnce()) -> usize {
    let before = CURRENT.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    work();
    PEAK.load(Ordering::SeqCst) - before
}

fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(RgbImage::new(16, 16))
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .expect("encodes");
    bytes
}

// One test only: the counters are global, and tests in one binary run on parallel threads.
#[test]
fn headers_claiming_billions_of_pixels_are_refused_within_a_megabyte() {
    // A PNG of 16 × 16 pixels whose header now says 60,000 × 60,000 (10.8 GB of RGB).
    let png = photo::sample::with_claimed_size(&encoded(image::ImageFormat::Png), 60_000, 60_000);

    // A JPEG whose frame header says 65,000 × 65,000 (12.7 GB of RGB).
    let jpeg = photo::sample::with_claimed_size(&encoded(image::ImageFormat::Jpeg), 65_000, 65_000);

    for bomb in [png, jpeg] {
        let mut outcome = None;
        let peak = peak_allocation(|| outcome = Some(process(&bomb)));
        assert!(matches!(outcome, Some(Err(Rejection::TooManyPixels { .. }))), "{outcome:?}");
        assert!(peak < 1_000_000, "refusing took {peak} bytes at once");
    }
}
