//! Presigned S3 links, signed here with Signature Version 4 as S3 documents it, without an S3
//! client:
//!
//! - POST uploads: the browser sends a photo straight to the bucket, under a key the API chose,
//!   with a policy that S3 enforces (that key, one image content type, at most so many bytes,
//!   until a deadline). The AWS SDK for Rust cannot presign POST, and a PUT cannot limit the
//!   upload's size. The policy is a JSON document, its base64 text is the string to sign.
//! - GET links: a query-string-signed URL that reads one object for a while.
//!
//! The signing key (from the secret key, the date, the region and the service) and the
//! signature are `aws-sigv4`'s, the SDK's own signer.

use std::time::Duration;

use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The content types a photo upload may declare; the photo function still checks the content.
pub const UPLOAD_CONTENT_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "s3";

/// The credentials that sign the upload: the function's own (from its role on Lambda).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// The session token of temporary credentials (always present on Lambda).
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

impl From<&aws_sdk_s3::config::Credentials> for Credentials {
    fn from(credentials: &aws_sdk_s3::config::Credentials) -> Self {
        Self {
            access_key_id: credentials.access_key_id().to_owned(),
            secret_access_key: credentials.secret_access_key().to_owned(),
            session_token: credentials.session_token().map(str::to_owned),
        }
    }
}

/// Where the browser sends the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// S3 itself, addressed by virtual host: `https://{bucket}.s3.{region}.amazonaws.com/`.
    Aws,
    /// A path-style endpoint such as the local emulator's: `{base_url}/{bucket}`.
    PathStyle { base_url: String },
}

/// What one upload may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload<'a> {
    pub bucket: &'a str,
    /// The object key, exactly: the browser cannot choose another.
    pub key: &'a str,
    /// One of [`UPLOAD_CONTENT_TYPES`]; the browser must send exactly this one.
    pub content_type: &'a str,
    /// The most bytes the file may have (at least one is always required).
    pub max_bytes: u64,
    /// How long the form stays valid.
    pub expires_in: Duration,
}

/// A signed form: POST `url` as `multipart/form-data` with `fields` in this order, then the
/// file as the last part, named `file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPost {
    pub url: String,
    pub fields: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
}

/// Why no form could be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresignError {
    #[error("{0} is not a photo content type (image/jpeg, image/png or image/webp)")]
    ContentType(String),
    #[error("an upload must be allowed at least one byte")]
    NoBytes,
    #[error("the expiry is out of range")]
    Expiry,
}

/// Signs a POST form for one upload at `now`.
pub fn presigned_post(
    credentials: &Credentials,
    region: &str,
    endpoint: &Endpoint,
    upload: &Upload<'_>,
    now: DateTime<Utc>,
) -> Result<PresignedPost, PresignError> {
    if !UPLOAD_CONTENT_TYPES.contains(&upload.content_type) {
        return Err(PresignError::ContentType(upload.content_type.to_owned()));
    }
    if upload.max_bytes == 0 {
        return Err(PresignError::NoBytes);
    }
    let expires_at = chrono::Duration::from_std(upload.expires_in)
        .ok()
        .and_then(|valid_for| now.checked_add_signed(valid_for))
        .ok_or(PresignError::Expiry)?;

    let date = now.format("%Y%m%d");
    let timestamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let credential = format!("{}/{date}/{region}/{SERVICE}/aws4_request", credentials.access_key_id);

    let mut fields = vec![
        ("key".to_owned(), upload.key.to_owned()),
        ("Content-Type".to_owned(), upload.content_type.to_owned()),
        ("x-amz-algorithm".to_owned(), ALGORITHM.to_owned()),
        ("x-amz-credential".to_owned(), credential),
        ("x-amz-date".to_owned(), timestamp),
    ];
    if let Some(token) = &credentials.session_token {
        fields.push(("x-amz-security-token".to_owned(), token.clone()));
    }

    let mut conditions = vec![serde_json::json!({ "bucket": upload.bucket })];
    conditions.extend(fields.iter().map(|(name, value)| serde_json::json!({ name: value })));
    conditions.push(serde_json::json!(["content-length-range", 1, upload.max_bytes]));
    let policy = serde_json::json!({
        "expiration": expires_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "conditions": conditions,
    });
    let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());

    let key = generate_signing_key(&credentials.secret_access_key, now.into(), region, SERVICE);
    let signature = calculate_signature(key, policy.as_bytes());
    fields.push(("policy".to_owned(), policy));
    fields.push(("x-amz-signature".to_owned(), signature));

    let url = match endpoint {
        Endpoint::Aws => format!("https://{}.s3.{region}.amazonaws.com/", upload.bucket),
        Endpoint::PathStyle { base_url } => format!("{}/{}", base_url.trim_end_matches('/'), upload.bucket),
    };
    Ok(PresignedPost { url, fields, expires_at })
}

/// Signs a link that reads `bucket`/`key` for `valid_for` from `now` (at most seven days).
pub fn presigned_get(
    credentials: &Credentials,
    region: &str,
    endpoint: &Endpoint,
    bucket: &str,
    key: &str,
    valid_for: Duration,
    now: DateTime<Utc>,
) -> Result<String, PresignError> {
    let (origin, path) = match endpoint {
        Endpoint::Aws => {
            (format!("https://{bucket}.s3.{region}.amazonaws.com"), format!("/{}", uri_encode(key, false)))
        }
        Endpoint::PathStyle { base_url } => (
            base_url.trim_end_matches('/').to_owned(),
            format!("/{}/{}", uri_encode(bucket, true), uri_encode(key, false)),
        ),
    };
    let host = origin.split_once("://").map_or(origin.as_str(), |(_, host)| host);
    let query = signed_get_query(credentials, region, host, &path, valid_for, now, Some("GetObject"))?;
    Ok(format!("{origin}{path}?{query}"))
}

/// The query string of a GET of `path` on `host` (naming the S3 `operation` if given),
/// signature last.
fn signed_get_query(
    credentials: &Credentials,
    region: &str,
    host: &str,
    path: &str,
    valid_for: Duration,
    now: DateTime<Utc>,
    operation: Option<&str>,
) -> Result<String, PresignError> {
    let seconds = valid_for.as_secs();
    if seconds == 0 || seconds > 7 * 24 * 3600 {
        return Err(PresignError::Expiry);
    }
    let date = now.format("%Y%m%d").to_string();
    let timestamp = now.format("%Y%m%dT%H%M%SZ").to_string();
    let scope = format!("{date}/{region}/{SERVICE}/aws4_request");
    let mut parameters = vec![
        ("X-Amz-Algorithm", ALGORITHM.to_owned()),
        ("X-Amz-Credential", format!("{}/{scope}", credentials.access_key_id)),
        ("X-Amz-Date", timestamp.clone()),
        ("X-Amz-Expires", seconds.to_string()),
    ];
    if let Some(token) = &credentials.session_token {
        parameters.push(("X-Amz-Security-Token", token.clone()));
    }
    parameters.push(("X-Amz-SignedHeaders", "host".to_owned()));
    if let Some(operation) = operation {
        // Sorted last (lowercase), as the SDK names the operation.
        parameters.push(("x-id", operation.to_owned()));
    }
    let query = parameters
        .iter()
        .map(|(name, value)| format!("{name}={}", uri_encode(value, true)))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_request = format!("GET\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
    let string_to_sign =
        format!("{ALGORITHM}\n{timestamp}\n{scope}\n{}", hex(&Sha256::digest(canonical_request.as_bytes())));
    let key = generate_signing_key(&credentials.secret_access_key, now.into(), region, SERVICE);
    let signature = calculate_signature(key, string_to_sign.as_bytes());
    Ok(format!("{query}&X-Amz-Signature={signature}"))
}

/// SigV4's URI encoding: every byte but the unreserved characters as `%XX`; `/` kept as is in
/// an object key's path unless `slash` says to encode it.
fn uri_encode(text: &str, slash: bool) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => encoded.push(byte as char),
            b'/' if !slash => encoded.push('/'),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn get_link_matches_the_aws_query_string_example() {
        // S3's "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)" example.
        let credentials = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let now = Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap();
        let query = signed_get_query(
            &credentials,
            "us-east-1",
            "examplebucket.s3.amazonaws.com",
            "/test.txt",
            Duration::from_secs(86400),
            now,
            None,
        )
        .unwrap();
        assert_eq!(
            query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        );
    }

    #[tokio::test]
    async fn get_link_signs_as_the_sdk_presigner_does() {
        use aws_sdk_s3::config::{BehaviorVersion, Credentials as SdkCredentials, Region};
        // Without a session token: the SDK leaves it out of what S3 links sign, as S3 allows.
        let sdk_credentials = SdkCredentials::new("AKIDEXAMPLE", "secret/key+x", None, None, "test");
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 5).unwrap();
        for (endpoint, path_style) in [
            (Endpoint::Aws, false),
            (Endpoint::PathStyle { base_url: "http://127.0.0.1:5311/".into() }, true),
        ] {
            let mut config = aws_sdk_s3::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("eu-west-3"))
                .credentials_provider(sdk_credentials.clone())
                .force_path_style(path_style);
            if path_style {
                config = config.endpoint_url("http://127.0.0.1:5311");
            }
            let client = aws_sdk_s3::Client::from_conf(config.build());
            for key in ["processed/AAAA-0001/1.jpg", "uploads/a b+c~(d).jpg"] {
                let presigning = aws_sdk_s3::presigning::PresigningConfig::builder()
                    .start_time(now.into())
                    .expires_in(Duration::from_secs(300))
                    .build()
                    .unwrap();
                let sdk =
                    client.get_object().bucket("town-photos").key(key).presigned(presigning).await.unwrap();
                let ours = presigned_get(
                    &(&sdk_credentials).into(),
                    "eu-west-3",
                    &endpoint,
                    "town-photos",
                    key,
                    Duration::from_secs(300),
                    now,
                )
                .unwrap();
                let signature = |url: &str| url.split("X-Amz-Signature=").nth(1).map(str::to_owned);
                let (ours_path, sdk_path) = (ours.split('?').next(), sdk.uri().split('?').next());
                assert_eq!(ours_path, sdk_path, "{key}");
                assert_eq!(signature(&ours), signature(sdk.uri()), "{key}: {ours} vs {}", sdk.uri());
            }
        }
    }

    #[test]
    fn get_links_last_at_most_a_week() {
        let credentials = credentials(None);
        let link = |seconds| {
            presigned_get(
                &credentials,
                "us-east-1",
                &Endpoint::Aws,
                "b",
                "k",
                Duration::from_secs(seconds),
                now(),
            )
        };
        assert!(link(7 * 24 * 3600).is_ok());
        assert_eq!(link(7 * 24 * 3600 + 1), Err(PresignError::Expiry));
        assert_eq!(link(0), Err(PresignError::Expiry));
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2, and test case 6 (a key longer than the block): a POST policy's signature
        // is the plain HMAC-SHA256 of its text.
        assert_eq!(
            calculate_signature(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            calculate_signature([0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signing_key_matches_the_aws_key_derivation_example() {
        let key = generate_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            day(2012, 2, 15),
            "us-east-1",
            "iam",
        );
        assert_eq!(hex(key.as_ref()), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    }

    #[test]
    fn policy_signature_matches_the_aws_post_example() {
        // The base64 policy and signature of S3's "Example: Browser-based upload using HTTP POST
        // (using AWS Signature Version 4)".
        const POLICY: &str = concat!(
            "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7",
            "ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91",
            "c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3Qi",
            "OiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwi",
            "fSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRh",
            "LXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVT",
            "MjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNy",
            "ZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9",
            "LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAi",
            "MjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9",
        );
        let key = generate_signing_key(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            day(2015, 12, 29),
            "us-east-1",
            "s3",
        );
        assert_eq!(
            calculate_signature(key, POLICY.as_bytes()),
            "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
        );
    }

    fn credentials(session_token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: session_token.map(Into::into),
        }
    }

    fn upload(content_type: &str) -> Upload<'_> {
        Upload {
            bucket: "town311-photos",
            key: "uploads/8JXK-RNBS/3f9a1c0b",
            content_type,
            max_bytes: 10 * 1024 * 1024,
            expires_in: Duration::from_secs(600),
        }
    }

    /// A signing key's day, at a time of day that must not matter.
    fn day(year: i32, month: u32, day_of_month: u32) -> std::time::SystemTime {
        Utc.with_ymd_and_hms(year, month, day_of_month, 23, 59, 59).unwrap().into()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, 13, 7, 9).single().unwrap()
    }

    fn field<'a>(post: &'a PresignedPost, name: &str) -> &'a str {
        post.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap()
    }

    #[test]
    fn the_policy_pins_key_bucket_content_type_size_and_signer() {
        let post = presigned_post(
            &credentials(Some("FwoGZXIvYXdzEJr")),
            "us-east-2",
            &Endpoint::Aws,
            &upload("image/png"),
            now(),
        )
        .unwrap();

        let policy = base64::engine::general_purpose::STANDARD.decode(field(&post, "policy")).unwrap();
        let policy: serde_json::Value = serde_json::from_slice(&policy).unwrap();
        assert_eq!(
            policy,
            serde_json::json!({
                "expiration": "2026-05-04T13:17:09.000Z",
                "conditions": [
                    {"bucket": "town311-photos"},
                    {"key": "uploads/8JXK-RNBS/3f9a1c0b"},
                    {"Content-Type": "image/png"},
                    {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                    {"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20260504/us-east-2/s3/aws4_request"},
                    {"x-amz-date": "20260504T130709Z"},
                    {"x-amz-security-token": "FwoGZXIvYXdzEJr"},
                    ["content-length-range", 1, 10_485_760],
                ]
            })
        );
        assert_eq!(post.expires_at, now() + chrono::Duration::minutes(10));
        assert_eq!(post.url, "https://town311-photos.s3.us-east-2.amazonaws.com/");
    }

    #[test]
    fn the_form_carries_every_field_the_policy_names_and_its_signature() {
        let post = presigned_post(
            &credentials(None),
            "us-east-1",
            &Endpoint::PathStyle { base_url: "http://127.0.0.1:5311/".into() },
            &upload("image/jpeg"),
            now(),
        )
        .unwrap();

        let names: Vec<&str> = post.fields.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "key",
                "Content-Type",
                "x-amz-algorithm",
                "x-amz-credential",
                "x-amz-date",
                "policy",
                "x-amz-signature"
            ]
        );
        assert_eq!(post.url, "http://127.0.0.1:5311/town311-photos");
        let key = generate_signing_key(
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            day(2026, 5, 4),
            "us-east-1",
            "s3",
        );
        assert_eq!(
            field(&post, "x-amz-signature"),
            calculate_signature(key, field(&post, "policy").as_bytes())
        );
    }

    #[test]
    fn only_photo_content_types_and_some_bytes_are_signed() {
        let refused =
            presigned_post(&credentials(None), "us-east-1", &Endpoint::Aws, &upload("text/html"), now());
        assert_eq!(refused, Err(PresignError::ContentType("text/html".into())));
        let nothing = Upload { max_bytes: 0, ..upload("image/webp") };
        assert_eq!(
            presigned_post(&credentials(None), "us-east-1", &Endpoint::Aws, &nothing, now()),
            Err(PresignError::NoBytes)
        );
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let shown = format!("{:?}", credentials(Some("token")));
        assert!(!shown.contains("EXAMPLEKEY") && !shown.contains("token"), "{shown}");
    }
}
