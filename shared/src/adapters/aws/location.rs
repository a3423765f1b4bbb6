//! The town's addresses from an Amazon Location Service place index (template.yaml's
//! `AddressSource=location`), for a town without an address file of its own: suggestions are
//! `SearchPlaceIndexForText` (biased to the town centre), the address under a pin
//! `SearchPlaceIndexForPosition`, one address by id `GetPlace`. Every call is bounded by the
//! function's call timeouts (the SDK configuration it is built from). The index is Amazon's:
//! nothing is loaded into it.
//!
//! Text search is used for suggestions rather than `SearchPlaceIndexForSuggestions`: it gives
//! each place's point in the same call, where suggestions would need a `GetPlace` each.

use crate::domain::address::{AddressPoint, MAX_SUGGESTIONS, NEAREST_WITHIN_M, normalize, search_prefix};
use crate::domain::location::GeoPoint;
use crate::ports::{Addresses, StoreError};
use crate::runtime::config::PlaceIndex;
use async_trait::async_trait;
use aws_sdk_location::Client;
use aws_sdk_location::config::{ConfigBag, RuntimeComponents};
use aws_sdk_location::types::Place;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::endpoint::EndpointPrefix;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextMut;

/// The longest id an address may have: longer place ids could not be sent back as
/// `address_id`, so such a place is given one made from its text instead.
const MAX_ID: usize = 100;

/// A place index, searched for the town's addresses.
#[derive(Clone, Debug)]
pub struct LocationAddresses {
    client: Client,
    index: PlaceIndex,
}

impl LocationAddresses {
    pub fn new(sdk: &aws_config::SdkConfig, index: &PlaceIndex) -> Self {
        let mut config = aws_sdk_location::config::Builder::from(sdk);
        // An endpoint set by hand is an emulator serving every service on one host: requests
        // go to it as they are, without the `places.` host prefix of Amazon's own endpoints.
        if sdk.endpoint_url().is_some() {
            config = config.interceptor(NoHostPrefix);
        }
        Self { client: Client::from_conf(config.build()), index: index.clone() }
    }
}

#[derive(Debug)]
struct NoHostPrefix;

impl Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_serialization(
        &self,
        _context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().unset::<EndpointPrefix>();
        Ok(())
    }
}

/// A place as an address point: the number and street where the index gives them (the label
/// carries the town, state and country too), the unit, and an id `GetPlace` finds it by.
fn address_of(place: &Place, place_id: Option<&str>) -> Option<AddressPoint> {
    let point = match place.geometry()?.point() {
        [long, lat, ..] => GeoPoint::new(*lat, *long).ok()?,
        _ => return None,
    };
    let line = match (place.address_number(), place.street()) {
        (Some(number), Some(street)) => format!("{number} {street}"),
        (None, Some(street)) => street.to_owned(),
        _ => place.label()?.to_owned(),
    };
    let unit = match (place.unit_type(), place.unit_number()) {
        (Some(kind), Some(number)) => Some(format!("{kind} {number}")),
        (None, Some(number)) => Some(number.to_owned()),
        _ => None,
    };
    let id = match place_id.filter(|id| !id.is_empty() && id.chars().count() <= MAX_ID) {
        Some(id) => id.to_owned(),
        None => normalize(&line).replace(' ', "-").chars().take(MAX_ID).collect(),
    };
    AddressPoint::new(&id, &line, unit.as_deref(), point).ok()
}

#[async_trait]
impl Addresses for LocationAddresses {
    async fn search(&self, text: &str, limit: usize) -> Result<Vec<AddressPoint>, StoreError> {
        let limit = limit.min(MAX_SUGGESTIONS);
        if limit == 0 || search_prefix(&normalize(text)).is_none() {
            return Ok(Vec::new());
        }
        let output = self
            .client
            .search_place_index_for_text()
            .index_name(&self.index.name)
            .text(text.trim())
            .max_results(i32::try_from(limit).unwrap_or(1))
            .set_bias_position(self.index.bias.map(|p| vec![p.long(), p.lat()]))
            .send()
            .await
            .map_err(|e| StoreError::unavailable("SearchPlaceIndexForText", e))?;
        let mut found: Vec<AddressPoint> = Vec::new();
        for result in output.results() {
            let Some(address) = result.place().and_then(|p| address_of(p, result.place_id())) else {
                continue;
            };
            if found.len() < limit && !found.iter().any(|f| f.id == address.id) {
                found.push(address);
            }
        }
        Ok(found)
    }

    async fn nearest(&self, point: GeoPoint) -> Result<Option<AddressPoint>, StoreError> {
        let output = self
            .client
            .search_place_index_for_position()
            .index_name(&self.index.name)
            .set_position(Some(vec![point.long(), point.lat()]))
            .max_results(1)
            .send()
            .await
            .map_err(|e| StoreError::unavailable("SearchPlaceIndexForPosition", e))?;
        Ok(output
            .results()
            .iter()
            .filter(|r| r.distance() <= NEAREST_WITHIN_M)
            .find_map(|r| r.place().and_then(|p| address_of(p, r.place_id()))))
    }

    async fn address(&self, id: &str) -> Result<Option<AddressPoint>, StoreError> {
        let result = self.client.get_place().index_name(&self.index.name).place_id(id).send().await;
        match result {
            Ok(output) => Ok(output.place().and_then(|p| address_of(p, Some(id)))),
            // An id the index does not know (one made from an address's text, or a stale one).
            Err(e)
                if e.as_service_error().is_some_and(|se| {
                    se.is_resource_not_found_exception() || se.is_validation_exception()
                }) =>
            {
                Ok(None)
            }
            Err(e) => Err(StoreError::unavailable("GetPlace", e)),
        }
    }

    async fn put_addresses(&self, _addresses: &[AddressPoint]) -> Result<(), StoreError> {
        Err(StoreError::unavailable(
            "loading addresses",
            "the addresses come from an Amazon Location place index (AddressSource=location); nothing is loaded into it",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_location::types::PlaceGeometry;

    fn place(number: Option<&str>, street: Option<&str>, label: &str) -> Place {
        Place::builder()
            .label(label)
            .geometry(PlaceGeometry::builder().set_point(Some(vec![-71.8, 42.265])).build())
            .set_address_number(number.map(str::to_owned))
            .set_street(street.map(str::to_owned))
            .build()
    }

    #[test]
    fn a_place_is_an_address_by_its_number_and_street_with_its_id() {
        let label = "12 Main St, Millbrook, MA, 01600, USA";
        let a = address_of(&place(Some("12"), Some("Main St"), label), Some("AQAAAF")).unwrap();
        assert_eq!((a.id.as_str(), a.address.as_str()), ("AQAAAF", "12 Main St"));
        assert_eq!((a.point.lat(), a.point.long()), (42.265, -71.8), "Location writes [long, lat]");
        let label_only = address_of(&place(None, None, label), None).unwrap();
        assert_eq!(label_only.address, label);
        assert_eq!(label_only.id, "12-main-street-millbrook-ma-01600-usa", "no id: one from the text");
        let long_id = "x".repeat(101);
        assert_eq!(
            address_of(&place(Some("1"), Some("Elm St"), label), Some(&long_id)).unwrap().id,
            "1-elm-street"
        );
    }

    #[test]
    fn a_place_without_a_point_is_no_address() {
        let no_point = Place::builder().label("Somewhere").build();
        assert!(address_of(&no_point, Some("p1")).is_none());
    }
}
