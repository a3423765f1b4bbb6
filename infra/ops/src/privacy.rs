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
