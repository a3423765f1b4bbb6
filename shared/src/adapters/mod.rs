//! The ports' implementations: AWS, a cache in front of the catalog, and (for tests and the
//! benchmarks) everything in memory.

pub mod aws;
pub mod cached_catalog;
#[cfg(any(test, feature = "test-util"))]
pub mod memory;
