//! Presigned S3 POST uploads: the browser sends a photo straight to the bucket, under a key the
//! API chose, with a policy that S3 enforces (that key, one image content type, at most so many
//! bytes, until a deadline).
//!
//! The AWS SDK for Rust presigns GET and PUT but not POST, and a PUT cannot limit the upload's
//! size, so the POST policy is signed here with Signature Version 4, as S3 documents it: the
//! policy is a JSON document, its base64 text is the string to sign, and the signing key is
//! derived from the secret key, the date, the region and the service.

use std::time::Duration;

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

    let date = now.format("%Y%m%d").to_string();
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

    let key = signing_key(&credentials.secret_access_key, &date, region, SERVICE);
    let signature = hex(&hmac_sha256(&key, policy.as_bytes()));
    fields.push(("policy".to_owned(), policy));
    fields.push(("x-amz-signature".to_owned(), signature));

    let url = match endpoint {
        Endpoint::Aws => format!("https://{}.s3.{region}.amazonaws.com/", upload.bucket),
        Endpoint::PathStyle { base_url } => format!("{}/{}", base_url.trim_end_matches('/'), upload.bucket),
    };
    Ok(PresignedPost { url, fields, expires_at })
}

/// The SigV4 signing key of a day, region and service.
fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let day = hmac_sha256(format!("AWS4{secret_access_key}").as_bytes(), date.as_bytes());
    let region = hmac_sha256(&day, region.as_bytes());
    let service = hmac_sha256(&region, service.as_bytes());
    hmac_sha256(&service, b"aws4_request")
}

/// HMAC-SHA256 (RFC 2104), in a few lines rather than a dependency.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let padded = |pad: u8| block_key.map(|byte| byte ^ pad);
    let inner = Sha256::new().chain_update(padded(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(padded(0x5c)).chain_update(inner).finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2, and test case 6 (a key longer than the block).
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signing_key_matches_the_aws_key_derivation_example() {
        let key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
        assert_eq!(hex(&key), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
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
        let key = signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20151229", "us-east-1", "s3");
        assert_eq!(
            hex(&hmac_sha256(&key, POLICY.as_bytes())),
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
        let key = signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20260504", "us-east-1", "s3");
        assert_eq!(
            field(&post, "x-amz-signature"),
            hex(&hmac_sha256(&key, field(&post, "policy").as_bytes()))
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
