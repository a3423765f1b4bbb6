//! Loading a town's address file (GeoJSON or CSV) into its address points: what
//! `town311-admin addresses load` and the local stack's start-up do.

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
