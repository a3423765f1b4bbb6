//! Replacing the town's routing rules: versioned, so two editors cannot overwrite each other.

use crate::domain::routing::RoutingRules;
use crate::ports::{Catalog, StoreError};
use chrono::{DateTime, Utc};

/// Puts `rules` in place of the stored ones, as the next version, recording who and when.
/// With `expected`, only if the stored rules are still that version (`Conflict` otherwise).
pub async fn replace(
    catalog: &dyn Catalog,
    mut rules: RoutingRules,
    by: &str,
    now: DateTime<Utc>,
    expected: Option<u64>,
) -> Result<RoutingRules, StoreError> {
    let current = catalog.routing().await?.map_or(0, |r| r.version);
    if expected.is_some_and(|v| v != current) {
        return Err(StoreError::Conflict);
    }
    rules.version = current + 1;
    rules.updated_at = Some(now);
    rules.updated_by = Some(by.to_owned());
    catalog.put_routing(&rules).await?;
    Ok(rules)
}
