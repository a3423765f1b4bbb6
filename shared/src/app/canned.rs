//! Replacing the town's canned responses: versioned, so two editors cannot overwrite each other.

use crate::domain::canned::CannedResponses;
use crate::ports::{StoreError, Templates};
use chrono::{DateTime, Utc};

/// Puts `templates` in place of the stored ones, as the next version, recording who and when.
/// With `expected`, only if the stored ones are still that version (`Conflict` otherwise): the
/// write itself is conditional, so nothing is read first.
pub async fn replace(
    store: &dyn Templates,
    mut templates: CannedResponses,
    by: &str,
    now: DateTime<Utc>,
    expected: Option<u64>,
) -> Result<CannedResponses, StoreError> {
    let current = match expected {
        Some(version) => version,
        None => store.templates().await?.map_or(0, |t| t.version),
    };
    templates.version = current + 1;
    templates.updated_at = Some(now);
    templates.updated_by = Some(by.to_owned());
    store.put_templates(&templates).await?;
    Ok(templates)
}
