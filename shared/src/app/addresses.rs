//! The town's address points: loading its address file (GeoJSON or CSV), what
//! `town311-admin addresses load` and the local stack's start-up do, and finding the point of
//! an address a request or a clerk names.

use crate::domain::address::file::{AddressFile, FileError};
use crate::ports::{Addresses, StoreError};

/// Why a file was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads the file and stores every address it holds (replacing those with the same id);
/// returns what was read, the rows or features refused among it.
pub async fn load(store: &dyn Addresses, text: &str) -> Result<AddressFile, LoadError> {
    let file = AddressFile::parse(text)?;
    store.put_addresses(&file.addresses).await?;
    Ok(file)
}

/// The point of the place a location names: its `address_id` among the town's address points,
/// else the address its text names (the line before the town, in "12 Main Street, Millbrook");
/// `None` when neither is known.
pub async fn point_of(
    addresses: &dyn Addresses,
    location: &crate::domain::location::Location,
) -> Result<Option<crate::domain::location::GeoPoint>, StoreError> {
    use crate::domain::address::{MAX_SUGGESTIONS, best_match};
    if let Some(id) = location.address_id()
        && let Some(found) = addresses.address(id).await?
    {
        return Ok(Some(found.point));
    }
    let Some(text) = location.address() else { return Ok(None) };
    let mut candidates = vec![text];
    if let Some((line, _)) = text.split_once(',') {
        candidates.push(line);
    }
    for candidate in candidates {
        let found = addresses.search(candidate, MAX_SUGGESTIONS).await?;
        if let Some(address) = best_match(candidate, &found) {
            return Ok(Some(address.point));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryStore;

    #[tokio::test]
    async fn a_file_is_loaded_but_for_the_rows_refused() {
        let store = MemoryStore::default();
        let text = "id,address,lat,long\na,12 Main Street,42.2,-71.8\nb,14 Main Street,,-71.8\n";
        let file = load(&store, text).await.unwrap();
        assert_eq!((file.addresses.len(), file.refused.len()), (1, 1));
        assert!(store.address("a").await.unwrap().is_some());
        assert!(store.address("b").await.unwrap().is_none());
        assert!(matches!(load(&store, "{").await, Err(LoadError::File(_))));
    }
}
