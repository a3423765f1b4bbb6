//! The local stand-in for API Gateway: matches a request to a route of template.yaml, builds
//! the payload-2.0 event API Gateway would send, and calls the function's handler with it.

use crate::auth::Authorizer;
use crate::functions::Functions;
use crate::router::RouteTable;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::watch;
use town311::http::apigw::Invocation;

/// API Gateway's own limit on a request payload (HTTP APIs: 10 MB).
pub const MAX_PAYLOAD_BYTES: usize = 10 * 1024 * 1024;

/// Routes and the functions behind them.
pub struct Gateway {
    pub routes: RouteTable,
    pub functions: Arc<Functions>,
    /// API Gateway's JWT authorizer: checks the staff user pool's tokens.
    pub authorizer: Authorizer,
    /// The port the dev server listens on: the local-only endpoints answer only its own pages.
    pub port: u16,
}

type HttpResponse = hyper::Response<Full<Bytes>>;

/// API Gateway's own answers (not the function's), e.g. `{"message":"Not Found"}`.
fn gateway_answer(status: u16, message: &str) -> HttpResponse {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    response
}

/// Whether `authority` (`host:port`) names this dev server: a loopback name and its port.
fn names_this_server(authority: &str, port: u16) -> bool {
    let Some((name, given)) = authority.rsplit_once(':') else { return false };
    given.parse::<u16>() == Ok(port)
        && matches!(name.to_ascii_lowercase().as_str(), "127.0.0.1" | "localhost" | "[::1]")
}

impl Gateway {
    /// `POST /_town311/digest`: one run of the morning digest, as the schedule starts it in AWS
    /// (`make digest`); answers what it sent. Local only, and only for requests addressed to
    /// this server from no other site.
    async fn digest(&self, request: &hyper::Request<Incoming>) -> HttpResponse {
        let header = |name: hyper::header::HeaderName| {
            request.headers().get(name).map(|v| v.to_str().unwrap_or_default().to_owned())
        };
        let own_host = header(hyper::header::HOST).is_some_and(|h| names_this_server(&h, self.port));
        let own_origin = header(hyper::header::ORIGIN)
            .is_none_or(|o| o.strip_prefix("http://").is_some_and(|h| names_this_server(h, self.port)));
        if !(own_host && own_origin) {
            return gateway_answer(403, "Forbidden");
        }
        let (status, body) = match escalation::run(&self.functions.digest, None).await {
            Ok(report) => (200, serde_json::to_string(&report).unwrap_or_default()),
            Err(error) => {
                let reason = town311::runtime::chain(&error);
                (500, serde_json::json!({ "error": reason }).to_string())
            }
        };
        let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() =
            hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
        response
    }

    /// Serves until `shutdown` turns true.
    pub async fn serve(self: Arc<Self>, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(connection) => connection,
                        Err(error) => {
                            tracing::warn!(%error, "accept failed");
                            continue;
                        }
                    };
                    let gateway = self.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            let gateway = gateway.clone();
                            async move { Ok::<_, Infallible>(gateway.handle(request, peer).await) }
                        });
                        if let Err(error) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                            tracing::debug!(%error, "connection closed with an error");
                        }
                    });
                }
                _ = shutdown.changed() => break,
            }
        }
    }

    async fn handle(&self, request: hyper::Request<Incoming>, peer: SocketAddr) -> HttpResponse {
        let started = Instant::now();
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        let response = self.dispatch(request, peer).await;
        tracing::info!(
            method = %method,
            path = %path,
            status = response.status().as_u16(),
            ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "http"
        );
        response
    }

    async fn dispatch(&self, request: hyper::Request<Incoming>, peer: SocketAddr) -> HttpResponse {
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        let query = request.uri().query().unwrap_or_default().to_owned();
        if method == "POST" && path == "/_town311/digest" {
            return self.digest(&request).await;
        }
        let Some(matched) = self.routes.find(&method, &path) else {
            return gateway_answer(404, "Not Found");
        };
        let claims = match &matched.route.authorizer {
            None => None,
            Some(_) => {
                let header =
                    request.headers().get(hyper::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
                match self.authorizer.verify(header, chrono::Utc::now().timestamp()) {
                    Ok(claims) => Some(claims),
                    Err(reason) => {
                        tracing::info!(%reason, "token refused");
                        return gateway_answer(401, "Unauthorized");
                    }
                }
            }
        };
        let Some(function) = self.functions.http(&matched.route.function) else {
            return gateway_answer(500, "Internal Server Error");
        };
        let (parts, body) = request.into_parts();
        let body = match Limited::new(body, MAX_PAYLOAD_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return gateway_answer(413, "Request Entity Too Large"),
        };
        let mut invocation =
            Invocation::new(&method, &matched.route.route_key(), &path).query(&query).body(body.to_vec());
        invocation.source_ip = peer.ip().to_string();
        invocation.path_parameters = matched.path_parameters.clone();
        invocation.claims = claims;
        for (name, value) in &parts.headers {
            if let Ok(value) = value.to_str() {
                invocation.headers.push((name.as_str().to_owned(), value.to_owned()));
            }
        }
        let lambda_request = match invocation.into_request() {
            Ok(r) => r,
            Err(error) => {
                tracing::error!(%error, "could not build the API Gateway event");
                return gateway_answer(500, "Internal Server Error");
            }
        };
        match function.call(lambda_request).await {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                let bytes = Bytes::copy_from_slice(body.as_ref());
                hyper::Response::from_parts(parts, Full::new(bytes))
            }
            Err(error) => {
                // As in AWS: a function error reaches the client as API Gateway's 500.
                tracing::error!(error = %error, function = %matched.route.function, "function failed");
                gateway_answer(500, "Internal Server Error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::names_this_server;

    #[test]
    fn only_loopback_names_on_its_own_port_are_this_server() {
        assert!(names_this_server("127.0.0.1:3311", 3311));
        assert!(names_this_server("LOCALHOST:3311", 3311));
        assert!(names_this_server("[::1]:3311", 3311));
        assert!(!names_this_server("127.0.0.1:3312", 3311));
        assert!(!names_this_server("evil.example:3311", 3311));
        assert!(!names_this_server("127.0.0.1", 3311));
        assert!(!names_this_server("127.0.0.1.evil.example:3311", 3311));
    }
}
