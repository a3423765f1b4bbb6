//! The digest function: once each morning in the town's timezone (an EventBridge Scheduler
//! schedule in template.yaml; `make digest` locally), it
//!
//! 1. emails each department's list its open requests past their expected date and those due
//!    today, with links to them on the admin page ([`department`]); a department with nothing
//!    overdue or due today gets nothing. Staff mail is in English, as the admin page's default.
//! 2. asks the reporters of requests closed [`State::fixed_check_days`] days ago whether the
//!    problem is fixed ([`fixed`]): one message per closing, on their channel and in their
//!    language, with a "yes" and a "no" link.
//!
//! Each department's requests are read through its own indexes (gsi5 `DUE#<dept>` up to the
//! end of the local day, gsi3 `QUEUE#<dept>#closed` back to the oldest closing that can be due):
//! no scan. Every mail is claimed in the table before it goes, so a retried run (Lambda retries
//! a failed asynchronous invocation) sends nothing twice, and a failed send is given back for the
//! retry.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lambda_runtime::{Error, LambdaEvent};
use std::sync::Arc;
use town311::domain::id::IdSource;
use town311::ports::{Catalog, Deliveries, Messenger, RateLimits, StoreError, TicketStore};
use town311::runtime::clock::Clock;
use town311::runtime::config::Config;

pub mod department;
pub mod fixed;

/// The time the function has for one run: its `Timeout` in template.yaml. Every AWS call is
/// bounded within it.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);
/// Tickets read per Query.
pub const PAGE: usize = 100;
/// A question is started only with this much of the run left; the rest are asked the next
/// morning (a closing stays due for [`town311::domain::fix_check::CATCH_UP_DAYS`] days).
pub(crate) const RESERVE_SECONDS: i64 = 20;

/// What the handler needs, built once per cold start.
pub struct State {
    pub config: Config,
    pub tickets: Arc<dyn TicketStore>,
    pub catalog: Arc<dyn Catalog>,
    pub deliveries: Arc<dyn Deliveries>,
    pub messenger: Arc<dyn Messenger>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    /// Counts the day's text messages against the town's budget.
    pub rates: Arc<dyn RateLimits>,
    /// Days after closing the reporter is asked whether it was fixed (`FIXED_CHECK_DAYS`,
    /// [`town311::domain::fix_check::DEFAULT_DAYS`] when unset); 0 asks nobody.
    pub fixed_check_days: u32,
}

impl From<&town311::adapters::aws::Adapters> for State {
    /// The production wiring: the table, SES for email, SNS for SMS.
    fn from(aws: &town311::adapters::aws::Adapters) -> Self {
        let days = std::env::var("FIXED_CHECK_DAYS").ok();
        Self {
            config: aws.config(),
            tickets: aws.tickets(),
            catalog: aws.catalog(),
            deliveries: aws.deliveries(),
            messenger: aws.messenger(),
            clock: aws.clock(),
            ids: aws.ids(),
            rates: aws.rates(),
            fixed_check_days: fixed_check_days(days.as_deref()),
        }
    }
}

/// Reads `FIXED_CHECK_DAYS`: whole days up to [`town311::domain::fix_check::MAX_DAYS`], 0 for
/// none; unset or unreadable is the default (said in the log).
pub fn fixed_check_days(value: Option<&str>) -> u32 {
    use town311::domain::fix_check::{DEFAULT_DAYS, MAX_DAYS};
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => DEFAULT_DAYS,
        Some(text) => match text.parse::<u32>() {
            Ok(days) if days <= MAX_DAYS => days,
            _ => {
                tracing::warn!(
                    value = text,
                    "FIXED_CHECK_DAYS is not 0 to {MAX_DAYS}; {DEFAULT_DAYS} is used"
                );
                DEFAULT_DAYS
            }
        },
    }
}

/// Why a run must be retried.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Some mail could not be sent for now; everything else went.
    #[error("{0} message(s) could not be sent for now")]
    Unsent(usize),
}

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// The local day the run was for.
    pub day: Option<NaiveDate>,
    /// The departments whose list got a digest (codes).
    pub departments: Vec<String>,
    /// "Was it fixed?" questions sent.
    pub questions: usize,
    /// Mail that failed for now (the run fails, and its retry sends these).
    pub unsent: usize,
}

/// Handles one scheduled run (the event's content does not matter).
pub async fn handle(
    state: &State,
    event: LambdaEvent<serde_json::Value>,
) -> Result<serde_json::Value, Error> {
    let deadline = i64::try_from(event.context.deadline)
        .ok()
        .filter(|&ms| ms > 0)
        .and_then(DateTime::from_timestamp_millis);
    match run(state, deadline).await {
        Ok(report) => Ok(serde_json::to_value(report)?),
        Err(error) => {
            tracing::error!(error = %town311::runtime::chain(&error), "the digest run failed; it will be retried");
            Err(error.into())
        }
    }
}

/// One run: every department's digest, then the questions due. `deadline` is when the
/// invocation ends, if known.
pub async fn run(state: &State, deadline: Option<DateTime<Utc>>) -> Result<Report, DigestError> {
    let now = state.clock.now();
    let today = town311::domain::stats::local_day(now, state.config.timezone);
    let mut report = Report { day: Some(today), ..Report::default() };
    let departments = state.catalog.departments().await?;
    for department in &departments {
        match department::send(state, department, now).await? {
            department::Outcome::Sent => report.departments.push(department.code.clone()),
            department::Outcome::Unsent => report.unsent += 1,
            department::Outcome::Nothing => {}
        }
    }
    let asked = fixed::ask_due(state, &departments, now, deadline).await?;
    report.questions = asked.sent;
    report.unsent += asked.unsent;
    tracing::info!(
        day = %today,
        departments = report.departments.len(),
        questions = report.questions,
        unsent = report.unsent,
        "digest run done"
    );
    if report.unsent > 0 { Err(DigestError::Unsent(report.unsent)) } else { Ok(report) }
}

/// The first instant of the local day after `day` in `timezone` (the end of `day`).
pub fn end_of_day(day: NaiveDate, timezone: town311::domain::zone::TownZone) -> DateTime<Utc> {
    use chrono::TimeZone as _;
    let next = day.succ_opt().unwrap_or(day).and_time(chrono::NaiveTime::MIN);
    match timezone.from_local_datetime(&next).earliest() {
        Some(at) => at.with_timezone(&Utc),
        // Midnight skipped by a clock change: the hour after it.
        None => timezone
            .from_local_datetime(&(next + Duration::hours(1)))
            .earliest()
            .map_or(next.and_utc(), |at| at.with_timezone(&Utc)),
    }
}

#[cfg(test)]
mod tests;
