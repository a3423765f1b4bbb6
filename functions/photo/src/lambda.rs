//! The photo function: S3 tells of every new upload (through a topic, and Lambda invokes this
//! asynchronously: nothing polls while nothing happens); this processes each one, keeps
//! the clean photo and its thumbnail under `photos/<upload id>/`, records the outcome (or why
//! the upload was refused) for the route function to attach to the ticket, and deletes the
//! upload. Nothing unprocessed is ever published.

use crate::{Processed, process};
use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sns::SnsEvent;
use chrono::Duration;
use lambda_runtime::{Error, LambdaEvent};
use percent_encoding::percent_decode_str;
use std::sync::Arc;
use town311::domain::photo::{Photo, Processing, upload_id_of};
use town311::ports::{PhotoStore, StoreError, Uploads};
use town311::runtime::clock::Clock;
use tracing::Instrument;

/// The time the function has for one event: its `Timeout` in template.yaml. Every AWS call is
/// bounded within it.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How long an outcome waits for the request naming its upload (uploads themselves expire
/// after a day).
const KEEP_OUTCOME_DAYS: i64 = 2;

/// What the handler needs, built once per cold start.
pub struct State {
    pub photos: Arc<dyn PhotoStore>,
    pub uploads: Arc<dyn Uploads>,
    pub clock: Arc<dyn Clock>,
}

impl From<&town311::adapters::aws::Adapters> for State {
    /// The production wiring: the photo bucket and the table.
    fn from(aws: &town311::adapters::aws::Adapters) -> Self {
        town311::wire!(aws, Self { photos, uploads, clock })
    }
}

/// Handles the S3 notifications the topic delivers (one an invocation). A failure fails the
/// invocation: Lambda retries it twice, then records it on the dead-letter queue; an upload
/// processed before is not processed again.
pub async fn handle(state: &State, event: LambdaEvent<SnsEvent>) -> Result<(), Error> {
    for record in event.payload.records {
        let outcome = match object_keys(&record.sns.message) {
            Some(keys) => handle_keys(state, &keys).await,
            // S3's own "s3:TestEvent" when notifications are set up, or anything else: not ours.
            None => {
                tracing::info!("a message that is no upload notification; dropped");
                Ok(())
            }
        };
        if let Err(error) = outcome {
            tracing::error!(error = %town311::runtime::chain(&error), "photo processing failed; the invocation will be retried");
            return Err(error.into());
        }
    }
    Ok(())
}

/// The object keys an S3 event notification reports, URL-decoded as S3 encodes them; `None`
/// for any other message.
fn object_keys(body: &str) -> Option<Vec<String>> {
    let notification: S3Event = serde_json::from_str(body).ok()?;
    Some(
        notification
            .records
            .into_iter()
            .filter_map(|record| record.s3.object.key)
            // Keys are form-encoded in notifications (a space is `+`); a stray `%` stays as it is.
            .map(|key| percent_decode_str(&key.replace('+', " ")).decode_utf8_lossy().into_owned())
            .collect(),
    )
}

async fn handle_keys(state: &State, keys: &[String]) -> Result<(), StoreError> {
    for key in keys {
        let Some(upload_id) = upload_id_of(key) else {
            tracing::warn!("an object outside the uploads was reported; ignored");
            continue;
        };
        let span = tracing::info_span!("photo", upload = %upload_id);
        process_upload(state, upload_id).instrument(span).await?;
    }
    Ok(())
}

/// Processes one upload, once.
pub async fn process_upload(state: &State, upload_id: &str) -> Result<(), StoreError> {
    if state.uploads.processing(upload_id).await?.is_some() {
        tracing::info!("processed before; not again");
        return Ok(());
    }
    let upload_key = town311::domain::photo::upload_key(upload_id);
    let Some(bytes) = state.photos.get(&upload_key).await? else {
        tracing::info!("the upload is gone (expired or processed)");
        return Ok(());
    };
    let outcome = match process(&bytes) {
        Ok(processed) => keep(state, upload_id, processed).await?,
        Err(rejection) => {
            tracing::info!(reason = rejection.code(), "upload refused");
            Processing::Refused { upload_id: upload_id.to_owned(), reason: rejection.to_string() }
        }
    };
    let keep_until = state.clock.now() + Duration::days(KEEP_OUTCOME_DAYS);
    state.uploads.put_processing(&outcome, keep_until).await?;
    state.photos.delete(&upload_key).await?;
    Ok(())
}

/// Stores the clean photo and its thumbnail.
async fn keep(state: &State, upload_id: &str, processed: Processed) -> Result<Processing, StoreError> {
    let key = format!("photos/{upload_id}/full.{}", processed.full.extension());
    let thumbnail_key = format!("photos/{upload_id}/thumb.{}", processed.thumbnail.extension());
    let photo = Photo {
        id: upload_id.to_owned(),
        key: key.clone(),
        thumbnail_key: thumbnail_key.clone(),
        content_type: processed.full.content_type.to_owned(),
        width: processed.full.width,
        height: processed.full.height,
        hidden: false,
        after: false,
    };
    // Pending until route attaches the photo to the request that names it.
    state.photos.put_pending(&key, processed.full.bytes, processed.full.content_type).await?;
    state
        .photos
        .put_pending(&thumbnail_key, processed.thumbnail.bytes, processed.thumbnail.content_type)
        .await?;
    tracing::info!(width = photo.width, height = photo.height, "photo processed");
    Ok(Processing::Processed { photo, gps: processed.gps })
}

#[cfg(test)]
mod tests {
    use super::*;
    use town311::adapters::memory::{MemoryPhotos, MemoryStore};
    use town311::runtime::clock::SystemClock;

    fn state() -> (State, Arc<MemoryPhotos>, Arc<MemoryStore>) {
        let photos = Arc::new(MemoryPhotos::default());
        let store = Arc::new(MemoryStore::default());
        let state = State { photos: photos.clone(), uploads: store.clone(), clock: Arc::new(SystemClock) };
        (state, photos, store)
    }

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[tokio::test]
    async fn an_upload_becomes_a_clean_photo_and_thumbnail_and_is_deleted() {
        let (state, photos, store) = state();
        let image = crate::sample::photo_like(640, 480, 7);
        let jpeg = crate::sample::jpeg_with_exif(&image, 85, 6, Some((42.28, -71.8))).unwrap();
        photos.put(&town311::domain::photo::upload_key(ID), jpeg, "image/jpeg").await.unwrap();
        process_upload(&state, ID).await.unwrap();
        let stored: Vec<String> = photos.stored().into_iter().map(|(k, _)| k).collect();
        assert_eq!(stored, vec![format!("photos/{ID}/full.jpg"), format!("photos/{ID}/thumb.jpg")]);
        let Some(Processing::Processed { photo, gps }) = store.processing(ID).await.unwrap() else {
            panic!("not processed")
        };
        assert_eq!((photo.width, photo.height), (480, 640), "turned upright");
        assert!(gps.is_some(), "the GPS position is kept as a suggestion, off the photo");
        // A replay of the notification changes nothing.
        process_upload(&state, ID).await.unwrap();
        assert_eq!(photos.stored().len(), 2);
    }

    /// An S3 notification of `keys`, as S3 delivers it (form-encoded keys).
    fn notification(keys: &[&str]) -> String {
        let records: Vec<serde_json::Value> = keys
            .iter()
            .map(|key| {
                serde_json::json!({
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2026-05-04T13:07:09.123Z",
                    "eventName": "ObjectCreated:Post",
                    "userIdentity": {"principalId": "AWS:AROAEXAMPLE"},
                    "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                    "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810"},
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "uploads",
                        "bucket": {"name": "town311-photos", "arn": "arn:aws:s3:::town311-photos"},
                        "object": {"key": key, "size": 1024, "eTag": "d41d8cd98f00b204e9800998ecf8427e"},
                    },
                })
            })
            .collect();
        serde_json::json!({ "Records": records }).to_string()
    }

    #[tokio::test]
    async fn the_upload_notification_arrives_inside_the_sns_event_lambda_invokes_with() {
        let (state, photos, store) = state();
        let image = crate::sample::photo_like(64, 48, 7);
        let jpeg = crate::sample::jpeg_with_exif(&image, 85, 1, None).unwrap();
        photos.put(&town311::domain::photo::upload_key(ID), jpeg, "image/jpeg").await.unwrap();
        let event: SnsEvent = serde_json::from_value(serde_json::json!({"Records": [{
            "EventSource": "aws:sns", "EventVersion": "1.0",
            "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:uploads:2bcfbf39",
            "Sns": {
                "Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "TopicArn": "arn:aws:sns:us-east-1:123456789012:uploads", "Subject": null,
                "Message": notification(&[&format!("uploads/{ID}")]),
                "Timestamp": "2026-05-04T13:07:09.123Z", "SignatureVersion": "1", "Signature": "EXAMPLE",
                "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/cert.pem",
                "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                "MessageAttributes": {}
            }
        }]}))
        .unwrap();
        handle(&state, LambdaEvent::new(event, Default::default())).await.unwrap();
        assert!(matches!(store.processing(ID).await.unwrap(), Some(Processing::Processed { .. })));
    }

    #[test]
    fn reads_the_keys_of_an_s3_notification() {
        let body = notification(&["uploads/abc%2Bd+e"]);
        assert_eq!(object_keys(&body), Some(vec!["uploads/abc+d e".to_owned()]));
        assert_eq!(object_keys(r#"{"Service": "Amazon S3", "Event": "s3:TestEvent"}"#), None);
        assert_eq!(object_keys("not json"), None);
    }

    #[test]
    fn keys_are_form_decoded_and_a_stray_percent_is_kept() {
        let body = notification(&["uploads/a+b%2B%2Bc+%28d%29", "uploads/caf%C3%A9%", "uploads/100%25+%zz"]);
        assert_eq!(
            object_keys(&body),
            Some(vec![
                "uploads/a b++c (d)".to_owned(),
                "uploads/café%".to_owned(),
                "uploads/100% %zz".to_owned()
            ])
        );
        assert_eq!(object_keys(&notification(&[])), Some(vec![]));
    }

    #[test]
    fn a_test_event_is_no_upload() {
        let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-05-04T13:07:09.123Z",
            "Bucket":"town311-photos","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}"#;
        assert_eq!(object_keys(test_event), None);
    }

    #[tokio::test]
    async fn what_is_not_a_photo_is_refused_with_its_reason_and_deleted() {
        let (state, photos, store) = state();
        photos
            .put(&town311::domain::photo::upload_key(ID), b"not a photo at all".to_vec(), "image/jpeg")
            .await
            .unwrap();
        process_upload(&state, ID).await.unwrap();
        assert!(photos.stored().is_empty());
        let Some(Processing::Refused { reason, .. }) = store.processing(ID).await.unwrap() else {
            panic!("not refused")
        };
        assert!(reason.contains("not an image"), "{reason}");
    }
}
