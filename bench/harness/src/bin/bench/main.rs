//! The bench harness, one binary (`make bench` links it once):
//!
//! - `bench coldstart …`: cold starts against a local Lambda Runtime API (see `coldstart.rs`);
//! - `bench warm …`: handler CPU in-process, and the AWS calls and request units of each
//!   operation (see `warm.rs`).

mod coldstart;
mod warm;

use town311_bench::fail;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(format!("tokio runtime: {e}")));
    match std::env::args().nth(1).as_deref() {
        Some("coldstart") => runtime.block_on(coldstart::run()),
        Some("warm") => runtime.block_on(warm::run()),
        _ => fail("usage: bench coldstart|warm [options]"),
    }
}
