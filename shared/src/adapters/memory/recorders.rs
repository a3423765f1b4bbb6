//! Recorders: a publisher, a messenger, dead letters, a work queue and a photo bucket that
//! remember what they were handed, and can be made to fail.

use super::lock;
use crate::domain::events::TicketEvent;
use crate::ports::{EventPublisher, Messenger, OutgoingEmail, SendError, StoreError};
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Remembers what was published; can be made to fail.
#[derive(Debug, Default)]
pub struct RecordingPublisher {
    events: Mutex<Vec<TicketEvent>>,
    pub down: Mutex<bool>,
}

impl RecordingPublisher {
    pub fn events(&self) -> Vec<TicketEvent> {
        lock(&self.events).clone()
    }
}

#[async_trait]
impl EventPublisher for RecordingPublisher {
    async fn publish(&self, event: &TicketEvent) -> Result<(), StoreError> {
        if *lock(&self.down) {
            return Err(StoreError::unavailable("Publish", "topic is down"));
        }
        lock(&self.events).push(event.clone());
        Ok(())
    }
}

/// Photos in memory.
#[derive(Debug, Default)]
pub struct MemoryPhotos {
    objects: Mutex<BTreeMap<String, (Vec<u8>, String)>>,
    /// Keys stored pending, not kept since.
    pending: Mutex<BTreeSet<String>>,
}

impl MemoryPhotos {
    /// Every stored key with its content type.
    pub fn stored(&self) -> Vec<(String, String)> {
        lock(&self.objects).iter().map(|(k, (_, t))| (k.clone(), t.clone())).collect()
    }

    /// The keys stored pending and not kept since.
    pub fn pending(&self) -> Vec<String> {
        lock(&self.pending).iter().cloned().collect()
    }
}

#[async_trait]
impl crate::ports::PhotoStore for MemoryPhotos {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        lock(&self.objects).insert(key.to_owned(), (bytes, content_type.to_owned()));
        Ok(())
    }

    async fn put_pending(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        lock(&self.objects).insert(key.to_owned(), (bytes, content_type.to_owned()));
        lock(&self.pending).insert(key.to_owned());
        Ok(())
    }

    async fn keep(&self, key: &str) -> Result<bool, StoreError> {
        if !lock(&self.objects).contains_key(key) {
            return Ok(false);
        }
        lock(&self.pending).remove(key);
        Ok(true)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(lock(&self.objects).get(key).map(|(b, _)| b.clone()))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.objects).remove(key);
        lock(&self.pending).remove(key);
        Ok(())
    }
}

#[async_trait]
impl crate::ports::PhotoLinks for MemoryPhotos {
    async fn presigned_upload(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        valid_for: std::time::Duration,
    ) -> Result<crate::ports::PresignedUpload, StoreError> {
        let expires_at = chrono::Utc::now() + chrono::Duration::from_std(valid_for).unwrap_or_default();
        Ok(crate::ports::PresignedUpload {
            url: "memory://photos".into(),
            fields: vec![
                ("key".into(), key.into()),
                ("Content-Type".into(), content_type.into()),
                ("max-bytes".into(), max_bytes.to_string()),
            ],
            expires_at,
        })
    }

    async fn presigned_get(&self, key: &str, _valid_for: std::time::Duration) -> Result<String, StoreError> {
        Ok(format!("memory://{key}"))
    }
}

/// One message a `RecordingMessenger` sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Sms { to: String, text: String },
    Email { to: String, subject: String, body: String, unsubscribe_url: String, reply_to: Option<String> },
}

/// How a `RecordingMessenger` fails one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// For good, as SNS refuses an invalid number.
    Permanent,
    /// For now, as a throttled or unreachable service fails.
    Transient,
}

/// Remembers what it sent; can be made to fail, for everyone or for one recipient.
#[derive(Debug, Default)]
pub struct RecordingMessenger {
    sent: Mutex<Vec<Sent>>,
    pub down: Mutex<bool>,
    refusals: Mutex<BTreeMap<String, Refusal>>,
}

impl RecordingMessenger {
    pub fn sent(&self) -> Vec<Sent> {
        lock(&self.sent).clone()
    }

    /// Fails every message to `to` (a phone number in E.164 or an email address) until
    /// [`Self::accept`].
    pub fn refuse(&self, to: &str, refusal: Refusal) {
        lock(&self.refusals).insert(to.to_owned(), refusal);
    }

    pub fn accept(&self, to: &str) {
        lock(&self.refusals).remove(to);
    }

    fn check_up(&self, to: &str) -> Result<(), SendError> {
        if *lock(&self.down) {
            return Err(StoreError::unavailable("send", "messaging is down").into());
        }
        match lock(&self.refusals).get(to) {
            Some(Refusal::Permanent) => Err(SendError::Refused { code: "InvalidParameter".into() }),
            Some(Refusal::Transient) => Err(StoreError::unavailable("send", "throttled").into()),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Messenger for RecordingMessenger {
    async fn send_sms(&self, to: &crate::domain::contact::Phone, text: &str) -> Result<(), SendError> {
        self.check_up(to.as_str())?;
        lock(&self.sent).push(Sent::Sms { to: to.as_str().to_owned(), text: text.to_owned() });
        Ok(())
    }

    async fn send_email(&self, email: &OutgoingEmail) -> Result<(), SendError> {
        self.check_up(email.to.as_str())?;
        lock(&self.sent).push(Sent::Email {
            to: email.to.as_str().to_owned(),
            subject: email.subject.clone(),
            body: email.body.clone(),
            unsubscribe_url: email.unsubscribe_url.clone(),
            reply_to: email.reply_to.clone(),
        });
        Ok(())
    }
}

/// Remembers the dead letters it was handed.
#[derive(Debug, Default)]
pub struct RecordingDeadLetters {
    letters: Mutex<Vec<String>>,
}

impl RecordingDeadLetters {
    pub fn letters(&self) -> Vec<String> {
        lock(&self.letters).clone()
    }
}

#[async_trait]
impl crate::ports::DeadLetters for RecordingDeadLetters {
    async fn send(&self, letter: &str) -> Result<(), StoreError> {
        lock(&self.letters).push(letter.to_owned());
        Ok(())
    }
}

/// A queue in memory: remembers what was enqueued until taken.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    bodies: Mutex<Vec<String>>,
}

impl MemoryQueue {
    /// Everything enqueued since the last take, oldest first.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.bodies))
    }
}

#[async_trait]
impl crate::ports::WorkQueue for MemoryQueue {
    async fn enqueue(&self, body: &str) -> Result<(), StoreError> {
        lock(&self.bodies).push(body.to_owned());
        Ok(())
    }
}
