//! The storage ports' contract, as checks any adapter must pass (feature `test-util`): the
//! in-memory store runs them in this crate's tests, the DynamoDB table against the emulator.
//!
//! Every check draws fresh ticket numbers, codes and keys, so the checks can share one store
//! with each other and with other tests; the few singletons (calendar, routing rules) are
//! read first and written on top of what is there.

mod addresses;
mod consent;
pub mod directory;
mod fixtures;
mod keeping;
mod listings;
mod tickets;

use crate::ports::{
    Addresses, ApiKeys, Banners, Catalog, Deliveries, Outbox, RateLimits, Templates, TicketStore, Uploads,
};
use crate::runtime::clock::FixedClock;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The ports of one store under test, and the clock it judges expiry by.
#[derive(Clone)]
pub struct Ports {
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
    pub deliveries: Arc<dyn Deliveries>,
    pub outbox: Arc<dyn Outbox>,
    pub keys: Arc<dyn ApiKeys>,
    pub uploads: Arc<dyn Uploads>,
    pub rates: Arc<dyn RateLimits>,
    pub banners: Arc<dyn Banners>,
    pub templates: Arc<dyn Templates>,
    pub addresses: Arc<dyn Addresses>,
    pub stats: Arc<dyn crate::ports::Stats>,
    /// The clock the store was built with; checks of expiry move it.
    pub clock: Arc<FixedClock>,
}

impl Ports {
    /// Every port of `store`, which must judge expiry by `clock`.
    pub fn of<S>(store: S, clock: Arc<FixedClock>) -> Self
    where
        S: TicketStore
            + Catalog
            + Deliveries
            + Outbox
            + ApiKeys
            + Uploads
            + RateLimits
            + Banners
            + Templates
            + Addresses
            + crate::ports::Stats
            + 'static,
    {
        let store = Arc::new(store);
        Self {
            tickets: store.clone(),
            catalog: store.clone(),
            deliveries: store.clone(),
            outbox: store.clone(),
            keys: store.clone(),
            rates: store.clone(),
            banners: store.clone(),
            templates: store.clone(),
            addresses: store.clone(),
            stats: store.clone(),
            uploads: store,
            clock,
        }
    }
}

/// A check's run over borrowed ports.
pub type Running<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
/// One check of the contract: it panics where the store breaks it.
pub type Check = fn(&Ports) -> Running<'_>;

macro_rules! checks {
    ($($module:ident::$name:ident),* $(,)?) => {
        /// Every check, by name.
        pub const CHECKS: &[(&str, Check)] = &[$((stringify!($name), {
            fn check(ports: &Ports) -> Running<'_> {
                Box::pin($module::$name(ports))
            }
            check
        })),*];
    };
}

checks![
    tickets::a_ticket_is_read_back_as_created,
    tickets::a_taken_number_writes_nothing,
    tickets::a_ticket_routed_as_it_is_created_is_written_with_both_entries,
    tickets::an_upload_joins_one_request,
    tickets::an_idempotency_key_replays_until_it_expires,
    tickets::changes_apply_over_the_version_seen_all_or_nothing,
    listings::listings_run_newest_first_within_their_window,
    listings::public_updates_run_newest_first_within_their_window,
    listings::queues_page_through_their_index,
    listings::cells_hold_the_open_tickets_of_their_service,
    listings::map_cells_hold_the_open_and_recently_closed_public_requests,
    listings::reindexing_writes_a_ticket_again_only_at_its_version,
    listings::a_private_request_stays_out_of_every_public_read,
    listings::followers_page_in_contact_key_order,
    consent::a_pending_follower_is_confirmed_once_and_never_demoted,
    consent::a_pending_follow_never_confirmed_in_time_is_replaced,
    consent::a_confirmation_link_works_once_until_its_time,
    consent::a_fix_check_link_stands_for_its_ticket_until_its_time,
    keeping::a_published_event_is_remembered,
    keeping::a_delivery_is_claimed_once,
    keeping::an_unsubscribe_link_lives_until_its_time,
    keeping::a_text_thread_leads_to_the_last_ticket_until_its_time,
    keeping::the_towns_figures_count_each_change_once_by_day,
    keeping::the_catalog_keeps_services_departments_and_the_calendar,
    keeping::routing_rules_change_one_version_at_a_time,
    keeping::the_banner_is_set_replaced_and_taken_down,
    keeping::canned_responses_change_one_version_at_a_time,
    keeping::api_keys_are_kept_newest_first_with_their_last_use,
    keeping::uploads_keep_what_processing_came_to,
    keeping::a_rate_bucket_holds_its_most_then_refuses,
    addresses::addresses_are_found_by_the_start_of_their_line_or_street,
    addresses::the_nearest_address_is_the_closest_within_reach,
    addresses::many_addresses_load_at_once,
];

/// Runs every check, each to its end, one after the other (some move the clock); panics
/// naming those that failed. Returns how many ran.
pub async fn run(ports: &Ports) -> usize {
    let mut failed = Vec::new();
    for (name, check) in CHECKS {
        let (ports, check) = (ports.clone(), *check);
        if tokio::spawn(async move { check(&ports).await }).await.is_err() {
            failed.push(*name);
        }
    }
    assert!(failed.is_empty(), "the store breaks the port contract: {failed:?}");
    CHECKS.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryStore;

    #[tokio::test]
    async fn the_memory_store_keeps_the_contract() {
        let clock = Arc::new(FixedClock::at(chrono::Utc::now()));
        let store = MemoryStore::default().with_clock(clock.clone());
        assert_eq!(run(&Ports::of(store, clock)).await, CHECKS.len());
    }
}
