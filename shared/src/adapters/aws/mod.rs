//! The AWS adapters of the ports: DynamoDB for tickets and the catalog, S3 for photos, SNS for
//! ticket events and SMS, SES for email, Amazon Location for addresses where a town takes them
//! from a place index. The only module that imports AWS crates.

pub mod directory;
pub mod dynamo;
pub mod location;
pub mod mail;
pub mod messages;
pub mod presign;
pub mod s3;
pub mod sns;
pub mod sqs;
pub mod wiring;

pub use dynamo::{DynamoTable, TableItem};
pub use location::LocationAddresses;
pub use messages::AwsMessenger;
pub use s3::{S3Links, S3Photos};
pub use sns::{SnsEvents, SnsWork};
pub use sqs::SqsQueue;
pub use wiring::Adapters;

use std::time::Duration;

/// The SDK configuration the adapters are built from.
pub use aws_config::SdkConfig;

/// Loads the AWS SDK configuration through the SDK's whole chain (environment, profiles, SSO,
/// instance roles): for tools run by people, such as `town311-admin`.
pub async fn sdk_config() -> aws_config::SdkConfig {
    sdk_defaults().load().await
}

/// The shortest time a function has for one event (template.yaml's `Globals` `Timeout`): the
/// budget of clients that serve no one function (the local stack, tools, tests).
pub const SHORTEST_FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

/// The SDK's standard retry mode makes this many attempts at a call.
const ATTEMPTS: u32 = 3;
/// The standard mode's backoffs before the second and third attempts are at most 1 s and 2 s.
const MOST_BACKOFF: Duration = Duration::from_secs(3);
/// A healthy in-region call answers in tens of milliseconds; two seconds is an outage, and
/// still above the longest SQS long poll town311 makes (1 s, the local queue feed).
const SHORTEST_ATTEMPT: Duration = Duration::from_secs(2);
/// An attempt is never given longer: a longer wait only delays the retry that may succeed.
const LONGEST_ATTEMPT: Duration = Duration::from_secs(5);
/// TCP retransmits an unanswered SYN after 1 s and 3 s; 3.1 s lets a connection survive that.
const LONGEST_CONNECT: Duration = Duration::from_millis(3100);

/// How long an AWS call may take in a function that has `function_timeout` for a whole event.
///
/// Each attempt gets a fifth of that (2 to 5 s) and the call with its retries at most 60% of it,
/// so a hung DynamoDB or S3 fails the call while the function still has time to answer (a 503
/// with `Retry-After`, or a failed stream record that Lambda retries) instead of being killed
/// without a word. For a 10 s function: 2 s attempts, 6 s calls.
pub fn call_timeouts(function_timeout: Duration) -> aws_config::timeout::TimeoutConfig {
    let attempt = (function_timeout / 5).clamp(SHORTEST_ATTEMPT, LONGEST_ATTEMPT);
    let operation = (function_timeout * 6 / 10).min(attempt * ATTEMPTS + MOST_BACKOFF);
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(attempt.min(LONGEST_CONNECT))
        .read_timeout(attempt)
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation)
        .build()
}

/// The SDK configuration of a function, from what Lambda puts in its environment: the region
/// (`AWS_REGION`), the execution role's credentials (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and, where set, `AWS_ENDPOINT_URL` (locally, the
/// emulator). Unlike [`sdk_config`], no credential chain (profiles, IMDS, STS) is linked or run,
/// which keeps the artefact small and the cold start short. Calls are bounded by
/// [`call_timeouts`] of the function's `timeout` (its `Timeout` in template.yaml).
pub fn function_sdk_config(timeout: Duration) -> Result<SdkConfig, crate::runtime::config::ConfigError> {
    function_sdk_config_from(|name| std::env::var(name).ok(), timeout)
}

/// [`function_sdk_config`] with the environment read through `lookup`.
pub fn function_sdk_config_from(
    lookup: impl Fn(&str) -> Option<String>,
    timeout: Duration,
) -> Result<SdkConfig, crate::runtime::config::ConfigError> {
    use crate::runtime::config::ConfigError;
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
        .timeout_config(call_timeouts(timeout));
    if let Some(endpoint) = get("AWS_ENDPOINT_URL") {
        builder = builder.endpoint_url(endpoint);
    }
    Ok(builder.build())
}

/// The SDK configuration loader with town311's HTTPS client, its calls bounded as in the
/// shortest function ([`SHORTEST_FUNCTION_TIMEOUT`]); every SDK client outside the functions
/// starts here.
pub fn sdk_defaults() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .timeout_config(call_timeouts(SHORTEST_FUNCTION_TIMEOUT))
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

    fn lambda_environment(endpoint: &str) -> impl Fn(&str) -> Option<String> {
        let endpoint = endpoint.to_owned();
        move |name| match name {
            "AWS_REGION" => Some("us-east-1".to_owned()),
            "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" => Some("testing".to_owned()),
            "AWS_ENDPOINT_URL" => Some(endpoint.clone()),
            _ => None,
        }
    }

    #[tokio::test]
    async fn a_call_to_a_server_that_never_answers_gives_up_within_the_functions_time() {
        // The server takes the connection and reads nothing, answers nothing.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let held = tokio::spawn(async move {
            let mut sockets = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                sockets.push(socket);
            }
        });
        let function_timeout = Duration::from_secs(1);
        let sdk =
            function_sdk_config_from(lambda_environment(&format!("http://{address}")), function_timeout)
                .unwrap();
        let call = aws_sdk_dynamodb::Client::new(&sdk).list_tables().send();
        let outcome = tokio::time::timeout(function_timeout * 5, call).await;
        held.abort();
        let error = outcome.expect("the SDK gave up on its own").unwrap_err();
        assert!(matches!(error, aws_sdk_dynamodb::error::SdkError::TimeoutError(_)), "{error:?}");
    }

    #[test]
    fn calls_fit_in_their_functions_time_and_attempts_outlast_a_long_poll() {
        for seconds in [10, 30, 60] {
            let function_timeout = Duration::from_secs(seconds);
            let timeouts = call_timeouts(function_timeout);
            let (attempt, operation) =
                (timeouts.operation_attempt_timeout().unwrap(), timeouts.operation_timeout().unwrap());
            assert!(operation < function_timeout && attempt < operation, "{seconds} s: {timeouts:?}");
            assert!(attempt > Duration::from_secs(1), "the local queue feed polls 1 s: {timeouts:?}");
            assert!(timeouts.read_timeout().is_some() && timeouts.connect_timeout().is_some());
        }
    }

    #[tokio::test]
    async fn clients_outside_the_functions_are_bounded_too() {
        let sdk = sdk_defaults()
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("a", "b", None, None, "test"))
            .load()
            .await;
        let timeouts = sdk.timeout_config().unwrap();
        assert_eq!(timeouts, &call_timeouts(SHORTEST_FUNCTION_TIMEOUT));
    }
}
