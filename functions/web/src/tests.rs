use super::*;

fn state() -> State {
    State {
        town_name: "Millbrook".into(),
        timezone: Some("America/New_York".into()),
        map_center: Some((42.1, -72.5)),
        web_origin: Some("https://www.millbrook.example".into()),
        sign_in: None,
        form_key: None,
        privacy: Privacy { contact_retention_days: 90, log_retention_days: Some(30) },
        files_dir: None,
    }
}

fn get(path: &str) -> Request {
    lambda_http::http::Request::builder().method("GET").uri(path).body(Body::Empty).unwrap()
}

async fn call(state: &State, request: Request) -> Response<Body> {
    handle(state, request).await.unwrap()
}

fn header<'a>(response: &'a Response<Body>, name: &str) -> &'a str {
    response.headers().get(name).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

fn text(response: &Response<Body>) -> &str {
    std::str::from_utf8(response.body().as_ref()).unwrap()
}

#[tokio::test]
async fn pages_are_html_that_is_revalidated() {
    for (path, marker) in [
        ("/", "form.js"),
        ("/status", "status.js"),
        ("/map", "map.js"),
        ("/stats", "stats.js"),
        ("/admin", "admin.js"),
    ] {
        let response = call(&state(), get(path)).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8", "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        assert!(text(&response).contains(marker), "{path} loads {marker}");
        assert!(text(&response).starts_with("<!doctype html>"), "{path}");
    }
}

#[tokio::test]
async fn every_file_has_its_content_type() {
    let cases = [
        ("/embed.js", "text/javascript; charset=utf-8"),
        ("/assets/app.css", "text/css; charset=utf-8"),
        ("/assets/i18n.js", "text/javascript; charset=utf-8"),
        ("/assets/map.js", "text/javascript; charset=utf-8"),
        ("/assets/map.css", "text/css; charset=utf-8"),
        ("/assets/vendor/leaflet/leaflet.css", "text/css; charset=utf-8"),
        ("/assets/vendor/leaflet/images/marker-icon.png", "image/png"),
        ("/assets/vendor/leaflet/LICENSE", "text/plain; charset=utf-8"),
    ];
    for (path, content_type) in cases {
        let response = call(&state(), get(path)).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "content-type"), content_type, "{path}");
    }
    let png = call(&state(), get("/assets/vendor/leaflet/images/marker-icon.png")).await;
    assert!(matches!(png.body(), Body::Binary(bytes) if bytes.starts_with(b"\x89PNG")));
}

#[tokio::test]
async fn unknown_files_are_404() {
    for path in ["/nope", "/assets/missing.js", "/assets/../Cargo.toml", "/index.html", "/assets/"] {
        let response = call(&state(), get(path)).await;
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    }
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    for path in ["/", "/admin", "/assets/form.js", "/nope"] {
        let response = call(&state(), get(path)).await;
        let csp = header(&response, "content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self';"), "{path}: no inline scripts");
        assert!(csp.contains("img-src 'self' data: blob: https://tile.openstreetmap.org;"), "{path}: {csp}");
        assert!(csp.contains("connect-src 'self';"), "{path}: {csp}");
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&response, "referrer-policy"), "strict-origin-when-cross-origin", "{path}");
    }
}

#[tokio::test]
async fn only_citizen_pages_may_be_framed_and_only_by_the_town_website() {
    let form = call(&state(), get("/")).await;
    assert!(
        header(&form, "content-security-policy")
            .ends_with("frame-ancestors 'self' https://www.millbrook.example")
    );
    assert_eq!(header(&form, "x-frame-options"), "");
    let admin = call(&state(), get("/admin")).await;
    assert!(header(&admin, "content-security-policy").ends_with("frame-ancestors 'none'"));
    assert_eq!(header(&admin, "x-frame-options"), "DENY");
}

#[tokio::test]
async fn unchanged_files_answer_304() {
    let first = call(&state(), get("/assets/app.css")).await;
    let etag = header(&first, "etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 2);
    let mut again = get("/assets/app.css");
    again.headers_mut().insert("if-none-match", HeaderValue::from_str(&etag).unwrap());
    let second = call(&state(), again).await;
    assert_eq!(second.status(), 304);
    assert!(second.body().is_empty());
    let mut stale = get("/assets/app.css");
    stale.headers_mut().insert("if-none-match", HeaderValue::from_static("\"0\""));
    assert_eq!(call(&state(), stale).await.status(), 200);
}

#[tokio::test]
async fn config_script_tells_the_pages_how_staff_sign_in() {
    let response = call(&state(), get(CONFIG_PATH)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header(&response, "cache-control"), "no-cache");
    assert_eq!(
        text(&response),
        "window.TOWN311_CONFIG = {\"town_name\":\"Millbrook\",\"timezone\":\"America/New_York\",\
         \"map_center\":[42.1,-72.5],\"sign_in\":null,\"form_token\":null,\
         \"privacy\":{\"contact_retention_days\":90,\"log_retention_days\":30}};\n"
    );

    let cognito = State { sign_in: Some(StaffSignIn::aws("us-east-1", "abc")), ..state() };
    let sign_in = &settings(&cognito.config_script(0))["sign_in"];
    assert_eq!(
        *sign_in,
        serde_json::json!({
            "endpoint": "https://cognito-idp.us-east-1.amazonaws.com/",
            "region": "us-east-1",
            "client_id": "abc",
        })
    );
}

/// The settings the config script sets.
fn settings(script: &str) -> serde_json::Value {
    let json = script.strip_prefix("window.TOWN311_CONFIG = ").unwrap().trim_end().strip_suffix(';').unwrap();
    serde_json::from_str(json).unwrap()
}

#[tokio::test]
async fn config_script_carries_a_fresh_form_token_signed_with_the_secret() {
    let secret = b"0123456789abcdef0123456789abcdef";
    let signing = State { form_key: Some(form_token::FormKey::new(secret).unwrap()), ..state() };
    let response = call(&signing, get(CONFIG_PATH)).await;
    assert_eq!(header(&response, "cache-control"), "no-cache");
    let token = settings(text(&response))["form_token"].as_str().unwrap().to_owned();
    let now = unix_now();
    let expiry = form_token::FormKey::new(secret).unwrap().verify(&token, now).unwrap();
    assert!((now + form_token::LIFETIME_SECONDS - expiry).abs() <= 5, "{expiry} at {now}");
    let other = form_token::FormKey::new(&[7; 32]).unwrap();
    assert!(other.verify(&token, now).is_err());
    // Minted when served, from the time it is served at.
    let later = settings(&signing.config_script(now + 3600))["form_token"].as_str().unwrap().to_owned();
    assert!(later.starts_with(&format!("{}.", now + 3600 + form_token::LIFETIME_SECONDS)));
    assert!(settings(&state().config_script(now))["form_token"].is_null());
}

#[test]
fn town_names_cannot_close_a_script() {
    let odd = State { town_name: "</script><script>alert(1)".into(), ..state() };
    assert!(!odd.config_script(0).contains("</script>"));
}

#[test]
fn map_centers_are_a_latitude_and_a_longitude() {
    assert_eq!(parse_center("42.1, -72.5"), Some((42.1, -72.5)));
    assert_eq!(parse_center("91,0"), None);
    assert_eq!(parse_center("42.1"), None);
    assert_eq!(parse_center("a,b"), None);
}

#[tokio::test]
async fn a_local_stack_serves_the_files_as_they_are_on_disk() {
    let dir = std::env::temp_dir().join(format!("town311-web-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("assets/app.css"), "body{}").unwrap();
    let local = State { files_dir: Some(dir.clone()), ..state() };
    let edited = call(&local, get("/assets/app.css")).await;
    assert_eq!(text(&edited), "body{}");
    // Files missing there fall back to the built-in ones; unknown paths are still unknown.
    assert_eq!(call(&local, get("/assets/i18n.js")).await.status(), 200);
    assert_eq!(call(&local, get("/assets/other.css")).await.status(), 404);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn text_goes_gzipped_to_clients_that_take_it() {
    let mut request = get("/assets/vendor/leaflet/leaflet.js");
    request.headers_mut().insert("accept-encoding", HeaderValue::from_static("br, gzip;q=0.8"));
    let response = call(&state(), request).await;
    assert_eq!(header(&response, "content-encoding"), "gzip");
    assert_eq!(header(&response, "vary"), "accept-encoding");
    let Body::Binary(gzipped) = response.body() else { panic!("gzip travels as binary") };
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut plain).unwrap();
    assert!(plain.len() > gzipped.len() * 2, "{} -> {}", plain.len(), gzipped.len());
    assert!(plain.contains("Leaflet"));
    let gz_etag = header(&response, "etag").to_owned();
    assert!(gz_etag.ends_with("-gz\""));
    // Its validator is its own: the plain one does not match it.
    let plain_etag =
        header(&call(&state(), get("/assets/vendor/leaflet/leaflet.js")).await, "etag").to_owned();
    assert_ne!(plain_etag, gz_etag);

    let mut refused = get("/assets/vendor/leaflet/leaflet.js");
    refused.headers_mut().insert("accept-encoding", HeaderValue::from_static("gzip;q=0"));
    assert_eq!(header(&call(&state(), refused).await, "content-encoding"), "");
    let mut image = get("/assets/vendor/leaflet/images/marker-icon.png");
    image.headers_mut().insert("accept-encoding", HeaderValue::from_static("gzip"));
    assert_eq!(header(&call(&state(), image).await, "content-encoding"), "");
}

#[tokio::test]
async fn only_the_staff_page_may_reach_cognito_and_only_its_endpoint() {
    let cognito = State { sign_in: Some(StaffSignIn::aws("eu-west-1", "abc")), ..state() };
    let admin = call(&cognito, get("/admin")).await;
    let csp = header(&admin, "content-security-policy");
    assert!(csp.contains("connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com/;"), "{csp}");
    let form = call(&cognito, get("/")).await;
    assert!(header(&form, "content-security-policy").contains("connect-src 'self';"));
    let unconfigured = call(&state(), get("/admin")).await;
    assert!(header(&unconfigured, "content-security-policy").contains("connect-src 'self';"));
    assert_eq!(call(&cognito, get("/assets/pkce.js")).await.status(), 404);
}

#[tokio::test]
async fn the_privacy_page_is_a_citizen_page_and_its_numbers_are_the_parameters() {
    let response = call(&state(), get("/privacy")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "text/html; charset=utf-8");
    assert!(asset_urls(text(&response)).iter().any(|url| url.ends_with("/privacy.js")));
    assert_eq!(call(&state(), get("/assets/privacy.js")).await.status(), 200);

    let set = Privacy::from_lookup(|name| match name {
        "CONTACT_RETENTION_DAYS" => Some(" 30 ".into()),
        "LOG_RETENTION_DAYS" => Some("14".into()),
        _ => None,
    });
    assert_eq!(set, Privacy { contact_retention_days: 30, log_retention_days: Some(14) });
    let unreadable = Privacy::from_lookup(|_| Some("0".into()));
    assert_eq!(unreadable, Privacy { contact_retention_days: 90, log_retention_days: None });
    assert_eq!(Privacy::default().contact_retention_days, Privacy::DEFAULT_CONTACT_RETENTION_DAYS);
}

/// Every asset URL a page loads (its `href="/assets/…"` and `src="/assets/…"`).
fn asset_urls(page: &str) -> Vec<String> {
    ["href=\"", "src=\""]
        .iter()
        .flat_map(|attribute| page.split(attribute).skip(1))
        .filter_map(|rest| rest.split('"').next())
        .filter(|url| url.starts_with("/assets/"))
        .map(str::to_owned)
        .collect()
}

/// The URLs a stylesheet loads (its `url(…)`s, not `data:` or `#` ones), resolved against its own.
fn css_urls(css_url: &str, css: &str) -> Vec<String> {
    let base = &css_url[..css_url.rfind('/').unwrap() + 1];
    css.split("url(")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .map(|url| url.trim_matches(|c| c == '"' || c == '\''))
        .filter(|url| !url.starts_with('#') && !url.starts_with("data:"))
        .map(|url| format!("{base}{url}"))
        .collect()
}

const PAGES: [&str; 6] = ["/", "/status", "/map", "/stats", "/privacy", "/admin"];

#[tokio::test]
async fn pages_load_only_fingerprinted_assets_that_may_be_kept_for_a_year() {
    let mut checked = 0;
    for page in PAGES {
        let html = call(&state(), get(page)).await;
        let urls = asset_urls(text(&html));
        assert!(urls.len() >= 4, "{page}: {urls:?}");
        for url in urls {
            // The settings carry a form token minted per request: the one asset never kept.
            if url == CONFIG_PATH {
                continue;
            }
            let (plain, tag) = fingerprint::split(&url);
            assert!(tag.is_some(), "{page} loads {url} without a fingerprint");
            let response = call(&state(), get(&url)).await;
            assert_eq!(response.status(), 200, "{page}: {url}");
            assert_eq!(header(&response, "cache-control"), IMMUTABLE, "{page}: {url}");
            assert_eq!(response.body().as_ref(), call(&state(), get(&plain)).await.body().as_ref(), "{url}");
            checked += 1;
            // What the stylesheets load in turn (Leaflet's images) is under the same fingerprint.
            if url.ends_with(".css") {
                for inner in css_urls(&url, text(&response)) {
                    let image = call(&state(), get(&inner)).await;
                    assert_eq!(image.status(), 200, "{url} loads {inner}");
                    assert_eq!(header(&image, "cache-control"), IMMUTABLE, "{url} loads {inner}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 30, "{checked} assets checked");
}

#[tokio::test]
async fn leaflet_finds_its_marker_images_beside_its_stylesheet() {
    let form = call(&state(), get("/")).await;
    let css = asset_urls(text(&form)).into_iter().find(|url| url.ends_with("/leaflet.css")).unwrap();
    // Leaflet takes the folder of the default icon the stylesheet names, and adds its own names.
    let icon = css_urls(&css, text(&call(&state(), get(&css)).await))
        .into_iter()
        .find(|url| url.ends_with("marker-icon.png"))
        .unwrap();
    let folder = icon.strip_suffix("marker-icon.png").unwrap();
    for name in ["marker-icon.png", "marker-icon-2x.png", "marker-shadow.png"] {
        let image = call(&state(), get(&format!("{folder}{name}"))).await;
        assert_eq!(image.status(), 200, "{folder}{name}");
        assert_eq!(header(&image, "cache-control"), IMMUTABLE, "{folder}{name}");
    }
}

#[tokio::test]
async fn another_releases_fingerprint_or_none_gets_the_current_file_revalidated() {
    let current = call(&state(), get("/assets/app.css")).await;
    assert_eq!(current.status(), 200);
    for path in ["/assets/app.css", "/assets/00000000/app.css", "/assets/0123abcd/vendor/leaflet/leaflet.js"]
    {
        let response = call(&state(), get(path)).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
    }
    assert_eq!(
        call(&state(), get("/assets/00000000/app.css")).await.body().as_ref(),
        current.body().as_ref()
    );
    for path in [
        "/assets/00000000/missing.js",
        "/assets/00000000/",
        "/assets/0000000g/app.css",
        "/assets/00000000/config.js",
    ] {
        assert_eq!(call(&state(), get(path)).await.status(), 404, "{path}");
    }
    // The embed snippet keeps the fixed address the town website loads.
    assert_eq!(header(&call(&state(), get("/embed.js")).await, "cache-control"), "public, max-age=600");
}

#[test]
fn the_built_hashes_are_the_files_hashes() {
    for file in FILES {
        let built = BUILT_HASHES.iter().find(|(source, _)| *source == file.source);
        assert_eq!(built.map(|(_, hash)| *hash), Some(fingerprint::hash(file.body)), "{}", file.source);
    }
}

#[tokio::test]
async fn a_page_changes_when_an_asset_does() {
    let dir = std::env::temp_dir().join(format!("town311-web-tags-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    let url_of = |page: &str| asset_urls(page).into_iter().find(|url| url.ends_with("/app.css")).unwrap();
    let built = call(&state(), get("/")).await;
    std::fs::write(dir.join("assets/app.css"), "body{}").unwrap();
    let local = State { files_dir: Some(dir.clone()), ..state() };
    let edited = call(&local, get("/")).await;
    // On disk, the fingerprint follows the file, and so does the page's validator.
    assert_ne!(url_of(text(&edited)), url_of(text(&built)));
    assert_ne!(header(&edited, "etag"), header(&built, "etag"));
    let css = call(&local, get(&url_of(text(&edited)))).await;
    assert_eq!(text(&css), "body{}");
    assert_eq!(header(&css, "cache-control"), IMMUTABLE);
    assert_eq!(header(&call(&local, get(&url_of(text(&built)))).await, "cache-control"), "no-cache");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn fingerprinted_urls_put_a_vendored_package_under_one_tag() {
    assert_eq!(fingerprint::unit("/assets/vendor/leaflet/images/layers.png"), "/assets/vendor/leaflet/");
    assert_eq!(fingerprint::unit("/assets/app.css"), "/assets/app.css");
    assert_eq!(fingerprint::fingerprinted("/assets/app.css", "0123abcd"), "/assets/0123abcd/app.css");
    let (plain, tag) = fingerprint::split("/assets/0123abcd/vendor/leaflet/leaflet.css");
    assert_eq!((plain.as_ref(), tag), ("/assets/vendor/leaflet/leaflet.css", Some("0123abcd")));
    assert_eq!(fingerprint::split("/assets/app.css").1, None);
    let page = "<link href=\"/assets/app.css\"><script src=\"/assets/config.js\"></script>";
    let rewritten =
        fingerprint::rewrite(page, |url| (url == "/assets/app.css").then(|| "0123abcd".to_owned()));
    assert_eq!(
        rewritten,
        "<link href=\"/assets/0123abcd/app.css\"><script src=\"/assets/config.js\"></script>"
    );
}

#[tokio::test]
async fn every_page_carries_its_settings_inside_it_so_a_view_is_one_fetch() {
    let signing = State { form_key: Some(form_token::FormKey::new(&[3; 32]).unwrap()), ..state() };
    for page in PAGES {
        let response = call(&signing, get(page)).await;
        let html = text(&response);
        assert!(!html.contains(CONFIG_PATH), "{page} still loads the settings script");
        let start = html.find("<script type=\"application/json\" id=\"town311-config\">").expect(page);
        let rest = &html[start..];
        let json = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
        let settings: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(settings["town_name"], "Millbrook", "{page}");
        assert!(settings["form_token"].is_string(), "{page}: a fresh form token");
    }
}
