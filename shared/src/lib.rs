//! town311's shared library, in layers; each imports only the ones listed before it
//! (`docs/architecture.md` follows one request through them):
//!
//! - [`domain`]: citizen service requests, the catalog, routing rules, promises, notices.
//!   Plain data and rules: no I/O, no AWS or Lambda crate.
//! - [`runtime`]: what every function runs with: configuration, logging, the clock, pauses.
//! - [`ports`]: the traits through which the use cases reach storage and messaging.
//! - [`app`]: use cases that combine ports (replacing the routing rules, seeding a catalog,
//!   finding nearby requests).
//! - [`open311`]: the GeoReport v2 codec: forms, query parameters, JSON and XML records.
//! - [`adapters`]: the ports' implementations: AWS (DynamoDB, S3, SNS, SES, SQS) and, for
//!   tests, in memory.
//! - [`http`]: the edge: API Gateway events in, problems and Open311 errors out.

pub mod adapters;
pub mod app;
pub mod domain;
pub mod http;
pub mod open311;
pub mod ports;
pub mod runtime;

#[cfg(test)]
mod hostile;
#[cfg(test)]
mod layers;
