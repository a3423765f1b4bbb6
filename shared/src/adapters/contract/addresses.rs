//! The town's address points: found by the start of their line or street, the nearest within
//! reach, one by id, and many loaded at once. Each check writes addresses on a street of its
//! own and at a place on Earth of its own.

use super::Ports;
use super::fixtures::{fresh_hex, ok};
use crate::domain::address::{AddressPoint, MAX_SUGGESTIONS};
use crate::domain::location::GeoPoint;

/// A street name no other check uses.
fn fresh_street() -> String {
    format!("Q{} Street", &fresh_hex()[..10])
}

/// A place no other check uses, away from the poles and the date line.
fn fresh_place() -> GeoPoint {
    let hex = fresh_hex();
    let share = |digits: &str| f64::from(u32::from_str_radix(digits, 16).unwrap_or(0)) / f64::from(u32::MAX);
    let point = GeoPoint::new(-60.0 + 120.0 * share(&hex[..8]), -170.0 + 340.0 * share(&hex[8..16]));
    ok(point, "a fresh place")
}

/// `from` moved `north` and `east` metres.
fn moved(from: GeoPoint, north: f64, east: f64) -> GeoPoint {
    let lat = from.lat() + north / 111_195.0;
    let long = from.long() + east / (111_195.0 * from.lat().to_radians().cos());
    ok(GeoPoint::new(lat, long), "a moved point")
}

fn address(line: &str, unit: Option<&str>, point: GeoPoint) -> AddressPoint {
    ok(AddressPoint::new(&fresh_hex(), line, unit, point), "an address")
}

fn ids(found: &[AddressPoint]) -> Vec<&str> {
    found.iter().map(|a| a.id.as_str()).collect()
}

pub async fn addresses_are_found_by_the_start_of_their_line_or_street(ports: &Ports) {
    let store = &ports.addresses;
    let (street, place) = (fresh_street(), fresh_place());
    let twelve = address(&format!("12 {street}"), None, place);
    let hundred_twenty = address(&format!("120 {street}"), None, moved(place, 10.0, 0.0));
    let fourteen = address(&format!("14 {street}"), Some("Apt 2"), moved(place, 20.0, 0.0));
    let all = [twelve.clone(), hundred_twenty.clone(), fourteen.clone()];
    ok(store.put_addresses(&all).await, "put_addresses");

    let typed = format!("12 {} st", street.trim_end_matches(" Street").to_lowercase());
    let found = ok(store.search(&typed, MAX_SUGGESTIONS).await, "search");
    assert_eq!(found, vec![twelve.clone()], "the abbreviation finds the street, and 120 is not 12");
    let shouted = format!("12  {}.", street.to_uppercase());
    assert_eq!(ok(store.search(&shouted, 5).await, "search"), vec![twelve.clone()]);
    // By the street alone, in the order of the street-first text: 12, 120, then the unit.
    let found = ok(store.search(&street, MAX_SUGGESTIONS).await, "search");
    assert_eq!(ids(&found), ids(&all), "{found:?}");
    assert_eq!(ids(&ok(store.search(&street, 2).await, "search")), ids(&all[..2]));
    assert!(ok(store.search("12", MAX_SUGGESTIONS).await, "search").is_empty(), "too short");
    assert!(ok(store.search(&format!("13 {street}"), 5).await, "search").is_empty());

    assert_eq!(ok(store.address(&fourteen.id).await, "address"), Some(fourteen.clone()));
    assert_eq!(ok(store.address(&fresh_hex()).await, "address"), None);
    // Loading an address again replaces it.
    let moved_twelve = AddressPoint { point: moved(place, 0.0, 5.0), ..twelve.clone() };
    ok(store.put_addresses(std::slice::from_ref(&moved_twelve)).await, "put_addresses");
    assert_eq!(ok(store.address(&twelve.id).await, "address"), Some(moved_twelve.clone()));
    assert_eq!(ok(store.search(&typed, 5).await, "search"), vec![moved_twelve]);
}

pub async fn the_nearest_address_is_the_closest_within_reach(ports: &Ports) {
    let store = &ports.addresses;
    let (street, place) = (fresh_street(), fresh_place());
    let near = address(&format!("1 {street}"), None, moved(place, 20.0, 0.0));
    let east = address(&format!("3 {street}"), None, moved(place, 0.0, 60.0));
    let far = address(&format!("5 {street}"), None, moved(place, 0.0, 400.0));
    ok(store.put_addresses(&[near.clone(), east.clone(), far.clone()]).await, "put_addresses");

    assert_eq!(ok(store.nearest(place).await, "nearest"), Some(near.clone()));
    assert_eq!(ok(store.nearest(moved(place, 0.0, 55.0)).await, "nearest"), Some(east));
    assert_eq!(ok(store.nearest(moved(place, 0.0, 330.0)).await, "nearest"), Some(far));
    // 300 m south of everything: nothing within reach.
    assert_eq!(ok(store.nearest(moved(place, -300.0, 0.0)).await, "nearest"), None);
}

pub async fn many_addresses_load_at_once(ports: &Ports) {
    let store = &ports.addresses;
    let (street, place) = (fresh_street(), fresh_place());
    let many: Vec<AddressPoint> = (1..=60)
        .map(|n| address(&format!("{n} {street}"), None, moved(place, f64::from(n) * 15.0, 0.0)))
        .collect();
    ok(store.put_addresses(&many).await, "put_addresses");
    for a in &many {
        assert_eq!(ok(store.address(&a.id).await, "address").as_ref(), Some(a));
    }
    let found = ok(store.search(&street, 50).await, "search");
    assert_eq!(found.len(), MAX_SUGGESTIONS, "a search lists a bounded few");
    assert_eq!(ok(store.nearest(moved(place, 450.0, 0.0)).await, "nearest"), Some(many[29].clone()));
}
