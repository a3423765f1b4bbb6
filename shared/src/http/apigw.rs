//! Building the request API Gateway (HTTP API, payload 2.0) hands a function, so the dev server
//! and handler tests feed handlers exactly what Lambda would.

use base64::Engine as _;
use lambda_http::Request;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// An HTTP request as it reaches API Gateway, plus the route it matched.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    pub method: String,
    /// The matched route, e.g. `GET /open311/v2/requests/{document}`.
    pub route_key: String,
    /// The path as sent, without the query string.
    pub raw_path: String,
    /// The query string as sent, without `?`.
    pub raw_query: String,
    pub headers: Vec<(String, String)>,
    pub path_parameters: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub source_ip: String,
    /// The claims of a JWT authorizer that let the request through.
    pub claims: Option<BTreeMap<String, String>>,
}

impl Invocation {
    /// A request with no headers, query or body.
    pub fn new(method: &str, route_key: &str, raw_path: &str) -> Self {
        Self {
            method: method.to_owned(),
            route_key: route_key.to_owned(),
            raw_path: raw_path.to_owned(),
            source_ip: "127.0.0.1".to_owned(),
            ..Self::default()
        }
    }

    pub fn path_parameter(mut self, name: &str, value: &str) -> Self {
        self.path_parameters.insert(name.to_owned(), value.to_owned());
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Claims a JWT authorizer vouched for, as API Gateway passes them.
    pub fn claims(mut self, claims: &[(&str, &str)]) -> Self {
        self.claims = Some(claims.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect());
        self
    }

    pub fn query(mut self, raw_query: &str) -> Self {
        self.raw_query = raw_query.to_owned();
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The payload-2.0 event API Gateway would send, as JSON.
    pub fn event(&self) -> Value {
        // API Gateway lower-cases header names and joins repeated headers with commas.
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        let mut cookies = Vec::new();
        for (name, value) in &self.headers {
            let name = name.to_ascii_lowercase();
            if name == "cookie" {
                cookies.extend(value.split(';').map(|c| c.trim().to_owned()));
                continue;
            }
            headers
                .entry(name)
                .and_modify(|v| {
                    v.push(',');
                    v.push_str(value);
                })
                .or_insert_with(|| value.clone());
        }
        let user_agent = headers.get("user-agent").cloned().unwrap_or_default();
        let mut query: Map<String, Value> = Map::new();
        for (k, v) in form_pairs(&self.raw_query) {
            let joined = match query.get(&k).and_then(Value::as_str) {
                Some(prev) => format!("{prev},{v}"),
                None => v,
            };
            query.insert(k, Value::String(joined));
        }
        let now = chrono::Utc::now();
        let mut event = json!({
            "version": "2.0",
            "routeKey": self.route_key,
            "rawPath": self.raw_path,
            "rawQueryString": self.raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": "000000000000",
                "apiId": "local",
                "domainName": headers.get("host").cloned().unwrap_or_else(|| "localhost".into()),
                "domainPrefix": "local",
                "http": {
                    "method": self.method,
                    "path": self.raw_path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": self.source_ip,
                    "userAgent": user_agent,
                },
                "requestId": format!("local-{}", now.timestamp_nanos_opt().unwrap_or_default()),
                "routeKey": self.route_key,
                "stage": "$default",
                "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
                "timeEpoch": now.timestamp_millis(),
            },
            "isBase64Encoded": !self.body.is_empty(),
        });
        if let Some(claims) = &self.claims {
            event["requestContext"]["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
        }
        if !cookies.is_empty() {
            event["cookies"] = json!(cookies);
        }
        if !query.is_empty() {
            event["queryStringParameters"] = Value::Object(query);
        }
        if !self.path_parameters.is_empty() {
            event["pathParameters"] = json!(self.path_parameters);
        }
        if !self.body.is_empty() {
            event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(&self.body));
        }
        event
    }

    /// The request the function's handler receives, decoded by `lambda_http` as in Lambda.
    pub fn into_request(self) -> Result<Request, serde_json::Error> {
        lambda_http::request::from_str(&self.event().to_string())
    }
}

fn form_pairs(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{path_parameter, requested_format, route_key};
    use crate::open311::Format;
    use lambda_http::RequestExt;

    #[test]
    fn handlers_see_what_api_gateway_would_send() {
        let request = Invocation::new("POST", "POST /open311/v2/requests.json", "/open311/v2/requests.json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("X-Forwarded-For", "10.0.0.1")
            .header("x-forwarded-for", "10.0.0.2")
            .query("jurisdiction_id=town&a=1&a=2")
            .body("service_code=A")
            .into_request()
            .unwrap();
        assert_eq!(request.method(), "POST");
        assert_eq!(route_key(&request), Some("POST /open311/v2/requests.json"));
        assert_eq!(requested_format(&request), Some(Format::Json));
        assert_eq!(request.headers()["x-forwarded-for"], "10.0.0.1,10.0.0.2");
        let body: &[u8] = request.body().as_ref();
        assert_eq!(body, b"service_code=A");
        let query = request.query_string_parameters();
        assert_eq!(query.first("jurisdiction_id"), Some("town"));
        assert_eq!(query.all("a"), Some(vec!["1", "2"]));
    }

    #[test]
    fn path_parameters_arrive() {
        let request = Invocation::new(
            "GET",
            "GET /open311/v2/requests/{document}",
            "/open311/v2/requests/K7QM-3XPR.xml",
        )
        .path_parameter("document", "K7QM-3XPR.xml")
        .into_request()
        .unwrap();
        assert_eq!(path_parameter(&request, "document"), Some("K7QM-3XPR.xml"));
        assert_eq!(requested_format(&request), Some(Format::Xml));
    }
}
