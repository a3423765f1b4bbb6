//! API keys for third-party Open311 apps: issued by an admin, stored only as a hash, revocable,
//! with their last use recorded.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A key as stored: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// A short public handle for the key (the start of its hash), for listing and revoking.
    pub id: String,
    /// SHA-256 of the secret, hex.
    pub hash: String,
    /// Who it was issued to, e.g. "FixMyStreet".
    pub name: String,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The hash a secret is stored and looked up by.
pub fn hash(secret: &str) -> String {
    Sha256::digest(secret.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl ApiKey {
    /// A new key for `name` from 32 random bytes: returns the secret (shown once) and the
    /// record to store.
    pub fn issue(name: &str, random: [u8; 32], now: DateTime<Utc>) -> (String, Self) {
        let secret = format!("t311_{}", random.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let hash = hash(&secret);
        let key = Self {
            id: hash.chars().take(12).collect(),
            hash,
            name: name.trim().to_owned(),
            created_at: now,
            revoked_at: None,
            last_used_at: None,
        };
        (secret, key)
    }

    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// When a POST needs a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPolicy {
    /// Anyone may submit; `api_key` is ignored.
    Open,
    /// Every submission needs an active key.
    Required,
    /// Every submission needs an active key, except those from the town's own web form.
    RequiredExceptWebForm,
}

impl KeyPolicy {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "open" => Some(Self::Open),
            "required" => Some(Self::Required),
            "required-except-web-form" => Some(Self::RequiredExceptWebForm),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_stored_only_as_its_hash() {
        let (secret, key) = ApiKey::issue(" FixMyStreet ", [7; 32], Utc::now());
        assert!(secret.starts_with("t311_") && secret.len() == 5 + 64);
        assert_eq!(key.hash, hash(&secret));
        assert_ne!(key.hash, secret);
        assert!(!serde_json::to_string(&key).unwrap().contains(&secret));
        assert_eq!(key.id.len(), 12);
        assert_eq!(key.name, "FixMyStreet");
        assert!(key.is_active());
    }

    #[test]
    fn hashes_are_stable_sha256() {
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn policies_parse_by_name() {
        assert_eq!(KeyPolicy::parse("required-except-web-form"), Some(KeyPolicy::RequiredExceptWebForm));
        assert_eq!(KeyPolicy::parse("sometimes"), None);
    }
}
