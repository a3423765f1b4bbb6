//! What the store keeps besides tickets: published marks, delivery claims, mutes, unsubscribe
//! links, the catalog and routing rules, API keys, and what photo processing came to.

use super::Ports;
use super::fixtures::{fresh_code, fresh_hex, fresh_id, minutes, now, ok, service};
use crate::domain::api_key::ApiKey;
use crate::domain::catalog::Department;
use crate::domain::id::{IdSource, OsRandom};
use crate::domain::photo::{Photo, Processing};
use crate::domain::routing::RoutingRules;
use crate::domain::sla::BusinessCalendar;
use crate::ports::StoreError;
use chrono::{Duration, NaiveTime};

pub async fn a_published_event_is_remembered(ports: &Ports) {
    let (event, other) = (fresh_hex(), fresh_hex());
    assert!(!ok(ports.outbox.was_published(&event).await, "was_published"));
    ok(ports.outbox.mark_published(&event, now() + Duration::days(2)).await, "mark_published");
    assert!(ok(ports.outbox.was_published(&event).await, "was_published"));
    assert!(!ok(ports.outbox.was_published(&other).await, "was_published"));
}

pub async fn a_delivery_is_claimed_once(ports: &Ports) {
    let deliveries = &ports.deliveries;
    let keep_until = now() + Duration::days(2);
    let delivery = fresh_hex();
    assert!(ok(deliveries.claim(&delivery, keep_until).await, "claim"));
    assert!(!ok(deliveries.claim(&delivery, keep_until).await, "claim"), "claimed before");
    ok(deliveries.release(&delivery).await, "release");
    assert!(ok(deliveries.claim(&delivery, keep_until).await, "claim"), "released for a retry");

    let refused = fresh_hex();
    assert!(ok(deliveries.claim(&refused, keep_until).await, "claim"));
    ok(deliveries.mark_undeliverable(&refused, "InvalidParameter", keep_until).await, "mark_undeliverable");
    assert!(!ok(deliveries.claim(&refused, keep_until).await, "claim"), "an undeliverable stays claimed");
    let unclaimed = fresh_hex();
    ok(deliveries.mark_undeliverable(&unclaimed, "InvalidParameter", keep_until).await, "mark_undeliverable");
    assert!(!ok(deliveries.claim(&unclaimed, keep_until).await, "claim"));
}

pub async fn an_unsubscribe_link_lives_until_its_time(ports: &Ports) {
    let (deliveries, clock) = (&ports.deliveries, &ports.clock);
    let (token, ticket, key, base) = (fresh_hex(), fresh_id(), fresh_hex(), now());
    clock.set(base);
    ok(deliveries.issue_unsubscribe(&token, &ticket, &key, base + minutes(60)).await, "issue_unsubscribe");
    let target = Some((ticket, key));
    assert_eq!(ok(deliveries.unsubscribe_target(&token).await, "unsubscribe_target"), target);
    assert_eq!(ok(deliveries.unsubscribe_target(&fresh_hex()).await, "unsubscribe_target"), None);
    clock.set(base + minutes(60) - Duration::seconds(1));
    assert_eq!(ok(deliveries.unsubscribe_target(&token).await, "unsubscribe_target"), target);
    clock.set(base + minutes(60));
    assert_eq!(
        ok(deliveries.unsubscribe_target(&token).await, "unsubscribe_target"),
        None,
        "expired at its time"
    );
    clock.set(base + minutes(120));
    assert_eq!(ok(deliveries.unsubscribe_target(&token).await, "unsubscribe_target"), None);
    clock.set(base);
}

pub async fn a_text_thread_leads_to_the_last_ticket_until_its_time(ports: &Ports) {
    let (deliveries, clock) = (&ports.deliveries, &ports.clock);
    let (key, first, second, base) = (fresh_hex(), fresh_id(), fresh_id(), now());
    clock.set(base);
    assert_eq!(ok(deliveries.thread(&key).await, "thread"), None);
    ok(deliveries.remember_thread(&key, &first, base + minutes(60)).await, "remember_thread");
    assert_eq!(ok(deliveries.thread(&key).await, "thread"), Some(first));
    ok(deliveries.remember_thread(&key, &second, base + minutes(60)).await, "remember_thread");
    assert_eq!(ok(deliveries.thread(&key).await, "thread"), Some(second.clone()), "the last ticket to text");
    assert_eq!(ok(deliveries.thread(&fresh_hex()).await, "thread"), None);
    clock.set(base + minutes(60));
    assert_eq!(ok(deliveries.thread(&key).await, "thread"), None, "over at its time");
    clock.set(base);
}

pub async fn the_catalog_keeps_services_departments_and_the_calendar(ports: &Ports) {
    let catalog = &ports.catalog;
    let code = fresh_code("DEPT");
    let department = Department {
        code: code.clone(),
        name: "Contract Works".to_owned(),
        phone: "555-0100".to_owned(),
        email: "works@example.org".to_owned(),
    };
    ok(catalog.put_department(&department).await, "put_department");
    assert_eq!(ok(catalog.department(&code).await, "department"), Some(department.clone()));
    assert_eq!(ok(catalog.department(&fresh_code("DEPT")).await, "department"), None);
    let departments = ok(catalog.departments().await, "departments");
    assert!(departments.contains(&department));
    assert!(departments.windows(2).all(|w| w[0].code < w[1].code), "by code");

    let group = fresh_code("Group");
    let (mut first, mut second) = (service(&fresh_code("SVC"), &code), service(&fresh_code("SVC"), &code));
    (first.group, first.name) = (group.clone(), "B".to_owned());
    (second.group, second.name) = (group.clone(), "A".to_owned());
    ok(catalog.put_service(&first).await, "put_service");
    ok(catalog.put_service(&second).await, "put_service");
    assert_eq!(ok(catalog.service(&first.code).await, "service"), Some(first.clone()));
    assert_eq!(ok(catalog.service(&fresh_code("SVC")).await, "service"), None);
    first.name = "C".to_owned();
    ok(catalog.put_service(&first).await, "put_service");
    assert_eq!(ok(catalog.service(&first.code).await, "service"), Some(first.clone()), "replaced");
    let services = ok(catalog.services().await, "services");
    assert!(
        services.windows(2).all(|w| (&w[0].group, &w[0].name) <= (&w[1].group, &w[1].name)),
        "by group, name"
    );
    let ours: Vec<_> = services.iter().filter(|s| s.group == group).cloned().collect();
    assert_eq!(ours, vec![second, first]);

    let before = ok(catalog.calendar().await, "calendar");
    let calendar = BusinessCalendar {
        opens: NaiveTime::from_hms_opt(7, 30, 0).unwrap_or_default(),
        closes: NaiveTime::from_hms_opt(15, 45, 0).unwrap_or_default(),
        workdays: vec![chrono::Weekday::Tue, chrono::Weekday::Thu],
        holidays: [now().date_naive()].into(),
    };
    ok(catalog.put_calendar(&calendar).await, "put_calendar");
    assert_eq!(ok(catalog.calendar().await, "calendar"), Some(calendar.clone()));
    let reference = ok(catalog.reference().await, "reference");
    assert_eq!(reference.services, ok(catalog.services().await, "services"));
    assert_eq!(reference.departments, ok(catalog.departments().await, "departments"));
    assert_eq!(reference.calendar, Some(calendar));
    if let Some(before) = before {
        ok(catalog.put_calendar(&before).await, "put_calendar");
    }
}

pub async fn routing_rules_change_one_version_at_a_time(ports: &Ports) {
    let catalog = &ports.catalog;
    let stored = ok(catalog.routing().await, "routing");
    let version = stored.as_ref().map_or(0, |r| r.version);
    let rules = |version, by: &str| RoutingRules {
        version,
        updated_at: Some(now()),
        updated_by: Some(by.to_owned()),
        duplicate_radius_m: 35,
        ..RoutingRules::default()
    };
    let skipping = rules(version + 2, &fresh_code("skipper"));
    assert!(matches!(catalog.put_routing(&skipping).await, Err(StoreError::Conflict)));
    assert_eq!(ok(catalog.routing().await, "routing"), stored);
    let next = rules(version + 1, &fresh_code("writer"));
    ok(catalog.put_routing(&next).await, "put_routing");
    assert_eq!(ok(catalog.routing().await, "routing"), Some(next.clone()));
    // Another writer who also saw the version before is refused.
    let racing = rules(version + 1, &fresh_code("racer"));
    assert!(matches!(catalog.put_routing(&racing).await, Err(StoreError::Conflict)));
    assert_eq!(ok(catalog.routing().await, "routing"), Some(next));
}

pub async fn api_keys_are_kept_newest_first_with_their_last_use(ports: &Ports) {
    let keys = &ports.keys;
    let base = now();
    let issue = |name: &str, at| {
        let mut random = [0u8; 32];
        ok(OsRandom.fill(&mut random), "drawing a key");
        ApiKey::issue(name, random, at).1
    };
    let (older, mut newer) = (issue("Older app", base - minutes(2)), issue("Newer app", base - minutes(1)));
    ok(keys.put_key(&older).await, "put_key");
    ok(keys.put_key(&newer).await, "put_key");
    assert_eq!(ok(keys.key(&older.hash).await, "key"), Some(older.clone()));
    assert_eq!(ok(keys.key(&fresh_hex()).await, "key"), None);
    let listed = ok(keys.keys().await, "keys");
    assert!(listed.windows(2).all(|w| w[0].created_at >= w[1].created_at), "newest first");
    let ours: Vec<_> = listed.into_iter().filter(|k| k.hash == older.hash || k.hash == newer.hash).collect();
    assert_eq!(ours, vec![newer.clone(), older.clone()]);

    ok(keys.record_use(&newer.hash, base).await, "record_use");
    newer.last_used_at = Some(base);
    assert_eq!(ok(keys.key(&newer.hash).await, "key"), Some(newer.clone()));
    newer.revoked_at = Some(base);
    ok(keys.put_key(&newer).await, "put_key");
    assert_eq!(ok(keys.key(&newer.hash).await, "key"), Some(newer), "revoked, and still kept");
    let unknown = fresh_hex();
    let _ = keys.record_use(&unknown, base).await;
    assert_eq!(ok(keys.key(&unknown).await, "key"), None, "using an unknown key makes none");
}

pub async fn uploads_keep_what_processing_came_to(ports: &Ports) {
    let uploads = &ports.uploads;
    let (upload, keep_until) = (fresh_hex(), now() + Duration::days(2));
    assert_eq!(ok(uploads.processing(&upload).await, "processing"), None);
    let refused = Processing::Refused { upload_id: upload.clone(), reason: "not an image".to_owned() };
    ok(uploads.put_processing(&refused, keep_until).await, "put_processing");
    assert_eq!(ok(uploads.processing(&upload).await, "processing"), Some(refused));
    let processed = Processing::Processed {
        photo: Photo {
            id: upload.clone(),
            key: format!("photos/{upload}.jpg"),
            thumbnail_key: format!("photos/{upload}-thumb.jpg"),
            content_type: "image/jpeg".to_owned(),
            width: 1200,
            height: 800,
            hidden: false,
            after: false,
        },
        gps: Some((42.25, -72.5)),
    };
    ok(uploads.put_processing(&processed, keep_until).await, "put_processing");
    assert_eq!(ok(uploads.processing(&upload).await, "processing"), Some(processed), "replaced");
    assert_eq!(ok(uploads.processing(&fresh_hex()).await, "processing"), None);
}

pub async fn a_rate_bucket_holds_its_most_then_refuses(ports: &Ports) {
    use crate::domain::rate::{Bucket, Route};
    let client = fresh_hex();
    let bucket = Bucket::of(Route::Follow, &client, now());
    for n in 1..=3 {
        assert!(ok(ports.rates.take(&bucket, 3).await, "take"), "write {n} of 3");
    }
    assert!(!ok(ports.rates.take(&bucket, 3).await, "take"), "the fourth is refused");
    assert!(!ok(ports.rates.take(&bucket, 3).await, "take"), "and stays refused");
    assert!(ok(ports.rates.take(&bucket, 5).await, "take"), "a larger bucket has room");
    let other_route = Bucket::of(Route::Reopen, &client, now());
    assert!(ok(ports.rates.take(&other_route, 3).await, "take"), "each route counts apart");
    let next_window = Bucket::of(Route::Follow, &client, bucket.ends);
    assert!(ok(ports.rates.take(&next_window, 3).await, "take"), "the next window is full again");
}

pub async fn the_banner_is_set_replaced_and_taken_down(ports: &Ports) {
    use crate::domain::banner::Banner;
    let banners = &ports.banners;
    let storm = Banner {
        text: "Storm: no pickup today".into(),
        text_es: Some("Tormenta: hoy no hay recogida".into()),
        until: Some(now() + Duration::days(1)),
        set_by: "ana".into(),
        set_at: now(),
    };
    ok(banners.put_banner(Some(&storm)).await, "put_banner");
    assert_eq!(ok(banners.banner().await, "banner"), Some(storm.clone()));
    let holiday = Banner { text: "Holiday hours".into(), text_es: None, until: None, ..storm };
    ok(banners.put_banner(Some(&holiday)).await, "put_banner");
    assert_eq!(ok(banners.banner().await, "banner"), Some(holiday), "the last one set is the banner");
    ok(banners.put_banner(None).await, "put_banner");
    assert_eq!(ok(banners.banner().await, "banner"), None);
    ok(banners.put_banner(None).await, "taking down no banner is no error");
}

pub async fn canned_responses_change_one_version_at_a_time(ports: &Ports) {
    use crate::domain::canned::{CannedResponses, Template, Use};
    let store = &ports.templates;
    let stored = ok(store.templates().await, "templates");
    let version = stored.as_ref().map_or(0, |t| t.version);
    let templates = |version, by: &str| CannedResponses {
        templates: vec![Template {
            id: "thanks".into(),
            name: "Thank you".into(),
            text: "Request {ticket} is {status}.".into(),
            text_es: Some("La solicitud {ticket} está {status}.".into()),
            services: vec!["POTHOLE".into()],
            statuses: vec![crate::domain::status::Status::Closed],
            use_for: Use::Both,
            auto_on_status: Some(crate::domain::status::Status::Closed),
        }],
        version,
        updated_at: Some(now()),
        updated_by: Some(by.to_owned()),
    };
    let skipping = templates(version + 2, &fresh_code("skipper"));
    assert!(matches!(store.put_templates(&skipping).await, Err(StoreError::Conflict)));
    assert_eq!(ok(store.templates().await, "templates"), stored);
    let next = templates(version + 1, &fresh_code("writer"));
    ok(store.put_templates(&next).await, "put_templates");
    assert_eq!(ok(store.templates().await, "templates"), Some(next.clone()), "kept as written");
    let racing = templates(version + 1, &fresh_code("racer"));
    assert!(matches!(store.put_templates(&racing).await, Err(StoreError::Conflict)));
    assert_eq!(ok(store.templates().await, "templates"), Some(next));
}

pub async fn the_towns_figures_count_each_change_once_by_day(ports: &Ports) {
    use crate::domain::stats::{Count, Counted};
    let stats = &ports.stats;
    // A department of this run's own, so figures of other checks do not mix in.
    let department = format!("D{}", &fresh_hex()[..8]);
    let count = |day: u32, counted| Count {
        day: chrono::NaiveDate::from_ymd_opt(2031, 5, day).unwrap_or_default(),
        department: department.clone(),
        service_code: "POTHOLE".into(),
        counted,
    };
    let keep = now() + minutes(60);
    let (a, b, c) = (fresh_hex(), fresh_hex(), fresh_hex());
    assert!(ok(stats.count(&a, &count(3, Counted::Opened), keep).await, "count"));
    assert!(
        !ok(stats.count(&a, &count(3, Counted::Opened), keep).await, "count"),
        "the same count again adds nothing"
    );
    let closed = Counted::Closed { days: 4, in_promise: true };
    assert!(ok(stats.count(&b, &count(3, closed), keep).await, "count"));
    assert!(ok(stats.count(&c, &count(9, Counted::FirstResponse { hours: 30 }), keep).await, "count"));
    let mut month: Vec<_> =
        ok(stats.month(2031, 5).await, "month").into_iter().filter(|d| d.department == department).collect();
    month.sort_by_key(|d| d.day);
    assert_eq!(month.len(), 2, "{month:?}");
    let third = &month[0].tally;
    assert_eq!((third.opened, third.closed, third.closed_in_promise), (1, 1, 1));
    assert_eq!(third.close_days.get(&4), Some(&1));
    assert_eq!(month[1].tally.response_hours.get(&30), Some(&1));
    assert!(ok(stats.month(2031, 6).await, "month").iter().all(|d| d.department != department));
}
