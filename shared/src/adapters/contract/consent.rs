//! Follows that wait for their contact's consent: pending and confirmed followers, and the
//! single-use links that confirm them.

use super::Ports;
use super::fixtures::{fresh_hex, fresh_id, minutes, now, ok};
use crate::domain::contact::{Email, Language};
use crate::domain::follower::{CONFIRM_WITHIN_HOURS, Contact, Follower};
use chrono::Duration;

fn contact() -> Contact {
    Contact::Email(ok(Email::parse(&format!("{}@example.org", fresh_hex())), "an email"))
}

pub async fn a_pending_follower_is_confirmed_once_and_never_demoted(ports: &Ports) {
    let (store, clock) = (&ports.tickets, &ports.clock);
    let (ticket, base) = (fresh_id(), now());
    clock.set(base);
    let pending = Follower::pending(&ticket, contact(), Language::En, base);
    let key = pending.contact.key();
    ok(store.follow(&pending).await, "follow");
    assert_eq!(ok(store.follower(&ticket, &key).await, "follower"), Some(pending.clone()));
    assert_eq!(ok(store.follower(&ticket, &fresh_hex()).await, "follower"), None);
    assert_eq!(
        ok(store.followers(&ticket).await, "followers"),
        vec![pending.clone()],
        "pending ones are listed"
    );

    // Following again while pending changes the language only: the follow keeps its time.
    let again = Follower { language: Language::Es, since: base + minutes(5), ..pending.clone() };
    ok(store.follow(&again).await, "follow");
    let kept = ok(store.follower(&ticket, &key).await, "follower");
    assert_eq!(kept, Some(Follower { language: Language::Es, ..pending.clone() }));

    assert!(ok(store.confirm_follower(&ticket, &key).await, "confirm_follower"));
    let confirmed = Follower { language: Language::Es, confirmed: true, ..pending.clone() };
    assert_eq!(ok(store.follower(&ticket, &key).await, "follower"), Some(confirmed.clone()));
    assert!(
        !ok(store.confirm_follower(&ticket, &fresh_hex()).await, "confirm_follower"),
        "nobody to confirm"
    );

    // A pending follow of a confirmed follower, even long after, leaves it confirmed.
    clock.set(base + Duration::hours(CONFIRM_WITHIN_HOURS + 1));
    let later = Follower::pending(&ticket, pending.contact.clone(), Language::En, clock_now(ports));
    ok(store.follow(&later).await, "follow");
    let kept = ok(store.follower(&ticket, &key).await, "follower");
    assert_eq!(kept, Some(Follower { language: Language::En, ..confirmed }));
    let page = ok(store.followers_page(&ticket, None, 10).await, "followers_page");
    assert!(page.followers.iter().all(|f| f.confirmed));
    clock.set(base);
}

fn clock_now(ports: &Ports) -> chrono::DateTime<chrono::Utc> {
    crate::runtime::clock::Clock::now(ports.clock.as_ref())
}

pub async fn a_pending_follow_never_confirmed_in_time_is_replaced(ports: &Ports) {
    let (store, clock) = (&ports.tickets, &ports.clock);
    let (ticket, base) = (fresh_id(), now());
    clock.set(base);
    let first = Follower::pending(&ticket, contact(), Language::En, base);
    let key = first.contact.key();
    ok(store.follow(&first).await, "follow");
    clock.set(base + Duration::hours(CONFIRM_WITHIN_HOURS) - Duration::seconds(5));
    let early = Follower { since: clock_now(ports), ..first.clone() };
    ok(store.follow(&early).await, "follow");
    assert_eq!(ok(store.follower(&ticket, &key).await, "follower").map(|f| f.since), Some(first.since));
    clock.set(base + Duration::hours(CONFIRM_WITHIN_HOURS) + Duration::seconds(5));
    let fresh = Follower { since: clock_now(ports), language: Language::Es, ..first.clone() };
    ok(store.follow(&fresh).await, "follow");
    assert_eq!(
        ok(store.follower(&ticket, &key).await, "follower"),
        Some(fresh),
        "a new follow, to confirm anew"
    );
    clock.set(base);
}

pub async fn a_confirmation_link_works_once_until_its_time(ports: &Ports) {
    let (deliveries, clock) = (&ports.deliveries, &ports.clock);
    let (token, ticket, key, base) = (fresh_hex(), fresh_id(), fresh_hex(), now());
    clock.set(base);
    let until = base + minutes(60);
    ok(deliveries.issue_confirmation(&token, &ticket, &key, until).await, "issue_confirmation");
    let target = Some((ticket.clone(), key.clone()));
    // Reading it, however often, changes nothing.
    assert_eq!(ok(deliveries.confirmation_target(&token).await, "confirmation_target"), target);
    assert_eq!(ok(deliveries.confirmation_target(&token).await, "confirmation_target"), target);
    assert_eq!(
        ok(deliveries.unsubscribe_target(&token).await, "unsubscribe_target"),
        None,
        "not an unsubscribe link"
    );
    assert_eq!(ok(deliveries.confirmation_target(&fresh_hex()).await, "confirmation_target"), None);
    assert_eq!(ok(deliveries.redeem_confirmation(&fresh_hex()).await, "redeem_confirmation"), None);
    assert_eq!(ok(deliveries.redeem_confirmation(&token).await, "redeem_confirmation"), target);
    assert_eq!(ok(deliveries.redeem_confirmation(&token).await, "redeem_confirmation"), None, "used once");
    assert_eq!(ok(deliveries.confirmation_target(&token).await, "confirmation_target"), None);

    let expiring = fresh_hex();
    ok(deliveries.issue_confirmation(&expiring, &ticket, &key, until).await, "issue_confirmation");
    clock.set(until);
    assert_eq!(ok(deliveries.confirmation_target(&expiring).await, "confirmation_target"), None, "expired");
    assert_eq!(ok(deliveries.redeem_confirmation(&expiring).await, "redeem_confirmation"), None, "expired");
    clock.set(base);
}

pub async fn a_fix_check_link_stands_for_its_ticket_until_its_time(ports: &Ports) {
    let (deliveries, clock) = (&ports.deliveries, &ports.clock);
    let (token, ticket, key, base) = (fresh_hex(), fresh_id(), fresh_hex(), now());
    clock.set(base);
    let until = base + minutes(60);
    ok(deliveries.issue_fix_check(&token, &ticket, &key, until).await, "issue_fix_check");
    let target = Some((ticket.clone(), key.clone()));
    assert_eq!(ok(deliveries.fix_check_target(&token).await, "fix_check_target"), target);
    assert_eq!(ok(deliveries.fix_check_target(&token).await, "fix_check_target"), target, "read, not used");
    assert_eq!(ok(deliveries.fix_check_target(&fresh_hex()).await, "fix_check_target"), None, "forged");
    assert_eq!(
        ok(deliveries.confirmation_target(&token).await, "confirmation_target"),
        None,
        "not a confirmation link"
    );
    clock.set(until);
    assert_eq!(ok(deliveries.fix_check_target(&token).await, "fix_check_target"), None, "expired");
    clock.set(base);
}
