//! Operator commands for a deployment: issuing, listing and revoking the API keys third-party
//! Open311 apps submit with.

use chrono::{DateTime, Utc};
use town311::api_key::ApiKey;
use town311::id::IdSource;
use town311::ports::{ApiKeys, StoreError};

/// A command that could not be carried out.
#[derive(Debug)]
pub enum OpsError {
    Usage(String),
    Store(StoreError),
    Random(String),
}

impl std::fmt::Display for OpsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(text) => f.write_str(text),
            Self::Store(e) => write!(f, "{}", town311::http::chain(e)),
            Self::Random(e) => write!(f, "no randomness available: {e}"),
        }
    }
}

impl From<StoreError> for OpsError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Issues a key for `name`; the secret is returned once and never stored.
pub async fn issue(
    keys: &dyn ApiKeys,
    random: &dyn IdSource,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(String, ApiKey), OpsError> {
    if name.trim().is_empty() {
        return Err(OpsError::Usage("a key needs a --name saying who it is for".into()));
    }
    let mut bytes = [0u8; 32];
    random.fill(&mut bytes).map_err(|e| OpsError::Random(e.to_string()))?;
    let (secret, key) = ApiKey::issue(name, bytes, now);
    keys.put_key(&key).await?;
    Ok((secret, key))
}

/// Revokes the key with this id (as `list` shows it).
pub async fn revoke(keys: &dyn ApiKeys, id: &str, now: DateTime<Utc>) -> Result<ApiKey, OpsError> {
    let mut key = keys
        .keys()
        .await?
        .into_iter()
        .find(|k| k.id == id.trim())
        .ok_or_else(|| OpsError::Usage(format!("no API key has the id {id}")))?;
    if key.revoked_at.is_none() {
        key.revoked_at = Some(now);
        keys.put_key(&key).await?;
    }
    Ok(key)
}

/// Every key, newest first, as lines for a terminal.
pub async fn list(keys: &dyn ApiKeys) -> Result<Vec<String>, OpsError> {
    let when = |at: Option<DateTime<Utc>>| {
        at.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string())
    };
    Ok(keys
        .keys()
        .await?
        .into_iter()
        .map(|k| {
            format!(
                "{}  {:<8}  created {}  last used {}  {}",
                k.id,
                if k.is_active() { "active" } else { "revoked" },
                when(Some(k.created_at)),
                when(k.last_used_at),
                k.name
            )
        })
        .collect())
}
