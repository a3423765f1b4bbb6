//! The S3 adapters: photos in a private bucket (`S3Photos`, through the SDK client), read and
//! uploaded through presigned links (`S3Links`, signed here without a client).

use crate::adapters::aws::presign::{Endpoint, Upload, presigned_get, presigned_post};
use crate::ports::{PhotoLinks, PhotoStore, PresignedUpload, StoreError};
use crate::runtime::config::Config;
use async_trait::async_trait;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag, Tagging};
use std::time::Duration;

/// The tag telling pending photos (which the bucket's lifecycle removes after a day, as
/// template.yaml says) from kept ones.
pub const PHOTO_TAG: &str = "town311-photo";
const PENDING: &str = "pending";
const KEPT: &str = "kept";

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

/// Links to the photo bucket, signed with the function's own credentials.
#[derive(Debug, Clone)]
pub struct S3Links {
    bucket: String,
    /// Where links point: AWS's own endpoint, or the emulator's, path-style.
    endpoint: Endpoint,
    region: String,
    credentials: Option<SharedCredentialsProvider>,
}

impl S3Links {
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        let endpoint = match (config.s3_force_path_style, sdk.endpoint_url()) {
            (true, Some(url)) => Endpoint::PathStyle { base_url: url.trim_end_matches('/').to_owned() },
            _ => Endpoint::Aws,
        };
        Self {
            bucket: config.photo_bucket.clone(),
            endpoint,
            region: sdk.region().map_or_else(|| "us-east-1".to_owned(), |r| r.to_string()),
            credentials: sdk.credentials_provider(),
        }
    }

    async fn credentials(&self) -> Result<crate::adapters::aws::presign::Credentials, StoreError> {
        use aws_credential_types::provider::ProvideCredentials as _;
        let provider = self
            .credentials
            .as_ref()
            .ok_or_else(|| StoreError::unavailable("presign", "no AWS credentials"))?;
        let credentials =
            provider.provide_credentials().await.map_err(|e| StoreError::unavailable("credentials", e))?;
        Ok((&credentials).into())
    }
}

#[async_trait]
impl PhotoLinks for S3Links {
    async fn presigned_upload(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        valid_for: Duration,
    ) -> Result<PresignedUpload, StoreError> {
        let credentials = self.credentials().await?;
        let upload = Upload { bucket: &self.bucket, key, content_type, max_bytes, expires_in: valid_for };
        let post = presigned_post(&credentials, &self.region, &self.endpoint, &upload, chrono::Utc::now())
            .map_err(|e| StoreError::unavailable("presign", e))?;
        Ok(PresignedUpload { url: post.url, fields: post.fields, expires_at: post.expires_at })
    }

    async fn presigned_get(&self, key: &str, valid_for: Duration) -> Result<String, StoreError> {
        let credentials = self.credentials().await?;
        presigned_get(
            &credentials,
            &self.region,
            &self.endpoint,
            &self.bucket,
            key,
            valid_for,
            chrono::Utc::now(),
        )
        .map_err(|e| StoreError::unavailable("presign", e))
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

    async fn put_pending(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .tagging(format!("{PHOTO_TAG}={PENDING}"))
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| StoreError::unavailable("PutObject", e))?;
        Ok(())
    }

    async fn keep(&self, key: &str) -> Result<bool, StoreError> {
        let tag = Tag::builder()
            .key(PHOTO_TAG)
            .value(KEPT)
            .build()
            .map_err(|e| StoreError::unavailable("tag", e))?;
        let tagging =
            Tagging::builder().tag_set(tag).build().map_err(|e| StoreError::unavailable("tag", e))?;
        let result =
            self.client.put_object_tagging().bucket(&self.bucket).key(key).tagging(tagging).send().await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().and_then(|se| se.code()) == Some("NoSuchKey") => Ok(false),
            Err(e) => Err(StoreError::unavailable("PutObjectTagging", e)),
        }
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
}
