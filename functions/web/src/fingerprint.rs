//! Content fingerprints: a file's hash (its `ETag`, and what build.rs records for every file under
//! `web/`), and the fingerprinted asset URLs the pages load, `/assets/<tag>/<path>`, which a
//! browser may keep for a year.
//!
//! The fingerprint is a path segment, not a `?v=` query: caches and CDNs that ignore or refuse
//! query strings still key on it. It is one segment in front of the path, not a change to the file
//! name, so that a vendored package's relative URLs (Leaflet's CSS names `images/layers.png`, and
//! its markers are found beside that CSS) stay inside the same fingerprint: a package's files share
//! one tag, over all of them; each of the town's own assets has its own.

/// The prefix of every asset URL.
pub const ASSETS: &str = "/assets/";

/// Vendored packages live in their own folder under this prefix; each is fingerprinted as a whole.
const VENDOR: &str = "/assets/vendor/";

/// Hex digits in a tag.
const TAG_LEN: usize = 8;

/// FNV-1a: a cheap, stable hash for validators and fingerprints (not a security boundary).
pub fn hash(body: &[u8]) -> u64 {
    body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

/// The tag of a unit (a file, or a vendored package) from its members' paths and hashes.
pub fn tag<'a>(members: impl IntoIterator<Item = (&'a str, u64)>) -> String {
    let mut bytes = Vec::new();
    for (path, hash) in members {
        bytes.extend_from_slice(path.as_bytes());
        bytes.extend_from_slice(&hash.to_le_bytes());
    }
    let hash = hash(&bytes);
    format!("{:08x}", (hash >> 32) ^ (hash & 0xffff_ffff))
}

/// What is fingerprinted as one: the vendored package's folder (`/assets/vendor/leaflet/`) for
/// its files, the file itself otherwise.
pub fn unit(path: &str) -> &str {
    path.strip_prefix(VENDOR)
        .and_then(|rest| rest.find('/'))
        .map_or(path, |end| &path[..VENDOR.len() + end + 1])
}

/// `/assets/app.css` under `tag`: `/assets/<tag>/app.css`.
pub fn fingerprinted(path: &str, tag: &str) -> String {
    match path.strip_prefix(ASSETS) {
        Some(rest) => format!("{ASSETS}{tag}/{rest}"),
        None => path.to_owned(),
    }
}

/// A fingerprinted URL's plain path and tag (`/assets/<tag>/app.css` -> `/assets/app.css`, tag);
/// any other path as it is, without one.
pub fn split(path: &str) -> (std::borrow::Cow<'_, str>, Option<&str>) {
    let parsed = path.strip_prefix(ASSETS).and_then(|rest| {
        let (tag, file) = rest.split_once('/')?;
        let is_tag =
            tag.len() == TAG_LEN && tag.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        (is_tag && !file.is_empty()).then(|| (format!("{ASSETS}{file}"), tag))
    });
    match parsed {
        Some((plain, tag)) => (plain.into(), Some(tag)),
        None => (path.into(), None),
    }
}

/// The page with every quoted asset URL (`"/assets/…"`) that `tag_of` knows put under its tag;
/// the others (the settings script) stay as they are.
pub fn rewrite(page: &str, tag_of: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(page.len() + 256);
    let mut rest = page;
    while let Some(at) = rest.find("\"/assets/") {
        let (before, after) = rest.split_at(at + 1);
        out.push_str(before);
        let end = after.find('"').unwrap_or(after.len());
        let (url, tail) = after.split_at(end);
        match tag_of(url) {
            Some(tag) => out.push_str(&fingerprinted(url, &tag)),
            None => out.push_str(url),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}
