//! The demo town for unit tests: its catalog and routing rules in a store, its configuration,
//! and a request as a clerk takes it on the phone.

use super::{MemoryStore, lock};

impl MemoryStore {
    /// A store holding the demo catalog the local stack seeds.
    pub async fn with_demo_catalog() -> Self {
        let store = Self::default();
        let seed = crate::domain::catalog::CatalogSeed::parse(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../infra/seed/catalog.json"
        )))
        .unwrap_or_else(|e| panic!("demo catalog: {e}"));
        for d in &seed.departments {
            lock(&store.departments).insert(d.code.clone(), d.clone());
        }
        for s in &seed.services {
            lock(&store.services).insert(s.code.clone(), s.clone());
        }
        *lock(&store.calendar) = seed.calendar.clone();
        store
    }

    /// The demo catalog with the demo routing rules.
    pub async fn with_demo_routing() -> Self {
        let store = Self::with_demo_catalog().await;
        *lock(&store.routing) = Some(crate::domain::routing::demo_rules());
        store
    }
}

/// A configuration for unit tests: the demo town, optionally checking a jurisdiction.
pub fn config(jurisdiction_id: Option<&str>) -> crate::runtime::config::Config {
    crate::runtime::config::Config {
        town_name: "Millbrook".into(),
        timezone: crate::domain::zone::TownZone::named("America/New_York")
            .unwrap_or_else(|e| panic!("the demo town's zone: {e}")),
        jurisdiction_id: jurisdiction_id.map(str::to_owned),
        table_name: "tickets".into(),
        photo_bucket: "photos".into(),
        events_topic_arn: "arn:aws:sns:us-east-1:000000000000:events".into(),
        s3_force_path_style: false,
        api_key_policy: crate::domain::api_key::KeyPolicy::Open,
        web_origin: Some("https://www.millbrook.example".into()),
        form_key: None,
        public_url: Some("https://311.millbrook.example".into()),
        mail_from: Some("311@millbrook.example".into()),
        dead_letter_queue_url: None,
        notify_topic_arn: None,
        sms_countries: crate::domain::contact::SmsCountries::default(),
        client_write_limit: crate::domain::rate::DEFAULT_MOST,
        sms_daily_budget: crate::domain::rate::DEFAULT_SMS_PER_DAY,
        place_index: None,
        inbound: crate::runtime::config::Inbound { triage_department: "CLERK".into(), ..Default::default() },
        contact_secret: crate::domain::privacy::ContactSecret::new(
            crate::domain::privacy::LOCAL_SECRET.as_bytes(),
        )
        .unwrap_or_else(|e| panic!("the local secret: {e}")),
        contact_retention_days: crate::domain::privacy::DEFAULT_RETENTION_DAYS,
    }
}

/// A request as a clerk would take it on the phone: a service and an address, nothing else.
pub fn phone_request(service_code: &str, address: &str) -> crate::domain::ticket::NewRequest {
    crate::domain::ticket::NewRequest {
        service_code: service_code.to_owned(),
        location: crate::domain::location::Location::new(None, Some(address), None)
            .unwrap_or_else(|e| panic!("test address: {e}")),
        description: None,
        answers: crate::domain::catalog::Answers::new(),
        media_urls: Vec::new(),
        reporter: crate::domain::contact::Reporter::default(),
        channel: crate::domain::ticket::Channel::Phone,
        uploads: Vec::new(),
    }
}
