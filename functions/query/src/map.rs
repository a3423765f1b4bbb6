//! `GET /citizen/v1/map?bbox=minLong,minLat,maxLong,maxLat`: the public map's requests in a
//! box, as GeoJSON: the open ones and those closed in the last 30 days, each with its number,
//! service and status only (no description, no address, nothing about who reported it). Read
//! from the map index's geohash-5 cells, at most 32 of them, never a scan; at most 500 pins.

use crate::State;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use town311::domain::id::TicketId;
use town311::domain::map::BoundingBox;
use town311::http::{self, ApiError};
use town311::open311::datetime::w3c;

pub const ROUTE: &str = "GET /citizen/v1/map";

#[derive(Serialize)]
struct Properties<'a> {
    id: &'a TicketId,
    service_code: &'a str,
    service_name: &'a str,
    status: &'static str,
    requested_datetime: String,
}

#[derive(Serialize)]
struct Point {
    #[serde(rename = "type")]
    kind: &'static str,
    /// `[long, lat]`, as GeoJSON writes a position.
    coordinates: [f64; 2],
}

#[derive(Serialize)]
struct Feature<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a TicketId,
    geometry: Point,
    properties: Properties<'a>,
}

#[derive(Serialize)]
struct FeatureCollection<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    /// More requests were in view than one answer holds: zoom in to see them all.
    truncated: bool,
    /// Closed requests are shown from this time on.
    closed_since: String,
    features: Vec<Feature<'a>>,
}

pub async fn answer(state: &State, request: &Request) -> Result<Response<Body>, ApiError> {
    let bad = |e: town311::domain::map::BoxError| ApiError::BadRequest(e.to_string());
    let bbox = BoundingBox::parse(http::query_parameter(request, "bbox")).map_err(bad)?;
    let cells = bbox.cells().map_err(bad)?;
    let now = state.clock.now();
    let view = town311::app::map::in_view(state.tickets.as_ref(), &bbox, &cells, now).await?;
    let timezone = state.config.timezone;
    let features = view
        .pins
        .iter()
        .map(|pin| Feature {
            kind: "Feature",
            id: &pin.id,
            geometry: Point { kind: "Point", coordinates: [pin.point.long(), pin.point.lat()] },
            properties: Properties {
                id: &pin.id,
                service_code: &pin.service_code,
                service_name: &pin.service_name,
                status: pin.status.open311(),
                requested_datetime: w3c(pin.requested_at, timezone),
            },
        })
        .collect();
    let collection = FeatureCollection {
        kind: "FeatureCollection",
        truncated: view.truncated,
        closed_since: w3c(town311::domain::map::closed_since(now), timezone),
        features,
    };
    let body = serde_json::to_string(&collection).map_err(|e| ApiError::Internal(Box::new(e)))?;
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = StatusCode::OK;
    for (name, value) in [
        ("content-type", "application/geo+json; charset=utf-8"),
        // A pin a minute late is fine; a map dragged back and forth reads the same boxes again.
        ("cache-control", "public, max-age=60"),
    ] {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use serde_json::Value;
    use std::sync::Arc;
    use town311::adapters::memory::MemoryStore;
    use town311::domain::catalog::Answers;
    use town311::domain::contact::{Reporter, ReporterInput};
    use town311::domain::description::Description;
    use town311::domain::location::{GeoPoint, Location};
    use town311::domain::ticket::{Channel, NewRequest, Ticket};
    use town311::http::apigw::Invocation;
    use town311::ports::{Catalog, TicketStore};

    async fn state() -> (State, Arc<MemoryStore>) {
        let store = Arc::new(MemoryStore::with_demo_catalog().await);
        let clock = Arc::new(town311::runtime::clock::FixedClock::at(
            Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap(),
        ));
        let state = State {
            config: town311::adapters::memory::config(None),
            tickets: store.clone(),
            catalog: store.clone(),
            uploads: store.clone(),
            banners: store.clone(),
            templates: store.clone(),
            links: Arc::new(town311::adapters::memory::MemoryPhotos::default()),
            addresses: store.clone(),
            stats: store.clone(),
            directory: Arc::new(town311::adapters::memory::MemoryDirectory::of(&[])),
            clock,
        };
        (state, store)
    }

    async fn file(store: &MemoryStore, id: &str, service: &str, lat: f64, long: f64) -> Ticket {
        let service = store.service(service).await.unwrap().unwrap();
        let reporter = Reporter::parse(ReporterInput {
            first_name: Some("Ana"),
            email: Some("ana@example.org"),
            phone: Some("5551234567"),
            ..Default::default()
        })
        .unwrap();
        let request = NewRequest {
            service_code: service.code.clone(),
            location: Location::new(Some(GeoPoint::new(lat, long).unwrap()), Some("12 Elm St"), None)
                .unwrap(),
            description: Description::parse("Deep crater by Ana's house").unwrap(),
            answers: Answers::new(),
            media_urls: vec![],
            reporter,
            channel: Channel::Web,
            uploads: vec![],
        };
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 14, 30, 0).unwrap();
        let (ticket, entry) = Ticket::open(TicketId::parse(id).unwrap(), &service, request, at);
        store.create(&ticket, &entry, None, None).await.unwrap();
        ticket
    }

    async fn call(state: &State, query: &str) -> (u16, Response<Body>, String) {
        let request = Invocation::new("GET", ROUTE, "/citizen/v1/map").query(query).into_request().unwrap();
        let response = crate::handle(state, request).await.unwrap();
        let body = std::str::from_utf8(response.body().as_ref()).unwrap().to_owned();
        (response.status().as_u16(), response, body)
    }

    #[tokio::test]
    async fn the_map_holds_the_public_requests_in_the_box_and_nothing_personal() {
        let (state, store) = state().await;
        file(&store, "K7QM-3XPR", "POTHOLE", 42.35, -72.52).await;
        file(&store, "K7QM-3XPS", "POTHOLE", 42.45, -72.52).await;
        file(&store, "K7QM-3XPT", "HOUSING", 42.35, -72.52).await;
        let (status, response, body) = call(&state, "bbox=-72.56,42.33,-72.49,42.39").await;
        assert_eq!(status, 200, "{body}");
        let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(header("content-type"), "application/geo+json; charset=utf-8");
        assert_eq!(header("cache-control"), "public, max-age=60");
        let map: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(map["type"], "FeatureCollection");
        assert_eq!(map["truncated"], false);
        let features = map["features"].as_array().unwrap();
        assert_eq!(features.len(), 1, "{body}");
        assert_eq!(features[0]["id"], "K7QM-3XPR");
        assert_eq!(features[0]["geometry"]["coordinates"], serde_json::json!([-72.52, 42.35]));
        let properties = features[0]["properties"].as_object().unwrap();
        let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["id", "requested_datetime", "service_code", "service_name", "status"]);
        assert_eq!(properties["status"], "open");
        for personal in ["Ana", "ana@", "555", "Elm", "crater"] {
            assert!(!body.contains(personal), "{personal} in {body}");
        }
    }

    #[tokio::test]
    async fn a_bad_or_wide_bbox_is_refused_naming_it() {
        let (state, _) = state().await;
        for query in ["", "bbox=1,2,3", "bbox=-72.5,42.3,-72.6,42.4", "bbox=-80,30,-60,50"] {
            let (status, _, body) = call(&state, query).await;
            assert_eq!(status, 400, "{query}: {body}");
            let errors: Value = serde_json::from_str(&body).unwrap();
            let description = errors[0]["description"].as_str().unwrap_or_default();
            assert!(description.starts_with("bbox "), "{query}: {body}");
        }
    }
}
