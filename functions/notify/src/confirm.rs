//! The one message a follow sends: a link that confirms it. Route leaves a
//! [`ConfirmationDue`] on this function's topic when a pending follower is written; this sends
//! the follower (read from the table: the message carries no address) a short SMS or email in
//! their language with a single-use link that works for
//! [`town311::domain::follower::CONFIRM_WITHIN_HOURS`] hours. The send is claimed first, once
//! per follow, so a redelivered message or a replayed stream record sends nothing twice.

use crate::{NotifyError, REMEMBER_SENT_DAYS, State};
use chrono::Duration;
use town311::app::rate::{SMS_BUDGET_SPENT, within_sms_budget};
use town311::domain::follower::{CONFIRM_WITHIN_HOURS, ConfirmationDue, Contact};
use town311::domain::id::random_token;
use town311::domain::notice::UNSUBSCRIBE_LINK_DAYS;
use town311::ports::{OutgoingEmail, SendError, StoreError};

/// Sends a pending follower their confirmation link, unless it went out before or the follow
/// is no longer pending.
pub async fn ask(state: &State, due: &ConfirmationDue) -> Result<(), NotifyError> {
    let Some(follower) = state.tickets.follower(&due.ticket_id, &due.contact_key).await? else {
        tracing::info!("the follower is gone; nothing to confirm");
        return Ok(());
    };
    if follower.confirmed || follower.since.timestamp_millis() != due.since.timestamp_millis() {
        tracing::info!("confirmed, or followed anew since; nothing to send");
        return Ok(());
    }
    let channel = follower.contact.channel();
    let Some(public_url) = state.config.public_url.as_deref() else {
        tracing::warn!("no PUBLIC_URL: confirmation links cannot be sent");
        return Ok(());
    };
    match &follower.contact {
        Contact::Email(_) if state.config.mail_from.is_none() => {
            tracing::warn!("no MAIL_FROM: emails cannot be sent");
            return Ok(());
        }
        Contact::Sms(phone) if !state.config.sms_countries.allow(phone) => {
            tracing::info!("number outside the town's SMS countries; not texted");
            return Ok(());
        }
        _ => {}
    }
    let now = state.clock.now();
    let delivery_id = due.delivery_id();
    let keep_until = now + Duration::days(REMEMBER_SENT_DAYS);
    if !state.deliveries.claim(&delivery_id, keep_until).await? {
        tracing::info!(%channel, "confirmation sent before; not again");
        return Ok(());
    }
    // A confirmation text is a text: it counts against the day's budget too.
    if matches!(follower.contact, Contact::Sms(_))
        && !within_sms_budget(state.rates.as_ref(), state.config.sms_daily_budget, now).await
    {
        tracing::warn!(code = SMS_BUDGET_SPENT, "the town's SMS budget for the day is spent; not texted");
        state.deliveries.mark_undeliverable(&delivery_id, SMS_BUDGET_SPENT, keep_until).await?;
        return Ok(());
    }
    let random = || random_token(state.ids.as_ref()).map_err(|e| StoreError::unavailable("random", e));
    let token = random()?;
    let link_until = now + Duration::hours(CONFIRM_WITHIN_HOURS);
    state.deliveries.issue_confirmation(&token, &due.ticket_id, &due.contact_key, link_until).await?;
    let confirm_url = format!("{public_url}/citizen/v1/follow/confirm?token={token}");
    let notice = town311::domain::notice::confirmation(
        &state.config.town_name,
        due.ticket_id.as_str(),
        follower.language,
        &confirm_url,
    );
    let outcome = match &follower.contact {
        Contact::Sms(phone) => state.messenger.send_sms(phone, &notice.sms).await,
        Contact::Email(address) => {
            // Mail clients' one-click unsubscribe stops this request's mail to the address.
            let unsubscribe = random()?;
            let unsubscribe_until = now + Duration::days(UNSUBSCRIBE_LINK_DAYS);
            state
                .deliveries
                .issue_unsubscribe(&unsubscribe, &due.ticket_id, &due.contact_key, unsubscribe_until)
                .await?;
            let email = OutgoingEmail {
                to: address.clone(),
                subject: notice.subject,
                body: notice.body,
                unsubscribe_url: format!("{public_url}/citizen/v1/unsubscribe?token={unsubscribe}"),
                reply_to: None,
            };
            state.messenger.send_email(&email).await
        }
    };
    match outcome {
        Ok(()) => {
            tracing::info!(%channel, language = follower.language.as_str(), "confirmation of a follow sent");
            Ok(())
        }
        Err(SendError::Refused { code }) => {
            tracing::warn!(%channel, code = code.as_str(), "recipient refused for good; kept as undeliverable");
            state.deliveries.mark_undeliverable(&delivery_id, &code, keep_until).await?;
            Ok(())
        }
        Err(SendError::Failed(error)) => {
            let error = follower.contact.redact(&town311::runtime::chain(&error));
            tracing::warn!(%channel, %error, "confirmation failed; it will be retried");
            state.deliveries.release(&delivery_id).await?;
            Err(NotifyError::Unsent(1))
        }
    }
}
