//! Letting a public write through, or not: one take from the client's bucket.

use crate::domain::rate::{Bucket, Route, Throttled};
use crate::ports::RateLimits;
use chrono::{DateTime, Utc};

/// Admits one write by `client` to `route`, at most `most` in a window. When the count cannot
/// be kept (the table is down), the write is let through: a report is never lost to its
/// own bookkeeping.
pub async fn admit(
    limits: &dyn RateLimits,
    route: Route,
    client: &str,
    most: u32,
    now: DateTime<Utc>,
) -> Result<(), Throttled> {
    admit_to(limits, &Bucket::of(route, client, now), route.as_str(), most, now).await
}

/// The code a text held back by the day's budget is kept undeliverable with.
pub const SMS_BUDGET_SPENT: &str = "SmsBudgetSpent";

/// Whether the town may send one more text today, taking it from the day's `budget` (shared by
/// every function that texts). When the count cannot be kept, the text goes: a message is not
/// lost to its bookkeeping.
pub async fn within_sms_budget(limits: &dyn RateLimits, budget: u32, now: DateTime<Utc>) -> bool {
    let bucket = Bucket::daily(Route::Sms, "town", now);
    admit_to(limits, &bucket, Route::Sms.as_str(), budget, now).await.is_ok()
}

/// Takes one write from `bucket` (named `what` in the logs), at most `most` in its window; let
/// through when the count cannot be kept.
pub async fn admit_to(
    limits: &dyn RateLimits,
    bucket: &Bucket,
    what: &str,
    most: u32,
    now: DateTime<Utc>,
) -> Result<(), Throttled> {
    match limits.take(bucket, most).await {
        Ok(true) => Ok(()),
        Ok(false) => {
            tracing::info!(route = what, "rate limit reached");
            Err(Throttled { retry_after: bucket.retry_after(now) })
        }
        Err(error) => {
            tracing::warn!(error = %crate::runtime::chain(&error), "rate limit not counted; let through");
            Ok(())
        }
    }
}
