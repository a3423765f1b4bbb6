//! `GET /citizen/v1/stats`: the town's public figures over the last twelve months (opened,
//! closed, median days to close, share closed within the promised date), each month, and by
//! department and service. Read from the figures route keeps as changes go by: one Query per
//! month, never the tickets. No personal data, no free text.

use crate::State;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use town311::domain::stats::{Figures, MONTHS, local_day, months_to, report};
use town311::http::{self, ApiError};

pub const ROUTE: &str = "GET /citizen/v1/stats";

/// One month's figures, as answered (`2026-11` and its figures); the staff dashboard's too.
#[derive(Serialize)]
pub(crate) struct Month {
    month: String,
    #[serde(flatten)]
    figures: Figures,
}

impl Month {
    /// The months of a report, as answered.
    pub(crate) fn all(months: Vec<((i32, u32), Figures)>) -> Vec<Self> {
        months
            .into_iter()
            .map(|((year, month), figures)| Self { month: format!("{year:04}-{month:02}"), figures })
            .collect()
    }
}

#[derive(Serialize)]
struct Group {
    code: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    department: Option<String>,
    #[serde(flatten)]
    figures: Figures,
}

#[derive(Serialize)]
struct Answer {
    town: String,
    /// The months covered, oldest first; the last is this month so far.
    months: Vec<Month>,
    /// The twelve months together.
    period: Figures,
    departments: Vec<Group>,
    services: Vec<Group>,
}

pub async fn answer(state: &State, _request: &Request) -> Result<Response<Body>, ApiError> {
    let today = local_day(state.clock.now(), state.config.timezone);
    let mut months = Vec::with_capacity(MONTHS);
    for (year, month) in months_to(today, MONTHS) {
        months.push(((year, month), state.stats.month(year, month).await?));
    }
    let figures = report(&months);
    let departments = state.catalog.departments().await?;
    let services = state.catalog.services().await?;
    let department_name = |code: &str| {
        departments.iter().find(|d| d.code == code).map_or_else(|| code.to_owned(), |d| d.name.clone())
    };
    let service_name = |code: &str| {
        services.iter().find(|s| s.code == code).map_or_else(|| code.to_owned(), |s| s.name.clone())
    };
    let answer = Answer {
        town: state.config.town_name.clone(),
        months: Month::all(figures.months),
        period: figures.period,
        departments: figures
            .departments
            .into_iter()
            .map(|(code, figures)| Group { name: department_name(&code), code, department: None, figures })
            .collect(),
        services: figures
            .services
            .into_iter()
            .map(|(code, department, figures)| Group {
                name: service_name(&code),
                code,
                department: Some(department),
                figures,
            })
            .collect(),
    };
    let mut response = http::json(StatusCode::OK, &answer)?;
    // The figures move with each change; five minutes late is fine for a public page.
    if let Ok(value) = "public, max-age=300".parse() {
        response.headers_mut().insert("cache-control", value);
    }
    Ok(response)
}
