//! The ports' implementations: AWS, a cache in front of the catalog, and (for tests and the
//! benchmarks) everything in memory, with the contract both stores are held to.

pub mod aws;
pub mod cached_catalog;
#[cfg(any(test, feature = "test-util"))]
pub mod contract;
#[cfg(any(test, feature = "test-util"))]
pub mod memory;
