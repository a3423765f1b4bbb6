//! Photo uploads: which request named an upload, and how processing it went.

use super::items::{ProcessingItem, UploadItem};
use super::{DynamoTable, encode, keys};
use crate::domain::id::TicketId;
use crate::domain::photo::Processing;
use crate::ports::{StoreError, Uploads};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
impl Uploads for DynamoTable {
    async fn upload_ticket(&self, upload_id: &str) -> Result<Option<TicketId>, StoreError> {
        Ok(self.get_item::<UploadItem>(keys::upload(upload_id)).await?.map(|i| i.ticket_id))
    }

    async fn put_processing(
        &self,
        processing: &Processing,
        keep_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = keys::processing(processing.upload_id());
        self.put_item(encode(&ProcessingItem {
            pk,
            sk,
            entity: "processing".to_owned(),
            expires_at: keep_until.timestamp(),
            processing: processing.clone(),
        })?)
        .await
    }

    async fn processing(&self, upload_id: &str) -> Result<Option<Processing>, StoreError> {
        Ok(self.get_item::<ProcessingItem>(keys::processing(upload_id)).await?.map(|i| i.processing))
    }
}
