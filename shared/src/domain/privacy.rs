//! Personal data that leaves on time: the keyed hash contacts are stored and looked up by, and
//! how long a contact outlives its request.
//!
//! A contact never keys an item or an index as written: it is keyed by an HMAC of the town's
//! contact secret (`CONTACT_SECRET`), so a key read from the table or a backup says nothing of
//! the address without the secret. The key is set once per process, as the function starts
//! ([`install`]): it keys items in every function, and one process-wide key keeps it out of
//! every signature that names a contact.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};
use std::sync::OnceLock;

/// Days a reporter's or a follower's contact is kept after the request closes, unless the
/// town sets otherwise (`CONTACT_RETENTION_DAYS`).
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// The key contacts are hashed with is the secret keyed for this purpose only.
const PURPOSE: &[u8] = b"town311 contact key v1\n";
/// The secret of the tests and of the local stack: never a deployed function's, which refuses
/// to start without its own `CONTACT_SECRET`.
pub const LOCAL_SECRET: &str = "town311 contact secret of the tests and the local stack";

/// The secret contacts are keyed with (`CONTACT_SECRET`, at least 32 bytes). Its `Debug`
/// shows nothing of it.
#[derive(Clone)]
pub struct ContactSecret {
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for ContactSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContactSecret(..)")
    }
}

/// Why a contact secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the contact secret must be at least 32 bytes (openssl rand -hex 32)")]
pub struct ShortContactSecret;

impl ContactSecret {
    pub fn new(secret: &[u8]) -> Result<Self, ShortContactSecret> {
        if secret.len() < 32 {
            return Err(ShortContactSecret);
        }
        Self::keyed(secret)
    }

    fn keyed(secret: &[u8]) -> Result<Self, ShortContactSecret> {
        let keyed = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| ShortContactSecret)?;
        Ok(Self { keyed })
    }

    fn hash(&self, text: &str) -> String {
        let mut mac = self.keyed.clone();
        mac.update(PURPOSE);
        mac.update(text.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

static SECRET: OnceLock<ContactSecret> = OnceLock::new();

/// Sets the process's contact secret; the first one set stays (a process serves one town).
pub fn install(secret: &ContactSecret) {
    let _ = SECRET.set(secret.clone());
}

/// The keyed hash of a contact's normalised text (hex, 64 digits).
pub fn contact_hash(normalised: &str) -> String {
    match SECRET.get() {
        Some(secret) => secret.hash(normalised),
        None => ContactSecret::keyed(LOCAL_SECRET.as_bytes()).map(|s| s.hash(normalised)).unwrap_or_default(),
    }
}

/// A mark derived from a contact's key for one purpose (`scope`, an event's id): what is
/// remembered of a delivery, which never names the contact's key itself, so a contact erased
/// leaves no key behind in the marks that outlive it for a few days.
pub fn mark(contact_key: &str, scope: &str) -> String {
    hex(&Sha256::digest(format!("{scope}\u{0}{contact_key}").as_bytes())[..16])
}

/// Until when a contact is kept: `days` after the request closed.
pub fn kept_until(closed_at: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    closed_at + Duration::days(i64::from(days))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_hash_depends_on_the_secret() {
        let a = ContactSecret::new(&[7; 32]).unwrap();
        let b = ContactSecret::new(&[8; 32]).unwrap();
        assert_eq!(a.hash("email\u{0}ana@example.org"), a.hash("email\u{0}ana@example.org"));
        assert_ne!(a.hash("email\u{0}ana@example.org"), b.hash("email\u{0}ana@example.org"));
        assert_eq!(a.hash("x").len(), 64);
        assert!(ContactSecret::new(b"short").is_err());
        assert_eq!(format!("{a:?}"), "ContactSecret(..)");
    }

    #[test]
    fn a_mark_never_shows_the_key_it_comes_from() {
        let key = contact_hash("sms\u{0}+15555550100");
        let mark = mark(&key, "event-1");
        assert!(!mark.contains(&key) && !key.contains(&mark));
        assert_ne!(mark, super::mark(&key, "event-2"));
    }

    #[test]
    fn contacts_are_kept_for_the_days_after_closing() {
        let closed = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z").unwrap().to_utc();
        assert_eq!(kept_until(closed, 90).to_rfc3339(), "2026-05-30T12:00:00+00:00");
    }
}
