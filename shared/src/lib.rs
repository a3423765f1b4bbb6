//! town311's shared library: the domain of citizen service requests, the Open311 codec,
//! the ports the functions depend on and their AWS adapters.
//!
//! Domain modules (`ticket`, `catalog`, `status`, `location`, …) import no AWS crate;
//! only `aws` does.

pub mod api_key;
pub mod aws;
pub mod backoff;
pub mod catalog;
pub mod catalog_cache;
pub mod clock;
pub mod config;
pub mod contact;
pub mod description;
pub mod events;
pub mod follower;
pub mod geo;
pub mod http;
pub mod id;
pub mod lifecycle;
pub mod listing;
pub mod location;
pub mod mail;
pub mod nearby;
pub mod notice;
pub mod open311;
pub mod photo;
pub mod ports;
pub mod routing;
pub mod sla;
pub mod staff;
pub mod status;
pub mod telemetry;
pub mod ticket;

#[cfg(test)]
mod hostile;
#[cfg(any(test, feature = "test-util"))]
pub mod memory;
