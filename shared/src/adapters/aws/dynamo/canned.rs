//! The town's canned responses: one versioned item in the catalog partition.

use super::items::TemplatesItem;
use super::{DynamoTable, conditional, encode, keys};
use crate::domain::canned::CannedResponses;
use crate::ports::{StoreError, Templates};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

#[async_trait]
impl Templates for DynamoTable {
    async fn templates(&self) -> Result<Option<CannedResponses>, StoreError> {
        Ok(self.get_item::<TemplatesItem>(keys::templates()).await?.map(|item| item.templates))
    }

    async fn put_templates(&self, templates: &CannedResponses) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = keys::templates();
        let item =
            encode(&TemplatesItem { pk, sk, entity: "templates".to_owned(), templates: templates.clone() })?;
        let seen = templates.version.saturating_sub(1);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(if seen == 0 {
                "attribute_not_exists(pk) OR version = :seen"
            } else {
                "version = :seen"
            })
            .expression_attribute_values(":seen", AttributeValue::N(seen.to_string()))
            .send()
            .await;
        conditional(result, "PutItem")?.map(|_| ()).ok_or(StoreError::Conflict)
    }
}
