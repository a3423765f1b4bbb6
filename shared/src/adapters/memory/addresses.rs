//! The town's address points in memory, found as the table finds them: by the normalised text
//! they start with, in that text's order, and the nearest within the same distance.

use super::{MemoryStore, lock};
use crate::domain::address::{AddressPoint, MAX_SUGGESTIONS, NEAREST_WITHIN_M, normalize, search_prefix};
use crate::domain::geo;
use crate::domain::location::GeoPoint;
use crate::ports::{Addresses, StoreError};
use async_trait::async_trait;

#[async_trait]
impl Addresses for MemoryStore {
    async fn search(&self, text: &str, limit: usize) -> Result<Vec<AddressPoint>, StoreError> {
        self.check_up()?;
        let wanted = normalize(text);
        if search_prefix(&wanted).is_none() {
            return Ok(Vec::new());
        }
        let addresses = lock(&self.addresses);
        let mut entries: Vec<(String, &AddressPoint)> = addresses
            .values()
            .flat_map(|a| a.search_keys().into_iter().map(move |key| (format!("{key}#{}", a.id), a)))
            .filter(|(key, _)| key.starts_with(&wanted))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut found: Vec<AddressPoint> = Vec::new();
        for (_, address) in entries {
            if found.len() >= limit.min(MAX_SUGGESTIONS) {
                break;
            }
            if !found.iter().any(|f| f.id == address.id) {
                found.push(address.clone());
            }
        }
        Ok(found)
    }

    async fn nearest(&self, point: GeoPoint) -> Result<Option<AddressPoint>, StoreError> {
        self.check_up()?;
        let addresses = lock(&self.addresses);
        Ok(addresses
            .values()
            .map(|a| (geo::distance_m(point, a.point), a))
            .filter(|(distance, _)| *distance <= NEAREST_WITHIN_M)
            .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)))
            .map(|(_, a)| a.clone()))
    }

    async fn address(&self, id: &str) -> Result<Option<AddressPoint>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.addresses).get(id).cloned())
    }

    async fn put_addresses(&self, addresses: &[AddressPoint]) -> Result<(), StoreError> {
        self.check_up()?;
        let mut stored = lock(&self.addresses);
        for address in addresses {
            stored.insert(address.id.clone(), address.clone());
        }
        Ok(())
    }
}
