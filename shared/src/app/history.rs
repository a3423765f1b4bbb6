//! A ticket's history read beside the ticket, as of the version read.

use crate::domain::ticket::{HistoryEntry, Ticket};
use crate::ports::{StoreError, TicketStore};

/// The history of `ticket` up to its version: the ticket and its history are two reads, and a
/// change landing between them would show an entry the ticket does not reflect yet (an answer
/// in the history of a ticket still "waiting for citizen"). Entries after the version read are
/// left out; the next read shows them with the ticket they belong to.
pub async fn as_of(store: &dyn TicketStore, ticket: &Ticket) -> Result<Vec<HistoryEntry>, StoreError> {
    let mut history = store.history(&ticket.id).await?;
    history.retain(|entry| entry.version <= ticket.version);
    Ok(history)
}

/// The histories of several tickets, each as of the version read ([`as_of`]), in their order:
/// one store call for them all.
pub async fn as_of_each(
    store: &dyn TicketStore,
    tickets: &[&Ticket],
) -> Result<Vec<Vec<HistoryEntry>>, StoreError> {
    let asked: Vec<_> = tickets.iter().map(|t| (t.id.clone(), t.version)).collect();
    store.histories(&asked).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryStore;
    use crate::domain::lifecycle::{Action, Targets};
    use crate::domain::ticket::Actor;
    use crate::ports::Catalog;
    use chrono::{TimeZone, Utc};

    #[tokio::test]
    async fn a_change_landing_between_the_two_reads_waits_for_the_next_read() {
        let store = MemoryStore::with_demo_catalog().await;
        let service = store.service("POTHOLE").await.unwrap().unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 14, 0, 0).unwrap();
        let request = crate::adapters::memory::phone_request("POTHOLE", "1 Main St");
        let id = crate::domain::id::TicketId::parse("AAAA-0001").unwrap();
        let (read, entry) = Ticket::open(id.clone(), &service, request, at);
        store.create(&read, &entry, None, None).await.unwrap();
        // Someone changes it after the ticket was read, before its history is.
        let note = Action::Note { text: "crew on the way".into(), public: true };
        let changed = read.apply(&note, Actor::Staff("bo".into()), at, Targets::default()).unwrap();
        store.apply(std::slice::from_ref(&changed)).await.unwrap();

        let history = as_of(&store, &read).await.unwrap();
        assert_eq!(history.iter().map(|e| e.version).collect::<Vec<_>>(), vec![1]);
        let history = as_of(&store, &changed.0).await.unwrap();
        assert_eq!(history.iter().map(|e| e.version).collect::<Vec<_>>(), vec![1, 2]);
    }
}
