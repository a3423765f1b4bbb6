//! The bench harness, one binary (`make bench` links it once):
//!
//! - `bench coldstart …`: cold starts against a local Lambda Runtime API (see `coldstart.rs`);
//! - `bench warm …`: handler CPU in-process, and the AWS calls and request units of each
//!   operation (see `warm.rs`);
//! - `bench init …`: what init spends, step by step (see `init.rs`).

mod coldstart;
mod init;
mod warm;

use town311_bench::fail;

fn main() {
    // Before anything else: the child measures its own process from the start.
    match std::env::args().nth(1).as_deref() {
        Some("init-child") => return init::child(),
        Some("init") => return init::run(),
        _ => {}
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(format!("tokio runtime: {e}")));
    match std::env::args().nth(1).as_deref() {
        Some("coldstart") => runtime.block_on(coldstart::run()),
        Some("warm") => runtime.block_on(warm::run()),
        _ => fail("usage: bench coldstart|warm|init [options]"),
    }
}
