//! The town-wide banner: one item in the catalog partition.

use super::items::BannerItem;
use super::{DynamoTable, encode, keys};
use crate::domain::banner::Banner;
use crate::ports::{Banners, StoreError};
use async_trait::async_trait;

#[async_trait]
impl Banners for DynamoTable {
    async fn banner(&self) -> Result<Option<Banner>, StoreError> {
        Ok(self.get_item::<BannerItem>(keys::banner()).await?.map(|item| item.banner))
    }

    async fn put_banner(&self, banner: Option<&Banner>) -> Result<(), StoreError> {
        let Some(banner) = banner else { return self.delete_item(keys::banner()).await };
        let keys::Key { pk, sk } = keys::banner();
        self.put_item(encode(&BannerItem { pk, sk, entity: "banner".to_owned(), banner: banner.clone() })?)
            .await
    }
}
