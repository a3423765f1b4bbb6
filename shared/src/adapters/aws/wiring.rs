//! The one wiring of the AWS adapters: every function's `State`, the local stack and the tests
//! take the ports they need from [`Adapters`], so an adapter is built the same way everywhere.
//!
//! Each method is named after the `State` field it fills, so a function's wiring is the list
//! of what it needs: `town311::wire!(aws, Self { tickets, catalog, clock })`.

use super::{
    AwsMessenger, DynamoTable, LocationAddresses, S3Links, S3Photos, SdkConfig, SnsEvents, SnsWork, SqsQueue,
};
use crate::adapters::cached_catalog::CachedCatalog;
use crate::domain::id::{IdSource, OsRandom};
use crate::ports::{
    Addresses, ApiKeys, Banners, Catalog, DeadLetters, Deliveries, EventPublisher, Messenger, Outbox,
    PhotoLinks, PhotoStore, Privacy, RateLimits, Templates, TicketStore, Uploads, WorkQueue,
};
use crate::runtime::clock::{Clock, SystemClock};
use crate::runtime::config::Config;
use std::sync::Arc;

/// The adapters of one function instance, built from the SDK configuration and town311's own.
///
/// Only the table is built up front (every function reads it, and a DynamoDB client does no I/O
/// until called); the other clients are built when a function asks for them, so a cold start
/// builds only what its function uses.
#[derive(Clone)]
pub struct Adapters {
    sdk: SdkConfig,
    config: Config,
    table: Arc<DynamoTable>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
}

impl Adapters {
    /// The production wiring: the town's table, the system clock and the OS random source.
    pub fn new(sdk: &SdkConfig, config: &Config) -> Self {
        // Items holding a contact are keyed by the town's contact secret, in every function.
        crate::domain::privacy::install(&config.contact_secret);
        Self {
            sdk: sdk.clone(),
            config: config.clone(),
            table: Arc::new(DynamoTable::new(sdk, config)),
            clock: Arc::new(SystemClock),
            ids: Arc::new(OsRandom),
        }
    }

    /// A function's wiring, from what Lambda and template.yaml put in its environment
    /// ([`Config::from_env`], [`super::function_sdk_config`] bounded by the function's `timeout`).
    pub fn from_env(timeout: std::time::Duration) -> Result<Self, crate::runtime::config::ConfigError> {
        let config = Config::from_env()?;
        Ok(Self::new(&super::function_sdk_config(timeout)?, &config))
    }

    /// The same adapters telling `clock`'s time, so the local stack and tests can set the date.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.table = Arc::new(DynamoTable::clone(&self.table).with_clock(clock.clone()));
        self.clock = clock;
        self
    }

    pub fn config(&self) -> Config {
        self.config.clone()
    }

    /// The table itself, for what no port covers (seeding, administration).
    pub fn table(&self) -> Arc<DynamoTable> {
        self.table.clone()
    }

    /// Opens the table's connection in the background ([`DynamoTable::connect_ahead`]), for a
    /// function that starts no catalog load to do it.
    pub fn connect_ahead(&self) {
        self.table.connect_ahead();
    }

    pub fn tickets(&self) -> Arc<dyn TicketStore> {
        self.table.clone()
    }

    /// A new catalog cache over the table, already loading. Each call is a new cache, as each
    /// function instance in Lambda has its own: the local stack's functions do not share one.
    pub fn catalog(&self) -> Arc<dyn Catalog> {
        CachedCatalog::prefetched(self.table.clone())
    }

    /// The catalog read from the table at each use, for the function admins edit it through:
    /// an edit is seen at once.
    pub fn uncached_catalog(&self) -> Arc<dyn Catalog> {
        self.table.clone()
    }

    pub fn banners(&self) -> Arc<dyn Banners> {
        self.table.clone()
    }

    pub fn templates(&self) -> Arc<dyn Templates> {
        self.table.clone()
    }

    pub fn stats(&self) -> Arc<dyn crate::ports::Stats> {
        self.table.clone()
    }

    pub fn keys(&self) -> Arc<dyn ApiKeys> {
        self.table.clone()
    }

    pub fn uploads(&self) -> Arc<dyn Uploads> {
        self.table.clone()
    }

    pub fn deliveries(&self) -> Arc<dyn Deliveries> {
        self.table.clone()
    }

    pub fn privacy(&self) -> Arc<dyn Privacy> {
        self.table.clone()
    }

    pub fn rates(&self) -> Arc<dyn RateLimits> {
        self.table.clone()
    }

    /// The town's addresses: its own address points in the table, or an Amazon Location place
    /// index where the configuration names one (`ADDRESS_SOURCE=location`).
    pub fn addresses(&self) -> Arc<dyn Addresses> {
        match &self.config.place_index {
            Some(index) => Arc::new(LocationAddresses::new(&self.sdk, index)),
            None => self.table.clone(),
        }
    }

    /// The staff directory: the user pool `STAFF_USER_POOL_ID` names (template.yaml sets it on
    /// the query function), or no one where none is named.
    pub fn directory(&self) -> Arc<dyn crate::ports::StaffDirectory> {
        match std::env::var(super::directory::POOL_VARIABLE).ok().filter(|p| !p.trim().is_empty()) {
            Some(pool) => Arc::new(super::directory::CognitoDirectory::new(&self.sdk, pool.trim())),
            None => Arc::new(super::directory::NoDirectory),
        }
    }

    pub fn outbox(&self) -> Arc<dyn Outbox> {
        self.table.clone()
    }

    pub fn photos(&self) -> Arc<dyn PhotoStore> {
        Arc::new(S3Photos::new(&self.sdk, &self.config))
    }

    pub fn links(&self) -> Arc<dyn PhotoLinks> {
        Arc::new(S3Links::new(&self.sdk, &self.config))
    }

    /// The SNS topic ticket events go to.
    pub fn events(&self) -> Arc<dyn EventPublisher> {
        Arc::new(SnsEvents::new(&self.sdk, &self.config))
    }

    /// SMS through SNS, email through SES.
    pub fn messenger(&self) -> Arc<dyn Messenger> {
        Arc::new(AwsMessenger::new(&self.sdk, &self.config))
    }

    /// The dead-letter queue, where the configuration names one.
    pub fn dead_letters(&self) -> Option<Arc<dyn DeadLetters>> {
        let url = self.config.dead_letter_queue_url.as_deref()?;
        Some(Arc::new(SqsQueue::new(&self.sdk, url)))
    }

    /// Notify's own topic, where the rest of a large fan-out is left, where the configuration
    /// names one.
    pub fn work(&self) -> Option<Arc<dyn WorkQueue>> {
        let arn = self.config.notify_topic_arn.as_deref()?;
        Some(Arc::new(SnsWork::new(&self.sdk, arn)))
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn ids(&self) -> Arc<dyn IdSource> {
        self.ids.clone()
    }
}

/// Builds a `State` from [`Adapters`], each field from the method of the same name:
/// `wire!(aws, Self { tickets, clock })` is `Self { tickets: aws.tickets(), clock: aws.clock() }`.
#[macro_export]
macro_rules! wire {
    ($aws:expr, $state:ident { $($field:ident),* $(,)? }) => {
        $state { $($field: $aws.$field()),* }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::clock::FixedClock;
    use chrono::{TimeZone, Utc};

    fn sdk() -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build()
    }

    #[test]
    fn a_clock_handed_in_is_the_one_every_state_gets() {
        let noon = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
        let adapters = Adapters::new(&sdk(), &crate::adapters::memory::config(None))
            .with_clock(Arc::new(FixedClock::at(noon)));
        assert_eq!(adapters.clock().now(), noon);
        assert_eq!(adapters.clone().clock().now(), noon);
    }

    #[test]
    fn the_queues_are_there_only_where_the_configuration_names_them() {
        let mut config = crate::adapters::memory::config(None);
        config.dead_letter_queue_url = None;
        config.notify_topic_arn = None;
        let adapters = Adapters::new(&sdk(), &config);
        assert!(adapters.dead_letters().is_none() && adapters.work().is_none());
        config.dead_letter_queue_url = Some("http://127.0.0.1:9/queue/dead".into());
        config.notify_topic_arn = Some("arn:aws:sns:us-east-1:000000000000:notify-work".into());
        let adapters = Adapters::new(&sdk(), &config);
        assert!(adapters.dead_letters().is_some() && adapters.work().is_some());
    }
}
