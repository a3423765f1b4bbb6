//! Matching a request to an HTTP API route the way API Gateway does: literal segments beat
//! `{param}` segments, which beat a greedy `{proxy+}`.

use crate::template::HttpRoute;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

/// A route, compiled for matching.
#[derive(Debug, Clone)]
pub struct Route {
    pub route: HttpRoute,
    segments: Vec<Segment>,
}

/// A matched route and its path parameters.
#[derive(Debug)]
pub struct Matched<'a> {
    pub route: &'a HttpRoute,
    pub path_parameters: BTreeMap<String, String>,
}

/// Every route of the API.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('/').split('/').collect()
}

impl RouteTable {
    pub fn new(routes: Vec<HttpRoute>) -> Self {
        let routes = routes
            .into_iter()
            .map(|route| {
                let segments = segments(&route.path)
                    .into_iter()
                    .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) => match name.strip_suffix('+') {
                            Some(greedy) => Segment::Greedy(greedy.to_owned()),
                            None => Segment::Param(name.to_owned()),
                        },
                        None => Segment::Literal(s.to_owned()),
                    })
                    .collect();
                Route { route, segments }
            })
            .collect();
        Self { routes }
    }

    pub fn routes(&self) -> impl Iterator<Item = &HttpRoute> {
        self.routes.iter().map(|r| &r.route)
    }

    /// The most specific route for `method` and the raw (still percent-encoded) `path`.
    pub fn find(&self, method: &str, path: &str) -> Option<Matched<'_>> {
        let parts = segments(path);
        self.routes
            .iter()
            .filter(|r| r.route.method == method || r.route.method == "ANY")
            .filter_map(|r| Some((r, bind(&r.segments, &parts)?)))
            .max_by_key(|(r, _)| specificity(&r.segments))
            .map(|(r, path_parameters)| Matched { route: &r.route, path_parameters })
    }
}

fn specificity(segments: &[Segment]) -> (usize, usize, bool) {
    let literals = segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count();
    let greedy = segments.iter().any(|s| matches!(s, Segment::Greedy(_)));
    (literals, segments.len(), !greedy)
}

fn bind(pattern: &[Segment], parts: &[&str]) -> Option<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    for (i, segment) in pattern.iter().enumerate() {
        match segment {
            Segment::Greedy(name) => {
                let rest = parts.get(i..).filter(|r| !r.is_empty())?.join("/");
                params.insert(name.clone(), percent_decode(&rest)?);
                return Some(params);
            }
            Segment::Literal(literal) => {
                if parts.get(i)? != literal {
                    return None;
                }
            }
            Segment::Param(name) => {
                let value = parts.get(i).filter(|p| !p.is_empty())?;
                params.insert(name.clone(), percent_decode(value)?);
            }
        }
    }
    (parts.len() == pattern.len()).then_some(params)
}

/// A path segment as API Gateway hands it to a function: percent-decoded, refused if malformed.
fn percent_decode(text: &str) -> Option<String> {
    town311::open311::percent_decode_strict(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        let route = |method: &str, path: &str, function: &str| HttpRoute {
            function: function.into(),
            method: method.into(),
            path: path.into(),
            authorizer: None,
        };
        RouteTable::new(vec![
            route("GET", "/open311/v2/{document}", "Query"),
            route("GET", "/open311/v2/requests/{document}", "Query"),
            route("POST", "/open311/v2/requests.json", "Submit"),
            route("GET", "/files/{path+}", "Files"),
        ])
    }

    #[test]
    fn literal_routes_win_and_methods_matter() {
        let t = table();
        assert_eq!(t.find("POST", "/open311/v2/requests.json").unwrap().route.function, "Submit");
        let get = t.find("GET", "/open311/v2/requests.json").unwrap();
        assert_eq!(get.route.function, "Query");
        assert_eq!(get.path_parameters["document"], "requests.json");
        assert!(t.find("DELETE", "/open311/v2/requests.json").is_none());
    }

    #[test]
    fn parameters_are_whole_decoded_segments() {
        let t = table();
        let m = t.find("GET", "/open311/v2/requests/K7QM%2D3XPR.json").unwrap();
        assert_eq!(m.path_parameters["document"], "K7QM-3XPR.json");
        assert!(t.find("GET", "/open311/v2/requests/").is_none());
        assert!(t.find("GET", "/open311/v2/requests/a/b").is_none());
        assert!(t.find("GET", "/open311/v2/requests/%FF.json").is_none());
        // Two hex digits exactly: a sign is no digit.
        assert!(t.find("GET", "/open311/v2/requests/%+41.json").is_none());
    }

    #[test]
    fn greedy_parameters_take_the_rest() {
        let routes = table();
        let m = routes.find("GET", "/files/a/b.png").unwrap();
        assert_eq!(m.path_parameters["path"], "a/b.png");
        assert!(routes.find("GET", "/files").is_none());
    }
}
