//! `town311-admin privacy export|erase --contact EMAIL_OR_PHONE`: every item holding a person's
//! contact, printed to answer a request for access, or removed to answer a request to be
//! forgotten. Found through the index on the contact's keyed hash (gsi8), so the stack's
//! `CONTACT_SECRET` is needed: without it no contact can be found.

use crate::OpsError;
use town311::domain::follower::Contact;
use town311::ports::Privacy;

/// The stack's contact secret, from `CONTACT_SECRET`, for this process's keys.
pub fn install_secret_from_env() -> Result<(), OpsError> {
    let secret = std::env::var("CONTACT_SECRET")
        .map_err(|_| OpsError::Usage("set CONTACT_SECRET to the stack's ContactSecret parameter".into()))?;
    let secret = town311::domain::privacy::ContactSecret::new(secret.trim().as_bytes())
        .map_err(|e| OpsError::Usage(format!("CONTACT_SECRET: {e}")))?;
    town311::domain::privacy::install(&secret);
    Ok(())
}

/// The contact named on the command line.
pub fn contact(text: &str) -> Result<Contact, OpsError> {
    Contact::parse_any(text)
        .ok_or_else(|| OpsError::Usage("--contact must be an email address or a phone number".into()))
}

/// Every item holding the contact, as stored.
pub async fn export(store: &dyn Privacy, contact: &Contact) -> Result<Vec<serde_json::Value>, OpsError> {
    Ok(store.holding(&contact.key()).await?)
}

/// Removes every item holding the contact; how many were found.
pub async fn erase(store: &dyn Privacy, contact: &Contact) -> Result<usize, OpsError> {
    Ok(store.erase(&contact.key()).await?)
}

/// What moving contacts apart did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// Tickets read from the department queues (every ticket is in one).
    pub read: usize,
    /// Written again in this version's layout.
    pub written: usize,
    /// Changed between the read and the write: that change wrote them in this layout already.
    pub changed_meanwhile: usize,
}

/// The most pages of one queue read (200 tickets a page).
const MAX_PAGES: usize = 100_000;

/// Writes every ticket again in this version's layout (`TicketStore::reindex`): a reporter
/// held in the ticket item moves to its own items, a mute becomes a forgetting. Tickets are read
/// through every department's open and closed queues (gsi3 holds every ticket, a private
/// service's too), never a scan.
pub async fn migrate(
    tickets: &dyn town311::ports::TicketStore,
    catalog: &dyn town311::ports::Catalog,
) -> Result<Migrated, OpsError> {
    use town311::domain::listing::Queue;
    let mut done = Migrated::default();
    for department in catalog.departments().await? {
        for open in [true, false] {
            let queue = Queue::Department { department: department.code.clone(), open };
            let mut after: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let page = tickets.queue(&queue, 200, after.as_deref()).await?;
                for ticket in &page.tickets {
                    done.read += 1;
                    // The queue holds no reporter: the write reads the stored ticket's own.
                    let Some(stored) = tickets.get(&ticket.id).await? else { continue };
                    if tickets.reindex(&stored).await? {
                        done.written += 1;
                    } else {
                        done.changed_meanwhile += 1;
                    }
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
    }
    Ok(done)
}
