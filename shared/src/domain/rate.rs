//! How often one client may write through a public route: at most a set number of writes in
//! each ten-minute window (a bucket that fills up again whole when its window ends), counted
//! per client and route. A person filing reports never meets it; a script flooding a route
//! meets it after a handful, and each refused write costs the town one small conditional
//! write. Clients with an API key are counted by the key's policy instead, not here.

use chrono::{DateTime, Utc};

/// The public routes that write, each counted on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /open311/v2/requests.{fmt}` without an API key.
    Submit,
    /// `POST /citizen/v1/uploads`.
    Upload,
    /// `POST /citizen/v1/requests/{id}/follow`.
    Follow,
    /// `POST /citizen/v1/requests/{id}/reopen`.
    Reopen,
    /// Attempts at reopening one request, whoever makes them (counted by request, not
    /// client): guessing the reporter's contact from many addresses gets a few tries, not a
    /// stream of them.
    ReopenRequest,
    /// `POST /citizen/v1/unsubscribe`.
    Unsubscribe,
    /// `POST /citizen/v1/requests/{id}/forget`.
    Forget,
    /// The text messages the town sends in a day, to everyone together.
    Sms,
    /// The follows one contact starts in a day, across tickets.
    FollowsOfContact,
    /// `POST /citizen/v1/follow/confirm`.
    ConfirmFollow,
    /// The emails and texts one sender (by contact key) sends the town in a day.
    InboundOfContact,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Upload => "upload",
            Self::Follow => "follow",
            Self::Reopen => "reopen",
            Self::ReopenRequest => "reopen-request",
            Self::Unsubscribe => "unsubscribe",
            Self::Forget => "forget",
            Self::Sms => "sms",
            Self::FollowsOfContact => "follows-of-contact",
            Self::ConfirmFollow => "confirm-follow",
            Self::InboundOfContact => "inbound-of-contact",
        }
    }
}

/// The emails and texts one sender may send the town in a day: a conversation's worth, not a
/// flood (the rest are dropped, unread).
pub const INBOUND_PER_CONTACT_PER_DAY: u32 = 30;

/// The length of a window, in seconds.
pub const WINDOW_SECONDS: i64 = 600;

/// The writes a client may make to one route in one window, unless the town sets otherwise.
pub const DEFAULT_MOST: u32 = 20;

/// Reopen attempts one request takes in a window, from everyone: its reporter needs one.
pub const REOPEN_ATTEMPTS_PER_REQUEST: u32 = 5;

/// One client's bucket on one route, for the window an instant falls in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Route, the client's hash (an address is personal data: it is never stored) and window.
    pub key: String,
    /// When the window ends and the bucket is full again.
    pub ends: DateTime<Utc>,
}

/// The length of a day's window (UTC days), in seconds.
pub const DAY_SECONDS: i64 = 86_400;

/// The text messages the town sends in a day, unless it sets otherwise.
pub const DEFAULT_SMS_PER_DAY: u32 = 100;

impl Bucket {
    /// `client`'s bucket on `route` for the ten-minute window `now` falls in.
    pub fn of(route: Route, client: &str, now: DateTime<Utc>) -> Self {
        Self::within(route, client, now, WINDOW_SECONDS)
    }

    /// The bucket for the UTC day `now` falls in.
    pub fn daily(route: Route, client: &str, now: DateTime<Utc>) -> Self {
        Self::within(route, client, now, DAY_SECONDS)
    }

    fn within(route: Route, client: &str, now: DateTime<Utc>, window: i64) -> Self {
        let start = now.timestamp().div_euclid(window) * window;
        let ends = DateTime::from_timestamp(start + window, 0).unwrap_or(now);
        let client = crate::domain::api_key::hash(&format!("client\u{0}{client}"));
        Self { key: format!("{}#{client}#{start}", route.as_str()), ends }
    }

    /// The follows started for one contact (by its key: never the address) in the UTC day
    /// `now` falls in, across tickets.
    pub fn follows_of(contact_key: &str, now: DateTime<Utc>) -> Self {
        Self::daily(Route::FollowsOfContact, contact_key, now)
    }

    /// Whole seconds until the bucket is full again (at least one).
    pub fn retry_after(&self, now: DateTime<Utc>) -> u64 {
        u64::try_from((self.ends - now).num_seconds()).unwrap_or(0).max(1)
    }
}

/// A write refused because its client's bucket is empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("too many requests from this client; try again in {retry_after} seconds")]
pub struct Throttled {
    pub retry_after: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_bucket_lasts_one_window_per_client_and_route() {
        let at = |m: u32, s: u32| Utc.with_ymd_and_hms(2026, 11, 30, 12, m, s).unwrap();
        let first = Bucket::of(Route::Follow, "203.0.113.7", at(0, 1));
        assert_eq!(first, Bucket::of(Route::Follow, "203.0.113.7", at(9, 59)));
        assert_eq!(first.ends, at(10, 0));
        assert_eq!(first.retry_after(at(9, 59)), 1);
        assert_eq!(first.retry_after(at(0, 1)), 599);
        assert_ne!(first.key, Bucket::of(Route::Follow, "203.0.113.7", at(10, 0)).key, "a new window");
        assert_ne!(first.key, Bucket::of(Route::Reopen, "203.0.113.7", at(0, 1)).key, "another route");
        assert_ne!(first.key, Bucket::of(Route::Follow, "203.0.113.8", at(0, 1)).key, "another client");
        assert!(!first.key.contains("203.0.113"), "the address is not stored: {}", first.key);
        let day = Bucket::daily(Route::Sms, "town", at(0, 1));
        assert_eq!(
            day,
            Bucket::daily(Route::Sms, "town", Utc.with_ymd_and_hms(2026, 11, 30, 23, 59, 59).unwrap())
        );
        assert_eq!(day.ends, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
    }

    #[test]
    fn a_contacts_follows_are_counted_per_utc_day() {
        let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
        let day = Bucket::follows_of("ab12", at(30, 0));
        assert_eq!(day, Bucket::follows_of("ab12", at(30, 23)));
        assert_eq!(day.ends, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_ne!(day.key, Bucket::follows_of("ab12", at(29, 23)).key, "another day");
        assert_ne!(day.key, Bucket::follows_of("cd34", at(30, 1)).key, "another contact");
        assert_ne!(day.key, Bucket::of(Route::Follow, "ab12", at(30, 0)).key, "not a client's bucket");
    }
}
