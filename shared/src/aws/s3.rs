//! The S3 adapter: photos in a private bucket, read through presigned links.

use crate::aws::presigned_post::{Endpoint, Upload, presigned_post};
use crate::config::Config;
use crate::ports::{PhotoStore, PresignedUpload, StoreError};
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
    /// Where browsers post uploads: AWS's own endpoint, or the emulator's, path-style.
    endpoint: Endpoint,
    region: String,
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
}

impl S3Photos {
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(sdk).force_path_style(config.s3_force_path_style);
        let mut photos = Self::with_client(Client::from_conf(s3.build()), &config.photo_bucket);
        photos.credentials = sdk.credentials_provider();
        photos.region = sdk.region().map_or_else(|| "us-east-1".to_owned(), |r| r.to_string());
        if let (true, Some(url)) = (config.s3_force_path_style, sdk.endpoint_url()) {
            photos.endpoint = Endpoint::PathStyle { base_url: url.trim_end_matches('/').to_owned() };
        }
        photos
    }

    pub fn with_client(client: Client, bucket: &str) -> Self {
        Self {
            client,
            bucket: bucket.to_owned(),
            endpoint: Endpoint::Aws,
            region: "us-east-1".to_owned(),
            credentials: None,
        }
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

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| StoreError::unavailable("DeleteObject", e))?;
        Ok(())
    }

    async fn presigned_upload(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        valid_for: Duration,
    ) -> Result<PresignedUpload, StoreError> {
        use aws_credential_types::provider::ProvideCredentials as _;
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| StoreError::unavailable("presign", "no AWS credentials"))?;
        let credentials =
            provider.provide_credentials().await.map_err(|e| StoreError::unavailable("credentials", e))?;
        let upload = Upload { bucket: &self.bucket, key, content_type, max_bytes, expires_in: valid_for };
        let post =
            presigned_post(&(&credentials).into(), &self.region, &self.endpoint, &upload, chrono::Utc::now())
                .map_err(|e| StoreError::unavailable("presign", e))?;
        Ok(PresignedUpload { url: post.url, fields: post.fields, expires_at: post.expires_at })
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
