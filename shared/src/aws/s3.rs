//! The S3 adapter: photos in a private bucket, read through presigned links.

use crate::config::Config;
use crate::ports::{PhotoStore, StoreError};
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use std::time::Duration;

/// Photos in S3.
#[derive(Debug, Clone)]
pub struct S3Photos {
    client: Client,
    bucket: String,
}

impl S3Photos {
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(sdk).force_path_style(config.s3_force_path_style);
        Self::with_client(Client::from_conf(s3.build()), &config.photo_bucket)
    }

    pub fn with_client(client: Client, bucket: &str) -> Self {
        Self { client, bucket: bucket.to_owned() }
    }
}

#[async_trait]
impl PhotoStore for S3Photos {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| StoreError::unavailable("PutObject", e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let output = match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(output) => output,
            Err(e) if e.as_service_error().is_some_and(|se| se.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(StoreError::unavailable("GetObject", e)),
        };
        let bytes = output.body.collect().await.map_err(|e| StoreError::unavailable("GetObject body", e))?;
        Ok(Some(bytes.to_vec()))
    }

    async fn presigned_get(&self, key: &str, valid_for: Duration) -> Result<String, StoreError> {
        let presigning =
            PresigningConfig::expires_in(valid_for).map_err(|e| StoreError::unavailable("presign", e))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(|e| StoreError::unavailable("presign", e))?;
        Ok(request.uri().to_owned())
    }
}
