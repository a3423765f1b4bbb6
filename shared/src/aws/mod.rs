//! The AWS adapters of the ports: DynamoDB for tickets and the catalog, S3 for photos, SNS for
//! ticket events and SMS, SES for email. The only module that imports AWS crates.

pub mod dynamo;
pub mod messages;
pub mod presign;
pub mod s3;
pub mod sns;
pub mod sqs;

pub use dynamo::{DynamoTable, TableItem};
pub use messages::AwsMessenger;
pub use s3::{S3Links, S3Photos};
pub use sns::SnsEvents;
pub use sqs::SqsDeadLetters;

/// The SDK configuration the adapters are built from.
pub use aws_config::SdkConfig;

/// Loads the AWS SDK configuration through the SDK's whole chain (environment, profiles, SSO,
/// instance roles): for tools run by people, such as `town311-admin`.
pub async fn sdk_config() -> aws_config::SdkConfig {
    sdk_defaults().load().await
}

/// The SDK configuration of a function, from what Lambda puts in its environment: the region
/// (`AWS_REGION`), the execution role's credentials (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and, where set, `AWS_ENDPOINT_URL` (locally, the
/// emulator). Unlike [`sdk_config`], no credential chain (profiles, IMDS, STS) is linked or run,
/// which keeps the artefact small and the cold start short.
pub fn function_sdk_config() -> Result<SdkConfig, crate::config::ConfigError> {
    function_sdk_config_from(|name| std::env::var(name).ok())
}

/// [`function_sdk_config`] with the environment read through `lookup`.
pub fn function_sdk_config_from(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<SdkConfig, crate::config::ConfigError> {
    use crate::config::ConfigError;
    let get = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty());
    let required = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
    let credentials = aws_credential_types::Credentials::new(
        required("AWS_ACCESS_KEY_ID")?,
        required("AWS_SECRET_ACCESS_KEY")?,
        get("AWS_SESSION_TOKEN"),
        None,
        "lambda-environment",
    );
    let mut builder = SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(required("AWS_REGION")?))
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(credentials))
        .http_client(https_client())
        .sleep_impl(aws_smithy_async::rt::sleep::SharedAsyncSleep::new(
            aws_smithy_async::rt::sleep::TokioSleep::new(),
        ))
        .time_source(aws_smithy_async::time::SharedTimeSource::new(
            aws_smithy_async::time::SystemTimeSource::new(),
        ))
        .retry_config(aws_config::retry::RetryConfig::standard())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_millis(3100))
                .build(),
        );
    if let Some(endpoint) = get("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(endpoint);
    }
    Ok(builder.build())
}

/// The SDK configuration loader with town311's HTTPS client; every SDK client starts here.
pub fn sdk_defaults() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https_client())
}

/// The roots AWS service endpoints chain to (Amazon Trust Services), compiled in.
const AMAZON_TRUST_SERVICES: &[u8] = include_bytes!("tls/amazon-trust-services.pem");

/// One HTTPS client for every AWS call: rustls with ring, trusting the Amazon Trust Services
/// roots AWS endpoints use, so a cold start reads no certificate file. Where TLS goes through
/// an inspecting proxy, setting `SSL_CERT_FILE` adds the system's roots as well.
pub fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let roots = TrustStore::empty()
        .with_native_roots(std::env::var_os("SSL_CERT_FILE").is_some())
        .with_pem_certificate(AMAZON_TRUST_SERVICES);
    let builder = aws_smithy_http_client::Builder::new().tls_provider(Provider::rustls(CryptoMode::Ring));
    match TlsContext::builder().with_trust_store(roots).build() {
        Ok(context) => builder.tls_context(context).build_https(),
        Err(error) => {
            tracing::warn!(error = %error, "TLS roots not set; using the system's");
            builder.build_https()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn the_compiled_in_roots_are_the_five_amazon_trust_services_roots() {
        let roots =
            CertificateDer::pem_slice_iter(AMAZON_TRUST_SERVICES).collect::<Result<Vec<_>, _>>().unwrap();
        assert_eq!(roots.len(), 5);
        for root in &roots {
            webpki::anchor_from_trusted_cert(root).unwrap();
        }
    }

    #[tokio::test]
    async fn an_https_call_builds_its_tls_client_from_them() {
        // Nothing listens on the discard port: the call fails to connect, after the client has
        // loaded its roots (a bad root would panic there).
        let sdk = sdk_defaults()
            .endpoint_url("https://127.0.0.1:9")
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("a", "b", None, None, "test"))
            .load()
            .await;
        let error = aws_sdk_dynamodb::Client::new(&sdk).list_tables().send().await.unwrap_err();
        assert!(matches!(error, aws_sdk_dynamodb::error::SdkError::DispatchFailure(_)), "{error:?}");
    }
}
