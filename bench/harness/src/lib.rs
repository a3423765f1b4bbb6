//! The `make bench` harness: cold starts of the release binaries against a local Lambda Runtime
//! API, warm handler latency with in-memory adapters, and the DynamoDB calls and request units
//! each operation costs against the emulator. Harness code: it fails loudly, never silently.

pub mod meter;
pub mod stack;

/// Median and 99th percentile (nearest rank) of a sample, in the sample's unit.
pub fn percentiles(samples: &[f64]) -> serde_json::Value {
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let rank = |p: f64| {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let index = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
    };
    serde_json::json!({
        "n": sorted.len(),
        "median": rank(0.5),
        "p99": rank(0.99),
        "min": sorted.first().copied().unwrap_or(f64::NAN),
        "max": sorted.last().copied().unwrap_or(f64::NAN),
    })
}

/// Ends the harness with a message naming what went wrong.
/// The value after `name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

pub fn fail(what: impl std::fmt::Display) -> ! {
    eprintln!("bench: {what}");
    std::process::exit(1)
}

/// The representative requests, as API Gateway (HTTP API, payload 2.0) hands them over.
pub mod requests {
    use town311::http::apigw::Invocation;

    /// A resident reports a pothole with an email for updates (the citizen form's POST).
    pub const POTHOLE_FORM: &str = "service_code=POTHOLE&lat=42.2801&long=-71.8001&attribute%5BSIZE%5D=large\
        &description=Deep+hole+by+the+school&email=resident%40example.org&first_name=Ana";

    pub fn submit() -> Invocation {
        Invocation::new("POST", "POST /open311/v2/requests.json", "/open311/v2/requests.json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(POTHOLE_FORM)
    }

    /// The same report at the n-th of a row of places 550 m apart, so that each has no open
    /// request of its service nearby (as most reports in a town do not).
    pub fn submit_elsewhere(n: usize) -> Invocation {
        let lat = format!("lat={:.4}", 42.2001 + 0.005 * n as f64);
        Invocation::new("POST", "POST /open311/v2/requests.json", "/open311/v2/requests.json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(POTHOLE_FORM.replace("lat=42.2801", &lat))
    }

    /// The catalog, as every Open311 client asks for it first.
    pub fn services() -> Invocation {
        Invocation::new("GET", "GET /open311/v2/{document}", "/open311/v2/services.json")
            .path_parameter("document", "services.json")
    }

    /// A lookup: one request's public record (the status page, an Open311 client).
    pub fn lookup(id: &str) -> Invocation {
        let document = format!("{id}.json");
        Invocation::new(
            "GET",
            "GET /open311/v2/requests/{document}",
            &format!("/open311/v2/requests/{document}"),
        )
        .path_parameter("document", &document)
    }

    /// An Open311 client's listing of the newest requests with their public history.
    pub fn listing_with_extensions(page_size: usize) -> Invocation {
        Invocation::new("GET", "GET /open311/v2/{document}", "/open311/v2/requests.json")
            .path_parameter("document", "requests.json")
            .query(&format!("extensions=true&page_size={page_size}"))
    }

    /// A clerk of the department changes a ticket's status, naming the version seen.
    pub fn status_change(id: &str, version: u64, status: &str) -> Invocation {
        let path = format!("/staff/v1/tickets/{id}/actions");
        Invocation::new("POST", "POST /staff/v1/tickets/{id}/actions", &path)
            .path_parameter("id", id)
            .header("content-type", "application/json")
            .header("if-match", &format!("\"{version}\""))
            .claims(&[("username", "bo"), ("cognito:groups", "[dept-DPW]")])
            .body(serde_json::json!({"action": "set_status", "status": status}).to_string())
    }

    /// A neighbour follows an open request instead of filing it again: one neighbour per
    /// request, as one contact may start only a few follows a day.
    pub fn follow(id: &str) -> Invocation {
        let path = format!("/citizen/v1/requests/{id}/follow");
        let email = format!("neighbour-{}@example.org", id.to_ascii_lowercase());
        Invocation::new("POST", "POST /citizen/v1/requests/{id}/follow", &path)
            .path_parameter("id", id)
            .header("content-type", "application/json")
            .body(serde_json::json!({"email": email, "notify_by": "email"}).to_string())
    }

    /// The citizen form page.
    pub fn form_page() -> Invocation {
        Invocation::new("GET", "GET /", "/")
    }
}

/// A stream batch of INSERT records, as Lambda's DynamoDB event source hands it over.
pub fn stream_batch(images: &[serde_json::Value]) -> serde_json::Value {
    let records: Vec<_> = images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            serde_json::json!({
                "eventID": format!("bench-{i}"), "eventName": "INSERT", "eventVersion": "1.1",
                "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
                "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]}, "NewImage": image,
                             "SequenceNumber": format!("{}", 1000 + i), "SizeBytes": 512,
                             "StreamViewType": "NEW_AND_OLD_IMAGES"},
                "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/bench-tickets/stream/2026"
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// The SNS event Lambda invokes notify with, for each raw ticket event (SNS hands one an
/// invocation; several stand for as many invocations).
pub fn sns_event(bodies: &[String]) -> serde_json::Value {
    let records: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            serde_json::json!({
                "EventSource": "aws:sns", "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:000000000000:bench-events:bench",
                "Sns": {
                    "Type": "Notification", "MessageId": format!("bench-{i}"),
                    "TopicArn": "arn:aws:sns:us-east-1:000000000000:bench-events", "Subject": null,
                    "Message": body, "Timestamp": "2026-09-21T12:00:00.000Z", "SignatureVersion": "1",
                    "Signature": "", "SigningCertUrl": "", "UnsubscribeUrl": "",
                    "MessageAttributes": {"notify": {"Type": "String", "Value": "true"}}
                }
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// An item read raw from the table, as a stream image (DynamoDB JSON).
pub async fn raw_image(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: &str,
    sk: &str,
) -> serde_json::Value {
    use aws_sdk_dynamodb::types::AttributeValue;
    let item = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk.to_owned()))
        .key("sk", AttributeValue::S(sk.to_owned()))
        .send()
        .await
        .unwrap_or_else(|e| fail(format!("GetItem {pk}/{sk}: {}", town311::runtime::chain(&e))))
        .item
        .unwrap_or_else(|| fail(format!("no item {pk}/{sk}")));
    let item: serde_dynamo::Item = item.into();
    serde_json::to_value(&item).unwrap_or_else(|e| fail(e))
}
