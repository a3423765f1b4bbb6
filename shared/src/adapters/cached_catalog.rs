//! The town's reference data (services, departments, business calendar) kept in memory for the
//! life of a function instance, for at most `max_age`, so a lookup or a submission reads only
//! its own items. A cold start loads it in the background while the function asks the Runtime
//! API for its first event: the connection to DynamoDB (and, in AWS, its TLS handshake) is made
//! then, not on the first request.
//!
//! Routing rules are not kept: they are read at each use, so an admin's edit counts at once and
//! the versioned `GET /staff/v1/routing` never shows an old version. An edit of a service, a
//! department or the calendar made through this instance counts at once here and within
//! `max_age` everywhere else.

use crate::domain::catalog::{Department, Service};
use crate::domain::routing::RoutingRules;
use crate::domain::sla::BusinessCalendar;
use crate::ports::{Catalog, StoreError};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a loaded catalog is used before it is read again.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Services, departments and the calendar as one read saw them.
#[derive(Debug)]
struct Snapshot {
    services: Vec<Service>,
    departments: Vec<Department>,
    calendar: Option<BusinessCalendar>,
    loaded_at: Instant,
}

/// A [`Catalog`] that keeps the reference data of another one in memory.
pub struct CachedCatalog {
    store: Arc<dyn Catalog>,
    max_age: Duration,
    current: Mutex<Option<Arc<Snapshot>>>,
    /// Held while a load runs, so concurrent requests wait for it instead of loading again.
    loading: tokio::sync::Mutex<()>,
}

impl CachedCatalog {
    pub fn new(store: Arc<dyn Catalog>, max_age: Duration) -> Arc<Self> {
        Arc::new(Self { store, max_age, current: Mutex::new(None), loading: tokio::sync::Mutex::new(()) })
    }

    /// The production wiring: kept for [`MAX_AGE`], loading from now on.
    pub fn prefetched(store: Arc<dyn Catalog>) -> Arc<Self> {
        let cache = Self::new(store, MAX_AGE);
        cache.prefetch();
        cache
    }

    /// Starts loading in the background, if a Tokio runtime is running; a failed load is logged
    /// and left to the first request that needs the catalog.
    pub fn prefetch(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let cache = Arc::clone(self);
        runtime.spawn(async move {
            if let Err(error) = cache.snapshot().await {
                tracing::warn!(error = %error, "catalog prefetch failed; the first request loads it");
            }
        });
    }

    fn fresh(&self) -> Option<Arc<Snapshot>> {
        let current = self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        current.as_ref().filter(|s| s.loaded_at.elapsed() < self.max_age).cloned()
    }

    fn forget(&self) {
        *self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    async fn snapshot(&self) -> Result<Arc<Snapshot>, StoreError> {
        if let Some(snapshot) = self.fresh() {
            return Ok(snapshot);
        }
        let _loading = self.loading.lock().await;
        if let Some(snapshot) = self.fresh() {
            return Ok(snapshot);
        }
        let reference = self.store.reference().await?;
        let snapshot = Arc::new(Snapshot {
            services: reference.services,
            departments: reference.departments,
            calendar: reference.calendar,
            loaded_at: Instant::now(),
        });
        *self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Arc::clone(&snapshot));
        Ok(snapshot)
    }
}

#[async_trait]
impl Catalog for CachedCatalog {
    async fn services(&self) -> Result<Vec<Service>, StoreError> {
        Ok(self.snapshot().await?.services.clone())
    }

    async fn service(&self, code: &str) -> Result<Option<Service>, StoreError> {
        Ok(self.snapshot().await?.services.iter().find(|s| s.code == code).cloned())
    }

    async fn department(&self, code: &str) -> Result<Option<Department>, StoreError> {
        Ok(self.snapshot().await?.departments.iter().find(|d| d.code == code).cloned())
    }

    async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        Ok(self.snapshot().await?.departments.clone())
    }

    async fn put_service(&self, service: &Service) -> Result<(), StoreError> {
        self.store.put_service(service).await?;
        self.forget();
        Ok(())
    }

    async fn put_department(&self, department: &Department) -> Result<(), StoreError> {
        self.store.put_department(department).await?;
        self.forget();
        Ok(())
    }

    async fn calendar(&self) -> Result<Option<BusinessCalendar>, StoreError> {
        Ok(self.snapshot().await?.calendar.clone())
    }

    async fn put_calendar(&self, calendar: &BusinessCalendar) -> Result<(), StoreError> {
        self.store.put_calendar(calendar).await?;
        self.forget();
        Ok(())
    }

    async fn routing(&self) -> Result<Option<RoutingRules>, StoreError> {
        self.store.routing().await
    }

    async fn put_routing(&self, rules: &RoutingRules) -> Result<(), StoreError> {
        self.store.put_routing(rules).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryStore;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts the reads that reach the store under the cache.
    struct Counting {
        store: MemoryStore,
        reads: AtomicUsize,
    }

    impl Counting {
        fn reads(&self) -> usize {
            self.reads.load(Ordering::SeqCst)
        }
    }

    #[async_trait]
    impl Catalog for Counting {
        async fn services(&self) -> Result<Vec<Service>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.store.services().await
        }
        async fn service(&self, code: &str) -> Result<Option<Service>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.store.service(code).await
        }
        async fn department(&self, code: &str) -> Result<Option<Department>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.store.department(code).await
        }
        async fn departments(&self) -> Result<Vec<Department>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.store.departments().await
        }
        async fn put_service(&self, service: &Service) -> Result<(), StoreError> {
            self.store.put_service(service).await
        }
        async fn put_department(&self, department: &Department) -> Result<(), StoreError> {
            self.store.put_department(department).await
        }
        async fn calendar(&self) -> Result<Option<BusinessCalendar>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.store.calendar().await
        }
        async fn put_calendar(&self, calendar: &BusinessCalendar) -> Result<(), StoreError> {
            self.store.put_calendar(calendar).await
        }
        async fn routing(&self) -> Result<Option<RoutingRules>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.store.routing().await
        }
        async fn put_routing(&self, rules: &RoutingRules) -> Result<(), StoreError> {
            self.store.put_routing(rules).await
        }
    }

    async fn seeded() -> Arc<Counting> {
        let store = MemoryStore::with_demo_catalog().await;
        Arc::new(Counting { store, reads: AtomicUsize::new(0) })
    }

    #[tokio::test]
    async fn one_load_serves_every_read_until_it_is_too_old() {
        let store = seeded().await;
        let cache = CachedCatalog::new(store.clone(), MAX_AGE);
        let services = cache.services().await.unwrap();
        assert!(!services.is_empty());
        let loaded = store.reads();
        assert_eq!(loaded, 3, "services, departments and the calendar, once");
        let code = services[0].code.clone();
        assert_eq!(cache.service(&code).await.unwrap().map(|s| s.code), Some(code.clone()));
        assert!(cache.service("no-such-service").await.unwrap().is_none());
        let department = services[0].department.clone();
        assert_eq!(cache.department(&department).await.unwrap().map(|d| d.code), Some(department));
        assert!(cache.calendar().await.unwrap().is_some());
        assert_eq!(store.reads(), loaded, "no read reached the store");

        let stale = CachedCatalog::new(store.clone(), Duration::ZERO);
        stale.services().await.unwrap();
        stale.services().await.unwrap();
        assert_eq!(store.reads(), loaded + 6, "a catalog older than max_age is read again");
    }

    #[tokio::test]
    async fn an_edit_through_the_cache_counts_at_once_and_routing_is_never_kept() {
        let store = seeded().await;
        let cache = CachedCatalog::new(store.clone(), MAX_AGE);
        let mut department = cache.departments().await.unwrap().remove(0);
        department.name = "Renamed Works".to_owned();
        cache.put_department(&department).await.unwrap();
        let seen = cache.department(&department.code).await.unwrap().unwrap();
        assert_eq!(seen.name, "Renamed Works");

        let before = store.reads();
        cache.routing().await.unwrap();
        cache.routing().await.unwrap();
        assert_eq!(store.reads(), before + 2, "routing rules are read at each use");
    }

    #[tokio::test]
    async fn a_prefetch_and_a_request_load_once_between_them() {
        let store = seeded().await;
        let cache = CachedCatalog::new(store.clone(), MAX_AGE);
        cache.prefetch();
        let (a, b) = tokio::join!(cache.services(), cache.departments());
        assert!(!a.unwrap().is_empty() && !b.unwrap().is_empty());
        tokio::task::yield_now().await;
        assert_eq!(store.reads(), 3);
    }
}
