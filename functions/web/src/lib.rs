//! The web function: the citizen form (`/`), the status page (`/status`), the public map
//! (`/map`), the town's figures (`/stats`), what the town keeps and for how long (`/privacy`), the staff page (`/admin`), their scripts, styles and
//! images (`/assets/…`), the one-line embed snippet
//! (`/embed.js`), and `/assets/config.js`, the pages' settings from the environment, with a
//! fresh form token each time it is served.
//!
//! The files are built into the binary, so nothing is fetched or built at run time, and every
//! answer carries a strict Content-Security-Policy: scripts and styles from this origin only,
//! images also from the OpenStreetMap tile server (and `blob:`/`data:` for photo previews).
//!
//! Pages are revalidated on every visit (`no-cache`, with an `ETag`); the assets they load carry
//! their content's fingerprint in the URL (`/assets/<tag>/app.css`, hashed by build.rs) and may be
//! kept for a year, so a returning visitor's browser fetches the page and nothing else.

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};

pub mod fingerprint;

// BUILT_HASHES: every file under `web/` with its hash, from build.rs.
include!(concat!(env!("OUT_DIR"), "/hashes.rs"));

/// The town's form token, the same file the library's domain holds (compiled in here, as this
/// function carries no AWS crate).
#[path = "../../../shared/src/domain/form_token.rs"]
pub mod form_token;

/// The map tiles the citizen form may show.
pub const TILE_ORIGIN: &str = "https://tile.openstreetmap.org";

/// Where staff sign in on the admin page: the page calls the staff user pool's own API
/// (`InitiateAuth` with `USER_PASSWORD_AUTH`, `RespondToAuthChallenge`, `GlobalSignOut`) there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSignIn {
    /// Cognito's API: `https://cognito-idp.<region>.amazonaws.com/` in AWS, the emulator locally.
    pub endpoint: String,
    pub region: String,
    /// The user pool's app client the page signs in through.
    pub client_id: String,
}

impl StaffSignIn {
    /// Cognito's API in `region`.
    pub fn aws(region: &str, client_id: &str) -> Self {
        Self {
            endpoint: format!("https://cognito-idp.{region}.amazonaws.com/"),
            region: region.to_owned(),
            client_id: client_id.to_owned(),
        }
    }
}

/// The numbers the privacy page states, from the deployment's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Privacy {
    /// Days after a request closes that its contacts are kept (`ContactRetentionDays`).
    pub contact_retention_days: u32,
    /// Days the functions' logs are kept (`LogRetentionDays`); `None` when not limited.
    pub log_retention_days: Option<u32>,
}

impl Privacy {
    /// `ContactRetentionDays`' default in template.yaml.
    pub const DEFAULT_CONTACT_RETENTION_DAYS: u32 = 90;

    /// Reads `CONTACT_RETENTION_DAYS` and `LOG_RETENTION_DAYS` (whole days above zero) through
    /// `lookup`; an unset or unreadable one is the default.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let days = |name: &str| lookup(name).and_then(|v| v.trim().parse::<u32>().ok()).filter(|d| *d > 0);
        Self {
            contact_retention_days: days("CONTACT_RETENTION_DAYS")
                .unwrap_or(Self::DEFAULT_CONTACT_RETENTION_DAYS),
            log_retention_days: days("LOG_RETENTION_DAYS"),
        }
    }
}

impl Default for Privacy {
    fn default() -> Self {
        Self::from_lookup(|_| None)
    }
}

/// What the handler needs, read once per cold start.
#[derive(Debug, Clone)]
pub struct State {
    pub town_name: String,
    /// IANA name; the pages show dates in the town's time.
    pub timezone: Option<String>,
    /// Where the citizen form's map starts: (latitude, longitude).
    pub map_center: Option<(f64, f64)>,
    /// The town website, which may embed the citizen pages in a frame.
    pub web_origin: Option<String>,
    /// Staff sign-in; without it the admin page says it is not set up.
    pub sign_in: Option<StaffSignIn>,
    /// Signs the form tokens the pages send with a submission; without it, none is given.
    pub form_key: Option<form_token::FormKey>,
    /// What the privacy page states.
    pub privacy: Privacy,
    /// Read the files from this copy of `web/` instead of the built-in ones, so that the local
    /// stack shows edits at once. Never set in Lambda.
    pub files_dir: Option<std::path::PathBuf>,
}

impl State {
    /// Reads `TOWN_NAME`, `TOWN_TIMEZONE`, `TOWN_MAP_CENTER` (`lat,long`), `WEB_ORIGIN`,
    /// `STAFF_CLIENT_ID` (with Lambda's `AWS_REGION`), `FORM_SECRET`, `CONTACT_RETENTION_DAYS` and
    /// `LOG_RETENTION_DAYS`.
    pub fn from_env() -> Self {
        let var =
            |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let sign_in = match (var("AWS_REGION"), var("STAFF_CLIENT_ID")) {
            (Some(region), Some(client_id)) => Some(StaffSignIn::aws(&region, &client_id)),
            _ => None,
        };
        Self {
            town_name: var("TOWN_NAME").unwrap_or_else(|| "Town".into()),
            timezone: var("TOWN_TIMEZONE"),
            map_center: var("TOWN_MAP_CENTER").as_deref().and_then(parse_center),
            web_origin: var("WEB_ORIGIN"),
            sign_in,
            form_key: var("FORM_SECRET").and_then(|secret| {
                form_token::FormKey::new(secret.as_bytes())
                    .map_err(|e| lambda_http::tracing::error!(reason = %e, "FORM_SECRET is not usable"))
                    .ok()
            }),
            privacy: Privacy::from_lookup(|name| std::env::var(name).ok()),
            files_dir: None,
        }
    }

    /// A file as served: as it is on disk under `files_dir`, or as built in.
    fn body(&self, file: &File) -> Vec<u8> {
        self.files_dir
            .as_ref()
            .and_then(|dir| std::fs::read(dir.join(file.source)).ok())
            .unwrap_or_else(|| file.body.to_vec())
    }

    /// The hash of a file as served: build.rs's for a built-in one, so nothing is hashed at run
    /// time; computed from the disk under `files_dir`, so that fingerprints follow edits.
    fn hash(&self, file: &File) -> u64 {
        let on_disk = self.files_dir.as_ref().and_then(|dir| std::fs::read(dir.join(file.source)).ok());
        match on_disk {
            Some(body) => fingerprint::hash(&body),
            None => BUILT_HASHES
                .iter()
                .find(|(source, _)| *source == file.source)
                .map_or_else(|| fingerprint::hash(file.body), |(_, hash)| *hash),
        }
    }

    /// The current fingerprint of an asset: of its unit, the file or its vendored package.
    fn tag(&self, file: &File) -> String {
        let unit = fingerprint::unit(file.path);
        fingerprint::tag(
            FILES.iter().filter(|f| fingerprint::unit(f.path) == unit).map(|f| (f.path, self.hash(f))),
        )
    }

    /// A page with its assets under their current fingerprints and its settings (minted at
    /// `now`) inside it, a data block in place of the settings script: one fetch, one invocation
    /// fewer per page view.
    fn page(&self, body: &[u8], now: i64) -> Vec<u8> {
        let html = String::from_utf8_lossy(body);
        let asset =
            |url: &str| FILES.iter().find(|f| f.path == url && f.path.starts_with(fingerprint::ASSETS));
        let settings = format!(
            "<script type=\"application/json\" id=\"{SETTINGS_ID}\">{}</script>",
            self.config_json(now)
        );
        fingerprint::rewrite(&html, |url| asset(url).map(|file| self.tag(file)))
            .replace(SETTINGS_SCRIPT, &settings)
            .into_bytes()
    }

    /// The pages' settings, as a script that sets `window.TOWN311_CONFIG` (for pages kept from
    /// before the settings were put inside them), with a form token minted at `now`.
    pub fn config_script(&self, now: i64) -> String {
        format!("window.TOWN311_CONFIG = {};\n", self.config_json(now))
    }

    /// The pages' settings as JSON, with a form token minted at `now` (seconds since the epoch);
    /// `<` escaped, so no value can ever close the script element that holds it.
    pub fn config_json(&self, now: i64) -> String {
        let sign_in = match &self.sign_in {
            Some(StaffSignIn { endpoint, region, client_id }) => serde_json::json!({
                "endpoint": endpoint,
                "region": region,
                "client_id": client_id,
            }),
            None => serde_json::Value::Null,
        };
        let config = serde_json::json!({
            "town_name": self.town_name,
            "timezone": self.timezone,
            "map_center": self.map_center.map(|(lat, long)| [lat, long]),
            "sign_in": sign_in,
            "form_token": self.form_key.as_ref().map(|key| key.mint(now)),
            "privacy": {
                "contact_retention_days": self.privacy.contact_retention_days,
                "log_retention_days": self.privacy.log_retention_days,
            },
        });
        config.to_string().replace('<', "\\u003c")
    }
}

/// The system clock, in seconds since the epoch.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// `"42.1,-72.5"` as a latitude and longitude, if it is one.
pub fn parse_center(text: &str) -> Option<(f64, f64)> {
    let (lat, long) = text.split_once(',')?;
    let lat: f64 = lat.trim().parse().ok()?;
    let long: f64 = long.trim().parse().ok()?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&long)).then_some((lat, long))
}

/// What a file is, which decides its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A page a person opens (citizen pages may be framed by the town website).
    CitizenPage,
    /// The staff page: never framed.
    StaffPage,
    Script,
    Style,
    Png,
    Text,
}

impl Kind {
    fn content_type(self) -> &'static str {
        match self {
            Self::CitizenPage | Self::StaffPage => "text/html; charset=utf-8",
            Self::Script => "text/javascript; charset=utf-8",
            Self::Style => "text/css; charset=utf-8",
            Self::Png => "image/png",
            Self::Text => "text/plain; charset=utf-8",
        }
    }
}

/// One file served as it is.
struct File {
    path: &'static str,
    kind: Kind,
    /// Its path under `web/`.
    source: &'static str,
    body: &'static [u8],
}

macro_rules! file {
    ($path:literal, $kind:expr, $source:literal) => {
        File {
            path: $path,
            kind: $kind,
            source: $source,
            body: include_bytes!(concat!("../../../web/", $source)),
        }
    };
}

static FILES: &[File] = &[
    file!("/", Kind::CitizenPage, "index.html"),
    file!("/status", Kind::CitizenPage, "status.html"),
    file!("/map", Kind::CitizenPage, "map.html"),
    file!("/stats", Kind::CitizenPage, "stats.html"),
    file!("/privacy", Kind::CitizenPage, "privacy.html"),
    file!("/admin", Kind::StaffPage, "admin.html"),
    file!("/embed.js", Kind::Script, "embed.js"),
    file!("/assets/app.css", Kind::Style, "assets/app.css"),
    file!("/assets/i18n.js", Kind::Script, "assets/i18n.js"),
    file!("/assets/common.js", Kind::Script, "assets/common.js"),
    file!("/assets/form.js", Kind::Script, "assets/form.js"),
    file!("/assets/address.js", Kind::Script, "assets/address.js"),
    file!("/assets/status.js", Kind::Script, "assets/status.js"),
    file!("/assets/map.js", Kind::Script, "assets/map.js"),
    file!("/assets/map.css", Kind::Style, "assets/map.css"),
    file!("/assets/admin.js", Kind::Script, "assets/admin.js"),
    file!("/assets/queue-tools.js", Kind::Script, "assets/queue-tools.js"),
    file!("/assets/stats.css", Kind::Style, "assets/stats.css"),
    file!("/assets/charts.js", Kind::Script, "assets/charts.js"),
    file!("/assets/stats.js", Kind::Script, "assets/stats.js"),
    file!("/assets/privacy.js", Kind::Script, "assets/privacy.js"),
    file!("/assets/queue-filters.js", Kind::Script, "assets/queue-filters.js"),
    file!("/assets/dashboard.js", Kind::Script, "assets/dashboard.js"),
    file!("/assets/vendor/leaflet/leaflet.js", Kind::Script, "vendor/leaflet/leaflet.js"),
    file!("/assets/vendor/leaflet/leaflet.css", Kind::Style, "vendor/leaflet/leaflet.css"),
    file!("/assets/vendor/leaflet/LICENSE", Kind::Text, "vendor/leaflet/LICENSE"),
    file!(
        "/assets/vendor/leaflet/images/marker-icon.png",
        Kind::Png,
        "vendor/leaflet/images/marker-icon.png"
    ),
    file!(
        "/assets/vendor/leaflet/images/marker-icon-2x.png",
        Kind::Png,
        "vendor/leaflet/images/marker-icon-2x.png"
    ),
    file!(
        "/assets/vendor/leaflet/images/marker-shadow.png",
        Kind::Png,
        "vendor/leaflet/images/marker-shadow.png"
    ),
    file!("/assets/vendor/leaflet/images/layers.png", Kind::Png, "vendor/leaflet/images/layers.png"),
    file!("/assets/vendor/leaflet/images/layers-2x.png", Kind::Png, "vendor/leaflet/images/layers-2x.png"),
];

/// This checkout's `web/` folder, for a local stack that serves edits at once.
pub const SOURCE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web");

/// The path of the generated settings script.
pub const CONFIG_PATH: &str = "/assets/config.js";
/// How a page's source asks for its settings; served pages carry them inline instead.
const SETTINGS_SCRIPT: &str = "<script src=\"/assets/config.js\" defer></script>";
/// The id of the data block holding a served page's settings (read by common.js).
pub const SETTINGS_ID: &str = "town311-config";

/// Handles the `GET` routes template.yaml gives this function.
pub async fn handle(state: &State, request: Request) -> Result<Response<Body>, Error> {
    Ok(respond(state, &request))
}

/// How long a browser may keep an asset whose URL carries its current fingerprint.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The embed snippet: the town website loads it by this fixed URL.
const EMBED_PATH: &str = "/embed.js";

fn respond(state: &State, request: &Request) -> Response<Body> {
    let path = request.uri().path();
    if path == CONFIG_PATH {
        // Minted per request (a fresh form token), so never fingerprinted nor kept.
        let script = state.config_script(unix_now());
        return answer(state, request, Kind::Script, "no-cache", script.into_bytes());
    }
    let (plain, tag) = fingerprint::split(path);
    match FILES.iter().find(|f| f.path == plain) {
        Some(file) => {
            let body = state.body(file);
            let (cache, body) = match file.kind {
                // The page's ETag covers its assets' fingerprints: a release changes it.
                Kind::CitizenPage | Kind::StaffPage => ("no-cache", state.page(&body, unix_now())),
                _ if file.path == EMBED_PATH => ("public, max-age=600", body),
                _ if tag.is_some_and(|tag| tag == state.tag(file)) => (IMMUTABLE, body),
                // A plain URL, or another release's fingerprint (a page kept from before, or one
                // from a newer instance during a deployment): the current file, revalidated.
                _ => ("no-cache", body),
            };
            answer(state, request, file.kind, cache, body)
        }
        None => {
            let mut response = answer(state, request, Kind::Text, "no-cache", b"Not found\n".to_vec());
            *response.status_mut() = StatusCode::NOT_FOUND;
            response.headers_mut().remove("etag");
            response
        }
    }
}

fn content_security_policy(state: &State, kind: Kind) -> String {
    let frame_ancestors = match (kind, &state.web_origin) {
        (Kind::StaffPage, _) => "'none'".to_owned(),
        (_, Some(origin)) => format!("'self' {origin}"),
        (_, None) => "'self'".to_owned(),
    };
    // The staff page signs in at Cognito's API, and only there beside this origin.
    let connect = match (kind, &state.sign_in) {
        (Kind::StaffPage, Some(sign_in)) => format!("'self' {}", sign_in.endpoint),
        _ => "'self'".to_owned(),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: {TILE_ORIGIN}; \
         connect-src {connect}; base-uri 'none'; form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

/// Whether the client takes gzip (API Gateway passes bodies as they are: no compression of its own).
fn accepts_gzip(request: &Request) -> bool {
    request.headers().get_all("accept-encoding").iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
            name.eq_ignore_ascii_case("gzip") && !refused
        })
    })
}

/// Bodies smaller than this gain nothing worth the CPU from compression.
const GZIP_FROM_BYTES: usize = 1024;

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

fn answer(state: &State, request: &Request, kind: Kind, cache: &str, body: Vec<u8>) -> Response<Body> {
    let compressed = (kind != Kind::Png && body.len() >= GZIP_FROM_BYTES && accepts_gzip(request))
        .then(|| gzip(&body))
        .flatten();
    // Each representation has its own validator.
    let suffix = if compressed.is_some() { "-gz" } else { "" };
    let etag = format!("\"{:016x}{suffix}\"", fingerprint::hash(&body));
    let unchanged = request
        .headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|seen| seen.split(',').any(|tag| tag.trim().trim_start_matches("W/") == etag));
    let mut response = if unchanged {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        Response::new(match (&compressed, kind) {
            (Some(gzipped), _) => Body::Binary(gzipped.clone()),
            (None, Kind::Png) => Body::Binary(body),
            (None, _) => Body::Text(String::from_utf8_lossy(&body).into_owned()),
        })
    };
    let headers = [
        ("content-type", kind.content_type().to_owned()),
        ("cache-control", cache.to_owned()),
        ("etag", etag),
        ("content-security-policy", content_security_policy(state, kind)),
        ("x-content-type-options", "nosniff".to_owned()),
        ("referrer-policy", "strict-origin-when-cross-origin".to_owned()),
        ("permissions-policy", "geolocation=(self), camera=(), microphone=()".to_owned()),
    ];
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    if compressed.is_some() {
        response.headers_mut().insert("content-encoding", HeaderValue::from_static("gzip"));
    }
    if kind != Kind::Png {
        response.headers_mut().insert("vary", HeaderValue::from_static("accept-encoding"));
    }
    if kind == Kind::StaffPage {
        response.headers_mut().insert("x-frame-options", HeaderValue::from_static("DENY"));
    }
    response
}

#[cfg(test)]
mod tests;
