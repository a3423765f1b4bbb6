//! The rate limits' buckets: one item per client, route and window, counted by one
//! conditional update and removed by TTL when the window is long over. Their stream records
//! are nothing for route (`TableItem::Other`).

use super::{DynamoTable, conditional, keys, s};
use crate::domain::rate::Bucket;
use crate::ports::{RateLimits, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

#[async_trait]
impl RateLimits for DynamoTable {
    async fn take(&self, bucket: &Bucket, most: u32) -> Result<bool, StoreError> {
        let keys::Key { pk, sk } = keys::rate(&bucket.key);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET expires_at = :ends, entity = :entity ADD hits :one")
            .condition_expression("attribute_not_exists(pk) OR hits < :most")
            .expression_attribute_values(":ends", AttributeValue::N(bucket.ends.timestamp().to_string()))
            .expression_attribute_values(":entity", s("rate"))
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .expression_attribute_values(":most", AttributeValue::N(most.to_string()))
            .send()
            .await;
        Ok(conditional(result, "UpdateItem")?.is_some())
    }
}
