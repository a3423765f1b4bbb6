//! Taking a request in for its service: a service that asks the citizen to call instead,
//! whether the request needs a place, and its answers as the town keeps them.

use crate::domain::answers::AnswerError;
use crate::domain::catalog::{LocationNeed, Service, Stopper};
use crate::domain::location::{Location, LocationError};
use crate::domain::ticket::NewRequest;
use crate::domain::zone::TownZone;

/// Why a service does not take a request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IntakeError {
    /// Stop and call instead: the text is the town's own words, shown as they are.
    #[error("{}", .0.text)]
    Stop(Stopper),
    #[error(transparent)]
    Location(#[from] LocationError),
    #[error(transparent)]
    Answer(AnswerError),
}

impl From<AnswerError> for IntakeError {
    fn from(error: AnswerError) -> Self {
        match error {
            AnswerError::Stop(stop) => Self::Stop(stop),
            other => Self::Answer(other),
        }
    }
}

impl Service {
    /// The request as this service takes it, or why it does not. A place given to a service
    /// that is not about one is dropped (an app may send the phone's position with anything).
    pub fn take_in(&self, mut request: NewRequest, timezone: TownZone) -> Result<NewRequest, IntakeError> {
        if let Some(stop) = &self.stop {
            return Err(IntakeError::Stop(stop.clone()));
        }
        match self.location {
            LocationNeed::Required if request.location.is_empty() => {
                return Err(LocationError::Missing.into());
            }
            LocationNeed::None => request.location = Location::default(),
            LocationNeed::Required | LocationNeed::Optional => {}
        }
        request.answers = self.check_answers(&request.answers, timezone)?;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::ServiceType;
    use crate::domain::contact::Reporter;
    use crate::domain::location::GeoPoint;
    use crate::domain::ticket::Channel;
    fn new_york() -> TownZone {
        TownZone::named("America/New_York").unwrap()
    }

    fn service(location: LocationNeed) -> Service {
        Service {
            code: "CAMP".into(),
            name: "Summer camp question".into(),
            description: String::new(),
            group: "Programs".into(),
            keywords: vec![],
            department: "PARKS".into(),
            kind: ServiceType::Realtime,
            attributes: vec![],
            target: None,
            location,
            private: false,
            stop: None,
        }
    }

    fn request(location: Location) -> NewRequest {
        NewRequest {
            service_code: "CAMP".into(),
            location,
            description: None,
            answers: Default::default(),
            media_urls: vec![],
            reporter: Reporter::default(),
            channel: Channel::Web,
            uploads: vec![],
        }
    }

    fn somewhere() -> Location {
        Location::new(GeoPoint::new(42.26, -71.8).ok(), None, None).unwrap()
    }

    #[test]
    fn a_place_is_needed_only_where_the_service_says_so() {
        let refused = service(LocationNeed::Required).take_in(request(Location::default()), new_york());
        assert_eq!(refused.unwrap_err(), IntakeError::Location(LocationError::Missing));
        let taken = service(LocationNeed::Optional).take_in(request(Location::default()), new_york());
        assert!(taken.unwrap().location.is_empty());
        assert!(
            service(LocationNeed::Optional)
                .take_in(request(somewhere()), new_york())
                .unwrap()
                .location
                .point()
                .is_some()
        );
        let dropped = service(LocationNeed::None).take_in(request(somewhere()), new_york()).unwrap();
        assert!(dropped.location.is_empty(), "a question about a bill is not put on a map");
    }

    #[test]
    fn a_stop_and_call_service_takes_nothing_and_says_why() {
        let mut gas = service(LocationNeed::Required);
        let words = "Smell gas? Leave now and call 911 from outside.";
        gas.stop = Some(Stopper { text: words.into(), phone: Some("911".into()) });
        let refused = gas.take_in(request(somewhere()), new_york()).unwrap_err();
        assert_eq!(refused.to_string(), words);
    }
}
