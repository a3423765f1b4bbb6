//! In-memory adapters of the ports, for unit tests of handlers (feature `test-util`).

use crate::catalog::{Department, Service};
use crate::events::TicketEvent;
use crate::id::TicketId;
use crate::ports::{Catalog, EventPublisher, StoreError, TicketStore};
use crate::ticket::{HistoryEntry, Ticket};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Tickets, history and catalog in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tickets: Mutex<BTreeMap<TicketId, Ticket>>,
    history: Mutex<Vec<HistoryEntry>>,
    services: Mutex<BTreeMap<String, Service>>,
    departments: Mutex<BTreeMap<String, Department>>,
    /// When set, every call fails as if the backing service were down.
    pub down: Mutex<bool>,
}

impl MemoryStore {
    pub fn history(&self) -> Vec<HistoryEntry> {
        lock(&self.history).clone()
    }

    fn check_up(&self) -> Result<(), StoreError> {
        if *lock(&self.down) { Err(StoreError::unavailable("memory", "store is down")) } else { Ok(()) }
    }
}

#[async_trait]
impl TicketStore for MemoryStore {
    async fn create(&self, ticket: &Ticket, entry: &HistoryEntry) -> Result<(), StoreError> {
        self.check_up()?;
        let mut tickets = lock(&self.tickets);
        if tickets.contains_key(&ticket.id) {
            return Err(StoreError::IdTaken);
        }
        tickets.insert(ticket.id.clone(), ticket.clone());
        lock(&self.history).push(entry.clone());
        Ok(())
    }

    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.tickets).get(id).cloned())
    }
}

#[async_trait]
impl Catalog for MemoryStore {
    async fn services(&self) -> Result<Vec<Service>, StoreError> {
        self.check_up()?;
        let mut services: Vec<Service> = lock(&self.services).values().cloned().collect();
        services.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
        Ok(services)
    }

    async fn service(&self, code: &str) -> Result<Option<Service>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.services).get(code).cloned())
    }

    async fn department(&self, code: &str) -> Result<Option<Department>, StoreError> {
        self.check_up()?;
        Ok(lock(&self.departments).get(code).cloned())
    }

    async fn put_service(&self, service: &Service) -> Result<(), StoreError> {
        lock(&self.services).insert(service.code.clone(), service.clone());
        Ok(())
    }

    async fn put_department(&self, department: &Department) -> Result<(), StoreError> {
        lock(&self.departments).insert(department.code.clone(), department.clone());
        Ok(())
    }
}

/// Remembers what was published; can be made to fail.
#[derive(Debug, Default)]
pub struct RecordingPublisher {
    events: Mutex<Vec<TicketEvent>>,
    pub down: Mutex<bool>,
}

impl RecordingPublisher {
    pub fn events(&self) -> Vec<TicketEvent> {
        lock(&self.events).clone()
    }
}

#[async_trait]
impl EventPublisher for RecordingPublisher {
    async fn publish(&self, event: &TicketEvent) -> Result<(), StoreError> {
        if *lock(&self.down) {
            return Err(StoreError::unavailable("Publish", "topic is down"));
        }
        lock(&self.events).push(event.clone());
        Ok(())
    }
}

impl MemoryStore {
    /// A store holding the demo catalog the local stack seeds.
    pub async fn with_demo_catalog() -> Self {
        let store = Self::default();
        let seed = crate::catalog::CatalogSeed::parse(include_str!("../../infra/seed/catalog.json"))
            .unwrap_or_else(|e| panic!("demo catalog: {e}"));
        for d in &seed.departments {
            lock(&store.departments).insert(d.code.clone(), d.clone());
        }
        for s in &seed.services {
            lock(&store.services).insert(s.code.clone(), s.clone());
        }
        store
    }
}

/// A configuration for unit tests: the demo town, optionally checking a jurisdiction.
pub fn config(jurisdiction_id: Option<&str>) -> crate::config::Config {
    crate::config::Config {
        town_name: "Millbrook".into(),
        timezone: chrono_tz::America::New_York,
        jurisdiction_id: jurisdiction_id.map(str::to_owned),
        table_name: "tickets".into(),
        photo_bucket: "photos".into(),
        events_topic_arn: "arn:aws:sns:us-east-1:000000000000:events".into(),
        s3_force_path_style: false,
    }
}
