//! API keys, by the hash of the key, and all of them through gsi1.

use super::items::ApiKeyItem;
use super::{DynamoTable, decode, encode, keys, s, unavailable};
use crate::domain::api_key::ApiKey;
use crate::ports::{ApiKeys, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};

#[async_trait]
impl ApiKeys for DynamoTable {
    async fn key(&self, hash: &str) -> Result<Option<ApiKey>, StoreError> {
        Ok(self.get_item::<ApiKeyItem>(keys::api_key(hash)).await?.map(|i| i.key))
    }

    async fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", s(keys::API_KEYS))
            .scan_index_forward(false)
            .into_paginator()
            .items()
            .send();
        let source = format!("gsi1/{}", keys::API_KEYS);
        let mut found = Vec::new();
        while let Some(item) = pages.next().await {
            found.push(decode::<ApiKeyItem>(item.map_err(unavailable("Query"))?, &source)?.key);
        }
        Ok(found)
    }

    async fn put_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = keys::api_key(&key.hash);
        self.put_item(encode(&ApiKeyItem {
            pk,
            sk,
            entity: "api_key".to_owned(),
            gsi1pk: keys::API_KEYS.to_owned(),
            gsi1sk: keys::at(key.created_at, &key.id),
            key: key.clone(),
        })?)
        .await
    }

    async fn record_use(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = keys::api_key(hash);
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET last_used_at = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":at", s(at.to_rfc3339_opts(SecondsFormat::Secs, true)))
            .send()
            .await
            .map_err(unavailable("UpdateItem"))?;
        Ok(())
    }
}
