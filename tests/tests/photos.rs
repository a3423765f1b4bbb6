//! Photos on the local stack, with real image files: uploaded straight to the bucket with a
//! presigned POST (or in a multipart request), processed by the photo function from the
//! bucket's notifications, attached to the ticket by the route function, and served at a
//! stable URL that redirects to a short-lived link; refused uploads are deleted with the reason
//! on the ticket; a hidden photo is no longer served; an upload that fails every try is kept on
//! the dead-letter queue.

use reqwest::Method;
use serde_json::{Value, json};
use town311_tests::{Part, TestStack, fault, multipart, spawn};

const ADMIN: (&str, &[&str]) = ("ada", &["admin"]);

fn gps_jpeg() -> Vec<u8> {
    let image = photo::sample::photo_like(1200, 900, 11);
    photo::sample::jpeg_with_exif(&image, 85, 6, Some((42.2801, -71.8002))).unwrap()
}

fn png() -> Vec<u8> {
    let image = photo::sample::photo_like(300, 200, 3);
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

/// Asks for an upload form and posts `bytes` with it, as a browser would.
async fn upload(stack: &TestStack, content_type: &str, bytes: Vec<u8>) -> (String, u16, String) {
    let form = stack
        .client
        .post(stack.url("/citizen/v1/uploads"))
        .header("content-type", "application/json")
        .body(json!({"content_type": content_type}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 201);
    let form: Value = form.json().await.unwrap();
    let mut post = reqwest::multipart::Form::new();
    for field in form["fields"].as_array().unwrap() {
        post = post
            .text(field["name"].as_str().unwrap().to_owned(), field["value"].as_str().unwrap().to_owned());
    }
    post = post.part("file", reqwest::multipart::Part::bytes(bytes).file_name("photo.jpg"));
    let answer = stack.client.post(form["url"].as_str().unwrap()).multipart(post).send().await.unwrap();
    let status = answer.status().as_u16();
    (form["upload_id"].as_str().unwrap().to_owned(), status, answer.text().await.unwrap_or_default())
}

async fn file_with_upload(stack: &TestStack, upload: &str) -> String {
    let answer = stack
        .post_form(
            "/open311/v2/requests.json",
            &[("service_code", "SIGN"), ("address_string", "1 Main St"), ("upload", upload)],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()[0]["service_request_id"].as_str().unwrap().to_owned()
}

/// Every marker of a JPEG up to the image data.
fn jpeg_markers(bytes: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF {
        let marker = bytes[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
    }
    markers
}

/// The `town311-photo` tag of a stored photo, if it is stored.
async fn photo_tag(stack: &TestStack, key: &str) -> Option<String> {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&stack.stack.sdk).force_path_style(true).build(),
    );
    let tagging =
        s3.get_object_tagging().bucket(&stack.stack.provisioned.bucket).key(key).send().await.ok()?;
    tagging.tag_set().iter().find(|t| t.key() == "town311-photo").map(|t| t.value().to_owned())
}

#[tokio::test]
async fn a_jpeg_with_gps_comes_out_with_no_metadata_and_is_served_until_hidden() {
    let stack = spawn().await;
    let original = gps_jpeg();
    assert!(jpeg_markers(&original).contains(&0xE1), "the original carries EXIF");
    let (upload_id, status, body) = upload(&stack, "image/jpeg", original).await;
    assert!(status == 204 || status == 201, "{status} {body}");
    let id = file_with_upload(&stack, &upload_id).await;
    let view =
        stack.ticket_when(&id, |t| t["ticket"]["photos"].as_array().is_some_and(|p| !p.is_empty())).await;
    let photo = &view["ticket"]["photos"][0];
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(900), Some(1200)),
        "turned upright"
    );

    let record = stack.get(&format!("/open311/v2/requests/{id}.json")).await.json();
    let media_url = record[0]["media_url"].as_str().unwrap().to_owned();
    assert_eq!(media_url, format!("{}/open311/v2/media/{upload_id}", stack.stack.base_url));
    let no_redirects =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let redirect = no_redirects.get(&media_url).send().await.unwrap();
    assert_eq!(redirect.status().as_u16(), 302);
    let served = stack.client.get(&media_url).send().await.unwrap().bytes().await.unwrap().to_vec();
    assert_eq!(&served[..2], b"\xFF\xD8", "a JPEG");
    let markers = jpeg_markers(&served);
    assert!(
        !markers.iter().any(|m| matches!(m, 0xE1..=0xEF | 0xFE)),
        "no APPn or comment segment survives: {markers:02X?}"
    );
    assert!(!served.windows(4).any(|w| w == b"Exif"), "no EXIF anywhere");
    let thumbnail = stack.client.get(format!("{media_url}?size=thumbnail")).send().await.unwrap();
    assert!(thumbnail.bytes().await.unwrap().len() < served.len());
    // Named by a request: kept for good; an upload no request names stays pending, and the
    // bucket's lifecycle removes it after a day.
    assert_eq!(photo_tag(&stack, &format!("photos/{upload_id}/full.jpg")).await.as_deref(), Some("kept"));
    assert_eq!(photo_tag(&stack, &format!("photos/{upload_id}/thumb.jpg")).await.as_deref(), Some("kept"));
    let (unnamed, status, body) = upload(&stack, "image/jpeg", gps_jpeg()).await;
    assert!(status == 204 || status == 201, "{status} {body}");
    let mut tag = None;
    for _ in 0..100 {
        tag = photo_tag(&stack, &format!("photos/{unnamed}/full.jpg")).await;
        if tag.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(tag.as_deref(), Some("pending"));

    // Staff hide it (a face, a licence plate): the public no longer gets it.
    let token = stack.token(ADMIN.0, ADMIN.1).await;
    let action = json!({"action": "hide_photo", "photo": upload_id, "version": view["ticket"]["version"]});
    let hidden = stack
        .staff(Method::POST, &format!("/staff/v1/tickets/{id}/actions"), Some(&token), &[], Some(action))
        .await;
    assert_eq!(hidden.status, 200, "{}", hidden.body);
    assert_eq!(no_redirects.get(&media_url).send().await.unwrap().status().as_u16(), 404);
    let record = stack.get(&format!("/open311/v2/requests/{id}.json")).await.json();
    assert!(record[0]["media_url"].is_null(), "{record}");
}

#[tokio::test]
async fn a_png_named_jpg_is_processed_as_a_png() {
    let stack = spawn().await;
    let body = multipart(&[
        Part::Field("service_code", "SIGN"),
        Part::Field("address_string", "2 Elm St"),
        Part::File { name: "photo1", filename: "holiday.jpg", content_type: "image/jpeg", data: &png() },
    ]);
    let content_type = format!("multipart/form-data; boundary={}", town311_tests::BOUNDARY);
    let answer = stack.post_raw("/open311/v2/requests.json", &content_type, body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let id = answer.json()[0]["service_request_id"].as_str().unwrap().to_owned();
    let view =
        stack.ticket_when(&id, |t| t["ticket"]["photos"].as_array().is_some_and(|p| !p.is_empty())).await;
    assert_eq!(view["ticket"]["photos"][0]["content_type"], "image/png");
    assert!(view["ticket"]["photos"][0]["key"].as_str().unwrap().ends_with("/full.png"));
}

#[tokio::test]
async fn a_text_file_and_a_truncated_jpeg_are_refused_with_the_reason_on_the_ticket() {
    let stack = spawn().await;
    let jpeg = gps_jpeg();
    for (bytes, reason) in [
        (b"Dear town, this is not a photo.".to_vec(), "not an image"),
        (jpeg[..jpeg.len() / 2].to_vec(), "truncated or damaged"),
    ] {
        let (upload_id, status, body) = upload(&stack, "image/jpeg", bytes).await;
        assert!(status == 204 || status == 201, "{status} {body}");
        let id = file_with_upload(&stack, &upload_id).await;
        let view = stack.ticket_when(&id, |t| t["ticket"]["uploads"].is_null()).await;
        assert!(view["ticket"]["photos"].is_null(), "nothing published");
        let refused = view["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["change"]["type"] == "photo_refused")
            .unwrap();
        assert!(refused["change"]["reason"].as_str().unwrap().contains(reason), "{refused}");
        assert_eq!(refused["public"], false);
        assert!(stack.get(&format!("/open311/v2/requests/{id}.json")).await.json()[0]["media_url"].is_null());
    }
}

#[tokio::test]
async fn the_upload_policy_refuses_more_than_ten_megabytes_and_other_content_types() {
    let stack = spawn().await;
    let (_, status, body) = upload(&stack, "image/jpeg", vec![0xFF; 11 * 1024 * 1024]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("EntityTooLarge"), "{body}");
    let refused = stack
        .client
        .post(stack.url("/citizen/v1/uploads"))
        .header("content-type", "application/json")
        .body(r#"{"content_type": "image/svg+xml"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
}

#[tokio::test]
async fn staff_close_with_a_photo_of_the_finished_work_and_the_status_page_shows_it() {
    let stack = spawn().await;
    let (before, status, body) = upload(&stack, "image/png", png()).await;
    assert!(status == 204 || status == 201, "{status} {body}");
    let id = file_with_upload(&stack, &before).await;
    let view =
        stack.ticket_when(&id, |t| t["ticket"]["photos"].as_array().is_some_and(|p| !p.is_empty())).await;

    // The crew's photo goes up as the body itself, then closes the ticket.
    let token = stack.token(ADMIN.0, ADMIN.1).await;
    let sent = stack
        .client
        .post(stack.url("/staff/v1/uploads"))
        .bearer_auth(&token)
        .header("content-type", "image/jpeg")
        .body(gps_jpeg())
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 201);
    let after = sent.json::<Value>().await.unwrap()["upload_id"].as_str().unwrap().to_owned();
    let close = json!({
        "action": "set_status", "status": "closed", "resolution": "fixed",
        "after_photo": after, "version": view["ticket"]["version"],
    });
    let closed = stack
        .staff(Method::POST, &format!("/staff/v1/tickets/{id}/actions"), Some(&token), &[], Some(close))
        .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    stack.ticket_when(&id, |t| t["ticket"]["photos"].as_array().is_some_and(|p| p.len() == 2)).await;

    let record = stack.get(&format!("/open311/v2/requests/{id}.json?extensions=true")).await.json();
    let media = format!("{}/open311/v2/media", stack.stack.base_url);
    let extended = &record[0]["extended_attributes"];
    assert_eq!(extended["photos"], json!([format!("{media}/{before}"), format!("{media}/{after}")]));
    assert_eq!(extended["after_photos"], json!([format!("{media}/{after}")]), "{record}");
    let served = stack.client.get(format!("{media}/{after}")).send().await.unwrap().bytes().await.unwrap();
    assert!(!served.windows(4).any(|w| w == b"Exif"), "processed like any photo");
    let xml = stack.get(&format!("/open311/v2/requests/{id}.xml?extensions=true")).await.body;
    assert!(
        xml.contains(&format!("<after_photos><after_photo>{media}/{after}</after_photo></after_photos>")),
        "{xml}"
    );

    // Only staff who change tickets send one; only a photo is taken.
    let viewer = stack.token("vi", &["viewer"]).await;
    let refused = |token: String, bytes: Vec<u8>| {
        let request = stack.client.post(stack.url("/staff/v1/uploads")).bearer_auth(token).body(bytes);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(refused(viewer, gps_jpeg()).await, 403);
    assert_eq!(refused(token, b"not a photo".to_vec()).await, 400);
}

#[tokio::test]
async fn an_upload_that_fails_every_try_is_recorded_on_the_dead_letter_queue_with_lambdas_record() {
    let stack = spawn().await;
    let table = stack.stack.provisioned.table.clone();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&stack.stack.sdk).force_path_style(true).build(),
    );
    let key = "uploads/0123456789abcdef0123456789abcdef";

    // The table is down for every try: the first invocation and Lambda's two retries (the
    // emulator holds one fault per service: no other test here sets one).
    fault("dynamodb", &table, true).await;
    s3.put_object()
        .bucket(&stack.stack.provisioned.bucket)
        .key(key)
        .body(b"not yet a photo".to_vec().into())
        .send()
        .await
        .unwrap();
    let mut record = None;
    for _ in 0..120 {
        if let Some(letter) = stack.dead_letters().await.into_iter().next() {
            record = Some(letter);
            break;
        }
    }
    fault("dynamodb", &table, false).await;

    let record = record.expect("the upload reached the dead-letter queue");
    assert_eq!(record["requestContext"]["functionArn"], "PhotoFunction", "{record}");
    assert_eq!(record["requestContext"]["condition"], "RetriesExhausted", "{record}");
    assert_eq!(
        record["requestContext"]["approximateInvokeCount"], 3,
        "tried once and retried twice: {record}"
    );
    // S3's notification carries the key form-encoded; the upload id is what it names.
    let message = record["requestPayload"]["Records"][0]["Sns"]["Message"].as_str().unwrap_or_default();
    assert!(message.contains("0123456789abcdef0123456789abcdef"), "the event is kept, to replay: {record}");
}
