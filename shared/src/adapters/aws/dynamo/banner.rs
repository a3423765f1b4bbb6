//! The town-wide banner: one item in the catalog partition.

use super::items::BannerItem;
use super::{DynamoTable, encode, keys, s, unavailable};
use crate::domain::banner::Banner;
use crate::ports::{Banners, StoreError};
use async_trait::async_trait;

#[async_trait]
impl Banners for DynamoTable {
    async fn banner(&self) -> Result<Option<Banner>, StoreError> {
        Ok(self.get_item::<BannerItem>(keys::banner()).await?.map(|item| item.banner))
    }

    async fn put_banner(&self, banner: Option<&Banner>) -> Result<(), StoreError> {
        let keys::Key { pk, sk } = keys::banner();
        match banner {
            Some(banner) => {
                let item = BannerItem { pk, sk, entity: "banner".to_owned(), banner: banner.clone() };
                self.put_item(encode(&item)?).await
            }
            None => {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .key("pk", s(pk))
                    .key("sk", s(sk))
                    .send()
                    .await
                    .map_err(unavailable("DeleteItem"))?;
                Ok(())
            }
        }
    }
}
