//! Notification deliveries: claims, refused recipients, unsubscribe links and follows'
//! confirmation links.

use super::items::{MarkItem, UndeliverableItem, UnsubscribeItem};
use super::{DynamoTable, conditional, encode, keys, s};
use crate::domain::id::TicketId;
use crate::ports::{Deliveries, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl Deliveries for DynamoTable {
    async fn claim(&self, delivery_id: &str, keep_until: DateTime<Utc>) -> Result<bool, StoreError> {
        let keys::Key { pk, sk } = keys::delivery(delivery_id);
        let item =
            encode(&MarkItem { pk, sk, entity: "delivery".to_owned(), expires_at: keep_until.timestamp() })?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        Ok(conditional(result, "PutItem")?.is_some())
    }

    async fn release(&self, delivery_id: &str) -> Result<(), StoreError> {
        self.delete_item(keys::delivery(delivery_id)).await
    }

    async fn mark_undeliverable(
        &self,
        delivery_id: &str,
        code: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = keys::delivery(delivery_id);
        self.put_item(encode(&UndeliverableItem {
            pk,
            sk,
            entity: "delivery".to_owned(),
            expires_at: keep_until.timestamp(),
            undeliverable: code.to_owned(),
        })?)
        .await
    }

    async fn issue_unsubscribe(
        &self,
        token: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.issue_link(keys::unsubscribe(token), "unsubscribe", ticket_id, contact_key, keep_until).await
    }

    async fn unsubscribe_target(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError> {
        self.link_target(keys::unsubscribe(token)).await
    }

    async fn issue_confirmation(
        &self,
        token: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.issue_link(keys::confirmation(token), "confirmation", ticket_id, contact_key, keep_until).await
    }

    async fn confirmation_target(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError> {
        self.link_target(keys::confirmation(token)).await
    }

    async fn redeem_confirmation(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError> {
        let keys::Key { pk, sk } = keys::confirmation(token);
        let key = format!("{pk}/{sk}");
        // One delete decides: of two uses at once, only one gets the link back.
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression("attribute_exists(pk) AND expires_at > :now")
            .expression_attribute_values(
                ":now",
                aws_sdk_dynamodb::types::AttributeValue::N(self.clock.now().timestamp().to_string()),
            )
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await;
        let Some(item) = conditional(result, "DeleteItem")?.and_then(|output| output.attributes) else {
            return Ok(None);
        };
        let item = super::decode::<UnsubscribeItem>(item, &key)?;
        Ok(Some((item.ticket_id, item.contact_key)))
    }

    async fn remember_thread(
        &self,
        contact_key: &str,
        ticket_id: &TicketId,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.issue_link(keys::thread(contact_key), "thread", ticket_id, contact_key, keep_until).await
    }

    async fn thread(&self, contact_key: &str) -> Result<Option<TicketId>, StoreError> {
        Ok(self.link_target(keys::thread(contact_key)).await?.map(|(ticket, _)| ticket))
    }

    async fn issue_fix_check(
        &self,
        token: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.issue_link(keys::fix_check(token), "fix_check", ticket_id, contact_key, keep_until).await
    }

    async fn fix_check_target(&self, token: &str) -> Result<Option<(TicketId, String)>, StoreError> {
        self.link_target(keys::fix_check(token)).await
    }
}

/// Links sent to a contact (unsubscribe, confirm a follow): a token standing for a ticket and
/// a contact key until it expires.
impl DynamoTable {
    async fn issue_link(
        &self,
        key: keys::Key,
        entity: &str,
        ticket_id: &TicketId,
        contact_key: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = key;
        self.put_item(encode(&UnsubscribeItem {
            pk,
            sk,
            entity: entity.to_owned(),
            ticket_id: ticket_id.clone(),
            contact_key: contact_key.to_owned(),
            expires_at: keep_until.timestamp(),
            gsi8pk: Some(keys::person(contact_key)),
        })?)
        .await
    }

    /// The ticket and contact a link stands for, until it expires (by the table's clock).
    async fn link_target(&self, key: keys::Key) -> Result<Option<(TicketId, String)>, StoreError> {
        let item = self.get_item::<UnsubscribeItem>(key).await?;
        let now = self.clock.now().timestamp();
        Ok(item.filter(|i| i.expires_at > now).map(|i| (i.ticket_id, i.contact_key)))
    }
}
