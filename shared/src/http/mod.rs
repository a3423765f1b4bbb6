//! The HTTP edge shared by the API functions: errors mapped to responses in one place,
//! Open311 documents in either format, and reading what API Gateway hands a function.

use crate::domain::intake::IntakeError;
use crate::open311::Format;
use crate::open311::form::FormError;
use crate::open311::records::ErrorRecord;
use crate::open311::xml;
use crate::ports::StoreError;
use lambda_http::http::{StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

pub mod apigw;

/// Why an API request did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in first")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("the ticket was changed by someone else since version {seen}; reload it and try again")]
    Stale { seen: u64 },
    #[error("the routing rules were changed by someone else since version {seen}; reload them and try again")]
    RulesChanged { seen: u64 },
    #[error(
        "the canned responses were changed by someone else since version {seen}; reload them and try again"
    )]
    TemplatesChanged { seen: u64 },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// An `Idempotency-Key` sent again with a different request.
    #[error(
        "this Idempotency-Key was already used for a different request; a new request needs a new Idempotency-Key"
    )]
    IdempotencyKeyReused,
    /// The client's bucket on a public route is empty ([`crate::domain::rate`]).
    #[error(transparent)]
    TooManyRequests(#[from] crate::domain::rate::Throttled),
    /// One contact was given as many follows as it may be in a day
    /// ([`crate::domain::follower::MAX_FOLLOWS_PER_DAY`]); the contact is not named.
    #[error(
        "this email or phone number was asked to follow as many requests as it may be today; try again tomorrow"
    )]
    FollowsPerDay(crate::domain::rate::Throttled),
    #[error("the service is temporarily unavailable, please try again")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// The one mapping from error to HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Stale { .. } | Self::RulesChanged { .. } | Self::TemplatesChanged { .. } => {
                StatusCode::PRECONDITION_FAILED
            }
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) | Self::FollowsPerDay(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<FormError> for ApiError {
    fn from(e: FormError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<crate::domain::banner::BannerError> for ApiError {
    fn from(e: crate::domain::banner::BannerError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<crate::open311::params::ParamError> for ApiError {
    fn from(e: crate::open311::params::ParamError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<crate::domain::lifecycle::LifecycleError> for ApiError {
    /// What the ticket's state forbids is a conflict (409); what the request itself gets wrong
    /// is a bad request (400).
    fn from(e: crate::domain::lifecycle::LifecycleError) -> Self {
        use crate::domain::lifecycle::LifecycleError as L;
        match e {
            L::Transition { .. } | L::Unchanged(_) | L::Closed | L::ReopenWindow => {
                Self::Conflict(e.to_string())
            }
            L::NoResolution
            | L::ResolutionWhileOpen
            | L::DuplicateWithoutParent
            | L::NoReferral
            | L::Text(_)
            | L::SelfMerge
            | L::PastSchedule
            | L::FarSchedule
            | L::MessageText
            | L::Place(_)
            | L::AfterPhoto
            | L::Redaction(_) => Self::BadRequest(e.to_string()),
            L::NoSuchPhoto(_) => Self::NotFound(e.to_string()),
        }
    }
}

impl From<crate::domain::routing::RulesError> for ApiError {
    fn from(e: crate::domain::routing::RulesError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<crate::domain::canned::TemplatesError> for ApiError {
    fn from(e: crate::domain::canned::TemplatesError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<crate::domain::contact::ContactError> for ApiError {
    fn from(e: crate::domain::contact::ContactError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Corrupt { .. } => Self::Internal(Box::new(e)),
            StoreError::Conflict => {
                Self::Conflict("the ticket was changed by someone else; reload it and try again".into())
            }
            StoreError::UploadTaken(upload) => {
                Self::BadRequest(format!("upload {upload} is already part of another request"))
            }
            other => Self::Unavailable(other),
        }
    }
}

/// Turns a handler's outcome into the response: an error becomes an Open311 error list in the
/// requested format (JSON when the format is unknown), and server faults are logged with
/// their causes, which callers never see.
pub fn respond(format: Option<Format>, outcome: Result<Response<Body>, ApiError>) -> Response<Body> {
    let error = match outcome {
        Ok(response) => return response,
        Err(error) => error,
    };
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), error = %crate::runtime::chain(&error), "request failed");
    } else {
        tracing::info!(status = status.as_u16(), reason = %error, "request refused");
    }
    let retry_after = match &error {
        ApiError::TooManyRequests(throttled) | ApiError::FollowsPerDay(throttled) => {
            Some(throttled.retry_after)
        }
        ApiError::Unavailable(_) => Some(u64::from(RETRY_AFTER_SECONDS)),
        _ => None,
    };
    let description = error.to_string();
    let errors = [ErrorRecord { code: status.as_u16(), description: &description }];
    let format = format.unwrap_or(Format::Json);
    let body = match format {
        Format::Json => serde_json::to_string(&errors),
        Format::Xml => xml::document("errors", &errors),
    };
    // Serializing two plain fields cannot fail; the fallback keeps the promise of a list anyway.
    let body = body.unwrap_or_else(|_| format!(r#"[{{"code":{},"description":"error"}}]"#, status.as_u16()));
    let mut response = with_body(status, format.content_type(), body);
    // Outages of AWS services mostly pass within seconds; clients that honour it come back
    // then (with the same Idempotency-Key, a POST makes one ticket however often it is sent).
    // A throttled client comes back when its bucket is full again.
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    response
}

/// When a client should try again after a 503, in seconds.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// An Open311 document: `root` names the XML root element (JSON has none).
pub fn document(format: Format, root: &str, value: &impl Serialize) -> Result<Response<Body>, ApiError> {
    let body = match format {
        Format::Json => serde_json::to_string(value),
        Format::Xml => xml::document(root, value),
    }
    .map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(with_body(StatusCode::OK, format.content_type(), body))
}

fn with_body(status: StatusCode, content_type: &str, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// The API Gateway route key the request matched, e.g. `GET /open311/v2/{document}`.
pub fn route_key(request: &Request) -> Option<&str> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.route_key.as_deref(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// A path parameter of the matched route.
pub fn path_parameter<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.path_parameters_ref()?.first(name)
}

/// The Open311 format a request asks for, from its path's last segment.
pub fn requested_format(request: &Request) -> Option<Format> {
    let path = request.raw_http_path();
    let last = path.rsplit('/').next().unwrap_or(path);
    Format::split(last).map(|(_, format)| format)
}

/// The request body, refused when larger than `limit` bytes.
pub fn body_within(request: &Request, limit: usize) -> Result<&[u8], ApiError> {
    let body: &[u8] = request.body().as_ref();
    if body.len() > limit { Err(ApiError::PayloadTooLarge { limit }) } else { Ok(body) }
}

/// The media type of the body, lower-cased, without parameters.
pub fn media_type(request: &Request) -> Option<String> {
    let value = request.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    (!media.is_empty()).then_some(media)
}

/// Open311's `jurisdiction_id`: optional, but when given it must be this deployment's.
pub fn check_jurisdiction(expected: Option<&str>, given: Option<&str>) -> Result<(), ApiError> {
    match (expected, given.map(str::trim).filter(|g| !g.is_empty())) {
        (Some(expected), Some(given)) if !given.eq_ignore_ascii_case(expected) => {
            Err(ApiError::NotFound(format!("jurisdiction_id '{given}' is not served here")))
        }
        _ => Ok(()),
    }
}

/// A query string parameter; empty counts as absent.
pub fn query_parameter<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.query_string_parameters_ref()?.first(name).filter(|v| !v.trim().is_empty())
}

/// The address the request came from, as API Gateway saw it: the client a public route's rate
/// limit counts (empty if the event has none).
pub fn client_address(request: &Request) -> &str {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.as_deref().unwrap_or_default(),
        #[allow(unreachable_patterns)]
        _ => "",
    }
}

/// Lets one write by the request's client through to a public `route`, or refuses it with 429
/// once the client's bucket is empty ([`crate::app::rate::admit`]).
pub async fn admit(
    rates: &dyn crate::ports::RateLimits,
    request: &Request,
    route: crate::domain::rate::Route,
    most: u32,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    Ok(crate::app::rate::admit(rates, route, client_address(request), most, now).await?)
}

/// The signed-in staff member API Gateway's JWT authorizer vouched for, in a staff group.
pub fn caller(request: &Request) -> Result<crate::domain::staff::Caller, ApiError> {
    let claims = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            context.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).map(|jwt| &jwt.claims)
        }
        #[allow(unreachable_patterns)]
        _ => None,
    };
    let caller = claims.and_then(crate::domain::staff::Caller::from_claims).ok_or(ApiError::Unauthorized)?;
    // A user of the pool in no staff group (a citizen account, one not yet given a role) is
    // no one on the staff API.
    if !caller.is_staff() {
        return Err(ApiError::Forbidden("your account is in no staff group".into()));
    }
    Ok(caller)
}

/// A JSON answer of the staff API.
pub fn json(status: StatusCode, value: &impl Serialize) -> Result<Response<Body>, ApiError> {
    let body = serde_json::to_string(value).map_err(|e| ApiError::Internal(Box::new(e)))?;
    Ok(with_body(status, "application/json; charset=utf-8", body))
}

/// A ticket as staff see it: everything, with its whole history.
#[derive(Debug, Serialize)]
struct StaffTicket<'a> {
    ticket: &'a crate::domain::ticket::Ticket,
    history: Vec<StaffHistoryEntry<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    followers: Option<&'a [crate::domain::follower::Follower]>,
    /// Where the next page of followers starts, when there are more than the first page.
    #[serde(skip_serializing_if = "Option::is_none")]
    followers_next: Option<&'a str>,
}

/// One line of the history as staff see it: the entry, and its public summary as the pages word it.
#[derive(Debug, Serialize)]
struct StaffHistoryEntry<'a> {
    #[serde(flatten)]
    entry: &'a crate::domain::ticket::HistoryEntry,
    #[serde(flatten)]
    summary: crate::open311::records::SummaryRecord,
}

/// The routing rules as staff read them, with their version as the `ETag`.
pub fn routing_rules(rules: &crate::domain::routing::RoutingRules) -> Result<Response<Body>, ApiError> {
    let mut response = json(StatusCode::OK, rules)?;
    if let Ok(etag) = format!("\"{}\"", rules.version).parse() {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// The canned responses as staff read them, with their version as the `ETag`.
pub fn canned_responses(
    templates: &crate::domain::canned::CannedResponses,
) -> Result<Response<Body>, ApiError> {
    let mut response = json(StatusCode::OK, templates)?;
    if let Ok(etag) = format!("\"{}\"", templates.version).parse() {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// The staff API's answer for one ticket, its version as the ETag the next write names;
/// the first page of `followers` when the answer is the ticket's full view.
pub fn staff_ticket(
    status: StatusCode,
    ticket: &crate::domain::ticket::Ticket,
    history: &[crate::domain::ticket::HistoryEntry],
    followers: Option<&crate::domain::follower::FollowerPage>,
) -> Result<Response<Body>, ApiError> {
    let answer = StaffTicket {
        ticket,
        history: history
            .iter()
            .map(|entry| StaffHistoryEntry {
                entry,
                summary: crate::open311::records::SummaryRecord::from(&entry.change.summary()),
            })
            .collect(),
        followers: followers.map(|page| page.followers.as_slice()),
        followers_next: followers.and_then(|page| page.next.as_deref()),
    };
    let mut response = json(status, &answer)?;
    if let Ok(etag) = format!("\"{}\"", ticket.version).parse() {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(response: &Response<Body>) -> String {
        String::from_utf8_lossy(response.body().as_ref()).into_owned()
    }

    #[test]
    fn an_outage_is_a_503_error_list_with_retry_after_in_either_format() {
        for (format, start) in [(Some(Format::Json), "[{\"code\":503"), (Some(Format::Xml), "<?xml")] {
            let outage = ApiError::Unavailable(StoreError::unavailable("GetItem", "connection reset"));
            let response = respond(format, Err(outage));
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[header::RETRY_AFTER], "5");
            assert!(body(&response).starts_with(start), "{}", body(&response));
            assert!(!body(&response).contains("connection reset"), "causes stay in the logs");
        }
    }

    #[test]
    fn a_reused_idempotency_key_is_a_422_naming_the_header_and_not_worth_retrying() {
        let response = respond(None, Err(ApiError::IdempotencyKeyReused));
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body(&response).contains("Idempotency-Key"));
        assert!(response.headers().get(header::RETRY_AFTER).is_none());
    }
}
