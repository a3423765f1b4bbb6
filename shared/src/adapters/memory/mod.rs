//! In-memory adapters of the ports, for unit tests of handlers (feature `test-util`).
//!
//! [`MemoryStore`] keeps what the DynamoDB table keeps and answers as it does: the same
//! orders, conditions and errors, and expiry judged by its clock; `adapters::contract` holds
//! both to the ports' contract. The recorders remember what was published, sent, queued or
//! stored; the fixtures hold the demo town.

mod addresses;
mod directory;
mod fixtures;
mod recorders;
mod store;
mod tickets;

pub use directory::MemoryDirectory;
pub use fixtures::{config, phone_request};
pub use recorders::{
    MemoryPhotos, MemoryQueue, RecordingDeadLetters, RecordingMessenger, RecordingPublisher, Refusal, Sent,
};
pub use store::MemoryStore;

use std::sync::{Mutex, MutexGuard};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
