//! The town's address points: each under its id, and in two indexes kept in the table itself.
//! The search index has a partition per first characters of the normalised text, sorted by the
//! text, so a suggestion is one `begins_with` Query; each address is entered under its whole
//! line and under its street first. The point index has a partition per geohash cell of about
//! 150 m, so the address under a pin is a Query of each cell the search circle touches.

use super::items::AddressItem;
use super::{DynamoTable, Item, MAX_PARTITION_KEY, MAX_SORT_KEY, decode, encode, keys, s, unavailable};
use crate::domain::address::{AddressPoint, MAX_SUGGESTIONS, NEAREST_WITHIN_M, normalize, search_prefix};
use crate::domain::geo;
use crate::domain::location::GeoPoint;
use crate::ports::{Addresses, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use std::collections::BTreeMap;
use std::time::Duration;

/// Geohash precision of the point index's cells: about 150 m by 115 m at 42° latitude, so the
/// circle of [`NEAREST_WITHIN_M`] touches a dozen small partitions at most.
const CELL_PRECISION: usize = 7;
/// Geohash precision of the sort key within a cell.
const FINE_PRECISION: usize = 10;
/// BatchWriteItem's limit on items per call.
const BATCH_WRITE_MAX: usize = 25;
/// Tries at writing a batch's unprocessed items before giving up, with pauses between.
const BATCH_TRIES: u32 = 6;
const BATCH_BACKOFF: Duration = Duration::from_millis(50);
const BATCH_BACKOFF_CAP: Duration = Duration::from_secs(2);

/// Every item one address is stored as: by id, under each search text, in its cell.
fn items_of(address: &AddressPoint) -> Vec<AddressItem> {
    let item = |pk: String, sk: String, entity: &str| AddressItem {
        pk,
        sk,
        entity: entity.to_owned(),
        address: address.clone(),
    };
    let keys::Key { pk, sk } = keys::address(&address.id);
    let mut items = vec![item(pk, sk, "address")];
    for text in address.search_keys() {
        if let Some(prefix) = search_prefix(&text) {
            items.push(item(
                keys::address_text(&prefix),
                keys::address_entry(&text, &address.id),
                "address_text",
            ));
        }
    }
    let cell = geo::geohash(address.point, CELL_PRECISION);
    let fine = geo::geohash(address.point, FINE_PRECISION);
    items.push(item(keys::address_cell(&cell), keys::address_entry(&fine, &address.id), "address_cell"));
    items.retain(|i| i.pk.len() <= MAX_PARTITION_KEY && i.sk.len() <= MAX_SORT_KEY);
    items
}

#[async_trait]
impl Addresses for DynamoTable {
    async fn search(&self, text: &str, limit: usize) -> Result<Vec<AddressPoint>, StoreError> {
        let wanted = normalize(text);
        let limit = limit.min(MAX_SUGGESTIONS);
        let Some(prefix) = search_prefix(&wanted) else { return Ok(Vec::new()) };
        let pk = keys::address_text(&prefix);
        if limit == 0 || pk.len() > MAX_PARTITION_KEY || wanted.len() > MAX_SORT_KEY {
            return Ok(Vec::new());
        }
        // One page: an address is entered twice at most, so twice the limit is enough.
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :text)")
            .expression_attribute_values(":pk", s(pk.clone()))
            .expression_attribute_values(":text", s(wanted))
            .limit(i32::try_from(limit * 2).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(unavailable("Query"))?;
        let mut found: Vec<AddressPoint> = Vec::new();
        for item in output.items.unwrap_or_default() {
            let address = decode::<AddressItem>(item, &pk)?.address;
            if found.len() < limit && !found.iter().any(|f| f.id == address.id) {
                found.push(address);
            }
        }
        Ok(found)
    }

    async fn nearest(&self, point: GeoPoint) -> Result<Option<AddressPoint>, StoreError> {
        let mut queries = tokio::task::JoinSet::new();
        for cell in geo::cells_around(point, NEAREST_WITHIN_M, CELL_PRECISION) {
            let pk = keys::address_cell(&cell);
            let mut pages = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk.clone()))
                .into_paginator()
                .items()
                .send();
            queries.spawn(async move {
                let mut found = Vec::new();
                while let Some(item) = pages.next().await {
                    found.push(decode::<AddressItem>(item.map_err(unavailable("Query"))?, &pk)?.address);
                }
                Ok::<_, StoreError>(found)
            });
        }
        let mut nearest: Option<(f64, AddressPoint)> = None;
        while let Some(joined) = queries.join_next().await {
            for address in joined.map_err(|e| StoreError::unavailable("Query", e))?? {
                let distance = geo::distance_m(point, address.point);
                let closer = match &nearest {
                    None => true,
                    Some((best, kept)) => {
                        distance.total_cmp(best).then_with(|| address.id.cmp(&kept.id)).is_lt()
                    }
                };
                if distance <= NEAREST_WITHIN_M && closer {
                    nearest = Some((distance, address));
                }
            }
        }
        Ok(nearest.map(|(_, address)| address))
    }

    async fn address(&self, id: &str) -> Result<Option<AddressPoint>, StoreError> {
        Ok(self.get_item::<AddressItem>(keys::address(id)).await?.map(|i| i.address))
    }

    async fn put_addresses(&self, addresses: &[AddressPoint]) -> Result<(), StoreError> {
        // A key written twice in one call is refused: the last address with an id wins.
        let mut items: BTreeMap<(String, String), Item> = BTreeMap::new();
        for address in addresses {
            for item in items_of(address) {
                items.insert((item.pk.clone(), item.sk.clone()), encode(&item)?);
            }
        }
        let items: Vec<Item> = items.into_values().collect();
        for chunk in items.chunks(BATCH_WRITE_MAX) {
            let mut requests = chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder()
                        .set_item(Some(item.clone()))
                        .build()
                        .map_err(|e| StoreError::unavailable("BatchWriteItem", e))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            self.write_batch(&mut requests).await?;
        }
        Ok(())
    }
}

impl DynamoTable {
    /// Writes up to 25 items, trying again (a bounded few times, with pauses, as AWS advises)
    /// at those DynamoDB leaves unprocessed.
    async fn write_batch(&self, requests: &mut Vec<WriteRequest>) -> Result<(), StoreError> {
        for attempt in 0..BATCH_TRIES {
            if requests.is_empty() {
                return Ok(());
            }
            if attempt > 0 {
                crate::runtime::backoff::pause(attempt - 1, BATCH_BACKOFF, BATCH_BACKOFF_CAP).await;
            }
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, std::mem::take(requests))
                .send()
                .await
                .map_err(unavailable("BatchWriteItem"))?;
            *requests = output.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
        }
        if requests.is_empty() {
            Ok(())
        } else {
            Err(StoreError::unavailable("BatchWriteItem", "items left unprocessed after retries"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_stored_by_id_under_each_search_text_and_in_its_cell() {
        let point = GeoPoint::new(42.265, -71.8).unwrap();
        let address = AddressPoint::new("a-12", "12 Main St.", None, point).unwrap();
        let keys: Vec<(String, String, String)> =
            items_of(&address).into_iter().map(|i| (i.pk, i.sk, i.entity)).collect();
        let cell = geo::geohash(point, 7);
        let fine = geo::geohash(point, 10);
        let by_id = keys::address("a-12");
        assert_eq!(
            keys,
            vec![
                (by_id.pk, by_id.sk, "address".into()),
                (keys::address_text("12 "), "12 main street#a-12".into(), "address_text".into()),
                (keys::address_text("mai"), "main street 12#a-12".into(), "address_text".into()),
                (keys::address_cell(&cell), format!("{fine}#a-12"), "address_cell".into()),
            ]
        );
    }
}
