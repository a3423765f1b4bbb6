//! Writing tickets: create and its refusals, idempotency keys, and changes over a version.

use super::Ports;
use super::fixtures::{changed, fresh_code, fresh_hex, fresh_id, ids, minutes, now, ok, ticket, ticket_at};
use crate::ports::{Idempotency, Replay, StoreError};
use chrono::Duration;

pub async fn a_ticket_is_read_back_as_created(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let (a, entry) = ticket(&service, &department, now());
    let token = fresh_hex();
    ok(store.create(&a, &entry, Some(&token), None).await, "create");
    assert_eq!(ok(store.get(&a.id).await, "get"), Some(a.clone()));
    assert_eq!(ok(store.history(&a.id).await, "history"), vec![entry]);
    assert_eq!(ok(store.ticket_for_token(&token).await, "ticket_for_token"), Some(a.id.clone()));
    assert_eq!(ok(store.ticket_for_token(&fresh_hex()).await, "ticket_for_token"), None);
    let unknown = fresh_id();
    assert_eq!(ok(store.get(&unknown).await, "get"), None);
    assert!(ok(store.history(&unknown).await, "history").is_empty());

    let (b, entry) = ticket(&service, &department, now());
    ok(store.create(&b, &entry, None, None).await, "create");
    let asked = [b.id.clone(), unknown, a.id.clone(), b.id.clone()];
    let found = ok(store.get_many(&asked).await, "get_many");
    assert_eq!(found, vec![b, a], "in the order asked, unknown left out, repeated once");
}

pub async fn a_taken_number_writes_nothing(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let (first, entry) = ticket(&service, &department, now());
    ok(store.create(&first, &entry, None, None).await, "create");
    let upload = fresh_hex();
    let (mut second, mut second_entry) = ticket_at(&service, &department, now(), None, vec![upload.clone()]);
    second.id = first.id.clone();
    second.service_name = "Another".to_owned();
    second_entry.ticket_id = first.id.clone();
    let token = fresh_hex();
    let result = store.create(&second, &second_entry, Some(&token), None).await;
    assert!(matches!(result, Err(StoreError::IdTaken)), "{result:?}");
    assert_eq!(ok(store.get(&first.id).await, "get"), Some(first.clone()));
    assert_eq!(ok(store.history(&first.id).await, "history"), vec![entry]);
    assert_eq!(ok(store.ticket_for_token(&token).await, "ticket_for_token"), None);
    assert_eq!(ok(ports.uploads.upload_ticket(&upload).await, "upload_ticket"), None);
}

pub async fn an_upload_joins_one_request(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let (taken, free) = (fresh_hex(), fresh_hex());
    let (first, entry) = ticket_at(&service, &department, now(), None, vec![taken.clone()]);
    ok(store.create(&first, &entry, None, None).await, "create");
    assert_eq!(ok(ports.uploads.upload_ticket(&taken).await, "upload_ticket"), Some(first.id.clone()));

    let (second, entry) = ticket_at(&service, &department, now(), None, vec![free.clone(), taken.clone()]);
    let key = Idempotency {
        key_hash: fresh_hex(),
        fingerprint: "second".to_owned(),
        received_at: now(),
        expires_at: now() + minutes(60),
    };
    let result = store.create(&second, &entry, None, Some(&key)).await;
    assert!(matches!(&result, Err(StoreError::UploadTaken(u)) if *u == taken), "{result:?}");
    assert_eq!(ok(store.get(&second.id).await, "get"), None);
    assert_eq!(ok(store.replay(&key.key_hash, now()).await, "replay"), None, "the key stays free");
    assert_eq!(ok(ports.uploads.upload_ticket(&free).await, "upload_ticket"), None);
    assert_eq!(ok(ports.uploads.upload_ticket(&taken).await, "upload_ticket"), Some(first.id));
    assert_eq!(ok(ports.uploads.upload_ticket(&fresh_hex()).await, "upload_ticket"), None);
}

pub async fn an_idempotency_key_replays_until_it_expires(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let (key, base) = (fresh_hex(), now());
    let idempotency = |fingerprint: &str, received: Duration, lives: Duration| Idempotency {
        key_hash: key.clone(),
        fingerprint: fingerprint.to_owned(),
        received_at: base + received,
        expires_at: base + received + lives,
    };
    let first_key = idempotency("first", Duration::zero(), minutes(60));
    let (first, entry) = ticket(&service, &department, base);
    ok(store.create(&first, &entry, None, Some(&first_key)).await, "create");
    let kept = Some(Replay::of(&first.id, None, &first_key));
    assert_eq!(ok(store.replay(&key, base).await, "replay"), kept);
    assert_eq!(ok(store.replay(&key, base + minutes(60) - Duration::seconds(1)).await, "replay"), kept);
    assert_eq!(ok(store.replay(&key, base + minutes(60)).await, "replay"), None, "expired at its time");
    assert_eq!(ok(store.replay(&fresh_hex(), base).await, "replay"), None);

    // A retry before expiry writes nothing, not even its uploads or token.
    let upload = fresh_hex();
    let (retry, entry) = ticket_at(&service, &department, base, None, vec![upload.clone()]);
    let token = fresh_hex();
    let result = store
        .create(&retry, &entry, Some(&token), Some(&idempotency("retry", minutes(30), minutes(60))))
        .await;
    assert!(matches!(result, Err(StoreError::Replayed)), "{result:?}");
    assert_eq!(ok(store.get(&retry.id).await, "get"), None);
    assert_eq!(ok(ports.uploads.upload_ticket(&upload).await, "upload_ticket"), None);
    assert_eq!(ok(store.ticket_for_token(&token).await, "ticket_for_token"), None);
    assert_eq!(ok(store.replay(&key, base).await, "replay"), kept, "the first record stays");

    // A retry that also draws the same number is a replay, not a clash.
    let (mut same, entry) = ticket(&service, &department, base);
    same.id = first.id.clone();
    let result =
        store.create(&same, &entry, None, Some(&idempotency("same", minutes(10), minutes(60)))).await;
    assert!(matches!(result, Err(StoreError::Replayed)), "{result:?}");

    // At its expiry the key is free again, even if the store still holds it.
    let later_key = idempotency("later", minutes(60), minutes(60));
    let (later, entry) = ticket(&service, &department, base + minutes(60));
    ok(store.create(&later, &entry, None, Some(&later_key)).await, "create with an expired key");
    let replay = ok(store.replay(&key, base + minutes(60)).await, "replay");
    assert_eq!(replay, Some(Replay::of(&later.id, None, &later_key)));
}

pub async fn changes_apply_over_the_version_seen_all_or_nothing(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let base = now();
    let (a, a1) = ticket(&service, &department, base);
    let (b, b1) = ticket(&service, &department, base);
    ok(store.create(&a, &a1, None, None).await, "create");
    ok(store.create(&b, &b1, None, None).await, "create");

    let (a_2, a2) = changed(&a, base + minutes(1), |t| t.status_notes = Some("first".into()));
    ok(store.apply(&[(a_2.clone(), a2.clone())]).await, "apply");
    assert_eq!(ok(store.get(&a.id).await, "get"), Some(a_2.clone()));
    assert_eq!(ok(store.history(&a.id).await, "history"), vec![a1.clone(), a2.clone()], "oldest first");

    // A writer who saw version 1 too is refused.
    let (stale, stale_entry) = changed(&a, base + minutes(2), |t| t.status_notes = Some("stale".into()));
    let result = store.apply(&[(stale, stale_entry)]).await;
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    assert_eq!(ok(store.get(&a.id).await, "get"), Some(a_2.clone()));

    // One stale ticket refuses the whole change.
    let (a_3, a3) = changed(&a_2, base + minutes(3), |t| t.assignee = Some("ana".into()));
    let (b_2, b2) = changed(&b, base + minutes(3), |t| t.assignee = Some("ana".into()));
    let (mut b_stale, mut b_stale_entry) = changed(&b_2, base + minutes(3), |_| {});
    b_stale.version = 3;
    b_stale_entry.version = 3;
    let result = store.apply(&[(a_3.clone(), a3.clone()), (b_stale, b_stale_entry)]).await;
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    assert_eq!(ok(store.get(&a.id).await, "get"), Some(a_2));
    assert_eq!(ok(store.history(&a.id).await, "history").len(), 2);
    assert_eq!(ok(store.get(&b.id).await, "get"), Some(b.clone()));

    ok(store.apply(&[(a_3.clone(), a3.clone()), (b_2.clone(), b2.clone())]).await, "apply");
    assert_eq!(ok(store.get_many(&[a.id.clone(), b.id.clone()]).await, "get_many"), vec![a_3.clone(), b_2]);
    assert_eq!(ok(store.history(&a.id).await, "history"), vec![a1, a2, a3]);
    assert_eq!(ok(store.history(&b.id).await, "history"), vec![b1, b2]);

    // A ticket changed twice in a row (a status change and its automatic message) is written
    // once, as the second change left it, with both entries; over a stale version, neither.
    let (a_4, a4) = changed(&a_3, base + minutes(4), |t| t.status_notes = Some("closing".into()));
    let (a_5, a5) = changed(&a_4, base + minutes(4), |t| t.status_notes = Some("thanks".into()));
    let (a_stale, a_stale_entry) = changed(&a, base + minutes(4), |_| {});
    let (a_stale_next, a_stale_next_entry) = changed(&a_stale, base + minutes(4), |_| {});
    let result = store.apply(&[(a_stale, a_stale_entry), (a_stale_next, a_stale_next_entry)]).await;
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    assert_eq!(ok(store.history(&a.id).await, "history").len(), 3);
    ok(store.apply(&[(a_4, a4.clone()), (a_5.clone(), a5.clone())]).await, "apply");
    assert_eq!(ok(store.get(&a.id).await, "get"), Some(a_5));
    let history = ok(store.history(&a.id).await, "history");
    assert_eq!(history[3..], [a4, a5], "both entries, in order");

    // Several tickets' histories at once (a listing's), each up to the version asked, in the
    // order asked; a number never created has none.
    let b_history = ok(store.history(&b.id).await, "history");
    let asked = [(b.id.clone(), 2), (a.id.clone(), 3), (fresh_id(), 1), (a.id.clone(), 5)];
    let histories = ok(store.histories(&asked).await, "histories");
    assert_eq!(histories, vec![b_history, history[..3].to_vec(), Vec::new(), history.clone()]);

    // A ticket that was never created has no version to change.
    let (mut ghost, mut ghost_entry) = changed(&b, base, |_| {});
    ghost.id = fresh_id();
    ghost_entry.ticket_id = ghost.id.clone();
    let result = store.apply(&[(ghost.clone(), ghost_entry)]).await;
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    assert_eq!(ok(store.get(&ghost.id).await, "get"), None);
    assert_eq!(ids(&ok(store.get_many(&[ghost.id]).await, "get_many")), vec![]);
}

pub async fn a_ticket_routed_as_it_is_created_is_written_with_both_entries(ports: &Ports) {
    let store = &ports.tickets;
    let (service, department) = (fresh_code("SVC"), fresh_code("DEPT"));
    let (a, a1) = ticket(&service, &department, now());
    let routed = changed(&a, now(), |t| t.assignee = Some("ana".into()));
    ok(store.create_routed(&(a.clone(), a1.clone()), &routed, None, None).await, "create_routed");
    assert_eq!(ok(store.get(&a.id).await, "get"), Some(routed.0.clone()), "the ticket as routed");
    assert_eq!(ok(store.history(&a.id).await, "history"), vec![a1.clone(), routed.1.clone()]);
    // A number taken writes nothing more.
    let result = store.create_routed(&(a.clone(), a1), &routed, None, None).await;
    assert!(matches!(result, Err(StoreError::IdTaken)), "{result:?}");
    assert_eq!(ok(store.history(&a.id).await, "history").len(), 2);
}
