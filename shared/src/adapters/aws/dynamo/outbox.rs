//! The marks of events published already.

use super::items::MarkItem;
use super::{DynamoTable, MAX_PARTITION_KEY, encode, keys, s, unavailable};
use crate::ports::{Outbox, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl Outbox for DynamoTable {
    async fn was_published(&self, event_id: &str) -> Result<bool, StoreError> {
        let keys::Key { pk, sk } = keys::published(event_id);
        if pk.len() > MAX_PARTITION_KEY {
            return Ok(false);
        }
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .projection_expression("pk")
            .send()
            .await
            .map_err(unavailable("GetItem"))?;
        Ok(output.item.is_some())
    }

    async fn mark_published(&self, event_id: &str, keep_until: DateTime<Utc>) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = keys::published(event_id);
        self.put_item(encode(&MarkItem {
            pk,
            sk,
            entity: "published".to_owned(),
            expires_at: keep_until.timestamp(),
        })?)
        .await
    }
}
