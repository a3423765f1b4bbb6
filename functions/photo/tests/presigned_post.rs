//! A browser's upload through a presigned POST form, end to end against the emulator: the form
//! `town311::aws::presigned_post` signs is accepted and the photo lands under the chosen key.
//!
//! Needs the emulator at `EMULATOR_URL` (`make test` starts it), so the tests are ignored by a
//! plain `cargo test`; run the first with
//! `cargo test -p photo --test presigned_post -- --ignored a_presigned_post`.
//!
//! The second needs an endpoint that enforces POST policies, as S3 does. moto 5.2.5 does not: it
//! stores whatever a POST sends, whatever its size, key, content type, signature or expiry.

use std::time::Duration;

use aws_sdk_s3::config::Credentials as SdkCredentials;
use town311::aws::presigned_post::{Credentials, Endpoint, PresignedPost, Upload, presigned_post};

const REGION: &str = "us-east-1";

struct Emulator {
    url: String,
    s3: aws_sdk_s3::Client,
    credentials: Credentials,
}

async fn emulator() -> Emulator {
    let url = std::env::var("EMULATOR_URL")
        .expect("EMULATOR_URL is not set: run these tests with `make test`, which starts the emulator");
    let sdk_credentials = SdkCredentials::new("testing", "testing", None, None, "photo-tests");
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&url)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(sdk_credentials.clone())
        .load()
        .await;
    let s3 =
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    Emulator { url, s3, credentials: Credentials::from(&sdk_credentials) }
}

/// A bucket of its own for each test.
async fn fresh_bucket(emulator: &Emulator, purpose: &str) -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let bucket = format!("photo-{purpose}-{nanos}");
    emulator.s3.create_bucket().bucket(&bucket).send().await.expect("creates the bucket");
    bucket
}

fn form(emulator: &Emulator, bucket: &str, key: &str) -> PresignedPost {
    let upload = Upload {
        bucket,
        key,
        content_type: "image/jpeg",
        max_bytes: photo::MAX_BYTES as u64,
        expires_in: Duration::from_secs(600),
    };
    let endpoint = Endpoint::PathStyle { base_url: emulator.url.clone() };
    presigned_post(&emulator.credentials, REGION, &endpoint, &upload, chrono::Utc::now())
        .expect("signs the form")
}

/// Posts the form as a browser would: its fields in order, then the file.
async fn post(form: &PresignedPost, file: Vec<u8>) -> (u16, String) {
    let mut multipart = reqwest::multipart::Form::new();
    for (name, value) in &form.fields {
        multipart = multipart.text(name.clone(), value.clone());
    }
    let part = reqwest::multipart::Part::bytes(file).file_name("IMG_0001.jpg");
    multipart = multipart.part("file", part);
    let response = reqwest::Client::new().post(&form.url).multipart(multipart).send().await.expect("posts");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

fn small_jpeg() -> Vec<u8> {
    photo::sample::jpeg_with_exif(&photo::sample::photo_like(32, 24, 9), 90, 1, None).expect("encodes")
}

#[tokio::test]
#[ignore = "needs the emulator: run through make test"]
async fn a_presigned_post_puts_the_photo_under_the_chosen_key() {
    let emulator = emulator().await;
    let bucket = fresh_bucket(&emulator, "post").await;
    let key = "uploads/8JXK-RNBS/1";
    let jpeg = small_jpeg();

    let (status, body) = post(&form(&emulator, &bucket, key), jpeg.clone()).await;

    assert!(status == 204 || status == 201, "the upload was refused: {status} {body}");
    let stored = emulator.s3.get_object().bucket(&bucket).key(key).send().await.expect("the object exists");
    let bytes = stored.body.collect().await.expect("reads the object").into_bytes();
    assert_eq!(bytes.as_ref(), jpeg.as_slice());
}

#[tokio::test]
#[ignore = "moto (5.2.5) stores any POST upload without checking its policy or signature: run against S3"]
async fn an_upload_over_ten_megabytes_is_refused_by_the_policy() {
    let emulator = emulator().await;
    let bucket = fresh_bucket(&emulator, "too-big").await;
    let key = "uploads/8JXK-RNBS/2";
    let mut eleven_megabytes = small_jpeg();
    eleven_megabytes.resize(11 * 1024 * 1024, 0);

    let (status, body) = post(&form(&emulator, &bucket, key), eleven_megabytes).await;

    assert_eq!(status, 400, "an 11 MB upload was not refused: {body}");
    assert!(body.contains("EntityTooLarge"), "{body}");
    let stored = emulator.s3.head_object().bucket(&bucket).key(key).send().await;
    assert!(stored.is_err(), "nothing is stored");
}
