//! Seeding a town's catalog: its departments, services and business calendar.

use crate::domain::catalog::CatalogSeed;
use crate::ports::{Catalog, StoreError};

/// Writes every department and service into `catalog` (existing entries are replaced).
pub async fn store(seed: &CatalogSeed, catalog: &dyn Catalog) -> Result<(), StoreError> {
    for department in &seed.departments {
        catalog.put_department(department).await?;
    }
    for service in &seed.services {
        catalog.put_service(service).await?;
    }
    if let Some(calendar) = &seed.calendar {
        catalog.put_calendar(calendar).await?;
    }
    Ok(())
}
