//! Measures the photo function's work on a 12-megapixel phone photo: wall time and peak memory.
//!
//! ```sh
//! cargo run --release -p photo --bin photo-bench [OUTPUT.json] [RUNS]
//! ```
//!
//! It makes a 4000 × 3000 photo-like JPEG with an EXIF block (orientation and GPS), processes it
//! RUNS times (5 unless given) and prints one JSON line (also written to OUTPUT.json when given):
//! the median and slowest wall time in milliseconds, the input and output sizes, and the peak
//! resident memory of the process in MB (`VmHWM` from `/proc/self/status`, Linux only).
//!
//! The peak is reset after the input is made (`/proc/self/clear_refs`), so it counts what
//! processing needs plus the program and the input bytes, as a Lambda invocation would hold
//! them; `peak_includes_setup` says when the kernel did not allow the reset.
//!
//! On Lambda, a function gets CPU in proportion to its memory: 1,769 MB buys one full vCPU
//! (arm64 and x86 alike), and 1,024 MB about 0.58 of one, so the times measured here on one
//! full core stretch accordingly below that. Processing is single-threaded, so more than one
//! vCPU does not help.

use std::time::Instant;

use photo::sample;

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
/// Millbrook's town hall, as a photo's GPS position.
const GPS: (f64, f64) = (42.2808, -71.8011);

fn main() -> std::process::ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("photo-bench: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let output = args.next();
    let runs: usize = args.next().map(|runs| runs.parse()).transpose()?.unwrap_or(5).max(1);

    let input = {
        let pixels = sample::photo_like(WIDTH, HEIGHT, 2024);
        sample::jpeg_with_exif(&pixels, 92, 6, Some(GPS))?
    };
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let baseline_mb = status_mb("VmRSS");

    let mut times_ms = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let started = Instant::now();
        let processed = photo::process(&input)?;
        times_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        last = Some(processed);
    }
    let processed = last.ok_or("no run")?;
    times_ms.sort_by(f64::total_cmp);
    let median_ms = times_ms[times_ms.len() / 2];
    let max_ms = times_ms[times_ms.len() - 1];

    let report = serde_json::json!({
        "runs": runs,
        "input": { "width": WIDTH, "height": HEIGHT, "bytes": input.len(), "format": "jpeg" },
        "median_ms": round(median_ms),
        "max_ms": round(max_ms),
        "min_ms": round(times_ms[0]),
        "full": { "width": processed.full.width, "height": processed.full.height,
                  "bytes": processed.full.bytes.len(), "content_type": processed.full.content_type },
        "thumbnail": { "width": processed.thumbnail.width, "height": processed.thumbnail.height,
                       "bytes": processed.thumbnail.bytes.len() },
        "gps_found": processed.gps.is_some(),
        "baseline_rss_mb": baseline_mb.map(round),
        "peak_rss_mb": status_mb("VmHWM").map(round),
        "peak_includes_setup": !peak_reset,
    });
    let line = report.to_string();
    if let Some(path) = output {
        std::fs::write(&path, format!("{line}\n"))?;
    }
    Ok(line)
}

/// A memory figure of this process from `/proc/self/status`, in MB.
fn status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kilobytes: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes / 1024.0)
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}
